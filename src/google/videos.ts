// Managing videos as one member: read one (any video they can see), edit their own with a
// read-modify-write (videos.update replaces every part it is sent), delete their own, like and
// unlike (v3's answer to the old favorites) and page through what they liked. Free of discord.js.
import type { youtube_v3 } from '@googleapis/youtube';
import { googleReason, UserError } from '../errors.ts';
import { LIMITS, parseTags, PRIVACIES, tagsLength, type Privacy } from '../uploads/metadata.ts';
import type { OAuthService } from './oauth.ts';
import { youtubeClient, type YouTube } from './youtube.ts';

type Snippet = youtube_v3.Schema$VideoSnippet;
type Status = youtube_v3.Schema$VideoStatus;

export const LIKED_PAGE_SIZE = 10;

/** What a member writes in description or tags to empty the field. */
export const CLEAR = '-';

export const videoUrl = (id: string): string => `https://youtu.be/${id}`;

export interface VideoSummary {
  readonly id: string;
  readonly title: string;
  readonly channelId: string;
  readonly channelTitle: string;
  readonly thumbnailUrl: string | undefined;
  readonly url: string;
}

export interface Processing {
  /** status.uploadStatus: uploaded, processed, failed, rejected, deleted. */
  readonly uploadStatus: string | undefined;
  /** processingDetails.processingStatus: processing, succeeded, failed, terminated. */
  readonly processingStatus: string | undefined;
  /** 0–100 while processing, when YouTube says how far it got. */
  readonly percent: number | undefined;
  /** failureReason or rejectionReason. */
  readonly reason: string | undefined;
}

export interface VideoInfo extends VideoSummary {
  readonly privacy: string | undefined;
  readonly publishAt: string | undefined;
  /** True when the video is on the member's own channel. */
  readonly mine: boolean;
  /** Only for the member's own videos: YouTube shows processing details to the owner alone. */
  readonly processing: Processing | undefined;
  readonly views: number | undefined;
  /** Undefined when the owner hides the count. */
  readonly likes: number | undefined;
}

export interface VideoChanges {
  readonly title?: string | null | undefined;
  readonly description?: string | null | undefined;
  /** Comma-separated; CLEAR empties them. */
  readonly tags?: string | null | undefined;
  readonly categoryId?: string | null | undefined;
  readonly privacy?: string | null | undefined;
}

export type EditedField = 'title' | 'description' | 'tags' | 'category' | 'privacy';

export interface EditResult {
  readonly video: VideoSummary;
  /** The fields whose value changed (empty: everything already was as asked; nothing was written). */
  readonly changed: readonly EditedField[];
  readonly privacy: string | undefined;
  /** Asked for public or unlisted, and YouTube kept the video private (unaudited API project). */
  readonly keptPrivate: boolean;
}

export interface LikedPage {
  readonly items: readonly VideoSummary[];
  readonly next: string | undefined;
  readonly prev: string | undefined;
  readonly total: number;
}

/** The changes after checking them against YouTube's documented limits. */
export interface CheckedChanges {
  title?: string;
  description?: string;
  tags?: string[];
  categoryId?: string;
  privacy?: Privacy;
}

const given = (value: string | null | undefined): value is string => value !== null && value !== undefined;

/** Checks every given field (title ≤ 100, no < >, description ≤ 5000 bytes, tags ≤ 500) or throws one sentence. */
export function checkChanges(changes: VideoChanges): CheckedChanges {
  const out: CheckedChanges = {};
  if (given(changes.title)) {
    const title = changes.title.trim();
    if (title === '') throw UserError.t('error.titleEmpty');
    if ([...title].length > LIMITS.title)
      throw UserError.t('error.titleTooLong', { length: [...title].length, max: LIMITS.title });
    if (/[<>]/.test(title)) throw UserError.t('error.titleAngle');
    out.title = title;
  }
  if (given(changes.description)) {
    const description = changes.description.trim() === CLEAR ? '' : changes.description.trim();
    const bytes = Buffer.byteLength(description, 'utf8');
    if (bytes > LIMITS.descriptionBytes)
      throw UserError.t('error.descriptionTooLong', { bytes, max: LIMITS.descriptionBytes });
    if (/[<>]/.test(description)) throw UserError.t('error.descriptionAngle');
    out.description = description;
  }
  if (given(changes.tags)) {
    const tags = changes.tags.trim() === CLEAR ? [] : parseTags(changes.tags);
    if (tags.some((t) => /[<>]/.test(t))) throw UserError.t('error.tagsAngle');
    const length = tagsLength(tags);
    if (length > LIMITS.tags) throw UserError.t('error.tagsTooLong', { length, max: LIMITS.tags });
    out.tags = tags;
  }
  if (given(changes.categoryId)) {
    const categoryId = changes.categoryId.trim();
    if (!/^\d{1,4}$/.test(categoryId)) throw UserError.t('error.categoryPick');
    out.categoryId = categoryId;
  }
  if (given(changes.privacy)) {
    const privacy = changes.privacy.trim().toLowerCase();
    if (!(PRIVACIES as readonly string[]).includes(privacy)) throw UserError.t('error.privacyInvalid');
    out.privacy = privacy as Privacy;
  }
  if (Object.keys(out).length === 0) throw UserError.t('error.videoNoChange');
  return out;
}

function summary(video: youtube_v3.Schema$Video): VideoSummary {
  const id = video.id ?? '';
  const thumbnails = video.snippet?.thumbnails;
  return {
    id,
    title: video.snippet?.title ?? id,
    channelId: video.snippet?.channelId ?? '',
    channelTitle: video.snippet?.channelTitle ?? '',
    thumbnailUrl:
      thumbnails?.maxres?.url ??
      thumbnails?.high?.url ??
      thumbnails?.medium?.url ??
      thumbnails?.default?.url ??
      undefined,
    url: videoUrl(id),
  };
}

const count = (value: string | null | undefined): number | undefined =>
  value === null || value === undefined || !/^\d+$/.test(value) ? undefined : Number(value);

/** The writable snippet fields, as read: what videos.update must get back so nothing is dropped. */
function writableSnippet(s: Snippet): Snippet {
  const out: Snippet = {
    title: s.title ?? '',
    description: s.description ?? '',
    categoryId: s.categoryId ?? '',
  };
  if (s.tags && s.tags.length > 0) out.tags = [...s.tags];
  if (s.defaultLanguage) out.defaultLanguage = s.defaultLanguage;
  if (s.defaultAudioLanguage) out.defaultAudioLanguage = s.defaultAudioLanguage;
  return out;
}

/** The writable status fields, as read (uploadStatus, madeForKids and the reasons are read-only). */
function writableStatus(s: Status): Status {
  const out: Status = {};
  for (const key of [
    'privacyStatus',
    'publishAt',
    'license',
    'embeddable',
    'publicStatsViewable',
    'selfDeclaredMadeForKids',
    'containsSyntheticMedia',
  ] as const) {
    const value = s[key];
    if (value !== null && value !== undefined) (out as Record<string, unknown>)[key] = value;
  }
  return out;
}

const sameTags = (a: readonly string[] | null | undefined, b: readonly string[]): boolean =>
  (a ?? []).length === b.length && (a ?? []).every((t, i) => t === b[i]);

interface Deps {
  readonly oauth: Pick<OAuthService, 'withClient' | 'linked'>;
  readonly config: { readonly youtubeApiUrl: string };
}

export function videoService({ oauth, config }: Deps) {
  const rootUrl = config.youtubeApiUrl;

  /** Runs `work` as the member, with their linked channel id (a UserError when not linked). */
  function asMember<T>(owner: string, work: (yt: YouTube, channelId: string) => Promise<T>): Promise<T> {
    return oauth.withClient(owner, async (client) => {
      const linked = await oauth.linked(owner);
      return work(youtubeClient(rootUrl, client), linked?.channel.id ?? '');
    });
  }

  async function fetchVideo(
    yt: YouTube,
    id: string,
    part: string[],
  ): Promise<youtube_v3.Schema$Video | undefined> {
    const { data } = await yt.videos.list({ part, id: [id] }, { rootUrl });
    return data.items?.find((v) => v.id === id);
  }

  function notYours(video: VideoSummary, action: string): UserError {
    const where = video.channelTitle ? `the channel "${video.channelTitle}"` : "someone else's channel";
    return new UserError(
      `"${video.title}" is on ${where}, not on your linked channel, so you cannot ${action} it.`,
    );
  }

  return {
    /** Title, channel, privacy, statistics; processing too when the video is the member's own. */
    info(owner: string, id: string): Promise<VideoInfo> {
      return asMember(owner, async (yt, channelId) => {
        const video = await fetchVideo(yt, id, ['snippet', 'status', 'statistics']);
        if (!video) throw UserError.t('error.google.videoNotFound');
        const base = summary(video);
        const mine = base.channelId !== '' && base.channelId === channelId;
        let processing: Processing | undefined;
        if (mine) {
          // processingDetails is for the owner alone; ask for it only then.
          const details = (await fetchVideo(yt, id, ['processingDetails']))?.processingDetails;
          const progress = details?.processingProgress;
          const total = count(progress?.partsTotal);
          const done = count(progress?.partsProcessed);
          processing = {
            uploadStatus: video.status?.uploadStatus ?? undefined,
            processingStatus: details?.processingStatus ?? undefined,
            percent: total && done !== undefined ? Math.floor((100 * done) / total) : undefined,
            reason: video.status?.failureReason ?? video.status?.rejectionReason ?? undefined,
          };
        }
        return {
          ...base,
          privacy: video.status?.privacyStatus ?? undefined,
          publishAt: video.status?.publishAt ?? undefined,
          mine,
          processing,
          views: count(video.statistics?.viewCount),
          likes: count(video.statistics?.likeCount),
        };
      });
    },

    /**
     * Changes the given fields of the member's own video. YouTube replaces a whole part on update
     * and drops what is missing, so the current parts are read, changed, and written back complete;
     * only the parts holding a change are sent.
     */
    edit(owner: string, id: string, changes: VideoChanges): Promise<EditResult> {
      const wanted = checkChanges(changes);
      return asMember(owner, async (yt, channelId) => {
        const current = await fetchVideo(yt, id, ['snippet', 'status']);
        if (!current?.snippet || !current.status) throw UserError.t('error.google.videoNotFound');
        const video = summary(current);
        if (video.channelId !== channelId) throw notYours(video, 'edit');

        const snippet = writableSnippet(current.snippet);
        const status = writableStatus(current.status);
        const changed: EditedField[] = [];
        if (wanted.title !== undefined && wanted.title !== snippet.title) {
          snippet.title = wanted.title;
          changed.push('title');
        }
        if (wanted.description !== undefined && wanted.description !== snippet.description) {
          snippet.description = wanted.description;
          changed.push('description');
        }
        if (wanted.tags !== undefined && !sameTags(snippet.tags, wanted.tags)) {
          if (wanted.tags.length > 0) snippet.tags = wanted.tags;
          else delete snippet.tags;
          changed.push('tags');
        }
        if (wanted.categoryId !== undefined && wanted.categoryId !== snippet.categoryId) {
          snippet.categoryId = wanted.categoryId;
          changed.push('category');
        }
        if (wanted.privacy !== undefined && wanted.privacy !== status.privacyStatus) {
          status.privacyStatus = wanted.privacy;
          // A schedule (publishAt) is only allowed on a private video.
          if (wanted.privacy !== 'private') delete status.publishAt;
          changed.push('privacy');
        }
        if (changed.length === 0)
          return { video, changed, privacy: status.privacyStatus ?? undefined, keptPrivate: false };

        const part: string[] = [];
        const requestBody: youtube_v3.Schema$Video = { id };
        if (changed.some((f) => f !== 'privacy')) {
          part.push('snippet');
          requestBody.snippet = snippet;
        }
        if (changed.includes('privacy')) {
          part.push('status');
          requestBody.status = status;
        }
        const { data } = await yt.videos.update({ part, requestBody }, { rootUrl });
        const privacy = data.status?.privacyStatus ?? status.privacyStatus ?? undefined;
        return {
          video: { ...video, title: snippet.title ?? video.title },
          changed,
          privacy,
          keptPrivate: wanted.privacy !== undefined && wanted.privacy !== 'private' && privacy === 'private',
        };
      });
    },

    /** The member's own video, for a delete confirmation: a UserError when gone or someone else's. */
    deletable(owner: string, id: string): Promise<VideoSummary> {
      return asMember(owner, async (yt, channelId) => {
        const found = await fetchVideo(yt, id, ['snippet']);
        if (!found) throw UserError.t('error.videoGone');
        const video = summary(found);
        if (video.channelId !== channelId) throw notYours(video, 'delete');
        return video;
      });
    },

    /** Deletes the member's own video; `gone` when it no longer exists. */
    remove(owner: string, id: string): Promise<{ deleted: true; video: VideoSummary } | { deleted: false }> {
      return asMember(owner, async (yt, channelId) => {
        const found = await fetchVideo(yt, id, ['snippet']);
        if (!found) return { deleted: false };
        const video = summary(found);
        if (video.channelId !== channelId) throw notYours(video, 'delete');
        try {
          await yt.videos.delete({ id }, { rootUrl });
        } catch (error) {
          if (googleReason(error) === 'videoNotFound') return { deleted: false };
          throw error;
        }
        return { deleted: true, video };
      });
    },

    /** Likes a video (v3's favorites); `already` when it was liked, then nothing is written. */
    like(owner: string, id: string): Promise<{ video: VideoSummary; already: boolean }> {
      return asMember(owner, async (yt) => {
        const found = await fetchVideo(yt, id, ['snippet']);
        if (!found) throw UserError.t('error.google.videoNotFound');
        const video = summary(found);
        if ((await ratingOf(yt, id)) === 'like') return { video, already: true };
        await yt.videos.rate({ id, rating: 'like' }, { rootUrl });
        return { video, already: false };
      });
    },

    /** Removes the member's like; `wasLiked` false when there was none (a dislike is left alone). */
    unlike(owner: string, id: string): Promise<{ video: VideoSummary; wasLiked: boolean }> {
      return asMember(owner, async (yt) => {
        const found = await fetchVideo(yt, id, ['snippet']);
        if (!found) throw UserError.t('error.google.videoNotFound');
        const video = summary(found);
        if ((await ratingOf(yt, id)) !== 'like') return { video, wasLiked: false };
        await yt.videos.rate({ id, rating: 'none' }, { rootUrl });
        return { video, wasLiked: true };
      });
    },

    /** One page (10) of the videos the member liked, newest first, with YouTube's page tokens. */
    liked(owner: string, pageToken?: string): Promise<LikedPage> {
      return asMember(owner, async (yt) => {
        const { data } = await yt.videos.list(
          {
            part: ['snippet'],
            myRating: 'like',
            maxResults: LIKED_PAGE_SIZE,
            ...(pageToken ? { pageToken } : {}),
          },
          { rootUrl },
        );
        return {
          items: (data.items ?? []).map(summary),
          next: data.nextPageToken ?? undefined,
          prev: data.prevPageToken ?? undefined,
          total: data.pageInfo?.totalResults ?? data.items?.length ?? 0,
        };
      });
    },
  };

  async function ratingOf(yt: YouTube, id: string): Promise<string | undefined> {
    const { data } = await yt.videos.getRating({ id: [id] }, { rootUrl });
    return data.items?.find((r) => r.videoId === id)?.rating ?? undefined;
  }
}

export type VideoService = ReturnType<typeof videoService>;
