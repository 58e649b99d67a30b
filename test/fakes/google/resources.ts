// Video metadata validation (YouTube's documented limits) and the JSON shapes of videos, channels, playlists
// and playlist items as the Data API v3 returns them.
import {
  ApiError,
  incompatibleFilters,
  invalidMetadata,
  invalidPageToken,
  invalidValue,
  noFilter,
  requiredParam,
  signupRequired,
  unknownPart,
} from './errors.ts';
import { createHash } from 'node:crypto';
import { etag, listParam, type GoogleState } from './state.ts';
import type {
  FakeAccount,
  FakePlaylist,
  FakePlaylistItem,
  FakeVideo,
  VideoSnippet,
  VideoStatus,
} from './types.ts';

/** The US category list (videoCategories.list?regionCode=US), with which ones can be assigned to a video. */
export const CATEGORIES: { id: string; title: string; assignable: boolean }[] = [
  { id: '1', title: 'Film & Animation', assignable: true },
  { id: '2', title: 'Autos & Vehicles', assignable: true },
  { id: '10', title: 'Music', assignable: true },
  { id: '15', title: 'Pets & Animals', assignable: true },
  { id: '17', title: 'Sports', assignable: true },
  { id: '18', title: 'Short Movies', assignable: false },
  { id: '19', title: 'Travel & Events', assignable: true },
  { id: '20', title: 'Gaming', assignable: true },
  { id: '21', title: 'Videoblogging', assignable: false },
  { id: '22', title: 'People & Blogs', assignable: true },
  { id: '23', title: 'Comedy', assignable: true },
  { id: '24', title: 'Entertainment', assignable: true },
  { id: '25', title: 'News & Politics', assignable: true },
  { id: '26', title: 'Howto & Style', assignable: true },
  { id: '27', title: 'Education', assignable: true },
  { id: '28', title: 'Science & Technology', assignable: true },
  { id: '29', title: 'Nonprofits & Activism', assignable: true },
  { id: '30', title: 'Movies', assignable: false },
  { id: '31', title: 'Anime/Animation', assignable: false },
  { id: '32', title: 'Action/Adventure', assignable: false },
  { id: '33', title: 'Classics', assignable: false },
  { id: '34', title: 'Comedy', assignable: false },
  { id: '35', title: 'Documentary', assignable: false },
  { id: '36', title: 'Drama', assignable: false },
  { id: '37', title: 'Family', assignable: false },
  { id: '38', title: 'Foreign', assignable: false },
  { id: '39', title: 'Horror', assignable: false },
  { id: '40', title: 'Sci-Fi/Fantasy', assignable: false },
  { id: '41', title: 'Thriller', assignable: false },
  { id: '42', title: 'Shorts', assignable: false },
  { id: '43', title: 'Shows', assignable: false },
  { id: '44', title: 'Trailers', assignable: false },
];

/** Channel that owns the YouTube-wide categories. */
export const YOUTUBE_CHANNEL_ID = 'UCBR8-60-B28hp2BmDPdntcQ';

export const VIDEO_PARTS = new Set([
  'id',
  'snippet',
  'contentDetails',
  'fileDetails',
  'liveStreamingDetails',
  'localizations',
  'paidProductPlacementDetails',
  'player',
  'processingDetails',
  'recordingDetails',
  'statistics',
  'status',
  'suggestions',
  'topicDetails',
]);
export const CHANNEL_PARTS = new Set([
  'id',
  'snippet',
  'contentDetails',
  'statistics',
  'status',
  'brandingSettings',
  'contentOwnerDetails',
  'localizations',
  'topicDetails',
  'auditDetails',
]);
export const PLAYLIST_PARTS = new Set([
  'id',
  'snippet',
  'status',
  'contentDetails',
  'player',
  'localizations',
]);
export const PLAYLIST_ITEM_PARTS = new Set(['id', 'snippet', 'contentDetails', 'status']);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function asObject(value: unknown): Record<string, unknown> {
  return isObject(value) ? value : {};
}

const chars = (s: string): number => [...s].length;

/** YouTube's tag length rule: characters of every tag, commas between tags, and 2 quotes for a tag with a space. */
export function tagsLength(tags: string[]): number {
  return tags.reduce((sum, t) => sum + chars(t) + (/\s/.test(t) ? 2 : 0), 0) + Math.max(0, tags.length - 1);
}

/** Validates a video snippet; `fromInsertDefault` fills a missing snippet as an upload without one gets it. */
export function validateVideoSnippet(input: unknown, mode: 'insert' | 'update'): VideoSnippet {
  const s = asObject(input);
  const title = s['title'];
  if (typeof title !== 'string' || title.trim() === '' || chars(title) > 100 || /[<>]/.test(title)) {
    throw invalidMetadata(
      'invalidTitle',
      'The request metadata specifies an invalid or empty video title.',
      'body.snippet.title',
    );
  }
  const description = s['description'] ?? '';
  if (typeof description !== 'string' || Buffer.byteLength(description) > 5000 || /[<>]/.test(description)) {
    throw invalidMetadata(
      'invalidDescription',
      'The request metadata specifies an invalid video description.',
      'body.snippet.description',
    );
  }
  const rawTags = s['tags'];
  let tags: string[] | undefined;
  if (rawTags !== undefined && rawTags !== null) {
    if (!Array.isArray(rawTags) || !rawTags.every((t): t is string => typeof t === 'string')) {
      throw invalidMetadata(
        'invalidTags',
        'The request metadata specifies invalid video keywords.',
        'body.snippet.tags',
      );
    }
    if (tagsLength(rawTags) > 500 || rawTags.some((t) => /[<>,]/.test(t))) {
      throw invalidMetadata(
        'invalidTags',
        'The request metadata specifies invalid video keywords.',
        'body.snippet.tags',
      );
    }
    tags = rawTags;
  }
  let categoryId = s['categoryId'];
  if (typeof categoryId === 'number') categoryId = String(categoryId);
  if (categoryId === undefined && mode === 'insert') categoryId = '22';
  if (typeof categoryId !== 'string' || !CATEGORIES.some((c) => c.id === categoryId && c.assignable)) {
    throw invalidMetadata(
      'invalidCategoryId',
      'The <code>snippet.categoryId</code> property specifies an invalid category ID. Use the <code><a href="/youtube/v3/docs/videoCategories/list">videoCategories.list</a></code> method to retrieve supported categories.',
      'body.snippet.categoryId',
    );
  }
  const out: VideoSnippet = { title, description, categoryId };
  if (tags !== undefined) out.tags = tags;
  if (typeof s['defaultLanguage'] === 'string') out.defaultLanguage = s['defaultLanguage'];
  if (typeof s['defaultAudioLanguage'] === 'string') out.defaultAudioLanguage = s['defaultAudioLanguage'];
  return out;
}

const PRIVACY = ['public', 'private', 'unlisted'] as const;

/**
 * Validates a video status. Fields not sent take their defaults (update replaces the part), except privacyStatus,
 * which keeps `keepPrivacy` when absent (a video always has one; the documentation does not say what an update
 * without it does).
 */
export function validateVideoStatus(
  input: unknown,
  keepPrivacy: VideoStatus['privacyStatus'],
  now: number,
): VideoStatus {
  const s = asObject(input);
  const privacy = s['privacyStatus'] ?? keepPrivacy;
  if (typeof privacy !== 'string' || !(PRIVACY as readonly string[]).includes(privacy)) {
    throw invalidMetadata(
      'invalidVideoMetadata',
      'The request metadata is invalid.',
      'body.status.privacyStatus',
    );
  }
  const license = s['license'] ?? 'youtube';
  if (license !== 'youtube' && license !== 'creativeCommon') {
    throw invalidMetadata('invalidVideoMetadata', 'The request metadata is invalid.', 'body.status.license');
  }
  const out: VideoStatus = {
    privacyStatus: privacy as VideoStatus['privacyStatus'],
    license,
    embeddable: s['embeddable'] !== false,
    publicStatsViewable: s['publicStatsViewable'] !== false,
  };
  const publishAt = s['publishAt'];
  if (publishAt !== undefined && publishAt !== null) {
    const when = typeof publishAt === 'string' ? Date.parse(publishAt) : NaN;
    if (out.privacyStatus !== 'private' || Number.isNaN(when) || when <= now) {
      throw invalidMetadata(
        'invalidPublishAt',
        'The request metadata specifies an invalid scheduled publishing time.',
        'body.status.publishAt',
      );
    }
    out.publishAt = new Date(when).toISOString();
  }
  for (const key of ['selfDeclaredMadeForKids', 'containsSyntheticMedia'] as const) {
    const v = s[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'boolean')
      throw invalidMetadata('invalidVideoMetadata', 'The request metadata is invalid.', `body.status.${key}`);
    out[key] = v;
  }
  return out;
}

export function validatePrivacy(
  value: unknown,
  fallback: VideoStatus['privacyStatus'],
): VideoStatus['privacyStatus'] {
  const p = value ?? fallback;
  if (typeof p !== 'string' || !(PRIVACY as readonly string[]).includes(p)) {
    throw new ApiError(400, 'invalidValue', `Invalid value for privacyStatus: ${JSON.stringify(p)}`, {
      domain: 'youtube.playlist',
      location: 'body.status.privacyStatus',
      locationType: 'other',
    });
  }
  return p as VideoStatus['privacyStatus'];
}

// ---- request helpers ----

/** The caller of a Data API request. */
export interface Caller {
  account: FakeAccount;
  channelId: string | null;
}

/** The `part` list: required, comma lists and repeated parameters both accepted, names checked. */
export function requireParts(q: URLSearchParams, known: Set<string>): string[] {
  const parts = listParam(q, 'part');
  if (parts.length === 0) throw requiredParam('part');
  for (const p of parts) if (!known.has(p)) throw unknownPart(p);
  return parts;
}

/** Exactly one of the filter parameters, as list methods require. */
export function oneFilter(q: URLSearchParams, names: string[]): string {
  const given = names.filter((n) => q.get(n) !== null);
  if (given.length === 0) throw noFilter(names);
  if (given.length > 1) throw incompatibleFilters(given);
  return given[0] ?? '';
}

/** The caller's channel id; an account without a channel gets youtubeSignupRequired. */
export function needChannel(caller: Caller): string {
  if (caller.channelId === null) throw signupRequired();
  return caller.channelId;
}

/** A video the caller may see (its own, or one that is not private). */
export function visibleVideo(state: GoogleState, id: string, caller: Caller): FakeVideo | undefined {
  const v = state.videos.get(id);
  if (v === undefined) return undefined;
  if (v.status.privacyStatus === 'private' && v.ownerChannelId !== caller.channelId) return undefined;
  return v;
}

// ---- paging ----

export interface Page<T> {
  items: T[];
  nextPageToken?: string;
  prevPageToken?: string;
  totalResults: number;
  resultsPerPage: number;
}

/**
 * Real page tokens are opaque and long: playlistItems.list answers ~190 characters
 * (`EAAajgFQVDpDQVVpRURnMk5E…`, a protobuf wrapping a base64 cursor). Every list here issues tokens of
 * `tokenLength` (default 120) characters, so code that assumes tokens are short — one in a Discord
 * custom_id, whose limit is 100 — fails here as it would against YouTube.
 */
export const PLAYLIST_ITEMS_TOKEN_LENGTH = 190;

function encodePageToken(offset: number, length: number): string {
  // `EAAa` + base64url of `PT:<offset>:<filler>`, cut to `length` characters; the filler is a digest of
  // the offset, so the same position always gets the same token (as on YouTube).
  const head = `PT:${offset}:`;
  const bytes = Math.ceil(((length - 4) * 3) / 4);
  let filler = '';
  for (let i = 0; filler.length < bytes - head.length; i++)
    filler += createHash('sha256').update(`${offset}:${i}`).digest('hex');
  return `EAAa${Buffer.from(head + filler.slice(0, bytes - head.length)).toString('base64url')}`.slice(
    0,
    length,
  );
}

function decodePageToken(token: string): number | undefined {
  if (!token.startsWith('EAAa')) return undefined;
  const match = /^PT:(\d+):[0-9a-f]+$/.exec(Buffer.from(token.slice(4), 'base64url').toString('latin1'));
  if (match?.[1] === undefined) return undefined;
  const offset = Number(match[1]);
  return encodePageToken(offset, token.length) === token ? offset : undefined;
}

/** maxResults (0–50, default 5) and pageToken paging, with YouTube-looking opaque tokens. */
export function paginate<T>(
  all: T[],
  query: URLSearchParams,
  options: { defaultMax?: number; tokenLength?: number } = {},
): Page<T> {
  const { defaultMax = 5, tokenLength = 120 } = options;
  const rawMax = query.get('maxResults');
  let max = defaultMax;
  if (rawMax !== null) {
    max = Number(rawMax);
    if (!Number.isInteger(max) || max < 0 || max > 50)
      throw invalidValue('maxResults', rawMax, 'Values must be within the range: [0, 50]');
  }
  let offset = 0;
  const token = query.get('pageToken');
  if (token !== null && token !== '') {
    const decoded = decodePageToken(token);
    if (decoded === undefined || decoded > all.length) throw invalidPageToken();
    offset = decoded;
  }
  const page: Page<T> = {
    items: all.slice(offset, offset + max),
    totalResults: all.length,
    resultsPerPage: max,
  };
  const encode = (o: number): string => encodePageToken(o, tokenLength);
  if (max > 0 && offset + max < all.length) page.nextPageToken = encode(offset + max);
  if (offset > 0) page.prevPageToken = encode(Math.max(0, offset - max));
  return page;
}

export function listResponse<T>(kind: string, page: Page<T>): Record<string, unknown> {
  const out: Record<string, unknown> = { kind, etag: etag() };
  if (page.nextPageToken !== undefined) out['nextPageToken'] = page.nextPageToken;
  if (page.prevPageToken !== undefined) out['prevPageToken'] = page.prevPageToken;
  out['pageInfo'] = { totalResults: page.totalResults, resultsPerPage: page.resultsPerPage };
  out['items'] = page.items;
  return out;
}

// ---- rendering ----

function videoThumbnails(id: string): Record<string, unknown> {
  return {
    default: { url: `https://i.ytimg.com/vi/${id}/default.jpg`, width: 120, height: 90 },
    medium: { url: `https://i.ytimg.com/vi/${id}/mqdefault.jpg`, width: 320, height: 180 },
    high: { url: `https://i.ytimg.com/vi/${id}/hqdefault.jpg`, width: 480, height: 360 },
  };
}

function channelThumbnails(url: string): Record<string, unknown> {
  return {
    default: { url: `${url}=s88-c-k-c0x00ffffff-no-rj`, width: 88, height: 88 },
    medium: { url: `${url}=s240-c-k-c0x00ffffff-no-rj`, width: 240, height: 240 },
    high: { url: `${url}=s800-c-k-c0x00ffffff-no-rj`, width: 800, height: 800 },
  };
}

/** Where a video is in its processing, from the owner polls seen so far. */
export function processingState(v: FakeVideo): 'processing' | 'succeeded' | 'failed' | 'rejected' {
  return v.processingPolls <= v.processing.pollsBeforeDone ? 'processing' : v.processing.outcome;
}

export function renderVideo(
  state: GoogleState,
  v: FakeVideo,
  parts: string[],
  viewerChannelId: string | null,
): Record<string, unknown> {
  const owner = state.accountByChannel(v.ownerChannelId);
  const isOwner = viewerChannelId === v.ownerChannelId;
  const phase = processingState(v);
  const out: Record<string, unknown> = { kind: 'youtube#video', etag: etag(), id: v.id };
  for (const part of parts) {
    if (part === 'snippet') {
      const snippet: Record<string, unknown> = {
        publishedAt: v.publishedAt,
        channelId: v.ownerChannelId,
        title: v.snippet.title,
        description: v.snippet.description,
        thumbnails: videoThumbnails(v.id),
        channelTitle: owner?.channel?.title ?? '',
      };
      if (v.snippet.tags !== undefined) snippet['tags'] = v.snippet.tags;
      snippet['categoryId'] = v.snippet.categoryId;
      snippet['liveBroadcastContent'] =
        v.live?.phase === 'upcoming' || v.live?.phase === 'live' ? v.live.phase : 'none';
      if (v.snippet.defaultLanguage !== undefined) snippet['defaultLanguage'] = v.snippet.defaultLanguage;
      snippet['localized'] = { title: v.snippet.title, description: v.snippet.description };
      if (v.snippet.defaultAudioLanguage !== undefined)
        snippet['defaultAudioLanguage'] = v.snippet.defaultAudioLanguage;
      out['snippet'] = snippet;
    } else if (part === 'status') {
      const status: Record<string, unknown> = {
        uploadStatus: {
          processing: 'uploaded',
          succeeded: 'processed',
          failed: 'failed',
          rejected: 'rejected',
        }[phase],
      };
      if (phase === 'failed') status['failureReason'] = v.processing.reason ?? 'conversion';
      if (phase === 'rejected') status['rejectionReason'] = v.processing.reason ?? 'duplicate';
      status['privacyStatus'] = v.status.privacyStatus;
      if (v.status.publishAt !== undefined) status['publishAt'] = v.status.publishAt;
      status['license'] = v.status.license;
      status['embeddable'] = v.status.embeddable;
      status['publicStatsViewable'] = v.status.publicStatsViewable;
      status['madeForKids'] = v.status.selfDeclaredMadeForKids ?? false;
      if (isOwner && v.status.selfDeclaredMadeForKids !== undefined)
        status['selfDeclaredMadeForKids'] = v.status.selfDeclaredMadeForKids;
      if (v.status.containsSyntheticMedia !== undefined)
        status['containsSyntheticMedia'] = v.status.containsSyntheticMedia;
      out['status'] = status;
    } else if (part === 'contentDetails') {
      out['contentDetails'] = {
        duration: 'PT0S',
        dimension: '2d',
        definition: 'sd',
        caption: 'false',
        licensedContent: false,
        contentRating: {},
        projection: 'rectangular',
      };
    } else if (part === 'statistics') {
      let likes = 0;
      for (const [key, rating] of state.ratings) if (rating === 'like' && key.endsWith(`:${v.id}`)) likes++;
      out['statistics'] = { viewCount: '0', likeCount: String(likes), favoriteCount: '0', commentCount: '0' };
    } else if (part === 'processingDetails' && isOwner) {
      const details: Record<string, unknown> = {
        processingStatus: {
          processing: 'processing',
          succeeded: 'succeeded',
          failed: 'failed',
          rejected: 'terminated',
        }[phase],
      };
      if (phase === 'processing') {
        const done = Math.min(
          999,
          Math.round((1000 * v.processingPolls) / (v.processing.pollsBeforeDone + 1)),
        );
        details['processingProgress'] = {
          partsTotal: '1000',
          partsProcessed: String(done),
          timeLeftMs: String((1000 - done) * 60),
        };
      }
      if (phase === 'failed') details['processingFailureReason'] = 'transcodeFailed';
      const ready = phase === 'succeeded' ? 'available' : 'notAvailable';
      Object.assign(details, {
        fileDetailsAvailability: 'available',
        processingIssuesAvailability: ready,
        tagSuggestionsAvailability: ready,
        editorSuggestionsAvailability: ready,
        thumbnailsAvailability: phase === 'processing' ? 'inProgress' : ready,
      });
      out['processingDetails'] = details;
    } else if (part === 'fileDetails' && isOwner) {
      out['fileDetails'] = { fileSize: String(v.size), fileType: 'video', container: v.contentType };
    } else if (part === 'liveStreamingDetails' && v.live !== undefined) {
      // Only broadcasts carry this part; for other videos it is simply absent.
      const live = v.live;
      const details: Record<string, unknown> = {};
      if (live.actualStartTime !== undefined) details['actualStartTime'] = live.actualStartTime;
      if (live.actualEndTime !== undefined) details['actualEndTime'] = live.actualEndTime;
      details['scheduledStartTime'] = live.scheduledStartTime;
      if (live.phase === 'live') details['concurrentViewers'] = '0';
      if (live.phase !== 'completed') details['activeLiveChatId'] = `Cg0KC${v.id}`;
      out['liveStreamingDetails'] = details;
    } else if (part === 'player') {
      out['player'] = {
        embedHtml: `<iframe width="480" height="270" src="//www.youtube.com/embed/${v.id}" frameborder="0" allowfullscreen></iframe>`,
      };
    }
  }
  return out;
}

export function uploadsPlaylistId(channelId: string): string {
  return `UU${channelId.slice(2)}`;
}

export function likesPlaylistId(channelId: string): string {
  return `LL${channelId.slice(2)}`;
}

export function renderChannel(
  state: GoogleState,
  account: FakeAccount,
  parts: string[],
  isOwner: boolean,
): Record<string, unknown> {
  const channel = account.channel;
  if (channel === null) throw new Error('account without channel');
  const out: Record<string, unknown> = { kind: 'youtube#channel', etag: etag(), id: channel.id };
  for (const part of parts) {
    if (part === 'snippet') {
      out['snippet'] = {
        title: channel.title,
        description: '',
        customUrl: `@${channel.title.toLowerCase().replace(/[^a-z0-9]/g, '')}`,
        publishedAt: '2020-01-01T00:00:00Z',
        thumbnails: channelThumbnails(channel.thumbnailUrl),
        localized: { title: channel.title, description: '' },
      };
    } else if (part === 'contentDetails') {
      const related: Record<string, string> = { uploads: uploadsPlaylistId(channel.id) };
      if (isOwner) related['likes'] = likesPlaylistId(channel.id);
      out['contentDetails'] = { relatedPlaylists: related };
    } else if (part === 'statistics') {
      const count = [...state.videos.values()].filter(
        (v) => v.ownerChannelId === channel.id && (isOwner || v.status.privacyStatus === 'public'),
      ).length;
      out['statistics'] = {
        viewCount: '0',
        subscriberCount: '0',
        hiddenSubscriberCount: false,
        videoCount: String(count),
      };
    } else if (part === 'status') {
      out['status'] = {
        privacyStatus: 'public',
        isLinked: true,
        longUploadsStatus: 'allowed',
        madeForKids: false,
      };
    }
  }
  return out;
}

export function renderPlaylist(
  state: GoogleState,
  p: FakePlaylist,
  parts: string[],
): Record<string, unknown> {
  const owner = state.accountByChannel(p.ownerChannelId);
  const out: Record<string, unknown> = { kind: 'youtube#playlist', etag: etag(), id: p.id };
  for (const part of parts) {
    if (part === 'snippet') {
      const snippet: Record<string, unknown> = {
        publishedAt: p.publishedAt,
        channelId: p.ownerChannelId,
        title: p.snippet.title,
        description: p.snippet.description,
        thumbnails: {},
        channelTitle: owner?.channel?.title ?? '',
      };
      const first = p.itemIds[0] === undefined ? undefined : state.playlistItems.get(p.itemIds[0]);
      if (first !== undefined) snippet['thumbnails'] = videoThumbnails(first.videoId);
      if (p.snippet.tags !== undefined) snippet['tags'] = p.snippet.tags;
      if (p.snippet.defaultLanguage !== undefined) snippet['defaultLanguage'] = p.snippet.defaultLanguage;
      snippet['localized'] = { title: p.snippet.title, description: p.snippet.description };
      out['snippet'] = snippet;
    } else if (part === 'status') {
      out['status'] = { privacyStatus: p.status.privacyStatus };
    } else if (part === 'contentDetails') {
      out['contentDetails'] = { itemCount: p.itemIds.length };
    } else if (part === 'player') {
      out['player'] = {
        embedHtml: `<iframe width="640" height="360" src="http://www.youtube.com/embed/videoseries?list=${p.id}" frameborder="0" allowfullscreen></iframe>`,
      };
    }
  }
  return out;
}

/** A playlist entry as listed; `ownerChannelId` is the playlist's owner, `viewer` decides if a private video shows. */
export function renderPlaylistItem(
  state: GoogleState,
  item: Pick<FakePlaylistItem, 'id' | 'playlistId' | 'videoId' | 'publishedAt' | 'note'>,
  position: number,
  playlistOwnerChannelId: string,
  parts: string[],
  viewerChannelId: string | null,
): Record<string, unknown> {
  const video = state.videos.get(item.videoId);
  const visible =
    video !== undefined &&
    (video.status.privacyStatus !== 'private' || video.ownerChannelId === viewerChannelId);
  const playlistOwner = state.accountByChannel(playlistOwnerChannelId);
  const out: Record<string, unknown> = { kind: 'youtube#playlistItem', etag: etag(), id: item.id };
  for (const part of parts) {
    if (part === 'snippet') {
      const snippet: Record<string, unknown> = {
        publishedAt: item.publishedAt,
        channelId: playlistOwnerChannelId,
        title: video === undefined ? 'Deleted video' : visible ? video.snippet.title : 'Private video',
        description:
          video === undefined
            ? 'This video is unavailable.'
            : visible
              ? video.snippet.description
              : 'This video is private.',
        thumbnails: visible ? videoThumbnails(item.videoId) : {},
        channelTitle: playlistOwner?.channel?.title ?? '',
        playlistId: item.playlistId,
        position,
        resourceId: { kind: 'youtube#video', videoId: item.videoId },
      };
      if (visible) {
        snippet['videoOwnerChannelTitle'] =
          state.accountByChannel(video.ownerChannelId)?.channel?.title ?? '';
        snippet['videoOwnerChannelId'] = video.ownerChannelId;
      }
      out['snippet'] = snippet;
    } else if (part === 'contentDetails') {
      const details: Record<string, unknown> = { videoId: item.videoId };
      if (item.note !== undefined) details['note'] = item.note;
      if (visible) details['videoPublishedAt'] = video.publishedAt;
      out['contentDetails'] = details;
    } else if (part === 'status') {
      out['status'] = { privacyStatus: visible ? video.status.privacyStatus : 'private' };
    }
  }
  return out;
}
