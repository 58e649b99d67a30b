// A local fake of Google OAuth 2.0 and the YouTube Data API v3 (with the resumable upload protocol) on one
// loopback port, for tests that run the real google-auth-library, @googleapis/youtube and undici against it.
// Faithful to the documented behaviour — error shapes, status codes, 308 semantics, quota — because a fake kinder
// than Google hides bugs. Parts: google/oauth.ts (consent, token, revoke), google/youtube.ts (auth, quota, channels,
// videos, categories), google/playlists.ts, google/uploads.ts (resumable, multipart, media, thumbnails),
// google/multipart.ts, google/resources.ts (validation, JSON shapes, paging), google/errors.ts, google/state.ts,
// google/feed.ts (a channel's public Atom feed, www.youtube.com/feeds/videos.xml).
import { createHash } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { close, listen, sendHtml, sendJson } from './http.ts';
import { ApiError, injectedError, sendApiError } from './google/errors.ts';
import { OAuthServer, type ConsentSettings } from './google/oauth.ts';
import { validateVideoSnippet, validateVideoStatus } from './google/resources.ts';
import { discardBody, Dropped, GoogleState, randomId, sleep, type RequestContext } from './google/state.ts';
import type {
  AuthRequestRecord,
  FailAction,
  FailMatch,
  FakeAccount,
  FakeChannel,
  FakeLive,
  FakePlaylist,
  FakePlaylistItem,
  FakeVideo,
  PlaylistSort,
  ProcessingPlan,
  RequestRecord,
  StartOptions,
  UploadSession,
  VideoStatus,
} from './google/types.ts';
import { sortPlaylist } from './google/playlists.ts';
import { Uploads } from './google/uploads.ts';
import { FEED_PATH, handleFeed, renderFeed } from './google/feed.ts';
import { routeOf, YouTubeApi } from './google/youtube.ts';

export type {
  AuthRequestRecord,
  ConsentSettings,
  FailAction,
  FailMatch,
  FakeAccount,
  FakeChannel,
  FakeLive,
  FakePlaylist,
  FakePlaylistItem,
  FakeVideo,
  PlaylistSort,
  ProcessingPlan,
  RequestRecord,
  StartOptions,
  UploadSession,
};
export type { VideoSnippet, VideoStatus } from './google/types.ts';

interface FaultRule {
  match: FailMatch;
  action: FailAction;
  remaining: number;
}

/**
 * The request is carried out, but its answer leaves only once `release` settles (the client waits, the change is
 * made): a slow network between Google and the client.
 */
function holdAnswer(res: ServerResponse, release: Promise<unknown>): void {
  const writeHead = res.writeHead.bind(res);
  const end = res.end.bind(res);
  const held: (() => void)[] = [];
  res.writeHead = ((...args: Parameters<typeof res.writeHead>) => {
    held.push(() => writeHead(...args));
    return res;
  }) as typeof res.writeHead;
  res.end = ((...args: Parameters<typeof res.end>) => {
    held.push(() => end(...args));
    const send = () => {
      if (!res.destroyed) for (const step of held) step();
    };
    release.then(send, send);
    return res;
  }) as typeof res.end;
}

/** A promise settled after `ms` whose timer does not keep the process alive. */
const elapsed = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

const OAUTH_JSON_PATHS = new Set(['/token', '/revoke', '/tokeninfo', '/oauth2/v3/userinfo']);

export class FakeGoogle {
  /** 'http://127.0.0.1:PORT'. */
  readonly origin: string;
  /** origin + '/': the YOUTUBE_API_URL (data API under youtube/v3/, uploads under upload/youtube/v3/). */
  readonly apiRoot: string;
  /** The channels' public Atom feeds (YOUTUBE_FEED_URL): GET …?channel_id=UC…, no auth, no quota. */
  readonly feedUrl: string;
  /** The consent endpoint (OAuth2Client endpoints.oauth2AuthBaseUrl). */
  readonly authUrl: string;
  /** The token endpoint (endpoints.oauth2TokenUrl). */
  readonly tokenUrl: string;
  /** The revocation endpoint (endpoints.oauth2RevokeUrl). */
  readonly revokeUrl: string;
  /** The token-info endpoint (endpoints.tokenInfoUrl). */
  readonly tokenInfoUrl: string;
  /** The registered OAuth client id. */
  readonly clientId: string;
  /** The registered OAuth client secret. */
  readonly clientSecret: string;
  /** Who consents and how: account (default the first one), mode 'auto' | 'page' | 'deny', scopes the user unticks. */
  readonly consent: ConsentSettings;
  /** Every visit of the consent endpoint, in order. */
  readonly authRequests: AuthRequestRecord[];
  /** Stored videos by id, with their upload record. */
  readonly videos: Map<string, FakeVideo>;
  /** User playlists by id. */
  readonly playlists: Map<string, FakePlaylist>;
  /** Playlist items by id (order lives in the playlist's itemIds). */
  readonly playlistItems: Map<string, FakePlaylistItem>;
  /** Ratings by `${channelId}:${videoId}`. */
  readonly ratings: Map<string, 'like' | 'dislike'>;
  /** Quota spent today: shared units and videos.insert calls (writable, e.g. to reset). */
  readonly quotaUsed: { units: number; inserts: number };
  /** The daily quota (writable). */
  readonly quotaLimit: { units: number; inserts: number };
  /** Every request received, in arrival order, without bodies. */
  readonly requests: RequestRecord[] = [];
  /** Resumable upload sessions by upload_id. */
  readonly sessions: Map<string, UploadSession>;
  /**
   * Upload knobs: storeGranularity (bytes an interrupted PUT keeps are rounded down to this, default 262144),
   * throttleBytesPerSec (slows reading of upload bodies, null = full speed), completeStatus (200 or 201 for a
   * finished resumable upload), channelDailyLimit (uploads per channel before uploadLimitExceeded, null = none),
   * sessionTtlMs (a session's life, default a week), shorts (videos uploaded from now on are Shorts: YouTube decides
   * from the frames, which the fake does not look at; default false), finalizeMs (how long YouTube works after the
   * last byte before the video exists and the PUT is answered, default 0; read again while it waits, so lowering it
   * lets a waiting upload finish).
   */
  readonly upload: {
    storeGranularity: number;
    throttleBytesPerSec: number | null;
    completeStatus: 200 | 201;
    channelDailyLimit: number | null;
    sessionTtlMs: number;
    shorts: boolean;
    finalizeMs: number;
  };
  /** How processing goes for videos uploaded from now on (default: 2 'processing' polls, then succeeded). */
  readonly processing: ProcessingPlan;

  /** True: the project is unaudited, so uploads from now on end private whatever was asked. */
  get unverifiedProject(): boolean {
    return this.state.unverifiedProject;
  }
  set unverifiedProject(value: boolean) {
    this.state.unverifiedProject = value;
  }

  private readonly state: GoogleState;
  private readonly oauth: OAuthServer;
  private readonly api: YouTubeApi;
  private readonly uploads: Uploads;
  private readonly server: Server;
  private readonly faults: FaultRule[] = [];

  /** Starts the fake on 127.0.0.1 with an ephemeral port. */
  static async start(options: StartOptions = {}): Promise<FakeGoogle> {
    const state = new GoogleState({
      clientId:
        options.clientId ??
        `${randomId(12, true)}-${randomId(32).toLowerCase().replace(/[-_]/g, 'a')}.apps.googleusercontent.com`,
      clientSecret: options.clientSecret ?? `GOCSPX-${randomId(28)}`,
      accessTokenTtlSec: options.accessTokenTtlSec ?? 3599,
      unverifiedProject: options.unverifiedProject ?? false,
      quota: { units: options.quota?.units ?? 10_000, inserts: options.quota?.inserts ?? 100 },
    });
    for (const uri of options.redirectUris ?? []) state.redirectUris.add(uri);
    state.tmpDir = await mkdtemp(join(tmpdir(), 'fake-google-'));
    const holder: { fake?: FakeGoogle } = {};
    const { server, origin } = await listen(async (req, res) => {
      if (holder.fake === undefined) {
        res.writeHead(503).end();
        return;
      }
      await holder.fake.dispatch(req, res);
    });
    server.requestTimeout = 0; // throttled benchmark uploads may take longer than Node's default 300 s
    state.origin = origin;
    holder.fake = new FakeGoogle(state, server);
    return holder.fake;
  }

  private constructor(state: GoogleState, server: Server) {
    this.state = state;
    this.server = server;
    this.oauth = new OAuthServer(state);
    this.api = new YouTubeApi(state, this.oauth);
    this.uploads = new Uploads(state, this.api);
    this.origin = state.origin;
    this.apiRoot = `${state.origin}/`;
    this.feedUrl = `${state.origin}${FEED_PATH}`;
    this.authUrl = `${state.origin}/o/oauth2/v2/auth`;
    this.tokenUrl = `${state.origin}/token`;
    this.revokeUrl = `${state.origin}/revoke`;
    this.tokenInfoUrl = `${state.origin}/tokeninfo`;
    this.clientId = state.clientId;
    this.clientSecret = state.clientSecret;
    this.consent = this.oauth.consent;
    this.authRequests = this.oauth.authRequests;
    this.videos = state.videos;
    this.playlists = state.playlists;
    this.playlistItems = state.playlistItems;
    this.ratings = state.ratings;
    this.quotaUsed = state.quotaUsed;
    this.quotaLimit = state.quotaLimit;
    this.sessions = state.sessions;
    this.upload = state.upload;
    this.processing = state.processing;
  }

  // ---- set-up ----

  /** Registers another redirect URI (compared exactly, as for a web client). */
  addRedirectUri(uri: string): void {
    this.state.redirectUris.add(uri);
  }

  /** Adds a Google account; `channel: null` makes one without a YouTube channel, a partial channel fills the rest. */
  addAccount(a: { email: string; channel?: Partial<FakeChannel> | null }): FakeAccount {
    return this.state.createAccount(a.email, a.channel);
  }

  /**
   * Seeds an already processed video on the account's channel (no upload, no quota). `short` makes it a Short (the
   * feed links it as /shorts/ID); `live` makes it a broadcast in that phase (liveBroadcastContent,
   * liveStreamingDetails); `publishAt` (with privacy private) schedules it, released on the fake clock.
   */
  addVideo(
    account: FakeAccount,
    init: {
      title?: string;
      description?: string;
      tags?: string[];
      categoryId?: string;
      privacyStatus?: VideoStatus['privacyStatus'];
      publishAt?: string;
      short?: boolean;
      live?: FakeLive['phase'];
    } = {},
  ): FakeVideo {
    if (account.channel === null) throw new Error(`${account.email} has no YouTube channel`);
    const snippet = validateVideoSnippet(
      {
        title: init.title ?? 'Seeded video',
        description: init.description ?? '',
        tags: init.tags,
        categoryId: init.categoryId ?? '22',
      },
      'insert',
    );
    const status = validateVideoStatus(
      { privacyStatus: init.privacyStatus ?? 'public', publishAt: init.publishAt },
      'public',
      this.state.now(),
    );
    const video: FakeVideo = {
      id: randomId(11),
      ownerChannelId: account.channel.id,
      snippet,
      status,
      requestedPrivacyStatus: status.privacyStatus,
      lockedPrivate: false,
      publishedAt: new Date(this.state.now()).toISOString(),
      size: 0,
      sha256: createHash('sha256').digest('hex'),
      contentType: 'video/mp4',
      notifySubscribers: false,
      uploadType: 'seeded',
      processingPolls: 0,
      processing: { pollsBeforeDone: 0, outcome: 'succeeded', reason: null },
      thumbnail: null,
    };
    if (init.short === true) video.short = true;
    if (init.live !== undefined) {
      const now = new Date(this.state.now()).toISOString();
      video.live = {
        phase: init.live,
        scheduledStartTime: now,
        ...(init.live === 'upcoming' ? {} : { actualStartTime: now }),
        ...(init.live === 'completed' ? { actualEndTime: now } : {}),
      };
    }
    this.state.videos.set(video.id, video);
    return video;
  }

  /** Seeds a playlist on the account's channel, optionally with videos in order and a sort order (default manual). */
  addPlaylist(
    account: FakeAccount,
    init: {
      title: string;
      description?: string;
      privacyStatus?: FakePlaylist['status']['privacyStatus'];
      videoIds?: string[];
      sort?: PlaylistSort;
    },
  ): FakePlaylist {
    if (account.channel === null) throw new Error(`${account.email} has no YouTube channel`);
    const playlist: FakePlaylist = {
      id: `PL${randomId(32)}`,
      ownerChannelId: account.channel.id,
      snippet: { title: init.title, description: init.description ?? '' },
      status: { privacyStatus: init.privacyStatus ?? 'public' },
      publishedAt: new Date(this.state.now()).toISOString(),
      itemIds: [],
      sort: 'manual',
    };
    this.state.playlists.set(playlist.id, playlist);
    for (const videoId of init.videoIds ?? []) {
      const item: FakePlaylistItem = {
        id: Buffer.from(`${playlist.id}.${randomId(16)}`).toString('base64url'),
        playlistId: playlist.id,
        videoId,
        publishedAt: playlist.publishedAt,
      };
      this.state.playlistItems.set(item.id, item);
      playlist.itemIds.push(item.id);
    }
    if (init.sort !== undefined) sortPlaylist(this.state, playlist, init.sort);
    return playlist;
  }

  /** Changes how YouTube orders a playlist (Studio's sort setting): writes naming a position then get manualSortRequired. */
  setPlaylistSort(playlistId: string, sort: PlaylistSort): void {
    const playlist = this.state.playlists.get(playlistId);
    if (playlist === undefined) throw new Error(`no playlist ${playlistId}`);
    sortPlaylist(this.state, playlist, sort);
  }

  // ---- tokens ----

  /** Issues an offline grant directly (skipping the browser dance); short scope names like 'youtube' are expanded. */
  mintTokens(
    account: FakeAccount,
    scopes: string[],
  ): {
    access_token: string;
    refresh_token: string;
    expiry_date: number;
    scope: string;
    token_type: 'Bearer';
  } {
    return this.oauth.mintTokens(account, scopes);
  }

  /** Every access and refresh token issued so far (revoked ones included), e.g. to prove none leaks into logs. */
  issuedTokens(): string[] {
    return this.oauth.issuedTokens();
  }

  /** Every access token issued so far now answers 401 (refresh tokens still work). */
  expireAccessTokens(): void {
    this.oauth.expireAccessTokens();
  }

  /** Revokes every grant of the account: its refresh tokens give invalid_grant, its access tokens 401. */
  revokeAll(account: FakeAccount): void {
    this.oauth.revokeAll(account);
  }

  // ---- uploads and processing ----

  /** Loses a resumable session: its PUTs answer 404 (or 410), the documented "start again from byte 0" signal. */
  expireSession(id: string, status: 404 | 410 = 404): void {
    this.uploads.expireSession(id, status);
  }

  /** Changes how an uploaded video's processing goes (e.g. { outcome: 'rejected', reason: 'duplicate' }). */
  setProcessing(videoId: string, plan: Partial<ProcessingPlan>): void {
    const video = this.state.videos.get(videoId);
    if (video === undefined) throw new Error(`no video ${videoId}`);
    Object.assign(video.processing, plan);
  }

  /** The fake's clock in ms (Date.now() plus every advanceClock so far). */
  now(): number {
    return this.state.now();
  }

  /** Moves the fake's clock (code expiry, token expiry, session life, publishAt checks) forward. */
  advanceClock(ms: number): void {
    this.state.clockOffsetMs += ms;
    this.state.releaseScheduled();
  }

  /**
   * Serves every channel feed as it is now until thawFeeds(), as YouTube's cached feeds lag behind the channel:
   * a video made private meanwhile is still listed, a new one not yet.
   */
  freezeFeeds(): void {
    this.state.feedSnapshots = new Map(
      this.state.accounts.flatMap((a) =>
        a.channel ? [[a.channel.id, renderFeed(this.state, a)] as const] : [],
      ),
    );
  }

  /** Feeds show the channels as they are again. */
  thawFeeds(): void {
    this.state.feedSnapshots = null;
  }

  /** Sets both quota counters back to zero (a new Pacific day). */
  resetQuota(): void {
    this.state.quotaUsed.units = 0;
    this.state.quotaUsed.inserts = 0;
  }

  // ---- fault injection ----

  /**
   * The next `times` requests matching `match` fail: with a status (Google's error JSON, reason/message defaulting
   * per status, e.g. 503 backendError), by dropping the connection after N request-body bytes (a resumable session
   * keeps what arrived, rounded down to upload.storeGranularity), by keeping fewer bytes of a resumable data PUT
   * received whole ({ keepBytes }: that many of it, rounded down to 256 KiB, answered 308 with the shorter Range —
   * the client must send the rest again), after a delay (then handled normally), or
   * handled at once with the answer held back for `holdAnswerMs`, or until the promise `holdAnswerUntil` settles
   * (the change is made; the client hears of it late).
   */
  fail(match: FailMatch, action: FailAction, times = 1): void {
    this.faults.push({ match, action, remaining: times });
  }

  /** Forgets every pending fault rule. */
  clearFaults(): void {
    this.faults.length = 0;
  }

  /** Stops the server, cuts open connections and removes the sessions' temp files. */
  async close(): Promise<void> {
    this.uploads.abortAll();
    await close(this.server);
    await rm(this.state.tmpDir, { recursive: true, force: true, maxRetries: 3 });
  }

  // ---- dispatch ----

  private takeFault(method: string, url: URL, contentRange: string | undefined): FailAction | null {
    const rule = this.faults.find((r) => {
      if (r.match.method !== undefined && r.match.method.toUpperCase() !== method) return false;
      if (r.match.contentRange !== undefined && !r.match.contentRange.test(contentRange ?? '')) return false;
      r.match.path.lastIndex = 0;
      if (r.match.path.test(url.pathname)) return true;
      r.match.path.lastIndex = 0;
      return r.match.path.test(url.pathname + url.search);
    });
    if (rule === undefined) return null;
    rule.remaining--;
    if (rule.remaining <= 0) this.faults.splice(this.faults.indexOf(rule), 1);
    return rule.action;
  }

  private sendInjected(
    res: ServerResponse,
    path: string,
    action: { status: number; reason?: string; message?: string; headers?: Record<string, string> },
  ): void {
    const error = injectedError(action.status, action.reason, action.message, action.headers ?? {});
    if (OAUTH_JSON_PATHS.has(path)) {
      const oauthError =
        action.reason ??
        (action.status >= 500
          ? 'internal_failure'
          : action.status === 401
            ? 'invalid_client'
            : 'invalid_request');
      sendJson(
        res,
        action.status,
        { error: oauthError, error_description: action.message ?? error.message },
        action.headers ?? {},
      );
    } else if (path.startsWith('/o/oauth2/')) {
      sendHtml(
        res,
        action.status,
        `<!doctype html><title>Error ${action.status}</title><p>Error ${action.status}: ${error.reason}</p>`,
      );
    } else {
      sendApiError(res, error);
    }
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', this.origin);
    const record: RequestRecord = {
      method,
      path: url.pathname,
      query: url.searchParams,
      status: 0,
      bytes: 0,
    };
    this.requests.push(record);
    res.on('finish', () => {
      record.status = res.statusCode;
    });
    const ctx: RequestContext = { url, record, dropAfterBytes: null, keepBytes: null };
    this.state.releaseScheduled();
    try {
      const action = this.takeFault(method, url, req.headers['content-range']);
      if (action !== null) {
        if ('delayMs' in action) await sleep(action.delayMs);
        else if ('holdAnswerMs' in action) holdAnswer(res, elapsed(action.holdAnswerMs));
        else if ('holdAnswerUntil' in action) holdAnswer(res, action.holdAnswerUntil);
        else if ('dropAfterBytes' in action) {
          const hasBody =
            Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
          if (!hasBody || action.dropAfterBytes <= 0) {
            req.socket.destroy();
            return;
          }
          ctx.dropAfterBytes = action.dropAfterBytes;
        } else if ('keepBytes' in action) {
          ctx.keepBytes = Math.max(0, action.keepBytes);
        } else {
          discardBody(req);
          this.sendInjected(res, url.pathname, action);
          return;
        }
      }
      await this.route(req, res, ctx);
    } catch (error) {
      if (error instanceof Dropped) {
        req.socket.destroy();
        return;
      }
      if (error instanceof ApiError) {
        if (res.headersSent) {
          res.destroy();
          return;
        }
        discardBody(req);
        sendApiError(res, error);
        return;
      }
      throw error;
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<void> {
    if (await this.oauth.handle(req, res, ctx)) return;
    const method = req.method ?? 'GET';
    const path = ctx.url.pathname;
    if (method === 'PUT' && path === '/upload/youtube/v3/videos' && ctx.url.searchParams.has('upload_id')) {
      await this.uploads.handlePut(req, res, ctx);
      return;
    }
    if (method === 'GET' && path === FEED_PATH) {
      discardBody(req);
      handleFeed(this.state, ctx.url, res);
      return;
    }
    const spec = routeOf(method, path);
    if (spec !== undefined) {
      if (path.startsWith('/upload/')) await this.uploads.handlePost(req, res, ctx, spec);
      else await this.api.handle(req, res, ctx, spec);
      return;
    }
    discardBody(req);
    sendHtml(
      res,
      404,
      `<!DOCTYPE html><html lang=en><meta charset=utf-8><title>Error 404 (Not Found)!!1</title>` +
        `<p><b>404.</b> <ins>That’s an error.</ins><p>The requested URL <code>${path.replace(/[<>&]/g, '')}</code> was not found on this server. <ins>That’s all we know.</ins>`,
    );
  }
}
