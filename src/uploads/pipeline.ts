// The resilient upload loop: the attachment streams from Discord's CDN straight into one PUT to a
// YouTube resumable session, and every failure is answered the documented way — ask the session
// what it kept, re-open the source at that offset, and go on; back off with full jitter on dropped
// connections and 5xx; start a new session on 404/410; refresh the token once on a 401; stop at
// once on everything else. Memory stays bounded whatever the file size: bytes are never buffered
// beyond the streams' high-water marks.
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { youtube_v3 } from '@googleapis/youtube';
import type { Dispatcher } from 'undici';
import {
  createSession,
  discard,
  MESSAGES,
  querySession,
  say,
  sendFrom,
  UploadError,
  type SessionStatus,
  type TokenSource,
  type VideoMetadata,
} from '../google/resumable.ts';
import type { Logger } from '../logger.ts';
import { allowedUrl, openSource } from './download.ts';

export interface UploadProgress {
  /** 'finishing': every byte is handed to YouTube, its answer (the video) is awaited. */
  phase: 'starting' | 'uploading' | 'finishing' | 'retrying' | 'verifying';
  /** Bytes handed to the current PUT plus those acknowledged before it. */
  sent: number;
  /** Bytes Google confirmed. */
  acknowledged: number;
  total: number;
  /** 1 + the failures in a row without progress (1 while all goes well). */
  attempt: number;
  /** While retrying: the wait before the next try. */
  nextRetryInMs?: number;
}

export interface RunUploadOptions {
  source: { url: string; size: number; contentType: string; allowedHosts: readonly string[] };
  metadata: VideoMetadata;
  notifySubscribers: boolean;
  rootUrl: string;
  token: TokenSource;
  /** Resume: the session URI persisted earlier, if any. */
  sessionUri: string | undefined;
  /** Called with the new session URI before any byte is sent (the caller persists it), and with undefined when a 404/410 forces a restart. Awaited. */
  onSession(uri: string | undefined): Promise<void>;
  /** Called with acknowledged offsets as they become known (the caller persists them). Awaited. */
  onAcknowledged?(received: number): Promise<void>;
  onProgress?(p: UploadProgress): void;
  /** Awaited right before every session-creating POST (retries included); a throw stops the upload. */
  beforeSession?(): Promise<void>;
  signal: AbortSignal;
  retry?: { tries?: number; baseDelayMs?: number; maxDelayMs?: number; random?: () => number };
  dispatcher?: Dispatcher;
  logger: Logger;
}

export interface UploadResult {
  video: youtube_v3.Schema$Video;
  /** Bytes sent that Google did not keep (sum of sent-but-unacknowledged over failures and restarts). */
  resentBytes: number;
  /** New sessions started after a 404/410 on the old one. */
  restarts: number;
  /** Retries after retriable failures (dropped connections, 5xx, source failures). */
  retries: number;
}

/** New sessions after a lost one before giving up: a lost session is rare, twice in a row is a pattern. */
const MAX_RESTARTS = 2;
/** A Retry-After longer than this is not waited for in one go. */
const MAX_RETRY_AFTER_MS = 15 * 60 * 1000;
const RETRIABLE_STATUS = new Set([429, 500, 502, 503, 504]);
/**
 * Bytes handed to the PUT are reported when this much more went, or this long after the last report
 * (whichever first; phase changes at once): a few reports a second is all a progress message shows,
 * while a report per socket chunk (64 KiB) is ~16,000 calls per GiB into the caller's speed meter and
 * message code — measured in bench/upload.ts.
 */
const PROGRESS_BYTES = 1024 * 1024;
const PROGRESS_MS = 100;

/** Dropped connections (either side) and 5xx (Google's or the CDN's, and the CDN's 429) are retried. */
function retriable(error: UploadError): boolean {
  return (
    error.kind === 'network' ||
    (error.kind === 'server' && error.status !== undefined && RETRIABLE_STATUS.has(error.status))
  );
}

export async function runUpload(o: RunUploadOptions): Promise<UploadResult> {
  const { size, url, contentType, allowedHosts } = o.source;
  const { signal, logger: log, dispatcher } = o;
  const net = { signal, ...(dispatcher ? { dispatcher } : {}) };
  allowedUrl(url, allowedHosts); // refused before any request, Google's included
  if (!Number.isSafeInteger(size) || size <= 0) {
    throw new UploadError('invalid', say('upload.failure.empty'));
  }
  const tries = o.retry?.tries ?? 10;
  const baseDelayMs = o.retry?.baseDelayMs ?? 1000;
  const maxDelayMs = o.retry?.maxDelayMs ?? 64_000;
  const random = o.retry?.random ?? Math.random;

  let uri = o.sessionUri;
  /** Whether `acked` is what the session holds; false after a failure, or for a session from before. */
  let known = uri === undefined;
  let acked = 0;
  let reported = 0;
  /** Bytes this run pushed into the current session, and the part of them already counted as re-sent. */
  let frontier = 0;
  let sessionSent = 0;
  let sessionLost = 0;
  let sent = 0;
  let resentBytes = 0;
  let restarts = 0;
  let retries = 0;
  let failures = 0;
  let refreshed = false;
  let discarded = 0;

  /** What the last progress report said, and when: bytes are reported per MiB or per tenth of a second. */
  let reportedSent = 0;
  let reportedAt = 0;
  const progress = (phase: UploadProgress['phase'], nextRetryInMs?: number): void => {
    reportedSent = sent;
    reportedAt = Date.now();
    if (o.onProgress === undefined) return;
    const p: UploadProgress = { phase, sent, acknowledged: acked, total: size, attempt: failures + 1 };
    if (nextRetryInMs !== undefined) p.nextRetryInMs = nextRetryInMs;
    o.onProgress(p);
  };
  const cancelled = (cause?: unknown) =>
    cause instanceof UploadError && cause.kind === 'cancelled'
      ? cause
      : new UploadError('cancelled', MESSAGES.cancelled, { cause });

  /** What Google says it holds: counts what it dropped of ours, resets the failure count on progress. */
  const acknowledge = async (received: number): Promise<void> => {
    const lost = Math.max(0, frontier - received);
    resentBytes += lost;
    sessionLost += lost;
    if (received > acked) failures = 0;
    acked = received;
    frontier = received;
    sent = received;
    known = true;
    if (received !== reported) {
      reported = received;
      await o.onAcknowledged?.(received);
    }
  };

  const backoff = async (error: UploadError): Promise<void> => {
    failures++;
    retries++;
    if (failures > tries) {
      throw new UploadError('too_many_retries', say('upload.failure.tooManyRetries', { count: failures }), {
        reason: error.reason,
        status: error.status,
        cause: error,
      });
    }
    const delay =
      error.retryAfterMs !== undefined
        ? Math.min(error.retryAfterMs, MAX_RETRY_AFTER_MS)
        : Math.round(random() * Math.min(maxDelayMs, baseDelayMs * 2 ** failures));
    log.warn(
      { err: error, kind: error.kind, status: error.status, acknowledged: acked, failures, delayMs: delay },
      'upload failed, retrying',
    );
    progress('retrying', delay);
    try {
      await sleep(delay, undefined, { signal });
    } catch (abort) {
      throw cancelled(abort);
    }
  };

  const finish = async (status: Extract<SessionStatus, { kind: 'complete' }>): Promise<UploadResult> => {
    acked = size;
    sent = size;
    if (reported !== size) {
      reported = size;
      await o.onAcknowledged?.(size);
    }
    log.info(
      { videoId: status.video.id, size, resentBytes, restarts, retries, discardedBytes: discarded },
      'upload complete',
    );
    return { video: status.video, resentBytes, restarts, retries };
  };

  log.info({ size, contentType, resumed: uri !== undefined }, 'upload starting');
  let source: Readable | undefined;
  try {
    for (;;) {
      if (signal.aborted) throw cancelled(signal.reason);
      try {
        if (uri !== undefined && !known) {
          progress('verifying');
          const status = await querySession({ sessionUri: uri, size, token: o.token, ...net });
          refreshed = false;
          if (status.kind === 'complete') return await finish(status);
          await acknowledge(status.received);
        }
        if (acked >= size) {
          // Every byte stored yet no video: ask again after a pause (it may be finishing).
          known = false;
          await backoff(new UploadError('server', MESSAGES.unexpected, { status: 308 }));
          continue;
        }
        // The source opens before a new session: an expired attachment costs no upload quota.
        source ??= await openSource({
          url,
          size,
          offset: acked,
          allowedHosts,
          ...net,
          onDiscarded: (n) => {
            discarded += n;
            log.info({ discardedBytes: n }, 'the CDN ignored Range: downloaded again from the start');
          },
        });
        if (uri === undefined) {
          progress('starting');
          await o.beforeSession?.(); // each session POST is one videos.insert against the quota
          uri = await createSession({
            rootUrl: o.rootUrl,
            token: o.token,
            metadata: o.metadata,
            size,
            contentType,
            notifySubscribers: o.notifySubscribers,
            ...net,
          });
          refreshed = false;
          acked = frontier = sent = reported = sessionSent = sessionLost = 0;
          known = true;
          await o.onSession(uri);
        }
        const from = acked;
        const body = source;
        source = undefined;
        sent = from;
        progress('uploading');
        const status = await sendFrom({
          sessionUri: uri,
          size,
          offset: from,
          body,
          token: o.token,
          ...net,
          onSent: (n) => {
            sessionSent += n - (frontier - from);
            frontier = from + n;
            sent = frontier;
            if (frontier >= size) progress('finishing');
            else if (frontier - reportedSent >= PROGRESS_BYTES || Date.now() - reportedAt >= PROGRESS_MS) {
              progress('uploading');
            }
          },
        });
        refreshed = false;
        if (status.kind === 'complete') return await finish(status);
        // A 308 after the whole rest was sent: Google kept less. Go on from what it kept.
        await acknowledge(status.received);
        if (status.received <= from) {
          await backoff(new UploadError('server', MESSAGES.unexpected, { status: 308 }));
        }
      } catch (error) {
        if (source !== undefined) discard(source);
        source = undefined;
        if (signal.aborted) throw cancelled(error);
        if (!(error instanceof UploadError)) throw error;
        if (error.kind === 'session_gone' && uri !== undefined) {
          restarts++;
          resentBytes += Math.max(0, sessionSent - sessionLost);
          log.warn({ status: error.status, restarts, acknowledged: acked }, 'upload session lost');
          if (restarts > MAX_RESTARTS) {
            throw new UploadError('session_gone', say('upload.failure.sessionGoneAgain'), {
              status: error.status,
              cause: error,
            });
          }
          uri = undefined;
          acked = frontier = sent = reported = sessionSent = sessionLost = 0;
          known = true;
          await o.onSession(undefined);
          continue;
        }
        if (error.kind === 'auth' && error.status === 401) {
          if (refreshed) throw error;
          refreshed = true;
          log.info('access token refused: refreshing once');
          await o.token.refresh(); // an invalid_grant propagates unchanged
          known = false;
          continue;
        }
        if (retriable(error)) {
          known = false;
          await backoff(error);
          continue;
        }
        throw error;
      }
    }
  } catch (error) {
    if (error instanceof UploadError && error.kind !== 'cancelled' && error.kind !== 'too_many_retries') {
      log.warn(
        { err: error, kind: error.kind, status: error.status, reason: error.reason },
        'upload stopped',
      );
    }
    throw error;
  } finally {
    if (source !== undefined) discard(source);
  }
}
