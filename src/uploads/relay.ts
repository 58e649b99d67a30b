// The browser source of a job's bytes: the member's upload page sends the file to the bot over tus,
// one PATCH per chunk, and each PATCH is relayed as it arrives into YouTube's resumable session as
// one PUT with `Content-Range: bytes OFF-END/TOTAL`. Nothing is spooled: the offset the bot gives
// the page (tus Upload-Offset, HEAD) is the offset YouTube acknowledged (its 308 Range, or the
// status query), so a dropped connection on either leg, a reload or a restart of the bot resumes
// from what YouTube kept. Memory stays bounded by the streams' high-water marks.
//
// A job relays only while it holds an upload slot (`serve`, called by the runner in run.ts): a
// PATCH that comes while the job waits for its slot waits a little, then is told to try again.
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { youtube_v3 } from '@googleapis/youtube';
import type { Dispatcher } from 'undici';
import {
  createSession,
  MESSAGES,
  querySession,
  say,
  sendRange,
  tokenSource,
  UploadError,
  type SessionStatus,
  type TokenSource,
} from '../google/resumable.ts';
import type { OAuthService } from '../google/oauth.ts';
import type { Logger } from '../logger.ts';
import type { JobRecord, JobRepository } from './records.ts';
import { SNIFF_BYTES, sniffVideo } from './sniff.ts';

/** YouTube's unit: every chunk but the last must be a multiple of it. */
export const CHUNK_UNIT = 256 * 1024;

/**
 * Progress goes to the job every MiB or every tenth of a second (as the attachment engine's does):
 * a report per socket read (16–64 KiB) is garbage the bot pays for with CPU it needs for relaying.
 */
const PROGRESS_BYTES = 1024 * 1024;
const PROGRESS_MS = 100;

/** A refusal the page is told as an HTTP status and one sentence (the shape tus servers answer). */
export class RelayRefusal extends Error {
  readonly status_code: number;
  readonly body: string;
  constructor(status: number, message: string) {
    super(message);
    this.status_code = status;
    this.body = message;
  }
}

/** A file that is not a video YouTube takes (drawn in the member's language, like every UploadError). */
export const NOT_A_VIDEO = (name: string) =>
  say('upload.failure.notAVideo', { name: `\`${name.replace(/`/g, "'")}\`` });

export const IDLE_MESSAGE = say('upload.failure.idle');

export interface ServeHooks {
  sessionUri: string | undefined;
  onSession(uri: string | undefined): Promise<void>;
  onAcknowledged(received: number): Promise<void>;
  /** Bytes of the file handed to YouTube so far (acknowledged + the current chunk's). */
  onProgress(sent: number, finishing: boolean): void;
  beforeSession(): Promise<void>;
  signal: AbortSignal;
}

export interface RelayResult {
  video: youtube_v3.Schema$Video;
  resentBytes: number;
  restarts: number;
  retries: number;
}

interface Serving {
  readonly job: JobRecord;
  readonly token: TokenSource;
  readonly hooks: ServeHooks;
  uri: string | undefined;
  acked: number;
  known: boolean;
  busy: boolean;
  /** Restarted at each chunk: a page gone for good must not hold an upload slot forever. */
  idle: NodeJS.Timeout | undefined;
  /** The request relaying now: a newer one cuts it off. */
  current: { abort(): Promise<void> } | undefined;
  resentBytes: number;
  restarts: number;
  retries: number;
  done(video: youtube_v3.Schema$Video): void;
  fail(error: unknown): void;
}

export interface RelayDeps {
  readonly jobs: JobRepository;
  readonly oauth: OAuthService;
  readonly rootUrl: string;
  readonly logger: Logger;
  readonly dispatcher?: Dispatcher | undefined;
  /** How long a PATCH waits for its job's slot before the page is told to try again. */
  readonly slotWaitMs?: number | undefined;
  /** A page that sends nothing for this long gives its slot up: the upload stops (default 1 hour). */
  readonly idleMs?: number | undefined;
  /**
   * A PATCH came for a job this process does not relay: its lease follows the bytes, so the upload
   * service takes the job here when no live process holds it (src/uploads/jobs.ts `wanted`).
   */
  readonly onWanted?: ((jobId: string) => void) | undefined;
}

/** Reads at least `n` bytes (fewer only when the stream ends) and puts them back. */
async function peek(body: Readable, n: number): Promise<{ head: Buffer; body: Readable }> {
  const parts: Buffer[] = [];
  let have = 0;
  while (have < n) {
    const chunk = body.read() as Buffer | null;
    if (chunk !== null) {
      parts.push(chunk);
      have += chunk.length;
      continue;
    }
    if (body.readableEnded || body.destroyed) break;
    await new Promise<void>((resolve) => {
      const done = () => {
        for (const event of ['readable', 'end', 'error', 'close']) body.off(event, done);
        resolve();
      };
      for (const event of ['readable', 'end', 'error', 'close']) body.on(event, done);
    });
  }
  const head = Buffer.concat(parts);
  if (body.readableEnded || body.destroyed) return { head, body: Readable.from([head]) };
  body.unshift(head);
  return { head, body };
}

export function createRelay(deps: RelayDeps) {
  const { jobs, logger } = deps;
  const serving = new Map<string, Serving>();
  const waiting = new Map<string, Set<() => void>>();
  const net = deps.dispatcher ? { dispatcher: deps.dispatcher } : {};

  const wake = (jobId: string) => {
    for (const resolve of waiting.get(jobId) ?? []) resolve();
    waiting.delete(jobId);
  };

  async function slotFor(jobId: string): Promise<Serving | undefined> {
    const now = serving.get(jobId);
    if (now) return now;
    deps.onWanted?.(jobId);
    await new Promise<void>((resolve) => {
      const set = waiting.get(jobId) ?? new Set();
      const timer = setTimeout(() => {
        set.delete(done);
        resolve();
      }, deps.slotWaitMs ?? 25_000);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      set.add(done);
      waiting.set(jobId, set);
    });
    return serving.get(jobId);
  }

  async function query(entry: Serving): Promise<SessionStatus | undefined> {
    if (entry.uri === undefined) return undefined;
    const status = await querySession({
      sessionUri: entry.uri,
      size: entry.job.source.size,
      token: entry.token,
      signal: entry.hooks.signal,
      ...net,
    });
    if (status.kind === 'complete') {
      entry.acked = entry.job.source.size;
      entry.done(status.video);
    } else await acknowledge(entry, status.received);
    entry.known = true;
    return status;
  }

  function idleFrom(entry: Serving): void {
    clearTimeout(entry.idle);
    entry.idle = setTimeout(() => {
      if (entry.busy) return idleFrom(entry);
      logger.info({ jobId: entry.job.id }, 'the upload page stopped sending; upload stopped');
      entry.fail(new UploadError('source_gone', IDLE_MESSAGE));
    }, deps.idleMs ?? 3600_000);
    entry.idle.unref();
  }

  async function acknowledge(entry: Serving, received: number): Promise<void> {
    if (received !== entry.acked) {
      entry.acked = received;
      await entry.hooks.onAcknowledged(received);
    }
  }

  return {
    /**
     * Relays the page's chunks for this job while it holds its slot; resolves with the video once
     * YouTube has the whole file. Aborting `hooks.signal` (a cancel, a shutdown) stops it.
     */
    serve(job: JobRecord, token: TokenSource, hooks: ServeHooks): Promise<RelayResult> {
      return new Promise<RelayResult>((resolve, reject) => {
        let settled = false;
        const finish = (action: () => void) => {
          if (settled) return;
          settled = true;
          serving.delete(job.id);
          hooks.signal.removeEventListener('abort', onAbort);
          clearTimeout(entry.idle);
          action();
        };
        const entry: Serving = {
          job,
          token,
          hooks,
          uri: hooks.sessionUri,
          acked: job.received,
          known: hooks.sessionUri === undefined,
          busy: false,
          idle: undefined,
          current: undefined,
          resentBytes: 0,
          restarts: 0,
          retries: 0,
          done: (video) =>
            finish(() =>
              resolve({
                video,
                resentBytes: entry.resentBytes,
                restarts: entry.restarts,
                retries: entry.retries,
              }),
            ),
          fail: (error) => finish(() => reject(error instanceof Error ? error : new Error(String(error)))),
        };
        if (hooks.sessionUri === undefined) entry.acked = 0;
        const onAbort = () => entry.fail(new UploadError('cancelled', MESSAGES.cancelled));
        if (hooks.signal.aborted) return onAbort();
        hooks.signal.addEventListener('abort', onAbort, { once: true });
        serving.set(job.id, entry);
        idleFrom(entry);
        wake(job.id);
        // A session from before (a restart): YouTube may have the whole file already.
        if (!entry.known) {
          query(entry).catch((error: unknown) =>
            logger.warn(
              { jobId: job.id, err: error },
              'could not ask the upload session; the page will ask again',
            ),
          );
        }
      });
    },

    /** The offset to tell the page: what YouTube acknowledged. */
    async offset(job: JobRecord): Promise<number> {
      const entry = serving.get(job.id);
      if (entry && !entry.busy) {
        if (entry.known) return entry.acked;
        const status = await query(entry);
        return status?.kind === 'incomplete' ? status.received : entry.job.source.size;
      }
      if (entry) return entry.acked;
      if (job.status === 'processing' || job.status === 'done') return job.source.size;
      const uri = jobs.openSession(job);
      if (uri === undefined) return 0;
      const status = await deps.oauth.withClient(job.account, (client) =>
        querySession({ sessionUri: uri, size: job.source.size, token: tokenSource(client), ...net }),
      );
      return status.kind === 'complete' ? job.source.size : status.received;
    },

    /**
     * Relays one PATCH body of `length` bytes at `offset` into the session (created at the first
     * chunk, after the first bytes were sniffed); returns the offset YouTube acknowledged.
     */
    async write(
      jobId: string,
      stream: Readable,
      offset: number,
      length: number | undefined,
    ): Promise<number> {
      const entry = await slotFor(jobId);
      if (!entry) {
        stream.resume();
        throw new RelayRefusal(503, 'The upload waits for a free slot; it starts by itself.');
      }
      const { job } = entry;
      const size = job.source.size;
      if (length === undefined || !Number.isSafeInteger(length) || length <= 0) {
        throw new RelayRefusal(411, 'Each chunk must say its length.');
      }
      if (offset + length > size) throw new RelayRefusal(413, 'More bytes than the file has.');
      if (offset + length < size && length % CHUNK_UNIT !== 0) {
        throw new RelayRefusal(400, 'Chunks must be a multiple of 256 KiB.');
      }
      // A newer request wins (as tus's locks do): the one before was given up by the page.
      if (entry.busy) await entry.current?.abort();
      if (entry.busy) throw new RelayRefusal(423, 'Another request is sending this upload.');
      entry.busy = true;
      let ended: () => void = () => {};
      const over = new Promise<void>((resolve) => (ended = resolve));
      entry.current = {
        abort: async () => {
          stream.destroy();
          await Promise.race([over, sleep(10_000)]);
        },
      };
      idleFrom(entry);
      let body = stream;
      try {
        if (!entry.known) await query(entry);
        if (offset !== entry.acked) throw new RelayRefusal(409, 'The offset does not match the upload.');
        if (entry.uri === undefined) {
          if (offset !== 0) throw new RelayRefusal(409, 'The offset does not match the upload.');
          const peeked = await peek(stream, Math.min(SNIFF_BYTES, size));
          body = peeked.body;
          const sniffed = sniffVideo(peeked.head);
          if (!sniffed) {
            const refusal = new UploadError('invalid', NOT_A_VIDEO(job.source.filename));
            entry.fail(refusal);
            throw new RelayRefusal(415, refusal.message);
          }
          job.source = { ...job.source, mime: sniffed.mime };
          await entry.hooks.beforeSession();
          entry.uri = await createSession({
            rootUrl: deps.rootUrl,
            token: entry.token,
            metadata: job.metadata,
            size,
            contentType: sniffed.mime,
            notifySubscribers: job.notifySubscribers,
            signal: entry.hooks.signal,
            ...net,
          });
          entry.acked = 0;
          await entry.hooks.onSession(entry.uri);
        }
        const last = offset + length >= size;
        let reported = { sent: 0, at: Date.now() };
        const status = await sendRange({
          sessionUri: entry.uri,
          size,
          offset,
          length,
          body,
          token: entry.token,
          signal: entry.hooks.signal,
          ...net,
          onSent: (n) => {
            const now = Date.now();
            if (n >= length || n - reported.sent >= PROGRESS_BYTES || now - reported.at >= PROGRESS_MS) {
              reported = { sent: n, at: now };
              entry.hooks.onProgress(offset + n, last && n >= length);
            }
          },
        });
        if (status.kind === 'complete') {
          entry.acked = size;
          entry.done(status.video);
          return size;
        }
        entry.resentBytes += Math.max(0, offset + length - status.received);
        await acknowledge(entry, status.received);
        return status.received;
      } catch (error) {
        body.resume();
        if (error instanceof RelayRefusal) throw error;
        // Stopped by a cancel or by the bot shutting down: the page asks again (a cancelled upload is
        // gone then, a paused one continues once the bot is back).
        if (entry.hooks.signal.aborted)
          throw new RelayRefusal(503, 'The upload is paused; it continues by itself.');
        if (!(error instanceof UploadError)) throw error;
        entry.known = false;
        entry.retries++;
        if (error.kind === 'session_gone') {
          // YouTube lost the session: a new one, from the first byte (the page goes back to 0).
          entry.restarts++;
          if (entry.restarts > 2) {
            entry.fail(error);
            throw new RelayRefusal(410, error.message);
          }
          logger.warn({ jobId, restarts: entry.restarts }, 'upload session lost; the page starts again');
          entry.uri = undefined;
          entry.acked = 0;
          entry.known = true;
          await entry.hooks.onSession(undefined);
          return 0;
        }
        if (error.kind === 'auth' && error.status === 401) await entry.token.refresh();
        else if (
          error.kind !== 'network' &&
          error.kind !== 'server' &&
          !(error.kind === 'quota' && error.status === 429)
        ) {
          entry.fail(error);
          throw new RelayRefusal(422, error.message);
        }
        logger.warn(
          { jobId, err: error, kind: error.kind, status: error.status },
          'relayed chunk failed; asking YouTube what it kept',
        );
        // What YouTube kept is what the page is told; if it cannot be asked now, the page asks again.
        const status = await query(entry).catch(() => undefined);
        if (status?.kind === 'incomplete') return status.received;
        if (status?.kind === 'complete') return size;
        throw new RelayRefusal(503, 'YouTube did not answer; the upload continues by itself.');
      } finally {
        entry.busy = false;
        entry.current = undefined;
        ended();
        idleFrom(entry);
      }
    },

    /** Whether the job relays now (holds its slot). */
    isServing: (jobId: string) => serving.has(jobId),
  };
}

export type Relay = ReturnType<typeof createRelay>;
