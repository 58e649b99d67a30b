// The upload's source: the attachment on Discord's CDN, streamed (never buffered) and read again
// from an offset with HTTP Range when an upload resumes. Discord does not document Range support,
// so a resume trusts only a 206 whose Content-Range starts where asked; anything else downloads
// from the start and throws away the bytes before the offset. Only allowed hosts are ever fetched,
// redirects included.
import { Transform, pipeline, type Readable } from 'node:stream';
import { request, type Dispatcher } from 'undici';
import { discard, retryAfterMs, say, transportError, UploadError } from '../google/resumable.ts';

const MAX_REDIRECTS = 3;

/** The source's sentences, by key (`upload.failure.source*`), drawn in the member's language. */
export const SOURCE_MESSAGES = {
  gone: say('upload.failure.sourceGone'),
  changed: say('upload.failure.sourceChanged'),
  refused: say('upload.failure.sourceRefused'),
  network: say('upload.failure.sourceNetwork'),
  server: (status: number) => say('upload.failure.sourceServer', { status: String(status) }),
} as const;

/** The URL parsed, if its scheme is http(s) and its host[:port] is allowed; otherwise 'source_refused'. */
export function allowedUrl(url: string, allowedHosts: readonly string[]): URL {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (
    parsed === undefined ||
    (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') ||
    parsed.username !== '' ||
    parsed.password !== '' ||
    !allowedHosts.some((host) => host.toLowerCase() === parsed.host.toLowerCase())
  ) {
    throw new UploadError('source_refused', SOURCE_MESSAGES.refused);
  }
  return parsed;
}

interface GetOptions {
  url: string;
  allowedHosts: readonly string[];
  range?: string | undefined;
  dispatcher?: Dispatcher | undefined;
  signal?: AbortSignal | undefined;
}

/** GET with redirects followed only to allowed hosts; answers other than 2xx become UploadErrors. */
async function get(o: GetOptions): Promise<Dispatcher.ResponseData> {
  let url = allowedUrl(o.url, o.allowedHosts);
  for (let hops = 0; ; hops++) {
    if (o.signal?.aborted === true) throw transportError(o.signal.reason, o.signal);
    let res: Dispatcher.ResponseData;
    try {
      res = await request(url, {
        method: 'GET',
        headers: o.range === undefined ? {} : { range: o.range },
        ...(o.dispatcher ? { dispatcher: o.dispatcher } : {}),
        ...(o.signal ? { signal: o.signal } : {}),
      });
    } catch (error) {
      throw transportError(error, o.signal, SOURCE_MESSAGES.network);
    }
    const status = res.statusCode;
    if (status >= 200 && status < 300) return res;
    await res.body.dump().catch(() => undefined);
    const location = res.headers['location'];
    if (status >= 300 && status < 400 && typeof location === 'string' && hops < MAX_REDIRECTS) {
      url = allowedUrl(new URL(location, url).href, o.allowedHosts);
      continue;
    }
    const more = { status, retryAfterMs: retryAfterMs(res.headers['retry-after']) };
    if (status === 429 || status >= 500)
      throw new UploadError('server', SOURCE_MESSAGES.server(status), more);
    if (status === 416) throw new UploadError('source_gone', SOURCE_MESSAGES.changed, more);
    if (status >= 300 && status < 400) throw new UploadError('source_refused', SOURCE_MESSAGES.refused, more);
    throw new UploadError('source_gone', SOURCE_MESSAGES.gone, more);
  }
}

/** `bytes a-b/total` (total may be `*`). */
function parseContentRange(
  value: unknown,
): { start: number; end: number; total: number | undefined } | undefined {
  const match = typeof value === 'string' ? /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(value.trim()) : null;
  if (!match) return undefined;
  return {
    start: Number(match[1]),
    end: Number(match[2]),
    total: match[3] === '*' ? undefined : Number(match[3]),
  };
}

function contentLength(res: Dispatcher.ResponseData): number | undefined {
  const value = res.headers['content-length'];
  return typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : undefined;
}

/** Drops the first `n` bytes of a stream, then passes the rest through; calls `done` once they are gone. */
function skipFirst(n: number, done: () => void): Transform {
  let left = n;
  return new Transform({
    highWaterMark: 64 * 1024,
    transform(chunk: Buffer, _encoding, callback) {
      if (left === 0) return callback(null, chunk);
      if (chunk.length <= left) {
        left -= chunk.length;
        if (left === 0) done();
        return callback();
      }
      const rest = chunk.subarray(left);
      left = 0;
      done();
      callback(null, rest);
    },
  });
}

/**
 * Streams bytes [offset, size) of the attachment. Only hosts in allowedHosts (host[:port], compared
 * case-insensitively) are fetched — otherwise UploadError 'source_refused', before any request; a
 * redirect elsewhere is refused too. Resumes only on 206 with a Content-Range starting at `offset`;
 * on 200 (Range ignored) it downloads from 0 and discards the first `offset` bytes, reported through
 * `onDiscarded` once dropped. 403/404/410 → 'source_gone'; a size other than `size` → 'source_gone'
 * (the file changed); 429/5xx → 'server' (retriable); a dropped connection → 'network' (retriable).
 * Errors of the returned stream mid-way are the transport's own (the caller wraps them).
 */
export async function openSource(o: {
  url: string;
  size: number;
  offset: number;
  allowedHosts: readonly string[];
  dispatcher?: Dispatcher | undefined;
  signal?: AbortSignal | undefined;
  onDiscarded?: ((n: number) => void) | undefined;
}): Promise<Readable> {
  const base = { url: o.url, allowedHosts: o.allowedHosts, dispatcher: o.dispatcher, signal: o.signal };
  const changed = (status: number) => new UploadError('source_gone', SOURCE_MESSAGES.changed, { status });
  if (o.offset < 0 || o.offset >= o.size) throw new RangeError(`openSource: offset ${o.offset} of ${o.size}`);
  let res = await get({ ...base, range: o.offset > 0 ? `bytes=${o.offset}-${o.size - 1}` : undefined });
  if (res.statusCode === 206) {
    const range = parseContentRange(res.headers['content-range']);
    if (range?.total !== undefined && range.total !== o.size) {
      discard(res.body);
      throw changed(206);
    }
    if (range?.start === o.offset && range.end === o.size - 1) return res.body;
    // A partial answer that is not the part asked for: start again without Range.
    discard(res.body);
    res = await get(base);
    if (res.statusCode !== 200) {
      discard(res.body);
      throw changed(res.statusCode);
    }
  }
  if (res.statusCode !== 200) {
    discard(res.body);
    throw changed(res.statusCode);
  }
  const length = contentLength(res);
  if (length !== undefined && length !== o.size) {
    discard(res.body);
    throw changed(200);
  }
  if (o.offset === 0) return res.body;
  const offset = o.offset;
  return pipeline(
    res.body,
    skipFirst(offset, () => o.onDiscarded?.(offset)),
    () => {}, // errors reach the consumer through the returned stream
  );
}

/** First up to n bytes of the attachment (for content sniffing), via Range bytes=0-(n-1), same host rules. */
export async function readHead(o: {
  url: string;
  n: number;
  allowedHosts: readonly string[];
  dispatcher?: Dispatcher | undefined;
  signal?: AbortSignal | undefined;
}): Promise<Buffer> {
  if (o.n <= 0) return Buffer.alloc(0);
  let res: Dispatcher.ResponseData;
  try {
    res = await get({
      url: o.url,
      allowedHosts: o.allowedHosts,
      range: `bytes=0-${o.n - 1}`,
      dispatcher: o.dispatcher,
      signal: o.signal,
    });
  } catch (error) {
    // An empty file cannot satisfy any range.
    if (error instanceof UploadError && error.status === 416) return Buffer.alloc(0);
    throw error;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  res.body.on('error', () => {}); // leaving the loop early destroys the body, which then errors "aborted"
  try {
    for await (const chunk of res.body) {
      chunks.push(chunk as Buffer);
      size += (chunk as Buffer).length;
      if (size >= o.n) break; // a 200 sends the whole file: stop reading
    }
  } catch (error) {
    throw transportError(error, o.signal, SOURCE_MESSAGES.network);
  } finally {
    discard(res.body);
  }
  return Buffer.concat(chunks, size).subarray(0, o.n);
}
