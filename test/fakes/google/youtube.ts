// YouTube Data API v3 under /youtube/v3/: bearer auth and scopes, per-method quota, and the channels, videos,
// videoCategories, playlists and playlistItems methods the bot uses. Writes check ownership; update replaces
// whole parts; every authenticated request costs quota, even an invalid one.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from '../http.ts';
import {
  ApiError,
  insufficientScopes,
  invalidValue,
  mediaBodyRequired,
  parseError,
  quotaExceeded,
  requiredField,
  requiredParam,
  unauthenticated,
  videoForbidden,
  videoNotFound,
} from './errors.ts';
import type { OAuthServer } from './oauth.ts';
import { PlaylistsApi } from './playlists.ts';
import {
  asObject,
  CATEGORIES,
  CHANNEL_PARTS,
  listResponse,
  needChannel,
  oneFilter,
  paginate,
  renderChannel,
  renderVideo,
  requireParts,
  validateVideoSnippet,
  validateVideoStatus,
  VIDEO_PARTS,
  visibleVideo,
  YOUTUBE_CHANNEL_ID,
  type Caller,
} from './resources.ts';
import {
  discardBody,
  etag,
  listParam,
  readSmallBody,
  type GoogleState,
  type RequestContext,
} from './state.ts';
import type { FakeAccount, FakeVideo } from './types.ts';

export type { Caller } from './resources.ts';

/** Scope names (after https://www.googleapis.com/auth/) each kind of method accepts. */
const SCOPES = {
  upload: ['youtube.upload', 'youtube', 'youtube.force-ssl', 'youtubepartner'],
  read: ['youtube.readonly', 'youtube', 'youtube.force-ssl', 'youtubepartner'],
  write: ['youtube', 'youtube.force-ssl', 'youtubepartner'],
} as const;

export interface MethodSpec {
  /** API method name, e.g. 'videos.list'. */
  name: string;
  /** Quota units (or insert calls for the insert bucket). */
  cost: number;
  bucket: 'units' | 'inserts';
  scopes: keyof typeof SCOPES;
}

/** Data API routes: `${HTTP method} ${path}`. */
const ROUTES: Record<string, MethodSpec> = {
  'GET /youtube/v3/channels': { name: 'channels.list', cost: 1, bucket: 'units', scopes: 'read' },
  'GET /youtube/v3/videos': { name: 'videos.list', cost: 1, bucket: 'units', scopes: 'read' },
  'POST /youtube/v3/videos': { name: 'videos.insert', cost: 1, bucket: 'inserts', scopes: 'upload' },
  'PUT /youtube/v3/videos': { name: 'videos.update', cost: 50, bucket: 'units', scopes: 'write' },
  'DELETE /youtube/v3/videos': { name: 'videos.delete', cost: 50, bucket: 'units', scopes: 'write' },
  'POST /youtube/v3/videos/rate': { name: 'videos.rate', cost: 50, bucket: 'units', scopes: 'write' },
  'GET /youtube/v3/videos/getRating': { name: 'videos.getRating', cost: 1, bucket: 'units', scopes: 'write' },
  'GET /youtube/v3/videoCategories': {
    name: 'videoCategories.list',
    cost: 1,
    bucket: 'units',
    scopes: 'read',
  },
  'GET /youtube/v3/playlists': { name: 'playlists.list', cost: 1, bucket: 'units', scopes: 'read' },
  'POST /youtube/v3/playlists': { name: 'playlists.insert', cost: 50, bucket: 'units', scopes: 'write' },
  'PUT /youtube/v3/playlists': { name: 'playlists.update', cost: 50, bucket: 'units', scopes: 'write' },
  'DELETE /youtube/v3/playlists': { name: 'playlists.delete', cost: 50, bucket: 'units', scopes: 'write' },
  'GET /youtube/v3/playlistItems': { name: 'playlistItems.list', cost: 1, bucket: 'units', scopes: 'read' },
  'POST /youtube/v3/playlistItems': {
    name: 'playlistItems.insert',
    cost: 50,
    bucket: 'units',
    scopes: 'write',
  },
  'PUT /youtube/v3/playlistItems': {
    name: 'playlistItems.update',
    cost: 50,
    bucket: 'units',
    scopes: 'write',
  },
  'DELETE /youtube/v3/playlistItems': {
    name: 'playlistItems.delete',
    cost: 50,
    bucket: 'units',
    scopes: 'write',
  },
  'POST /youtube/v3/thumbnails/set': { name: 'thumbnails.set', cost: 50, bucket: 'units', scopes: 'upload' },
  'POST /upload/youtube/v3/videos': { name: 'videos.insert', cost: 1, bucket: 'inserts', scopes: 'upload' },
  'POST /upload/youtube/v3/thumbnails/set': {
    name: 'thumbnails.set',
    cost: 50,
    bucket: 'units',
    scopes: 'upload',
  },
};

export function routeOf(method: string, path: string): MethodSpec | undefined {
  return ROUTES[`${method} ${path}`];
}

export class YouTubeApi {
  private readonly state: GoogleState;
  private readonly oauth: OAuthServer;
  private readonly playlists: PlaylistsApi;

  constructor(state: GoogleState, oauth: OAuthServer) {
    this.state = state;
    this.oauth = oauth;
    this.playlists = new PlaylistsApi(state);
  }

  /** Authenticates, checks scopes and charges quota (before any validation: invalid requests cost too). */
  authorize(req: IncomingMessage, ctx: RequestContext, spec: MethodSpec): Caller {
    const header = req.headers.authorization;
    const token =
      header !== undefined && /^bearer\s/i.test(header)
        ? header.replace(/^bearer\s+/i, '').trim()
        : ctx.url.searchParams.get('access_token');
    if (token === null || token === '') throw unauthenticated(true);
    const found = this.oauth.lookupAccessToken(token);
    if (found === null) throw unauthenticated(false);
    const accepted = SCOPES[spec.scopes];
    if (
      !found.scopes.some((s) =>
        (accepted as readonly string[]).some((a) => s === `https://www.googleapis.com/auth/${a}`),
      )
    ) {
      throw insufficientScopes(spec.name, [...accepted]);
    }
    const used = this.state.quotaUsed;
    const limit = this.state.quotaLimit;
    if (spec.bucket === 'inserts') {
      if (used.inserts + spec.cost > limit.inserts) throw quotaExceeded();
      used.inserts += spec.cost;
    } else {
      if (used.units + spec.cost > limit.units) throw quotaExceeded();
      used.units += spec.cost;
    }
    return { account: found.account, channelId: found.account.channel?.id ?? null };
  }

  /** Handles a /youtube/v3/ request whose route is known. */
  async handle(
    req: IncomingMessage,
    res: ServerResponse,
    ctx: RequestContext,
    spec: MethodSpec,
  ): Promise<void> {
    const caller = this.authorize(req, ctx, spec);
    const q = ctx.url.searchParams;
    const hasBody = req.method === 'POST' || req.method === 'PUT';
    let body: Record<string, unknown> = {};
    if (hasBody) {
      const { body: raw } = await readSmallBody(req, ctx);
      if (raw.length > 0) {
        try {
          body = asObject(JSON.parse(raw.toString('utf8')));
        } catch {
          throw parseError();
        }
      }
    } else discardBody(req);
    switch (spec.name) {
      case 'channels.list':
        return sendJson(res, 200, this.channelsList(q, caller));
      case 'videos.list':
        return sendJson(res, 200, this.videosList(q, caller));
      case 'videos.insert':
        throw mediaBodyRequired();
      case 'videos.update':
        return sendJson(res, 200, this.videosUpdate(q, body, caller));
      case 'videos.delete':
        this.videosDelete(q, caller);
        return this.noContent(res);
      case 'videos.rate':
        this.videosRate(q, caller);
        return this.noContent(res);
      case 'videos.getRating':
        return sendJson(res, 200, this.videosGetRating(q, caller));
      case 'videoCategories.list':
        return sendJson(res, 200, this.categoriesList(q));
      case 'playlists.list':
        return sendJson(res, 200, this.playlists.playlistsList(q, caller));
      case 'playlists.insert':
        return sendJson(res, 200, this.playlists.playlistsInsert(q, body, caller));
      case 'playlists.update':
        return sendJson(res, 200, this.playlists.playlistsUpdate(q, body, caller));
      case 'playlists.delete':
        this.playlists.playlistsDelete(q, caller);
        return this.noContent(res);
      case 'playlistItems.list':
        return sendJson(res, 200, this.playlists.itemsList(q, caller));
      case 'playlistItems.insert':
        return sendJson(res, 200, this.playlists.itemsInsert(q, body, caller));
      case 'playlistItems.update':
        return sendJson(res, 200, this.playlists.itemsUpdate(q, body, caller));
      case 'playlistItems.delete':
        this.playlists.itemsDelete(q, caller);
        return this.noContent(res);
      case 'thumbnails.set':
        throw new ApiError(400, 'mediaBodyRequired', 'The request does not include the image content.', {
          domain: 'youtube.thumbnail',
        });
      default:
        throw new ApiError(404, 'notFound', 'Not Found');
    }
  }

  private noContent(res: ServerResponse): void {
    res.writeHead(204);
    res.end();
  }

  // ---- channels ----

  private channelsList(q: URLSearchParams, caller: Caller): unknown {
    const parts = requireParts(q, CHANNEL_PARTS);
    const filter = oneFilter(q, ['forHandle', 'forUsername', 'id', 'mine']);
    let accounts: FakeAccount[] = [];
    if (filter === 'mine') {
      if (q.get('mine') === 'true' && caller.account.channel !== null) accounts = [caller.account];
    } else if (filter === 'id') {
      const ids = listParam(q, 'id');
      accounts = ids.flatMap((id) => this.state.accounts.filter((a) => a.channel?.id === id));
    } else {
      const handle = (q.get(filter) ?? '').replace(/^@/, '').toLowerCase();
      accounts = this.state.accounts.filter(
        (a) => a.channel !== null && a.channel.title.toLowerCase().replace(/[^a-z0-9]/g, '') === handle,
      );
    }
    const page = paginate(accounts, q);
    const items = page.items.map((a) => renderChannel(this.state, a, parts, a.id === caller.account.id));
    return listResponse('youtube#channelListResponse', { ...page, items });
  }

  // ---- videos ----

  private videosList(q: URLSearchParams, caller: Caller): unknown {
    const parts = requireParts(q, VIDEO_PARTS);
    const filter = oneFilter(q, ['chart', 'id', 'myRating']);
    let videos: FakeVideo[];
    let paged = true;
    if (filter === 'id') {
      videos = listParam(q, 'id').flatMap((id) => {
        const v = visibleVideo(this.state, id, caller);
        return v === undefined ? [] : [v];
      });
      paged = false;
    } else if (filter === 'myRating') {
      const rating = q.get('myRating');
      if (rating !== 'like' && rating !== 'dislike') throw invalidValue('myRating', rating ?? '');
      videos = [];
      if (caller.channelId !== null) {
        const prefix = `${caller.channelId}:`;
        for (const [key, r] of [...this.state.ratings].reverse()) {
          if (r !== rating || !key.startsWith(prefix)) continue;
          const v = visibleVideo(this.state, key.slice(prefix.length), caller);
          if (v !== undefined) videos.push(v);
        }
      }
    } else {
      if (q.get('chart') !== 'mostPopular') throw invalidValue('chart', q.get('chart') ?? '');
      videos = [...this.state.videos.values()].filter((v) => v.status.privacyStatus === 'public');
    }
    const page = paged
      ? paginate(videos, q)
      : { items: videos, totalResults: videos.length, resultsPerPage: videos.length };
    const poll = parts.includes('processingDetails') || parts.includes('status');
    const items = page.items.map((v) => {
      if (poll && v.ownerChannelId === caller.channelId) v.processingPolls++;
      return renderVideo(this.state, v, parts, caller.channelId);
    });
    return listResponse('youtube#videoListResponse', { ...page, items });
  }

  private ownedVideo(id: unknown, caller: Caller, action: string): FakeVideo {
    if (typeof id !== 'string' || id === '')
      throw action === 'update' ? requiredField('resource.id') : requiredParam('id');
    const v = visibleVideo(this.state, id, caller);
    if (v === undefined) throw videoNotFound('id');
    if (v.ownerChannelId !== caller.channelId) throw videoForbidden(action);
    return v;
  }

  private videosUpdate(q: URLSearchParams, body: Record<string, unknown>, caller: Caller): unknown {
    const parts = requireParts(q, VIDEO_PARTS);
    const v = this.ownedVideo(body['id'], caller, 'update');
    // Validate every part first, then apply: a failed update changes nothing. Each part sent replaces the old one.
    const snippet = parts.includes('snippet') ? validateVideoSnippet(body['snippet'], 'update') : null;
    const status = parts.includes('status')
      ? validateVideoStatus(body['status'], v.status.privacyStatus, this.state.now())
      : null;
    if (snippet !== null) v.snippet = snippet;
    if (status !== null) {
      if (v.lockedPrivate) status.privacyStatus = 'private';
      v.status = status;
    }
    return renderVideo(this.state, v, parts, caller.channelId);
  }

  private videosDelete(q: URLSearchParams, caller: Caller): void {
    const v = this.ownedVideo(q.get('id'), caller, 'delete');
    this.state.videos.delete(v.id);
    for (const key of [...this.state.ratings.keys()])
      if (key.endsWith(`:${v.id}`)) this.state.ratings.delete(key);
  }

  private videosRate(q: URLSearchParams, caller: Caller): void {
    const id = q.get('id');
    if (id === null || id === '') throw requiredParam('id');
    const rating = q.get('rating');
    if (rating === null || rating === '') throw requiredParam('rating');
    if (rating !== 'like' && rating !== 'dislike' && rating !== 'none') {
      throw new ApiError(
        400,
        'invalidRating',
        'The request contained an unexpected value for the <code>rating</code> parameter.',
        {
          domain: 'youtube.video',
          location: 'rating',
          locationType: 'parameter',
        },
      );
    }
    if (visibleVideo(this.state, id, caller) === undefined) throw videoNotFound('id');
    const channelId = needChannel(caller);
    const key = `${channelId}:${id}`;
    this.state.ratings.delete(key);
    if (rating !== 'none') this.state.ratings.set(key, rating);
  }

  private videosGetRating(q: URLSearchParams, caller: Caller): unknown {
    const ids = listParam(q, 'id');
    if (ids.length === 0) throw requiredParam('id');
    const items = ids.flatMap((id) => {
      if (visibleVideo(this.state, id, caller) === undefined) return [];
      const rating =
        caller.channelId === null ? undefined : this.state.ratings.get(`${caller.channelId}:${id}`);
      return [{ videoId: id, rating: rating ?? 'none' }];
    });
    return { kind: 'youtube#videoGetRatingResponse', etag: etag(), items };
  }

  // ---- categories ----

  private categoriesList(q: URLSearchParams): unknown {
    requireParts(q, new Set(['snippet', 'id']));
    const filter = oneFilter(q, ['id', 'regionCode']);
    let list = CATEGORIES;
    if (filter === 'id') {
      const ids = new Set(listParam(q, 'id'));
      list = CATEGORIES.filter((c) => ids.has(c.id));
    } else if (!/^[A-Za-z]{2}$/.test(q.get('regionCode') ?? '')) {
      throw new ApiError(
        400,
        'invalidRegionCode',
        'The <code>regionCode</code> parameter specifies an invalid region code.',
        {
          domain: 'youtube.parameter',
          location: 'regionCode',
          locationType: 'parameter',
        },
      );
    }
    const items = list.map((c) => ({
      kind: 'youtube#videoCategory',
      etag: etag(),
      id: c.id,
      snippet: { title: c.title, assignable: c.assignable, channelId: YOUTUBE_CHANNEL_ID },
    }));
    return { kind: 'youtube#videoCategoryListResponse', etag: etag(), items };
  }
}
