// YouTube's resumable upload protocol over undici, one request per function: create the session,
// ask it how much it stored, stream the rest in one PUT. No retries here — the pipeline decides —
// but every failure leaves as an UploadError whose message a member can read. Bodies are streamed,
// never buffered; only small JSON answers are read whole (and bounded).
import { Transform, type Readable } from 'node:stream';
import type { youtube_v3 } from '@googleapis/youtube';
import type { OAuth2Client } from 'google-auth-library';
import { request, type Dispatcher } from 'undici';
import { googleReasonError, isNetworkError, UserError } from '../errors.ts';
import { t, type Values } from '../i18n/index.ts';
import { metrics } from '../metrics.ts';

export interface VideoMetadata {
  snippet: { title: string; description: string; tags?: string[]; categoryId: string };
  status: {
    privacyStatus: 'public' | 'private' | 'unlisted';
    publishAt?: string;
    selfDeclaredMadeForKids?: boolean;
    containsSyntheticMedia?: boolean;
  };
}

/** Gives a valid access token; refresh() forces a new one (used once after a 401). */
export interface TokenSource {
  get(): Promise<string>;
  refresh(): Promise<string>;
}

/**
 * Tokens of an OAuth2Client. A refresh goes through the client, so its 'tokens' event fires and
 * whoever listens (oauth.withClient) persists the new access token. An `invalid_grant` from the
 * refresh propagates unchanged.
 */
export function tokenSource(client: OAuth2Client): TokenSource {
  const token = async (): Promise<string> => {
    const { token } = await client.getAccessToken();
    if (!token) throw new Error('google-auth-library returned no access token');
    return token;
  };
  return {
    get: token,
    refresh: async () => {
      // Dropping the cached access token makes getAccessToken refresh (and emit 'tokens').
      client.setCredentials({ ...client.credentials, access_token: null, expiry_date: null });
      return token();
    },
  };
}

export type SessionStatus =
  { kind: 'incomplete'; received: number } | { kind: 'complete'; video: youtube_v3.Schema$Video };

export type UploadErrorKind =
  | 'quota'
  | 'upload_limit'
  | 'forbidden'
  | 'invalid'
  | 'auth'
  | 'session_gone'
  | 'source_gone'
  /** The attachment URL (or a redirect) points outside the allowed hosts; nothing was fetched there. */
  | 'source_refused'
  | 'network'
  | 'server'
  | 'cancelled'
  | 'too_many_retries';

/** A sentence of an UploadError by key (src/i18n/locales), with its values. */
export interface UploadText {
  readonly key: string;
  readonly values?: Values | undefined;
}

/** The sentence `key` (with `values`) of an UploadError. */
export const say = (key: string, values?: Values): UploadText => ({ key, ...(values ? { values } : {}) });

/**
 * Every failure the engine reports: a sentence safe to show a member (hence a UserError, which
 * classifyError shows as it is). Given by key, it is drawn in the reader's language wherever it is
 * shown (`in(locale)`, `text`); `message` is its English. `reason` is Google's error reason, `status`
 * the HTTP status, `retryAfterMs` a Retry-After the server sent; the original error is the `cause`.
 */
export class UploadError extends UserError {
  readonly kind: UploadErrorKind;
  readonly reason: string | undefined;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(
    kind: UploadErrorKind,
    sentence: UploadText | string,
    more: {
      reason?: string | undefined;
      status?: number | undefined;
      retryAfterMs?: number | undefined;
      cause?: unknown;
    } = {},
  ) {
    const keyed =
      typeof sentence === 'string' ? undefined : { key: sentence.key, values: sentence.values ?? {} };
    super(keyed ? t('en', keyed.key, keyed.values) : (sentence as string), {
      ...(more.cause === undefined ? {} : { cause: more.cause }),
      ...(keyed ? { text: keyed } : {}),
    });
    this.name = 'UploadError';
    this.kind = kind;
    this.reason = more.reason;
    this.status = more.status;
    this.retryAfterMs = more.retryAfterMs;
  }
}

/** The engine's sentences, by key (`upload.failure.*`; English as it always read). */
export const MESSAGES = {
  cancelled: say('upload.failure.cancelled'),
  network: say('upload.failure.network'),
  server: (status: number) => say('upload.failure.server', { status: String(status) }),
  unexpected: say('upload.failure.unexpected'),
  sessionGone: say('upload.failure.sessionGone'),
  auth: say('upload.failure.auth'),
  forbidden: say('upload.failure.forbidden'),
  invalid: say('upload.failure.invalid'),
  rateLimited: say('upload.failure.rateLimited'),
  sourceRead: say('upload.failure.sourceRead'),
} as const;

/** Largest error or video JSON read into memory; Google's answers are a few KiB. */
const SMALL_BODY_LIMIT = 1 << 20;

/** Retry-After as milliseconds (delta-seconds or an HTTP date), or undefined. */
export function retryAfterMs(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === '') return undefined;
  if (/^\d+$/.test(text.trim())) return Number(text.trim()) * 1000;
  const when = Date.parse(text);
  return Number.isNaN(when) ? undefined : Math.max(0, when - now);
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Reads a small body as text, giving up (and destroying it) past `limit` bytes. */
export async function readSmall(
  body: Dispatcher.ResponseData['body'],
  limit = SMALL_BODY_LIMIT,
): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) {
      discard(body);
      break;
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function reasonOf(json: unknown): string | undefined {
  const error = (json as { error?: unknown } | undefined)?.error;
  if (typeof error === 'string') return error;
  const errors = (error as { errors?: { reason?: unknown }[] } | undefined)?.errors;
  const reason = Array.isArray(errors) ? errors[0]?.reason : undefined;
  return typeof reason === 'string' ? reason : undefined;
}

/** Destroys a stream nobody will read, without an unhandled 'error' (undici bodies error when cut short). */
export function discard(stream: Readable): void {
  stream.on('error', () => {});
  stream.destroy();
}

/**
 * Turns a Google error answer into an UploadError (the body is read, bounded). 404 and 410 mean a
 * lost session only on the session URI.
 */
async function responseError(res: Dispatcher.ResponseData, onSession = true): Promise<UploadError> {
  const status = res.statusCode;
  metrics.apiError('google', status);
  const reason = reasonOf(parseJson(await readSmall(res.body).catch(() => '')));
  const more = { reason, status, retryAfterMs: retryAfterMs(res.headers['retry-after']) };
  const known = googleReasonError(reason)?.text;
  if (status >= 500) return new UploadError('server', MESSAGES.server(status), more);
  switch (reason) {
    case 'quotaExceeded':
      return new UploadError('quota', known ?? MESSAGES.rateLimited, more);
    case 'rateLimitExceeded':
    case 'userRateLimitExceeded':
      return new UploadError('quota', known ?? MESSAGES.rateLimited, more);
    case 'uploadLimitExceeded':
      return new UploadError('upload_limit', known ?? MESSAGES.invalid, more);
    case 'forbidden':
    case 'insufficientPermissions':
    case 'youtubeSignupRequired':
      return new UploadError('forbidden', known ?? MESSAGES.forbidden, more);
  }
  if (onSession && (status === 404 || status === 410)) {
    return new UploadError('session_gone', MESSAGES.sessionGone, more);
  }
  if (status === 401)
    return new UploadError('auth', googleReasonError('authError')?.text ?? MESSAGES.auth, more);
  if (status === 403) return new UploadError('forbidden', known ?? MESSAGES.forbidden, more);
  if (status === 429) return new UploadError('quota', MESSAGES.rateLimited, more);
  if (status >= 400) return new UploadError('invalid', known ?? MESSAGES.invalid, more);
  return new UploadError('server', MESSAGES.unexpected, more);
}

/** A transport failure as an UploadError: cancelled, a dropped connection, or (unknown) rethrown as is. */
export function transportError(
  error: unknown,
  signal: AbortSignal | undefined,
  message: UploadText = MESSAGES.network,
): unknown {
  if (error instanceof UploadError) return error;
  if (signal?.aborted === true) return new UploadError('cancelled', MESSAGES.cancelled, { cause: error });
  const code = (error as { code?: unknown } | undefined)?.code;
  if (isNetworkError(error) || code === 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH' || code === 'UND_ERR_ABORTED') {
    return new UploadError('network', message, { cause: error });
  }
  return error;
}

async function send(
  url: string,
  options: {
    method: 'POST' | 'PUT';
    headers: Record<string, string>;
    body?: string | Readable;
    dispatcher?: Dispatcher | undefined;
  },
  signal: AbortSignal | undefined,
): Promise<Dispatcher.ResponseData> {
  if (signal?.aborted === true) throw new UploadError('cancelled', MESSAGES.cancelled);
  const { dispatcher, ...rest } = options;
  try {
    return await request(url, {
      ...rest,
      ...(dispatcher ? { dispatcher } : {}),
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    throw transportError(error, signal);
  }
}

/** `Range: bytes=0-N` → N+1; no Range → 0. */
function receivedOf(res: Dispatcher.ResponseData, size: number): number {
  const range = header(res.headers, 'range');
  if (range === undefined) return 0;
  const match = /^bytes=0-(\d+)$/.exec(range.trim());
  const received = match ? Number(match[1]) + 1 : NaN;
  if (!Number.isSafeInteger(received) || received > size) {
    throw new UploadError('server', MESSAGES.unexpected, { status: 308 });
  }
  return received;
}

/** Reads a 200/201/308 answer into a SessionStatus; anything else becomes an UploadError. */
async function sessionStatus(res: Dispatcher.ResponseData, size: number): Promise<SessionStatus> {
  if (res.statusCode === 308) {
    await res.body.dump();
    return { kind: 'incomplete', received: receivedOf(res, size) };
  }
  if (res.statusCode === 200 || res.statusCode === 201) {
    const video = parseJson(await readSmall(res.body)) as youtube_v3.Schema$Video | undefined;
    if (typeof video?.id !== 'string') {
      throw new UploadError('server', MESSAGES.unexpected, { status: res.statusCode });
    }
    return { kind: 'complete', video };
  }
  throw await responseError(res);
}

const withSlash = (root: string) => (root.endsWith('/') ? root : `${root}/`);

/**
 * POST {rootUrl}upload/youtube/v3/videos?uploadType=resumable&part=snippet,status: opens a session
 * for `size` bytes and returns its URI exactly as Google gave it in `Location`.
 */
export async function createSession(o: {
  rootUrl: string;
  token: TokenSource;
  metadata: VideoMetadata;
  size: number;
  contentType: string;
  notifySubscribers: boolean;
  dispatcher?: Dispatcher | undefined;
  signal?: AbortSignal | undefined;
}): Promise<string> {
  const url =
    `${withSlash(o.rootUrl)}upload/youtube/v3/videos?uploadType=resumable&part=snippet,status` +
    (o.notifySubscribers ? '' : '&notifySubscribers=false');
  const res = await send(
    url,
    {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await o.token.get()}`,
        'content-type': 'application/json; charset=UTF-8',
        'x-upload-content-length': String(o.size),
        'x-upload-content-type': o.contentType,
      },
      body: JSON.stringify(o.metadata),
      dispatcher: o.dispatcher,
    },
    o.signal,
  );
  if (res.statusCode !== 200 && res.statusCode !== 201) throw await responseError(res, false);
  await res.body.dump();
  const location = header(res.headers, 'location');
  if (location === undefined || location === '') {
    throw new UploadError('server', MESSAGES.unexpected, { status: res.statusCode });
  }
  // Used exactly as returned; only a (never seen) relative Location is resolved against the request.
  const session = URL.canParse(location) ? location : new URL(location, url).href;
  // Every PUT to it carries the member's token: it must be Google's own upload host.
  if (new URL(session).origin !== new URL(url).origin) {
    throw new UploadError('server', MESSAGES.unexpected, { status: res.statusCode });
  }
  return session;
}

/** PUT <session> with `Content-Range: bytes *\/SIZE`: how much Google stored, or the finished video. */
export async function querySession(o: {
  sessionUri: string;
  size: number;
  token: TokenSource;
  dispatcher?: Dispatcher | undefined;
  signal?: AbortSignal | undefined;
}): Promise<SessionStatus> {
  const res = await send(
    o.sessionUri,
    {
      method: 'PUT',
      headers: {
        authorization: `Bearer ${await o.token.get()}`,
        'content-length': '0',
        'content-range': `bytes */${o.size}`,
      },
      dispatcher: o.dispatcher,
    },
    o.signal,
  );
  return sessionStatus(res, o.size);
}

/** What sendFrom and sendRange are given. */
interface SendOptions {
  sessionUri: string;
  size: number;
  offset: number;
  body: Readable;
  token: TokenSource;
  dispatcher?: Dispatcher | undefined;
  signal?: AbortSignal | undefined;
  onSent?: ((bytesOfThisRequest: number) => void) | undefined;
}

/** The PUT both send: `length` bytes of `body` at o.offset (`Content-Range: bytes OFFSET-END/SIZE`). */
async function putBytes(
  o: SendOptions,
  length: number,
  authorization: string,
  body: Readable,
): Promise<SessionStatus> {
  const res = await send(
    o.sessionUri,
    {
      method: 'PUT',
      headers: {
        authorization,
        'content-length': String(length),
        'content-range': `bytes ${o.offset}-${o.offset + length - 1}/${o.size}`,
      },
      body,
      dispatcher: o.dispatcher,
    },
    o.signal,
  );
  return sessionStatus(res, o.size);
}

/**
 * ONE streaming PUT of bytes offset..size-1 (`Content-Range: bytes OFFSET-(SIZE-1)/SIZE`), the way
 * Google recommends. `body` must yield exactly size-offset bytes; it is consumed with backpressure
 * and destroyed whatever happens. `onSent` gets the bytes of this request handed to the socket so
 * far. A failure of the body itself becomes UploadError 'network' with a Discord-side message (or
 * the body's own UploadError).
 */
export async function sendFrom(o: SendOptions): Promise<SessionStatus> {
  const { body, onSent } = o;
  let sent = 0;
  let bodyError: unknown;
  // The counter is what undici reads. A failure of the body reaches undici through it (and is
  // remembered as the body's); when undici drops the counter (the PUT failed or was answered
  // early), the body is destroyed with it, without an error of its own.
  const counter = new Transform({
    highWaterMark: 64 * 1024,
    transform(chunk: Buffer, _encoding, callback) {
      sent += chunk.length;
      metrics.bytesSent(chunk.length);
      onSent?.(sent);
      callback(null, chunk);
    },
  });
  let closing = false;
  counter.on('error', () => {}); // reported through the request's rejection
  counter.on('close', () => {
    closing = true; // an undici body destroyed early errors with "aborted": that is not the body's failure
    body.destroy();
  });
  body.on('error', (error) => {
    if (closing) return;
    bodyError ??= error;
    counter.destroy(error);
  });
  try {
    if (o.offset < 0 || o.offset >= o.size) throw new RangeError(`sendFrom: offset ${o.offset} of ${o.size}`);
    const authorization = `Bearer ${await o.token.get()}`;
    // A body that died while it waited (its error went unheard) would leave the PUT waiting forever.
    if (body.destroyed) {
      bodyError = body.errored ?? new Error('the body was closed before the upload started');
      throw bodyError;
    }
    body.pipe(counter);
    return await putBytes(o, o.size - o.offset, authorization, counter);
  } catch (error) {
    if (bodyError !== undefined && o.signal?.aborted !== true) {
      throw bodyError instanceof UploadError
        ? bodyError
        : new UploadError('network', MESSAGES.sourceRead, { cause: bodyError });
    }
    throw error;
  } finally {
    counter.destroy();
  }
}

/**
 * ONE streaming PUT of bytes offset..offset+length-1 (`Content-Range: bytes OFFSET-END/SIZE`): a
 * chunk of the session, for a relay whose bytes arrive in pieces (a browser's tus PATCHes). Unless
 * it is the last, a chunk must be a multiple of 256 KiB (YouTube's rule). `body` must yield exactly
 * `length` bytes; a shorter one fails the PUT (UploadError 'network'), and Google keeps what it
 * kept — ask with querySession.
 */
export async function sendRange(o: SendOptions & { length: number }): Promise<SessionStatus> {
  const { body, onSent } = o;
  if (o.offset < 0 || o.length <= 0 || o.offset + o.length > o.size) {
    throw new RangeError(`sendRange: ${o.length} bytes at ${o.offset} of ${o.size}`);
  }
  let sent = 0;
  const counter = new Transform({
    highWaterMark: 64 * 1024,
    transform(chunk: Buffer, _encoding, callback) {
      sent += chunk.length;
      if (sent > o.length) {
        callback(new UploadError('network', MESSAGES.network));
        return;
      }
      metrics.bytesSent(chunk.length);
      onSent?.(sent);
      callback(null, chunk);
    },
  });
  counter.on('error', () => {});
  body.on('error', (error) => counter.destroy(error));
  // pipe() forwards an end, not a close: a body destroyed without an error (a browser that went away
  // mid-request) would leave the PUT waiting for bytes that never come, holding the upload's slot.
  body.on('close', () => {
    if (!body.readableEnded) counter.destroy(body.errored ?? new UploadError('network', MESSAGES.network));
  });
  try {
    const authorization = `Bearer ${await o.token.get()}`;
    if (body.destroyed && !body.readableEnded) throw new UploadError('network', MESSAGES.network);
    body.pipe(counter);
    return await putBytes(o, o.length, authorization, counter);
  } finally {
    counter.destroy();
  }
}
