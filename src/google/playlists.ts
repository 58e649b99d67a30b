// A member's playlists and their entries on YouTube: add, remove and move videos, create, edit, delete,
// list and show. Free of discord.js: callers pass ids (already parsed from what the member typed) and
// 1-based positions, and get plain results back. Every change drops the member's cached playlists,
// since titles and item counts feed autocomplete.
import type { youtube_v3 } from '@googleapis/youtube';
import { googleReasonMessage, UserError } from '../errors.ts';
import type { Privacy } from '../uploads/metadata.ts';
import type { Catalog } from './catalog.ts';
import type { OAuthService } from './oauth.ts';
import { youtubeClient, type YouTube } from './youtube.ts';

export interface PlaylistDeps {
  readonly oauth: OAuthService;
  readonly catalog: Catalog;
  /** The YouTube API root (config.youtubeApiUrl). */
  readonly rootUrl: string;
}

/** Entries and playlists listed per page. */
export const PAGE_SIZE = 10;
/** How long a title lookup in the cached playlists may take before asking YouTube directly. */
const CACHE_BUDGET_MS = 1500;

export const playlistUrl = (id: string) => `https://www.youtube.com/playlist?list=${id}`;
export const videoUrl = (id: string) => `https://youtu.be/${id}`;

export interface Placement {
  readonly videoTitle: string;
  readonly playlistTitle: string;
  /** 1-based. */
  readonly position: number;
}

export interface Moved extends Placement {
  /** 1-based position before the move. */
  readonly from: number;
}

export interface Removed {
  readonly videoTitle: string;
  readonly playlistTitle: string;
  /** Entries removed: more than one when the video was in the playlist several times. */
  readonly count: number;
}

export interface PlaylistInfo {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly privacy: string;
  readonly itemCount: number;
}

export interface PlaylistEdit {
  readonly title?: string | undefined;
  readonly description?: string | undefined;
  readonly privacy?: Privacy | undefined;
}

export interface Edited {
  readonly before: PlaylistInfo;
  readonly after: PlaylistInfo;
}

export interface Page<T> {
  readonly items: readonly T[];
  readonly total: number;
  readonly prev: string | undefined;
  readonly next: string | undefined;
}

export interface Entry {
  /** 1-based. */
  readonly position: number;
  readonly videoId: string;
  readonly title: string;
}

export interface PlaylistPage extends Page<Entry> {
  readonly playlist: { readonly id: string; readonly title: string; readonly itemCount: number };
}

/** A UserError with the sentence errors.ts has for a Google reason (one table, no second wording). */
function refusal(reason: string): UserError {
  return new UserError(googleReasonMessage(reason) ?? 'YouTube refused that.');
}

/** Snippet fields YouTube sets itself; everything else in the snippet is written back unchanged on edit. */
const READ_ONLY_SNIPPET = new Set(['publishedAt', 'channelId', 'channelTitle', 'thumbnails', 'localized']);

function info(p: youtube_v3.Schema$Playlist, fallbackId: string): PlaylistInfo {
  return {
    id: p.id ?? fallbackId,
    title: p.snippet?.title ?? fallbackId,
    description: p.snippet?.description ?? '',
    privacy: p.status?.privacyStatus ?? 'unknown',
    itemCount: p.contentDetails?.itemCount ?? 0,
  };
}

export function createPlaylists(deps: PlaylistDeps) {
  const opts = { rootUrl: deps.rootUrl };
  const call = <T>(owner: string, work: (yt: YouTube) => Promise<T>): Promise<T> =>
    deps.oauth.withClient(owner, (client) => work(youtubeClient(deps.rootUrl, client)));

  /** Runs a change and drops the cached playlists afterwards, even when it failed halfway. */
  async function change<T>(owner: string, work: (yt: YouTube) => Promise<T>): Promise<T> {
    try {
      return await call(owner, work);
    } finally {
      deps.catalog.invalidatePlaylists(owner);
    }
  }

  /** The title from the cached playlists (free when cached), or undefined. */
  async function cachedTitle(owner: string, playlistId: string): Promise<string | undefined> {
    const mine = await deps.catalog.playlists(owner, CACHE_BUDGET_MS);
    return mine.find((p) => p.id === playlistId)?.title;
  }

  async function readPlaylist(
    yt: YouTube,
    playlistId: string,
    parts: string[],
  ): Promise<youtube_v3.Schema$Playlist | undefined> {
    const { data } = await yt.playlists.list({ part: parts, id: [playlistId], maxResults: 1 }, opts);
    return data.items?.[0];
  }

  /** The title after a successful change: from the cache, else one list call; never fails the change. */
  async function titleOf(owner: string, playlistId: string, known: string | undefined): Promise<string> {
    if (known !== undefined) return known;
    try {
      const p = await call(owner, (yt) => readPlaylist(yt, playlistId, ['snippet']));
      return p?.snippet?.title ?? playlistId;
    } catch {
      return playlistId;
    }
  }

  /** The playlist's entries for a video, in position order (a video may be in a playlist more than once). */
  async function entriesOf(
    yt: YouTube,
    playlistId: string,
    videoId: string,
  ): Promise<youtube_v3.Schema$PlaylistItem[]> {
    const { data } = await yt.playlistItems.list(
      { part: ['snippet'], playlistId, videoId, maxResults: 50 },
      opts,
    );
    const items = (data.items ?? []).filter((i) => i.id);
    if (items.length === 0) throw refusal('playlistItemNotFound');
    return items.sort((a, b) => (a.snippet?.position ?? 0) - (b.snippet?.position ?? 0));
  }

  return {
    /** Adds a video, at the end or at a 1-based position. */
    async add(
      owner: string,
      request: { videoId: string; playlistId: string; position?: number | undefined },
    ): Promise<Placement> {
      const known = await cachedTitle(owner, request.playlistId);
      const item = await change(owner, async (yt) => {
        const { data } = await yt.playlistItems.insert(
          {
            part: ['snippet'],
            requestBody: {
              snippet: {
                playlistId: request.playlistId,
                resourceId: { kind: 'youtube#video', videoId: request.videoId },
                ...(request.position === undefined ? {} : { position: request.position - 1 }),
              },
            },
          },
          opts,
        );
        return data;
      });
      return {
        videoTitle: item.snippet?.title ?? request.videoId,
        playlistTitle: await titleOf(owner, request.playlistId, known),
        position: (item.snippet?.position ?? 0) + 1,
      };
    },

    /** Removes every entry of the video from the playlist. */
    async remove(owner: string, request: { videoId: string; playlistId: string }): Promise<Removed> {
      const known = await cachedTitle(owner, request.playlistId);
      const removed = await change(owner, async (yt) => {
        const entries = await entriesOf(yt, request.playlistId, request.videoId);
        for (const entry of entries) await yt.playlistItems.delete({ id: entry.id ?? '' }, opts);
        return { videoTitle: entries[0]?.snippet?.title ?? request.videoId, count: entries.length };
      });
      return { ...removed, playlistTitle: await titleOf(owner, request.playlistId, known) };
    },

    /** Moves the video's (first) entry to a 1-based position. */
    async move(
      owner: string,
      request: { videoId: string; playlistId: string; position: number },
    ): Promise<Moved> {
      const known = await cachedTitle(owner, request.playlistId);
      const moved = await change(owner, async (yt) => {
        const [entry] = await entriesOf(yt, request.playlistId, request.videoId);
        if (entry?.id === undefined || entry.id === null) throw refusal('playlistItemNotFound');
        // update replaces the whole snippet: playlistId and resourceId are required alongside position.
        const { data } = await yt.playlistItems.update(
          {
            part: ['snippet'],
            requestBody: {
              id: entry.id,
              snippet: {
                playlistId: request.playlistId,
                resourceId: entry.snippet?.resourceId ?? { kind: 'youtube#video', videoId: request.videoId },
                position: request.position - 1,
              },
            },
          },
          opts,
        );
        return {
          videoTitle: entry.snippet?.title ?? request.videoId,
          from: (entry.snippet?.position ?? 0) + 1,
          position: (data.snippet?.position ?? request.position - 1) + 1,
        };
      });
      return { ...moved, playlistTitle: await titleOf(owner, request.playlistId, known) };
    },

    /** Creates a playlist; without a privacy YouTube's default (public) applies. */
    async create(
      owner: string,
      request: { title: string; description?: string | undefined; privacy?: Privacy | undefined },
    ): Promise<PlaylistInfo> {
      const created = await change(owner, async (yt) => {
        const { data } = await yt.playlists.insert(
          {
            part: request.privacy === undefined ? ['snippet'] : ['snippet', 'status'],
            requestBody: {
              snippet: { title: request.title, description: request.description ?? '' },
              ...(request.privacy === undefined ? {} : { status: { privacyStatus: request.privacy } }),
            },
          },
          opts,
        );
        return data;
      });
      return { ...info(created, ''), privacy: created.status?.privacyStatus ?? request.privacy ?? 'public' };
    },

    /**
     * Changes the given fields. playlists.update replaces whole parts, so this reads the playlist's
     * snippet and status, changes only what was given and writes both back complete.
     */
    async edit(owner: string, playlistId: string, edit: PlaylistEdit): Promise<Edited> {
      if (edit.title === undefined && edit.description === undefined && edit.privacy === undefined) {
        throw UserError.t('error.playlistNoChange');
      }
      return change(owner, async (yt) => {
        const current = await readPlaylist(yt, playlistId, ['snippet', 'status']);
        if (current === undefined) throw refusal('playlistNotFound');
        const snippet: Record<string, unknown> = {};
        for (const [key, value] of Object.entries(current.snippet ?? {}))
          if (!READ_ONLY_SNIPPET.has(key) && value !== null && value !== undefined) snippet[key] = value;
        if (edit.title !== undefined) snippet['title'] = edit.title;
        if (edit.description !== undefined) snippet['description'] = edit.description;
        const status = { ...current.status };
        if (edit.privacy !== undefined) status.privacyStatus = edit.privacy;
        const { data } = await yt.playlists.update(
          { part: ['snippet', 'status'], requestBody: { id: playlistId, snippet, status } },
          opts,
        );
        return { before: info(current, playlistId), after: info({ ...current, ...data }, playlistId) };
      });
    },

    /** Title and item count for a delete confirmation; refuses a playlist of another channel. */
    async describe(owner: string, playlistId: string): Promise<PlaylistInfo> {
      const linked = await deps.oauth.linked(owner);
      const p = await call(owner, (yt) =>
        readPlaylist(yt, playlistId, ['snippet', 'contentDetails', 'status']),
      );
      if (p === undefined) throw refusal('playlistNotFound');
      if (linked !== undefined && p.snippet?.channelId && p.snippet.channelId !== linked.channel.id)
        throw refusal('playlistForbidden');
      return info(p, playlistId);
    },

    /** Deletes the playlist (the videos stay on YouTube). */
    async delete(owner: string, playlistId: string): Promise<PlaylistInfo> {
      return change(owner, async (yt) => {
        const p = await readPlaylist(yt, playlistId, ['snippet', 'contentDetails', 'status']);
        if (p === undefined) throw refusal('playlistNotFound');
        await yt.playlists.delete({ id: playlistId }, opts);
        return info(p, playlistId);
      });
    },

    /** One page of the member's own playlists, as YouTube pages them. */
    async list(owner: string, pageToken?: string): Promise<Page<PlaylistInfo>> {
      const { data } = await call(owner, (yt) =>
        yt.playlists.list(
          {
            part: ['snippet', 'contentDetails', 'status'],
            mine: true,
            maxResults: PAGE_SIZE,
            ...(pageToken === undefined ? {} : { pageToken }),
          },
          opts,
        ),
      );
      return {
        items: (data.items ?? []).filter((p) => p.id).map((p) => info(p, p.id ?? '')),
        total: data.pageInfo?.totalResults ?? 0,
        prev: data.prevPageToken ?? undefined,
        next: data.nextPageToken ?? undefined,
      };
    },

    /** One page of a playlist's entries with their 1-based positions. */
    async show(owner: string, playlistId: string, pageToken?: string): Promise<PlaylistPage> {
      return call(owner, async (yt) => {
        // The entries first: for another channel's private playlist YouTube answers playlistItemsNotAccessible.
        const { data } = await yt.playlistItems.list(
          {
            part: ['snippet'],
            playlistId,
            maxResults: PAGE_SIZE,
            ...(pageToken === undefined ? {} : { pageToken }),
          },
          opts,
        );
        const p = await readPlaylist(yt, playlistId, ['snippet', 'contentDetails']);
        const total = data.pageInfo?.totalResults ?? 0;
        return {
          playlist: {
            id: playlistId,
            title: p?.snippet?.title ?? playlistId,
            itemCount: p?.contentDetails?.itemCount ?? total,
          },
          items: (data.items ?? []).map((item) => ({
            position: (item.snippet?.position ?? 0) + 1,
            videoId: item.snippet?.resourceId?.videoId ?? '',
            title: item.snippet?.title ?? 'Untitled video',
          })),
          total,
          prev: data.prevPageToken ?? undefined,
          next: data.nextPageToken ?? undefined,
        };
      });
    },
  };
}

export type PlaylistService = ReturnType<typeof createPlaylists>;
