// The upload service: the queue with per-member and global limits (and queue positions), cancel,
// resume after a restart, and stop. A job holds a slot only while its bytes go to YouTube
// (run.ts); the steps after them — processing follow-up, playlist, thumbnail, review or
// announcement, the final message (after-steps.ts) — run outside the slots.
import { runSteps } from './after-steps.ts';
import { createDisplay, jobView } from './display.ts';
import { FINISHED, type JobRecord, type SourceFile } from './records.ts';
import { keyedSerial } from '../store/serial.ts';
import { renderProgress } from './progress.ts';
import { jobCare, StoreWaitInterrupted } from './patience.ts';
import { endWithout, running, runBytes, settleCancel, type Running } from './run.ts';
import { titleFromFilename } from './metadata.ts';
import type { UploadDeps } from './types.ts';

export { DEFAULT_TUNING } from './types.ts';
export type { ProgressSink, SinkFactory, UploadDeps, UploadTuning } from './types.ts';

export type CancelResult =
  | { kind: 'cancelled' }
  /** YouTube had the whole file: the video exists (its after-upload steps run as for any upload). */
  | { kind: 'too_late'; videoId: string }
  | { kind: 'not_owner' | 'not_found' | 'finished' };

export function createUploads(deps: UploadDeps) {
  const { jobs, logger, tuning } = deps;
  const queue: JobRecord[] = [];
  /** Jobs sending bytes: these hold the slots. */
  const sending = new Map<string, Running>();
  /** Jobs whose bytes are in, running their recorded steps: no slot. */
  const following = new Map<string, { job: JobRecord; controller: AbortController }>();
  const work = new Set<Promise<void>>();
  let stopping = false;
  /** Aborted by stop(): ends the waits for a store that does not answer (the records say where jobs stand). */
  const shutdown = new AbortController();

  const persist = (job: JobRecord) => () => jobs.save(job);
  /** A job awaiting its file gets it once: from the page, or through Discord's form, never both. */
  const fileChosen = keyedSerial();

  type Reply = { applicationId: string; token: string; createdAt: number };
  const showIn = (job: JobRecord, reply: Reply) => {
    job.progress.reply = {
      applicationId: reply.applicationId,
      token: jobs.sealToken(job, reply.token),
      // The token's 15 minutes started when the member ran the command, not now.
      moveAt: reply.createdAt + tuning.replyLifetimeMs,
    };
  };
  const activeFor = (owner: string) => [...sending.values()].filter((r) => r.job.owner === owner).length;

  const track = (promise: Promise<void>): void => {
    const done = promise.finally(() => work.delete(done));
    work.add(done);
  };

  function pump(): void {
    if (stopping) return;
    for (let i = 0; i < queue.length && sending.size < tuning.global;) {
      const job = queue[i];
      if (job && activeFor(job.owner) < tuning.perMember) {
        queue.splice(i, 1);
        send(job);
      } else i++;
    }
    void showQueuePositions();
  }

  async function showQueuePositions(): Promise<void> {
    await Promise.all(
      queue.map((job, index) =>
        deps
          .sinkFor(job, persist(job))
          .show(renderProgress(jobView(job, 'queued', { queuePosition: index + 1 })), { cancellable: true }),
      ),
    );
  }

  /** Sends the bytes in a slot; the slot is given back as soon as they are in. */
  function send(job: JobRecord): void {
    const entry = running(job, shutdown.signal);
    sending.set(job.id, entry);
    track(
      runBytes(entry, deps)
        .catch((error: unknown) => {
          if (error instanceof StoreWaitInterrupted)
            logger.info(
              { jobId: job.id },
              'stopped while waiting for the store; the next start continues from the record',
            );
          else logger.error({ jobId: job.id, err: error }, 'upload runner crashed');
          return false;
        })
        .then((bytesIn) => {
          sending.delete(job.id);
          pump();
          if (bytesIn && !stopping) follow(job);
        }),
    );
  }

  /** Runs the steps after the bytes are in, without a slot. */
  function follow(job: JobRecord): void {
    const controller = new AbortController();
    following.set(job.id, { job, controller });
    track(
      runSteps(job, deps, controller.signal)
        .then((outcome) => {
          if (outcome === 'paused')
            logger.info({ jobId: job.id }, 'after-upload steps paused; they resume on the next start');
        })
        .catch((error: unknown) => logger.error({ jobId: job.id, err: error }, 'after-upload steps crashed'))
        .finally(() => following.delete(job.id)),
    );
  }

  /** Shows and saves a job outside a run (its message edited at once), riding out a store outage. */
  const careFor = (job: JobRecord) =>
    jobCare(job, deps, shutdown.signal, createDisplay(deps.sinkFor(job, persist(job)), 0));

  const tooLate = (videoId: string | undefined): CancelResult =>
    videoId ? { kind: 'too_late', videoId } : { kind: 'not_found' };

  return {
    /** Accepts a prepared job, shown in the member's reply: stored at once, then queued. */
    async submit(job: JobRecord, reply: Reply | undefined): Promise<void> {
      if (reply) showIn(job, reply);
      try {
        await jobs.save(job);
      } catch (error) {
        // Not accepted after all (the member is told): its place in the day's share is given back, if the
        // store lets us; the error is what the member reads.
        await deps.quota
          ?.releaseUpload(job)
          .catch((release: unknown) =>
            logger.warn({ jobId: job.id, err: release }, 'the upload share could not be given back'),
          );
        throw error;
      }
      if (job.status === 'awaiting') return; // a browser upload: queued once its page sends the file
      queue.push(job);
      pump();
    },
    /**
     * The upload page chose the file of a job that awaited it: the size and name are recorded (the
     * title from the name, when none was given) and the job is queued like any other. Undefined when
     * the job awaits nothing (already started, ended or unknown).
     */
    begin(jobId: string, file: { size: number; filename: string }): Promise<JobRecord | undefined> {
      return fileChosen(jobId, async () => {
        const job = await jobs.get(jobId);
        if (!job || job.status !== 'awaiting') return undefined;
        job.source = { ...job.source, size: file.size, filename: file.filename };
        if (job.titleFromFile) {
          job.metadata = {
            ...job.metadata,
            snippet: { ...job.metadata.snippet, title: titleFromFilename(file.filename) },
          };
        }
        job.status = 'queued';
        await jobs.save(job);
        queue.push(job);
        pump();
        return job;
      });
    },
    /**
     * The member sent the file of a job that awaited it through Discord's form instead of the page:
     * the job becomes an attachment upload (its file checked by the caller as any attachment), shown
     * in the form's reply, and queued like any other; its page link is spent. The title typed in the
     * form wins; none typed and none given before, it comes from the file's name. Undefined when the
     * job awaits nothing (its page started sending, it ended, or it is unknown).
     */
    attach(
      jobId: string,
      file: { source: SourceFile; title: string | undefined },
      reply: Reply,
    ): Promise<JobRecord | undefined> {
      return fileChosen(jobId, async () => {
        const job = await jobs.get(jobId);
        if (!job || job.status !== 'awaiting' || job.source.kind !== 'browser') return undefined;
        job.source = file.source;
        const title = file.title ?? (job.titleFromFile ? titleFromFilename(file.source.filename) : undefined);
        if (title !== undefined)
          job.metadata = { ...job.metadata, snippet: { ...job.metadata.snippet, title } };
        job.titleFromFile = undefined;
        job.progress.page = undefined;
        showIn(job, reply);
        job.status = 'queued';
        await jobs.save(job);
        queue.push(job);
        pump();
        return job;
      });
    },
    /** Browser uploads whose page never sent a file within `maxAgeMs`: ended quietly, the reply says so. */
    async expireAwaiting(maxAgeMs: number, now = Date.now()): Promise<number> {
      const stale = (await jobs.active()).filter(
        (j) => j.status === 'awaiting' && now - j.createdAt > maxAgeMs,
      );
      for (const job of stale)
        await endWithout(
          job,
          deps,
          careFor(job),
          'cancelled',
          'The upload link expired before a file was chosen.',
          [
            'The upload link expired before a file was chosen, so nothing was uploaded. Run /upload again to get a new link.',
          ],
        );
      return stale.length;
    },
    /**
     * Cancels a queued or sending job; only its owner may. Even after the last byte is sent (the
     * button is hidden then, but a press may still come) the PUT is aborted, since those bytes may
     * still be on their way; then the session says whether YouTube had the whole file. If it made
     * the video, the cancel is too late: the video is reported uploaded and its steps run.
     */
    async cancel(jobId: string, userId: string): Promise<CancelResult> {
      const active = sending.get(jobId);
      const queued = queue.find((j) => j.id === jobId);
      const after = following.get(jobId)?.job;
      const job = active?.job ?? queued ?? after ?? (await jobs.get(jobId));
      if (!job) return { kind: 'not_found' };
      if (job.owner !== userId) return { kind: 'not_owner' };
      if (after) return tooLate(after.videoId);
      if (active) {
        active.abortedFor = 'cancel';
        active.controller.abort();
        const videoId = await active.settled;
        return videoId ? tooLate(videoId) : { kind: 'cancelled' };
      }
      if (queued) {
        queue.splice(queue.indexOf(queued), 1);
        pump();
        // Resumed after a restart with a session: YouTube may have the whole file already.
        if (await settleCancel(queued, deps, careFor(queued))) {
          follow(queued);
          return tooLate(queued.videoId);
        }
        return { kind: 'cancelled' };
      }
      if (job.status === 'awaiting') {
        await endWithout(job, deps, careFor(job), 'cancelled', 'Cancelled by the uploader.', []);
        return { kind: 'cancelled' };
      }
      if (job.status === 'processing' && job.videoId) return tooLate(job.videoId);
      return FINISHED.includes(job.status) ? { kind: 'finished' } : { kind: 'not_found' };
    },
    /** A stored job (the Delete button of a cancel that came too late finds its video here). */
    get: (jobId: string) => jobs.get(jobId),
    /** Resumes every unfinished job from the store (after a restart). */
    async resume(): Promise<number> {
      const pendingJobs = await jobs.active();
      for (const job of pendingJobs) {
        logger.info(
          { jobId: job.id, owner: job.owner, status: job.status, received: job.received },
          'resuming upload',
        );
        if (job.status === 'processing' && job.videoId) follow(job);
        else if (job.status !== 'awaiting') queue.push(job);
      }
      pump();
      return pendingJobs.length;
    },
    /** Stops for shutdown: uploads and their steps are aborted but stay resumable. */
    async stop(): Promise<void> {
      stopping = true;
      shutdown.abort();
      for (const entry of sending.values()) {
        entry.abortedFor = 'shutdown';
        entry.controller.abort();
      }
      for (const { controller } of following.values()) controller.abort();
      await Promise.allSettled([...work]);
    },
    /** Queue and slot counts, for status displays (`following`: bytes in, steps after them running). */
    stats: () => ({ queued: queue.length, running: sending.size, following: following.size }),
  };
}

export type UploadService = ReturnType<typeof createUploads>;
