// What the announcer knows of a video, from the Data API (videos.list, 1 unit for up to 50) or from the channel's
// public Atom feed (no quota), and how those facts become the video an announcement shows.
import type { Dispatcher } from 'undici';
import type { youtube_v3 } from '@googleapis/youtube';
import type { OAuthService } from '../google/oauth.ts';
import { youtubeClient } from '../google/youtube.ts';
import { fetchFeed, type FeedEntry } from './feed.ts';
import { defaultThumbnail, type AnnouncedVideo } from './render.ts';

export interface Facts {
  id: string;
  title: string;
  channelId: string;
  channelTitle: string;
  thumbnailUrl: string;
  privacy: string;
  publishAt: string | undefined;
  uploadStatus: string | undefined;
  /** Undefined when unknown: the public feed does not tell a live stream from a video. */
  live: boolean | undefined;
  short: boolean | undefined;
}

/** Upload statuses of a video that will never play: never announced. */
const BROKEN_UPLOAD = new Set(['rejected', 'failed', 'deleted']);

export const brokenUpload = (facts: Facts): boolean =>
  facts.uploadStatus !== undefined && BROKEN_UPLOAD.has(facts.uploadStatus);

function factsFromApi(item: youtube_v3.Schema$Video): Facts | undefined {
  if (!item.id) return undefined;
  const t = item.snippet?.thumbnails;
  return {
    id: item.id,
    title: item.snippet?.title ?? item.id,
    channelId: item.snippet?.channelId ?? '',
    channelTitle: item.snippet?.channelTitle ?? '',
    thumbnailUrl:
      t?.maxres?.url ?? t?.high?.url ?? t?.medium?.url ?? t?.default?.url ?? defaultThumbnail(item.id),
    privacy: item.status?.privacyStatus ?? 'private',
    publishAt: item.status?.publishAt ?? undefined,
    uploadStatus: item.status?.uploadStatus ?? undefined,
    live: (item.snippet?.liveBroadcastContent ?? 'none') !== 'none' || item.liveStreamingDetails != null,
    short: undefined,
  };
}

export function factsFromFeed(entry: FeedEntry, channelId: string): Facts {
  return {
    id: entry.videoId,
    title: entry.title,
    channelId: entry.channelId ?? channelId,
    channelTitle: entry.author ?? '',
    thumbnailUrl: entry.thumbnailUrl ?? defaultThumbnail(entry.videoId),
    privacy: 'public', // the feed lists public videos only
    publishAt: undefined,
    uploadStatus: undefined,
    live: undefined, // the feed does not say; see checks.ts for what is done when live streams are excluded
    short: entry.short,
  };
}

/** The video an announcement shows; `memberId` names the member who uploaded it through the bot. */
export function announcedVideo(facts: Facts, memberId: string | undefined): AnnouncedVideo {
  return {
    id: facts.id,
    title: facts.title,
    channelId: facts.channelId,
    channelTitle: facts.channelTitle,
    thumbnailUrl: facts.thumbnailUrl,
    memberId,
    short: facts.short === true,
    live: facts.live === true,
  };
}

export interface VideoSourceDeps {
  readonly oauth: OAuthService;
  /** YOUTUBE_API_URL. */
  readonly rootUrl: string;
  /** YOUTUBE_FEED_URL. */
  readonly feedUrl: string;
  readonly dispatcher?: Dispatcher | undefined;
}

/** Where facts come from: videos.list through a grant, and a channel's public feed. */
export function createVideoSource(deps: VideoSourceDeps) {
  return {
    /** videos.list for up to 50 ids a call (1 unit each) through `owner`'s grant; missing ids are not in the map. */
    async lookup(owner: string, ids: readonly string[]): Promise<Map<string, Facts>> {
      return deps.oauth.withClient(owner, async (client) => {
        const yt = youtubeClient(deps.rootUrl, client);
        const found = new Map<string, Facts>();
        for (let i = 0; i < ids.length; i += 50) {
          const { data } = await yt.videos.list(
            { part: ['snippet', 'status', 'liveStreamingDetails'], id: ids.slice(i, i + 50) },
            { rootUrl: deps.rootUrl },
          );
          for (const item of data.items ?? []) {
            const facts = factsFromApi(item);
            if (facts) found.set(facts.id, facts);
          }
        }
        return found;
      });
    },
    /** A channel's public feed; undefined when YouTube does not know the channel (404). */
    feed: (channelId: string) => fetchFeed(deps.feedUrl, channelId, { dispatcher: deps.dispatcher }),
  };
}

export type VideoSource = ReturnType<typeof createVideoSource>;
