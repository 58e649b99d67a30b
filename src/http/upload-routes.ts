// The upload page and its tus endpoint, all under the capability the /upload reply links to:
//   GET  /u/<token>                  the page (names the member and what will be uploaded)
//   GET  /u/assets/<file>            its script, style and tus-js-client, from the bot itself
//   *    /u/<token>/files[/<id>]     tus 1.0 (creation, termination, expiration): only this link's job
//   GET  /u/<token>/status           the job's state for the page (the video id once it exists)
// An unknown, expired or used link gets a page saying so (404/410) that names nobody. Requests are
// rate limited per link. The token is never logged (routes are logged by their key).
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Server as TusServer, MemoryLocker } from '@tus/server';
import type { Logger } from '../logger.ts';
import { languageFromAcceptLanguage, t } from '../i18n/index.ts';
import { noteText } from '../uploads/notes.ts';
import type { JobRepository } from '../uploads/records.ts';
import { hashToken, type PageLinks } from '../uploads/page-links.ts';
import { RelayRefusal, type Relay } from '../uploads/relay.ts';
import { RelayStore, tusRequest } from './tus-store.ts';
import { sendPage } from './pages.ts';
import { sendJson, type Route } from './server.ts';
import { CHUNK_BYTES, uploadPage, type MemberInfo } from './upload-page.ts';

export interface UploadRoutesOptions {
  readonly links: PageLinks;
  readonly jobs: JobRepository;
  readonly relay: Relay;
  readonly publicUrl: string;
  readonly maxBytes: number;
  /** Bytes of each PATCH the page sends (a multiple of 256 KiB); 0: the rest of the file in one. */
  readonly chunkBytes?: number | undefined;
  begin(jobId: string, file: { size: number; filename: string }): Promise<unknown>;
  cancel(jobId: string, owner: string): Promise<unknown>;
  /** The member's display name and @username, for the page (undefined: their id is shown). */
  member(userId: string): Promise<MemberInfo | undefined>;
  readonly logger: Logger;
  /** Requests one link may make per minute. */
  readonly ratePerMinute?: number | undefined;
}

const require = createRequire(import.meta.url);
const ASSETS: Record<string, { file: string; type: string }> = {
  'upload.js': {
    file: join(import.meta.dirname, 'assets/upload.js'),
    type: 'text/javascript; charset=utf-8',
  },
  'upload.css': { file: join(import.meta.dirname, 'assets/upload.css'), type: 'text/css; charset=utf-8' },
  'tus.min.js': {
    file: join(require.resolve('tus-js-client/package.json'), '../dist/tus.min.js'),
    type: 'text/javascript; charset=utf-8',
  },
};

/**
 * The most a refused PATCH body is read to its end before the answer (one chunk and then some); a
 * longer one (a page sending the whole file in one PATCH) is answered at once and its connection closed.
 */
const drainLimit = (chunkBytes: number) => (chunkBytes > 0 ? chunkBytes : CHUNK_BYTES) + 16 * 1024 * 1024;

/** The pages of a link that opens nothing; they name nobody, so they speak the browser's language. */
const GONE = {
  unknown: { status: 404, title: 'page.upload.unknown.title', text: 'page.upload.unknown.text' },
  expired: { status: 410, title: 'page.upload.expired.title', text: 'page.upload.expired.text' },
  used: { status: 410, title: 'page.upload.used.title', text: 'page.upload.used.text' },
} as const;

/** The browser's language (Accept-Language). */
const browserLanguage = (req: IncomingMessage) => languageFromAcceptLanguage(req.headers['accept-language']);

export function uploadRoutes(o: UploadRoutesOptions): Record<string, Route> {
  const origin = new URL(o.publicUrl).origin;
  const tus = new TusServer({
    path: '/u',
    datastore: new RelayStore({
      jobs: o.jobs,
      relay: o.relay,
      begin: (jobId, file) => o.begin(jobId, file),
      cancel: (jobId, owner) => o.cancel(jobId, owner),
    }),
    locker: new MemoryLocker(),
    maxSize: o.maxBytes,
    relativeLocation: true,
    allowedOrigins: [origin],
    namingFunction: () => tusRequest.getStore()?.jobId ?? '',
    generateUrl: (req, { id }) => `${new URL(req.url).pathname.replace(/\/files\/?$/, '')}/files/${id}`,
    getFileIdFromRequest: (_req, last) => last,
    onResponseError: (_req, error) => {
      const known = error as { status_code?: number; body?: string };
      if (known.status_code === undefined) o.logger.warn({ err: error }, 'upload page request failed');
      return undefined;
    },
  });

  const hits = new Map<string, { minute: number; count: number }>();
  const limited = (key: string): boolean => {
    const minute = Math.floor(Date.now() / 60_000);
    const entry = hits.get(key);
    if (!entry || entry.minute !== minute) {
      if (hits.size > 10_000) hits.clear();
      hits.set(key, { minute, count: 1 });
      return false;
    }
    entry.count++;
    return entry.count > (o.ratePerMinute ?? 600);
  };

  const gonePage = (req: IncomingMessage, res: ServerResponse, kind: keyof typeof GONE) => {
    const { status, title, text } = GONE[kind];
    const locale = browserLanguage(req);
    sendPage(res, status, { locale, tone: 'error', title: t(locale, title), paragraphs: [t(locale, text)] });
  };

  const page: Route = async (req, res, url) => {
    const token = url.pathname.slice('/u/'.length);
    if (limited(hashToken(token))) return sendJson(res, 429, { error: 'too many requests' });
    const state = await o.links.resolve(token);
    if (state.kind !== 'open') return gonePage(req, res, state.kind);
    const { job } = state;
    // The member's language (kept with the job since /upload); a job recorded before: the browser's.
    const locale = job.locale ?? browserLanguage(req);
    const html = uploadPage({
      token,
      job,
      member: (await o.member(job.owner).catch(() => undefined)) ?? {
        displayName: t(locale, 'page.upload.someone'),
        username: job.owner,
      },
      maxBytes: o.maxBytes,
      chunkBytes: o.chunkBytes,
      locale,
    });
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy':
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'content-length': Buffer.byteLength(html),
    });
    res.end(html);
  };

  const asset: Route = async (_req, res, url) => {
    const found = ASSETS[url.pathname.slice('/u/assets/'.length)];
    if (!found) return sendJson(res, 404, { error: 'not found' });
    const body = await readFile(found.file);
    res.writeHead(200, {
      'content-type': found.type,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      'content-length': body.length,
    });
    res.end(body);
  };

  const deep: Route = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const match = /^\/u\/([^/]+)\/(files(?:\/([^/]+))?|status)\/?$/.exec(url.pathname);
    const token = match?.[1];
    if (!match || !token) {
      req.resume();
      return sendJson(res, 404, { error: 'not found' });
    }
    if (limited(hashToken(token))) {
      req.resume();
      return sendJson(res, 429, { error: 'too many requests' });
    }
    const state = await o.links.resolve(token);
    if (match[2] === 'status') {
      if (req.method !== 'GET' || state.kind === 'unknown' || state.kind === 'expired')
        return sendJson(res, state.kind === 'expired' ? 410 : 404, { error: 'not found' });
      const { job } = state;
      return sendJson(res, 200, {
        state: job.status,
        videoId: job.videoId ?? null,
        received: job.received,
        size: job.source.size,
        // In the member's language (the one of their /upload), as the progress message says it.
        message:
          (job.status === 'failed' || job.status === 'cancelled') && job.outcome !== undefined
            ? noteText(job.locale, job.outcome)
            : null,
      });
    }
    if (state.kind !== 'open') {
      req.resume();
      return sendJson(res, state.kind === 'unknown' ? 404 : 410, {
        error: state.kind === 'unknown' ? 'not found' : 'gone',
      });
    }
    // Only this link's own upload: any other id is unknown here, whoever's it is.
    const id = match[3];
    if (id !== undefined && id !== state.job.id) {
      req.resume();
      return sendJson(res, 404, { error: 'not found' });
    }
    if (id === undefined && req.method !== 'POST' && req.method !== 'OPTIONS') {
      req.resume();
      return sendJson(res, 404, { error: 'not found' });
    }
    const length = req.headers['content-length'];
    const contentLength = length !== undefined && /^\d{1,16}$/.test(length) ? Number(length) : undefined;
    if (req.method === 'PATCH' && id !== undefined) return patch(req, res, state.job.id, contentLength);
    await tusRequest.run({ jobId: state.job.id, owner: state.job.owner, contentLength }, () =>
      tus.handle(req, res),
    );
  };

  /**
   * PATCH is served here rather than by @tus/server: its handler turns the request into a web stream
   * and back (a promise per chunk), which measurably slowed the relay on a small machine; this reads
   * the socket's own stream. The same tus rules: Tus-Resumable, the content type, Upload-Offset
   * (409 when it is not the upload's), the length (413 over what remains), 204 with Upload-Offset.
   */
  async function patch(req: IncomingMessage, res: ServerResponse, jobId: string, length: number | undefined) {
    const answer = async (status: number, body: string, headers: Record<string, string> = {}) => {
      // A refusal before the body was read: read it to its end first (up to one chunk), so the
      // client hears the answer instead of a connection reset in the middle of its sending.
      const drain =
        !req.complete && !req.destroyed && (length ?? Infinity) <= drainLimit(o.chunkBytes ?? CHUNK_BYTES);
      if (drain) {
        req.resume();
        await new Promise<void>((resolve) => {
          req.once('end', resolve);
          req.once('close', resolve);
        });
      } else if (!req.complete) req.resume();
      res.writeHead(status, {
        'tus-resumable': '1.0.0',
        'cache-control': 'no-store',
        ...(status >= 400 && !req.complete ? { connection: 'close' } : {}),
        ...(body
          ? { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) }
          : {}),
        ...headers,
      });
      res.end(body);
    };
    if (req.headers['tus-resumable'] !== '1.0.0') return answer(412, 'Tus-Resumable Required');
    if (req.headers['content-type'] !== 'application/offset+octet-stream')
      return answer(415, 'Content-Type must be application/offset+octet-stream');
    const offsetText = req.headers['upload-offset'];
    if (typeof offsetText !== 'string' || !/^\d{1,16}$/.test(offsetText))
      return answer(400, 'Upload-Offset missing');
    try {
      const offset = await o.relay.write(jobId, req, Number(offsetText), length);
      await answer(204, '', { 'upload-offset': String(offset) });
    } catch (error) {
      if (error instanceof RelayRefusal) return answer(error.status_code, error.body);
      o.logger.warn({ err: error }, 'upload page chunk failed');
      await answer(500, 'Something went wrong; the upload continues by itself.');
    }
  }

  return {
    'GET /u/*': page,
    'GET /u/assets/*': asset,
    '* /u/**': deep,
  };
}

export { CHUNK_BYTES };
