// One job's bytes phase: the resilient upload into YouTube's resumable session, shown as it goes.
// It ends with the bytes in (the video id and the steps after it recorded in the job), paused for a
// shutdown, failed, or cancelled — and a cancel is only reported once the session itself says that
// YouTube does not have the whole file: a video that exists anyway is reported as uploaded.
import { setTimeout as sleep } from 'node:timers/promises';
import type { youtube_v3 } from '@googleapis/youtube';
import { classifyError, UserError } from '../errors.ts';
import { querySession, say, tokenSource, UploadError } from '../google/resumable.ts';
import { runUpload, type UploadProgress } from './pipeline.ts';
import { planSteps, uploadNotes } from './after-steps.ts';
import { createDisplay, jobView } from './display.ts';
import { jobCare, type JobCare } from './patience.ts';
import { SpeedMeter, type Phase } from './progress.ts';
import { LeaseLost, type JobRecord } from './records.ts';
import { note, type Note } from './notes.ts';
import type { UploadDeps } from './types.ts';
import { metrics } from '../metrics.ts';

export interface Running {
  readonly job: JobRecord;
  readonly controller: AbortController;
  /** Aborted when the bot shuts down: the only thing that stops a wait for the store. */
  readonly shutdown: AbortSignal;
  /**
   * Why the run was aborted: a member's cancel, the bot shutting down (the job is handed back), or its
   * lease lost to another process (which continues it: this one leaves the record alone).
   */
  abortedFor: 'cancel' | 'shutdown' | 'lost' | undefined;
  /** YouTube has every byte: the upload slot is free for the next job while this one is recorded. */
  slotFreed: boolean;
  /** Resolves when the bytes phase is over: with the video id when the video exists. */
  readonly settled: Promise<string | undefined>;
  settle(videoId: string | undefined): void;
}

export function running(job: JobRecord, shutdown: AbortSignal): Running {
  let settle: (videoId: string | undefined) => void = () => {};
  const settled = new Promise<string | undefined>((resolve) => (settle = resolve));
  return {
    job,
    controller: new AbortController(),
    shutdown,
    abortedFor: undefined,
    slotFreed: false,
    settled,
    settle,
  };
}

export const TOO_LATE_NOTE = note('progress.note.cancelTooLate');
const UNCONFIRMED_NOTE = note('progress.note.cancelUnconfirmed');
/** The outcome of a job its uploader cancelled (what the upload page's /status says). */
export const CANCELLED_OUTCOME = note('upload.failure.cancelledByUploader');

/** Records that the bytes are in: the video id, notes, and the steps still to run (one save, ridden out). */
export async function recordBytesIn(
  job: JobRecord,
  video: youtube_v3.Schema$Video,
  care: JobCare,
  extraNotes: Note[] = [],
): Promise<void> {
  const videoId = video.id;
  if (!videoId) throw new UploadError('server', say('upload.failure.noVideoId'));
  job.videoId = videoId;
  job.received = job.source.size;
  job.session = undefined;
  job.status = 'processing';
  job.notes = [
    ...uploadNotes(job, video.status?.privacyStatus ?? undefined, video.status?.publishAt ?? undefined),
    ...extraNotes,
  ];
  job.steps = planSteps(job);
  await care.save();
}

/**
 * Asks the session (`bytes *\/TOTAL`) whether YouTube made the video after all. `absent`: it does not
 * have the whole file (or never had a session), so no video comes of it; `unknown`: no answer.
 */
export async function askSession(
  job: JobRecord,
  deps: UploadDeps,
): Promise<youtube_v3.Schema$Video | 'absent' | 'unknown'> {
  const uri = deps.jobs.openSession(job);
  if (uri === undefined) return 'absent';
  const { retry } = deps.tuning;
  let wholeFile = false;
  // A few tries for an answer; longer while YouTube holds the whole file but is still making the video.
  for (let attempt = 1; attempt <= (wholeFile ? 20 : 6); attempt++) {
    try {
      const status = await deps.oauth.withClient(job.account, (client) =>
        querySession({
          sessionUri: uri,
          size: job.source.size,
          token: tokenSource(client),
          ...(deps.dispatcher ? { dispatcher: deps.dispatcher } : {}),
        }),
      );
      if (status.kind === 'complete') return status.video;
      // Less than the whole file: nothing more is sent, so no video comes of it. The whole file
      // but no video yet: YouTube is still finishing it, ask again.
      if (status.received < job.source.size) return 'absent';
      wholeFile = true;
    } catch (error) {
      if (error instanceof UploadError && error.kind === 'session_gone') return 'absent';
      const retriable = error instanceof UploadError && (error.kind === 'network' || error.kind === 'server');
      deps.logger.warn({ jobId: job.id, err: error, attempt }, 'could not ask the upload session');
      if (!retriable && error instanceof UserError) return 'unknown';
    }
    await sleep(Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** attempt));
  }
  return 'unknown';
}

/**
 * Ends a job that never got its video: failed or cancelled. The result is shown first (the member reads the
 * truth even while the store does not answer), then recorded. A job that never asked YouTube for a session
 * gives its place in the day's share back.
 */
export async function endWithout(
  job: JobRecord,
  deps: UploadDeps,
  care: JobCare,
  status: 'failed' | 'cancelled',
  outcome: Note,
  notes: Note[],
  referenceId?: string,
): Promise<void> {
  const neverAsked = !job.sessionRequested && job.session === undefined && job.videoId === undefined;
  job.status = status;
  job.outcome = outcome;
  job.session = undefined;
  await care.show(jobView(job, status, { notes }), true);
  await care.save();
  if (neverAsked && deps.quota) {
    const quota = deps.quota;
    await care.ride('give back the upload share', () => quota.releaseUpload(job));
  }
  deps.logger.info({ jobId: job.id, owner: job.owner, status, referenceId }, 'upload finished');
  if (status === 'cancelled') metrics.uploadCancelled();
}

/** What a cancel found: the video after all, or nothing (then the job is ended as cancelled). */
export async function settleCancel(job: JobRecord, deps: UploadDeps, care: JobCare): Promise<boolean> {
  const found = await askSession(job, deps);
  if (typeof found === 'object') {
    deps.logger.info({ jobId: job.id, videoId: found.id }, 'cancel came too late: the video exists');
    await recordBytesIn(job, found, care, [TOO_LATE_NOTE]);
    return true;
  }
  await endWithout(
    job,
    deps,
    care,
    'cancelled',
    CANCELLED_OUTCOME,
    found === 'unknown' ? [UNCONFIRMED_NOTE] : [],
  );
  return false;
}

/**
 * Runs the bytes phase; true when the bytes are in and the steps after them are recorded. `bytesIn` is
 * called the moment YouTube answers with the video, before it is recorded: the bandwidth is free.
 */
export async function runBytes(
  entry: Running,
  deps: UploadDeps,
  bytesIn: () => void = () => {},
): Promise<boolean> {
  const { job } = entry;
  const { jobs, logger, tuning } = deps;
  const care = jobCare(
    job,
    deps,
    entry.shutdown,
    createDisplay(
      deps.sinkFor(job, () => jobs.save(job)),
      tuning.progressIntervalMs,
    ),
  );
  const { show } = care;
  const speed = new SpeedMeter();
  // This run's throughput for /metrics: the bytes YouTube did not have yet, over the run's time.
  const started = { at: performance.now(), received: job.received };
  // A cancel also ends a wait for the store between two tries of the upload.
  const stopWaiting = AbortSignal.any([entry.shutdown, entry.controller.signal]);
  try {
    job.status = 'running';
    await care.save();
    // The bytes never wait for Discord: the edits are serialized (display.ts), so this one still comes
    // before the progress that follows it, while the source and the session open.
    void show(jobView(job, 'starting'), true);
    const insert = { units: 0, inserts: 1 };
    // A store failure on the way (the grant, the quota count) waits for the store, then goes on from the
    // session in the record: the pipeline asks it what it holds before sending more.
    const onSession = async (uri: string | undefined) => {
      job.session = jobs.sealSession(job, uri);
      job.received = 0;
      await care.save();
    };
    const onAcknowledged = async (received: number) => {
      job.received = received;
      await care.save();
    };
    const beforeSession = async () => {
      await deps.quota?.charge(insert);
      // Recorded before the POST: from here YouTube may make a session, and the day's share stays used.
      if (!job.sessionRequested) {
        job.sessionRequested = true;
        await care.save();
      }
    };
    const { relay } = deps;
    const result = await care.ride(
      'upload',
      () =>
        deps.oauth.withClient(job.account, (authorized) =>
          job.source.kind === 'browser' && relay
            ? relay.serve(job, tokenSource(authorized), {
                sessionUri: jobs.openSession(job),
                onSession,
                onAcknowledged,
                beforeSession,
                onProgress: (sent, finishing) => {
                  speed.add(Date.now(), sent);
                  void show(
                    jobView(job, finishing ? 'finishing' : 'uploading', {
                      sent,
                      bytesPerSecond: speed.bytesPerSecond(),
                    }),
                  );
                },
                signal: entry.controller.signal,
              })
            : runUpload({
                source: {
                  url: job.source.url,
                  size: job.source.size,
                  contentType: job.source.mime,
                  allowedHosts: deps.allowedHosts,
                },
                metadata: job.metadata,
                notifySubscribers: job.notifySubscribers,
                rootUrl: deps.rootUrl,
                token: tokenSource(authorized),
                sessionUri: jobs.openSession(job),
                onSession,
                onAcknowledged,
                beforeSession,
                onProgress: (p: UploadProgress) => {
                  speed.add(Date.now(), p.sent);
                  const phase: Phase =
                    p.phase === 'retrying' || p.phase === 'uploading' || p.phase === 'finishing'
                      ? p.phase
                      : 'starting';
                  void show(
                    jobView(job, phase, {
                      sent: p.sent,
                      bytesPerSecond: speed.bytesPerSecond(),
                      retry:
                        p.phase === 'retrying'
                          ? { attempt: p.attempt, tries: tuning.retry.tries, inMs: p.nextRetryInMs ?? 0 }
                          : undefined,
                    }),
                  );
                },
                signal: entry.controller.signal,
                retry: tuning.retry,
                // The transfer's lines name their job and member.
                logger: logger.child({ jobId: job.id, owner: job.owner }),
                ...(deps.dispatcher ? { dispatcher: deps.dispatcher } : {}),
              }),
        ),
      stopWaiting,
    );
    bytesIn();
    await recordBytesIn(job, result.video, care);
    metrics.uploadThroughput(job.source.size - started.received, (performance.now() - started.at) / 1000);
    logger.info(
      {
        jobId: job.id,
        owner: job.owner,
        videoId: job.videoId,
        resentBytes: result.resentBytes,
        restarts: result.restarts,
        retries: result.retries,
      },
      'upload complete',
    );
    return true;
  } catch (error) {
    // A save refused: another process took the job over while this one stalled; it stops here at once.
    if (error instanceof LeaseLost) entry.abortedFor = 'lost';
    if (entry.abortedFor === 'lost') {
      logger.warn({ jobId: job.id }, 'upload lease lost: another process continues the upload');
      return false;
    }
    if (entry.abortedFor === 'shutdown') {
      logger.info({ jobId: job.id }, 'upload paused for shutdown; it resumes on the next start');
      await show(jobView(job, 'paused'), true);
      return false;
    }
    // Before a cancel is reported, the session says whether YouTube made the video anyway.
    if (entry.abortedFor === 'cancel') return await settleCancel(job, deps, care);
    const classified =
      error instanceof UploadError
        ? { message: error.message, kind: error.kind, text: error.text }
        : classifyError(error);
    logger.warn({ jobId: job.id, owner: job.owner, kind: classified.kind, err: error }, 'upload failed');
    metrics.uploadFailed(classified.kind);
    const reference =
      'referenceId' in classified && classified.referenceId ? classified.referenceId : undefined;
    // The member reads the reason in their language when it has a key (the progress message and the
    // upload page's /status, from the record's outcome); an error without one keeps its English.
    const reason: Note = classified.text
      ? note(classified.text.key, classified.text.values)
      : classified.message;
    await endWithout(job, deps, care, 'failed', reason, [reason], reference);
    return false;
  } finally {
    entry.settle(job.status === 'processing' ? job.videoId : undefined);
  }
}
