// playlists and playlistItems of the Data API: user playlists with positions, plus the computed uploads (UU…)
// and likes (LL…) playlists. Writes check ownership (403 playlistForbidden / playlistItemsNotAccessible); a
// position in a playlist that is not sorted manually is refused (400 manualSortRequired).
import {
  ApiError,
  playlistForbidden,
  playlistItemsNotAccessible,
  playlistNotFound,
  requiredField,
  requiredParam,
  videoNotFound,
} from './errors.ts';
import {
  asObject,
  listResponse,
  needChannel,
  oneFilter,
  paginate,
  PLAYLIST_ITEMS_TOKEN_LENGTH,
  PLAYLIST_ITEM_PARTS,
  PLAYLIST_PARTS,
  renderPlaylist,
  renderPlaylistItem,
  requireParts,
  validatePrivacy,
  visibleVideo,
  type Caller,
} from './resources.ts';
import { listParam, randomId, type GoogleState } from './state.ts';
import type { FakePlaylist, FakePlaylistItem, FakeVideo, PlaylistSort } from './types.ts';

const MAX_PLAYLIST_ITEMS = 5000;

/** Changes a playlist's order, as in YouTube Studio; the date-added orders re-sort its entries (stable). */
export function sortPlaylist(state: GoogleState, p: FakePlaylist, sort: PlaylistSort): void {
  p.sort = sort;
  if (sort === 'manual') return;
  const added = (id: string) => state.playlistItems.get(id)?.publishedAt ?? '';
  const direction = sort === 'dateAddedNewest' ? -1 : 1;
  p.itemIds.sort((a, b) => direction * added(a).localeCompare(added(b)));
}

export class PlaylistsApi {
  private readonly state: GoogleState;

  constructor(state: GoogleState) {
    this.state = state;
  }

  // ---- playlists ----

  playlistsList(q: URLSearchParams, caller: Caller): unknown {
    const parts = requireParts(q, PLAYLIST_PARTS);
    const filter = oneFilter(q, ['channelId', 'id', 'mine']);
    let list: FakePlaylist[];
    if (filter === 'mine') {
      list = q.get('mine') === 'true' && caller.channelId !== null ? this.playlistsOf(caller.channelId) : [];
    } else if (filter === 'channelId') {
      const channelId = q.get('channelId') ?? '';
      list = this.playlistsOf(channelId).filter(
        (p) => channelId === caller.channelId || p.status.privacyStatus === 'public',
      );
    } else {
      list = listParam(q, 'id').flatMap((id) => {
        const p = this.state.playlists.get(id);
        return p !== undefined &&
          (p.status.privacyStatus !== 'private' || p.ownerChannelId === caller.channelId)
          ? [p]
          : [];
      });
    }
    const page = paginate(list, q);
    const items = page.items.map((p) => renderPlaylist(this.state, p, parts));
    return listResponse('youtube#playlistListResponse', { ...page, items });
  }

  /** A channel's playlists, newest first. */
  private playlistsOf(channelId: string): FakePlaylist[] {
    return [...this.state.playlists.values()].filter((p) => p.ownerChannelId === channelId).reverse();
  }

  private playlistSnippet(input: unknown): FakePlaylist['snippet'] {
    const s = asObject(input);
    const title = s['title'];
    if (typeof title !== 'string' || title.trim() === '') {
      throw new ApiError(400, 'playlistTitleRequired', 'The request must specify a playlist title.', {
        domain: 'youtube.playlist',
        location: 'body.snippet.title',
        locationType: 'other',
      });
    }
    const description = s['description'] ?? '';
    if (
      [...title].length > 150 ||
      typeof description !== 'string' ||
      Buffer.byteLength(description) > 5000 ||
      /[<>]/.test(title + description)
    ) {
      throw new ApiError(400, 'invalidPlaylistSnippet', 'The request provides an invalid playlist snippet.', {
        domain: 'youtube.playlist',
        location: 'body.snippet',
        locationType: 'other',
      });
    }
    const out: FakePlaylist['snippet'] = { title, description };
    const tags = s['tags'];
    if (Array.isArray(tags) && tags.every((t): t is string => typeof t === 'string')) out.tags = tags;
    if (typeof s['defaultLanguage'] === 'string') out.defaultLanguage = s['defaultLanguage'];
    return out;
  }

  playlistsInsert(q: URLSearchParams, body: Record<string, unknown>, caller: Caller): unknown {
    const parts = requireParts(q, PLAYLIST_PARTS);
    const channelId = needChannel(caller);
    const snippet = this.playlistSnippet(parts.includes('snippet') ? body['snippet'] : undefined);
    const privacy = parts.includes('status')
      ? validatePrivacy(asObject(body['status'])['privacyStatus'], 'public')
      : 'public';
    const p: FakePlaylist = {
      id: `PL${randomId(32)}`,
      ownerChannelId: channelId,
      snippet,
      status: { privacyStatus: privacy },
      publishedAt: new Date(this.state.now()).toISOString(),
      itemIds: [],
      sort: 'manual',
    };
    this.state.playlists.set(p.id, p);
    return renderPlaylist(this.state, p, parts);
  }

  private ownedPlaylist(id: unknown, caller: Caller, inBody: boolean): FakePlaylist {
    if (typeof id !== 'string' || id === '')
      throw inBody ? requiredField('resource.id') : requiredParam('id');
    const p = this.state.playlists.get(id);
    if (p === undefined || (p.status.privacyStatus === 'private' && p.ownerChannelId !== caller.channelId))
      throw playlistNotFound('id');
    if (p.ownerChannelId !== caller.channelId) throw playlistForbidden();
    return p;
  }

  playlistsUpdate(q: URLSearchParams, body: Record<string, unknown>, caller: Caller): unknown {
    const parts = requireParts(q, PLAYLIST_PARTS);
    const p = this.ownedPlaylist(body['id'], caller, true);
    const snippet = parts.includes('snippet') ? this.playlistSnippet(body['snippet']) : null;
    const privacy = parts.includes('status')
      ? validatePrivacy(asObject(body['status'])['privacyStatus'], p.status.privacyStatus)
      : null;
    if (snippet !== null) p.snippet = snippet;
    if (privacy !== null) p.status = { privacyStatus: privacy };
    return renderPlaylist(this.state, p, parts);
  }

  playlistsDelete(q: URLSearchParams, caller: Caller): void {
    const p = this.ownedPlaylist(q.get('id'), caller, false);
    for (const itemId of p.itemIds) this.state.playlistItems.delete(itemId);
    this.state.playlists.delete(p.id);
  }

  // ---- playlist items ----

  itemsList(q: URLSearchParams, caller: Caller): unknown {
    const parts = requireParts(q, PLAYLIST_ITEM_PARTS);
    const filter = oneFilter(q, ['id', 'playlistId']);
    type Row = {
      item: Pick<FakePlaylistItem, 'id' | 'playlistId' | 'videoId' | 'publishedAt' | 'note'>;
      position: number;
      owner: string;
    };
    let rows: Row[];
    if (filter === 'id') {
      const wanted = new Set(listParam(q, 'id'));
      rows = [];
      for (const id of wanted) {
        const item = this.state.playlistItems.get(id);
        const p = item === undefined ? undefined : this.state.playlists.get(item.playlistId);
        if (item === undefined || p === undefined) continue;
        if (p.status.privacyStatus === 'private' && p.ownerChannelId !== caller.channelId) continue;
        rows.push({ item, position: p.itemIds.indexOf(id), owner: p.ownerChannelId });
      }
    } else {
      const playlistId = q.get('playlistId') ?? '';
      rows = this.virtualItems(playlistId, caller) ?? this.realItems(playlistId, caller);
      const videoId = q.get('videoId');
      if (videoId !== null) rows = rows.filter((r) => r.item.videoId === videoId);
    }
    const page = paginate(rows, q, { tokenLength: PLAYLIST_ITEMS_TOKEN_LENGTH });
    const items = page.items.map((r) =>
      renderPlaylistItem(this.state, r.item, r.position, r.owner, parts, caller.channelId),
    );
    return listResponse('youtube#playlistItemListResponse', { ...page, items });
  }

  private realItems(
    playlistId: string,
    caller: Caller,
  ): { item: FakePlaylistItem; position: number; owner: string }[] {
    const p = this.state.playlists.get(playlistId);
    if (p === undefined) throw playlistNotFound('playlistId', 'youtube.playlistItem');
    if (p.status.privacyStatus === 'private' && p.ownerChannelId !== caller.channelId)
      throw playlistItemsNotAccessible();
    return p.itemIds.flatMap((id, position) => {
      const item = this.state.playlistItems.get(id);
      return item === undefined ? [] : [{ item, position, owner: p.ownerChannelId }];
    });
  }

  /** The uploads (UU…) and likes (LL…) playlists, computed from videos and ratings; undefined for other ids. */
  private virtualItems(
    playlistId: string,
    caller: Caller,
  ):
    | {
        item: Pick<FakePlaylistItem, 'id' | 'playlistId' | 'videoId' | 'publishedAt'>;
        position: number;
        owner: string;
      }[]
    | undefined {
    const kind = playlistId.slice(0, 2);
    if (kind !== 'UU' && kind !== 'LL') return undefined;
    const channelId = `UC${playlistId.slice(2)}`;
    if (this.state.accountByChannel(channelId) === undefined)
      throw playlistNotFound('playlistId', 'youtube.playlistItem');
    let videos: { v: FakeVideo; at: string }[];
    if (kind === 'UU') {
      videos = [...this.state.videos.values()]
        .filter(
          (v) =>
            v.ownerChannelId === channelId &&
            (channelId === caller.channelId || v.status.privacyStatus === 'public'),
        )
        .reverse()
        .map((v) => ({ v, at: v.publishedAt }));
    } else {
      if (channelId !== caller.channelId) throw playlistItemsNotAccessible();
      videos = [...this.state.ratings]
        .reverse()
        .filter(([key, r]) => r === 'like' && key.startsWith(`${channelId}:`))
        .flatMap(([key]) => {
          const v = visibleVideo(this.state, key.slice(channelId.length + 1), caller);
          return v === undefined ? [] : [{ v, at: v.publishedAt }];
        });
    }
    return videos.map(({ v, at }, position) => ({
      item: {
        id: Buffer.from(`${playlistId}.${v.id}`).toString('base64url'),
        playlistId,
        videoId: v.id,
        publishedAt: at,
      },
      position,
      owner: channelId,
    }));
  }

  private writablePlaylist(playlistId: unknown, caller: Caller): FakePlaylist {
    if (typeof playlistId !== 'string' || playlistId === '') {
      throw new ApiError(
        400,
        'playlistIdRequired',
        'The request does not specify a value for the required <code>playlistId</code> property.',
        {
          domain: 'youtube.playlistItem',
          location: 'body.snippet.playlistId',
          locationType: 'other',
        },
      );
    }
    if (
      /^(UU|LL)/.test(playlistId) &&
      this.state.accountByChannel(`UC${playlistId.slice(2)}`) !== undefined
    ) {
      throw new ApiError(
        400,
        'playlistOperationUnsupported',
        'The API does not support the ability to modify this playlist.',
        {
          domain: 'youtube.playlistItem',
        },
      );
    }
    const p = this.state.playlists.get(playlistId);
    if (p === undefined || (p.status.privacyStatus === 'private' && p.ownerChannelId !== caller.channelId)) {
      throw playlistNotFound('playlistId', 'youtube.playlistItem');
    }
    if (p.ownerChannelId !== caller.channelId) throw playlistItemsNotAccessible();
    return p;
  }

  private itemVideo(snippet: Record<string, unknown>, caller: Caller): string {
    const resource = asObject(snippet['resourceId']);
    const kind = resource['kind'];
    if (kind !== undefined && kind !== 'youtube#video') {
      throw new ApiError(
        400,
        'invalidResourceType',
        'The type specified in the resource ID is not supported.',
        {
          domain: 'youtube.playlistItem',
          location: 'body.snippet.resourceId.kind',
          locationType: 'other',
        },
      );
    }
    const videoId = resource['videoId'];
    if (typeof videoId !== 'string' || videoId === '') throw requiredField('snippet.resourceId');
    if (visibleVideo(this.state, videoId, caller) === undefined)
      throw videoNotFound('snippet.resourceId.videoId', 'youtube.playlistItem');
    return videoId;
  }

  /** 400 manualSortRequired: a write named a position in a playlist YouTube orders by itself. */
  private manualSortRequired(): ApiError {
    return new ApiError(
      400,
      'manualSortRequired',
      'The request attempts to set the playlist item&#39;s position, but the playlist does not use manual sorting. (For example, playlist items might be sorted by date or popularity.)',
      { domain: 'youtube.playlistItem', location: 'body.snippet.position', locationType: 'other' },
    );
  }

  /** Where a new entry goes when the request names no position: the playlist's own order decides. */
  private naturalPosition(p: FakePlaylist): number {
    return p.sort === 'dateAddedNewest' ? 0 : p.itemIds.length;
  }

  private invalidPosition(): ApiError {
    return new ApiError(
      400,
      'invalidPlaylistItemPosition',
      'The request attempts to set the playlist item&#39;s position to an invalid or unsupported value. Check the value of the <code>position</code> property in the resource&#39;s <code>snippet</code>.',
      { domain: 'youtube.playlistItem', location: 'body.snippet.position', locationType: 'other' },
    );
  }

  itemsInsert(q: URLSearchParams, body: Record<string, unknown>, caller: Caller): unknown {
    const parts = requireParts(q, PLAYLIST_ITEM_PARTS);
    needChannel(caller);
    const snippet = asObject(body['snippet']);
    const p = this.writablePlaylist(snippet['playlistId'], caller);
    const videoId = this.itemVideo(snippet, caller);
    let position = this.naturalPosition(p);
    if (snippet['position'] !== undefined && snippet['position'] !== null) {
      if (p.sort !== 'manual') throw this.manualSortRequired();
      const pos = snippet['position'];
      if (typeof pos !== 'number' || !Number.isInteger(pos) || pos < 0 || pos > p.itemIds.length)
        throw this.invalidPosition();
      position = pos;
    }
    if (p.itemIds.length >= MAX_PLAYLIST_ITEMS) {
      throw new ApiError(
        403,
        'playlistContainsMaximumNumberOfVideos',
        'The playlist already contains the maximum allowed number of items.',
        {
          domain: 'youtube.playlistItem',
        },
      );
    }
    const item: FakePlaylistItem = {
      id: Buffer.from(`${p.id}.${randomId(16)}`).toString('base64url'),
      playlistId: p.id,
      videoId,
      publishedAt: new Date(this.state.now()).toISOString(),
    };
    const note = asObject(body['contentDetails'])['note'];
    if (parts.includes('contentDetails') && typeof note === 'string') item.note = note;
    this.state.playlistItems.set(item.id, item);
    p.itemIds.splice(position, 0, item.id);
    return renderPlaylistItem(this.state, item, position, p.ownerChannelId, parts, caller.channelId);
  }

  private ownedItem(
    id: unknown,
    caller: Caller,
    inBody: boolean,
  ): { item: FakePlaylistItem; playlist: FakePlaylist } {
    if (typeof id !== 'string' || id === '')
      throw inBody ? requiredField('resource.id') : requiredParam('id');
    const item = this.state.playlistItems.get(id);
    const playlist = item === undefined ? undefined : this.state.playlists.get(item.playlistId);
    if (item === undefined || playlist === undefined) {
      throw new ApiError(
        404,
        'playlistItemNotFound',
        'The playlist item identified with the request&#39;s <code>id</code> parameter cannot be found.',
        {
          domain: 'youtube.playlistItem',
          location: 'id',
          locationType: 'parameter',
        },
      );
    }
    if (playlist.ownerChannelId !== caller.channelId) throw playlistItemsNotAccessible();
    return { item, playlist };
  }

  itemsUpdate(q: URLSearchParams, body: Record<string, unknown>, caller: Caller): unknown {
    const parts = requireParts(q, PLAYLIST_ITEM_PARTS);
    const { item, playlist } = this.ownedItem(body['id'], caller, true);
    let position = playlist.itemIds.indexOf(item.id);
    let videoId = item.videoId;
    if (parts.includes('snippet')) {
      const snippet = asObject(body['snippet']);
      if (snippet['playlistId'] !== item.playlistId) this.writablePlaylist(snippet['playlistId'], caller);
      if (snippet['playlistId'] !== item.playlistId) {
        throw new ApiError(400, 'invalidValue', 'An item cannot be moved to another playlist.', {
          domain: 'youtube.playlistItem',
          location: 'body.snippet.playlistId',
          locationType: 'other',
        });
      }
      videoId = this.itemVideo(snippet, caller);
      const pos = snippet['position'];
      if (pos !== undefined && pos !== null) {
        if (playlist.sort !== 'manual') throw this.manualSortRequired();
        if (typeof pos !== 'number' || !Number.isInteger(pos) || pos < 0 || pos >= playlist.itemIds.length)
          throw this.invalidPosition();
        position = pos;
      }
    }
    item.videoId = videoId;
    if (parts.includes('contentDetails')) {
      const note = asObject(body['contentDetails'])['note'];
      if (typeof note === 'string') item.note = note;
      else delete item.note;
    }
    playlist.itemIds.splice(playlist.itemIds.indexOf(item.id), 1);
    playlist.itemIds.splice(position, 0, item.id);
    return renderPlaylistItem(this.state, item, position, playlist.ownerChannelId, parts, caller.channelId);
  }

  itemsDelete(q: URLSearchParams, caller: Caller): void {
    const { item, playlist } = this.ownedItem(q.get('id'), caller, false);
    playlist.itemIds.splice(playlist.itemIds.indexOf(item.id), 1);
    this.state.playlistItems.delete(item.id);
  }
}
