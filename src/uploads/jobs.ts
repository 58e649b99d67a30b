// The upload service: a queue shared by every process through the store. A job is run by the one
// process holding its lease (leases.ts): the process that accepted it, or — when that one died or
// handed it back (SIGTERM) — whichever finds it first. Slots (per member and for the whole bot) are
// counted in the store too. A job holds a slot only while its bytes go to YouTube (run.ts); the steps
// after them — processing follow-up, playlist, thumbnail, review or announcement, the final message
// (after-steps.ts) — run under the job's lease, outside the slots. A browser upload's lease follows its
// bytes: it is taken by the process its page sends to (`wanted`), not by a search of the store.
// This file decides which jobs this process takes (accepted, begun, taken over) and answers for them;
// how the jobs it holds move — queue, slots, bytes, steps, hand-back — is queue.ts.
import { createDisplay } from './display.ts';
import type { JobRecord, SourceFile } from './records.ts';
import { jobCare } from './patience.ts';
import { endWithout } from './run.ts';
import { note } from './notes.ts';
import { titleFromFilename } from './metadata.ts';
import type { UploadDeps } from './types.ts';
import { heartbeat } from './heartbeat.ts';
import { canceller, type CancelResult } from './cancel.ts';
import { localQueue } from './queue.ts';

export { DEFAULT_TUNING } from './types.ts';
export type { ProgressSink, SinkFactory, UploadDeps, UploadTuning } from './types.ts';
export type { CancelResult } from './cancel.ts';

export function createUploads(deps: UploadDeps) {
  const { jobs, leases, logger, tuning } = deps;
  const runs = localQueue(deps);
  const { queue, sending, following, busy, counts, enqueue, pump, follow, holds, heldJobs, adopt } = runs;
  // A slot freed in another process starts a job waiting here at once.
  leases.onSlotFreed(() => {
    if (queue.length > 0) pump();
  });

  type Reply = { applicationId: string; token: string; createdAt: number };
  const showIn = (job: JobRecord, reply: Reply) => {
    job.progress.reply = {
      applicationId: reply.applicationId,
      token: jobs.sealToken(job, reply.token),
      // The token's 15 minutes started when the member ran the command, not now.
      moveAt: reply.createdAt + tuning.replyLifetimeMs,
    };
  };

  /** Shows and saves a job outside a run (its message edited at once), riding out a store outage. */
  const careFor = (job: JobRecord) =>
    jobCare(job, deps, runs.signal, createDisplay(deps.sinkFor(job, runs.persist(job)), 0));

  /** What a search of the store takes: jobs whose bytes or steps are left (a browser's only on SQLite). */
  const claimable = (job: JobRecord): boolean =>
    (job.status === 'processing' && job.videoId !== undefined) ||
    ((job.status === 'queued' || job.status === 'running') &&
      (job.source.kind !== 'browser' || leases.single));

  /** Looks for jobs nobody live holds and takes them; true when it found the store readable. */
  async function scan(): Promise<number> {
    const view = await leases.presenceNow();
    const found = await jobs.active();
    let taken = 0;
    for (const record of found) {
      if (runs.stopping()) break;
      if (holds(record.id) || !claimable(record) || leases.live(record.lease, Date.now(), view)) continue;
      const job = await leases.claim(record.id, claimable, view);
      if (!job || holds(job.id)) continue;
      adopt(job, record.lease);
      taken++;
    }
    // Only now are the dead process's slots free for this process's pump: its taken-over uploads first.
    leases.accept(view);
    pump();
    return taken;
  }

  const cancels = canceller({
    deps,
    sending,
    queue,
    following,
    busy,
    forget: runs.forget,
    pump,
    follow,
    careFor,
  });

  const beat = heartbeat({
    leases,
    logger,
    tuning: tuning.lease,
    held: heldJobs,
    cancellable: () => [...queue, ...[...sending.values()].map((r) => r.job)],
    sending: () => [...sending.keys()],
    waiting: () => queue.length > 0,
    scan,
    pump,
    cancel: cancels.here,
    letGo: runs.letGo,
  });

  return {
    /** Accepts a prepared job, shown in the member's reply: stored at once, then queued. */
    async submit(job: JobRecord, reply: Reply | undefined): Promise<void> {
      if (reply) showIn(job, reply);
      // Held by this process from its first save, unless it waits for its page, or this process
      // stops: then it is left to the queue, and another process runs it.
      const runHere = job.status !== 'awaiting' && !runs.stopping();
      job.lease = runHere ? leases.fresh() : undefined;
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
      if (!runHere) return; // a browser upload: queued once its page sends the file
      enqueue(job);
      pump();
    },
    /**
     * The upload page chose the file of a job that awaited it: the size and name are recorded (the
     * title from the name, when none was given) and the job is queued like any other, in this process
     * (the one the page sends its bytes to). Undefined when the job awaits nothing (already started,
     * ended or unknown).
     */
    async begin(jobId: string, file: { size: number; filename: string }): Promise<JobRecord | undefined> {
      if (runs.stopping()) return undefined;
      const job = await leases.claim(jobId, (j) => j.status === 'awaiting');
      if (!job) return undefined;
      job.source = { ...job.source, size: file.size, filename: file.filename };
      if (job.titleFromFile) {
        job.metadata = {
          ...job.metadata,
          snippet: { ...job.metadata.snippet, title: titleFromFilename(file.filename) },
        };
      }
      job.status = 'queued';
      await jobs.save(job);
      enqueue(job);
      pump();
      return job;
    },
    /**
     * The member sent the file of a job that awaited it through Discord's form instead of the page:
     * the job becomes an attachment upload (its file checked by the caller as any attachment), shown
     * in the form's reply, and queued like any other; its page link is spent. The title typed in the
     * form wins; none typed and none given before, it comes from the file's name. Undefined when the
     * job awaits nothing (its page started sending, it ended, or it is unknown). The job's lease, taken
     * in the store, decides between the page and the form, in any process.
     */
    async attach(
      jobId: string,
      file: { source: SourceFile; title: string | undefined },
      reply: Reply,
    ): Promise<JobRecord | undefined> {
      if (runs.stopping()) return undefined;
      const job = await leases.claim(jobId, (j) => j.status === 'awaiting' && j.source.kind === 'browser');
      if (!job) return undefined;
      job.source = file.source;
      const title = file.title ?? (job.titleFromFile ? titleFromFilename(file.source.filename) : undefined);
      if (title !== undefined)
        job.metadata = { ...job.metadata, snippet: { ...job.metadata.snippet, title } };
      job.titleFromFile = undefined;
      job.progress.page = undefined;
      showIn(job, reply);
      job.status = 'queued';
      await jobs.save(job);
      enqueue(job);
      pump();
      return job;
    },
    /**
     * The upload page sends bytes of a job this process does not run: its lease follows the bytes, so
     * this process takes the job when its holder is gone or handed it back.
     */
    async wanted(jobId: string): Promise<void> {
      if (runs.stopping() || holds(jobId)) return;
      busy.add(jobId);
      try {
        const before = await jobs.get(jobId);
        const job = await leases.claim(
          jobId,
          (j) => j.source.kind === 'browser' && (j.status === 'queued' || j.status === 'running'),
        );
        if (job) adopt(job, before?.lease);
      } catch (error) {
        logger.warn({ jobId, err: error }, 'could not take the upload over; the page tries again');
      } finally {
        busy.delete(jobId);
      }
      pump();
    },
    /** Browser uploads whose page never sent a file within `maxAgeMs`: ended quietly, the reply says so. */
    async expireAwaiting(maxAgeMs: number, now = Date.now()): Promise<number> {
      const stale = (await jobs.active()).filter(
        (j) => j.status === 'awaiting' && now - j.createdAt > maxAgeMs,
      );
      let ended = 0;
      for (const record of stale) {
        // Once, whichever process looks: the one whose claim wins ends it.
        const job = await leases.claim(record.id, (j) => j.status === 'awaiting');
        if (!job) continue;
        busy.add(job.id);
        try {
          await endWithout(job, deps, careFor(job), 'cancelled', note('upload.failure.linkExpired'), [
            note('upload.failure.linkExpiredNote'),
          ]);
          ended++;
        } finally {
          busy.delete(job.id);
        }
      }
      return ended;
    },
    /**
     * Cancels a queued or sending job; only its owner may. Even after the last byte is sent (the
     * button is hidden then, but a press may still come) the PUT is aborted, since those bytes may
     * still be on their way; then the session says whether YouTube had the whole file. If it made
     * the video, the cancel is too late: the video is reported uploaded and its steps run. A job run by
     * another process is cancelled there (asked through the store).
     */
    async cancel(jobId: string, userId: string): Promise<CancelResult> {
      const local = sending.get(jobId)?.job ?? queue.find((j) => j.id === jobId) ?? following.get(jobId)?.job;
      if (local) {
        if (local.owner !== userId) return { kind: 'not_owner' };
        return (await cancels.here(jobId)) ?? { kind: 'not_found' };
      }
      return cancels.stored(jobId, userId);
    },
    /** A stored job (the Delete button of a cancel that came too late finds its video here). */
    get: (jobId: string) => jobs.get(jobId),
    /**
     * Takes every unfinished job nobody runs (after a restart: this process's own from before), then
     * keeps looking: leases renewed, jobs of processes that died taken over, cancels asked elsewhere.
     */
    async resume(): Promise<number> {
      const taken = await scan();
      if (!runs.stopping()) beat.start();
      return taken;
    },
    /**
     * Stops for shutdown: no new jobs are taken; uploads and their steps are aborted at the byte YouTube
     * kept and handed back to the queue, so another process continues them at once (or the next start).
     */
    async stop(): Promise<void> {
      runs.halt();
      beat.stop();
      await runs.drain();
    },
    /**
     * This process's queue and slot counts, for status displays and /metrics (`following`: bytes in,
     * steps after them running; `leasesHeld`: every job it holds; `takenOver`: jobs of a process that
     * died, taken over since start; `handedBack`: jobs given back to the shared queue at shutdown).
     */
    stats: () => ({
      queued: queue.length,
      running: sending.size,
      following: following.size,
      leasesHeld: heldJobs().length,
      ...counts,
    }),
  };
}

export type UploadService = ReturnType<typeof createUploads>;
