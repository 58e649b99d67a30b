// The upload service: a queue shared by every process through the store. A job is run by the one
// process holding its lease (leases.ts): the process that accepted it, or — when that one died or
// handed it back (SIGTERM) — whichever finds it first. Slots (per member and for the whole bot) are
// counted in the store too. A job holds a slot only while its bytes go to YouTube (run.ts); the steps
// after them — processing follow-up, playlist, thumbnail, review or announcement, the final message
// (after-steps.ts) — run under the job's lease, outside the slots. A browser upload's lease follows its
// bytes: it is taken by the process its page sends to (`wanted`), not by a search of the store.
import { runSteps } from './after-steps.ts';
import { createDisplay, jobView } from './display.ts';
import { FINISHED, type JobRecord, type SourceFile } from './records.ts';
import { renderProgress } from './progress.ts';
import { jobCare, StoreWaitInterrupted } from './patience.ts';
import { endWithout, running, runBytes, type Running } from './run.ts';
import { titleFromFilename } from './metadata.ts';
import type { UploadDeps } from './types.ts';
import { heartbeat } from './heartbeat.ts';
import { canceller, type CancelResult } from './cancel.ts';

export { DEFAULT_TUNING } from './types.ts';
export type { ProgressSink, SinkFactory, UploadDeps, UploadTuning } from './types.ts';
export type { CancelResult } from './cancel.ts';

export function createUploads(deps: UploadDeps) {
  const { jobs, leases, logger, tuning } = deps;
  /** Jobs this process holds, waiting for a slot, oldest first. */
  const queue: JobRecord[] = [];
  /** Jobs sending bytes: these hold the slots. */
  const sending = new Map<string, Running>();
  /** Jobs whose bytes are in, running their recorded steps: no slot. */
  const following = new Map<string, { job: JobRecord; controller: AbortController; lost: boolean }>();
  /** Jobs held for a moment outside the queue (being expired, cancelled, begun). */
  const busy = new Set<string>();
  /** The queue position last shown per job (shown again only when it changes). */
  const shownPosition = new Map<string, number>();
  const work = new Set<Promise<void>>();
  /** Counters since start, for /metrics: jobs taken over from a dead process, and handed back. */
  const counts = { takenOver: 0, handedBack: 0 };
  let stopping = false;
  /** Aborted by stop(): ends the waits for a store that does not answer (the records say where jobs stand). */
  const shutdown = new AbortController();

  const persist = (job: JobRecord) => () => jobs.save(job);
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
  const holds = (jobId: string) =>
    busy.has(jobId) || sending.has(jobId) || following.has(jobId) || queue.some((j) => j.id === jobId);
  const heldJobs = (): JobRecord[] => [
    ...queue,
    ...[...sending.values()].map((r) => r.job),
    ...[...following.values()].map((f) => f.job),
  ];

  const track = (promise: Promise<void>): void => {
    const done = promise.finally(() => work.delete(done));
    work.add(done);
  };

  const enqueue = (job: JobRecord): void => {
    queue.push(job);
    queue.sort((a, b) => a.createdAt - b.createdAt);
  };

  /**
   * Gives a job back to the queue shared by all processes (a shutdown): its record says where it stands
   * (the bytes YouTube acknowledged, the steps done), and without a lease another process continues it
   * at once instead of waiting for the lease to run out.
   */
  async function handBack(job: JobRecord): Promise<void> {
    if (FINISHED.includes(job.status)) return;
    job.lease = undefined;
    try {
      await jobs.save(job);
      counts.handedBack++;
      logger.info({ jobId: job.id, status: job.status, received: job.received }, 'upload handed back');
    } catch (error) {
      logger.warn(
        { jobId: job.id, err: error },
        'could not hand the upload back; its lease runs out instead',
      );
    }
  }

  let pumping = false;
  let pumpAgain = false;
  /** Starts waiting jobs as slots free up (anywhere: the slots are counted in the store). */
  function pump(): void {
    if (stopping) return;
    if (pumping) {
      pumpAgain = true;
      return;
    }
    pumping = true;
    track(
      (async () => {
        do {
          pumpAgain = false;
          for (const job of [...queue]) {
            if (stopping || sending.size >= tuning.global) break;
            if (activeFor(job.owner) >= tuning.perMember) continue;
            let slot = false;
            try {
              slot = await leases.takeSlot(job, tuning);
            } catch (error) {
              logger.warn({ jobId: job.id, err: error }, 'could not take an upload slot; trying again');
            }
            if (!slot || stopping || !queue.includes(job)) continue;
            queue.splice(queue.indexOf(job), 1);
            shownPosition.delete(job.id);
            send(job);
          }
        } while (pumpAgain && !stopping);
        pumping = false;
        await showQueuePositions();
      })(),
    );
  }

  async function showQueuePositions(): Promise<void> {
    await Promise.all(
      queue.map(async (job, index) => {
        if (shownPosition.get(job.id) === index + 1) return;
        shownPosition.set(job.id, index + 1);
        await deps
          .sinkFor(job, persist(job))
          .show(renderProgress(jobView(job, 'queued', { queuePosition: index + 1 })), { cancellable: true });
      }),
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
        .then(async (bytesIn) => {
          await leases
            .releaseSlot(job.id)
            .catch((error: unknown) =>
              logger.warn({ jobId: job.id, err: error }, 'could not give the upload slot back; it runs out'),
            );
          sending.delete(job.id);
          pump();
          if (entry.abortedFor === 'lost') return;
          if (bytesIn && !stopping) follow(job);
          else if (stopping) await handBack(job);
        }),
    );
  }

  /** Runs the steps after the bytes are in, without a slot (under the job's lease). */
  function follow(job: JobRecord): void {
    const controller = new AbortController();
    const entry = { job, controller, lost: false };
    following.set(job.id, entry);
    track(
      runSteps(job, deps, controller.signal)
        .then(async (outcome) => {
          if (outcome !== 'paused' || entry.lost) return;
          logger.info({ jobId: job.id }, 'after-upload steps paused; they resume on the next start');
          await handBack(job);
        })
        .catch((error: unknown) => logger.error({ jobId: job.id, err: error }, 'after-upload steps crashed'))
        .finally(() => following.delete(job.id)),
    );
  }

  /** Shows and saves a job outside a run (its message edited at once), riding out a store outage. */
  const careFor = (job: JobRecord) =>
    jobCare(job, deps, shutdown.signal, createDisplay(deps.sinkFor(job, persist(job)), 0));

  /** Takes over a job found in the store: its process is gone, or handed it back. */
  function adopt(job: JobRecord, previous: JobRecord['lease']): void {
    if (previous !== undefined) counts.takenOver++;
    logger.info(
      {
        jobId: job.id,
        owner: job.owner,
        status: job.status,
        received: job.received,
        takenOver: previous !== undefined,
      },
      'resuming upload',
    );
    if (job.status === 'processing' && job.videoId) follow(job);
    else enqueue(job);
  }

  /** What a search of the store takes: jobs whose bytes or steps are left (a browser's only on SQLite). */
  const claimable = (job: JobRecord): boolean =>
    (job.status === 'processing' && job.videoId !== undefined) ||
    ((job.status === 'queued' || job.status === 'running') &&
      (job.source.kind !== 'browser' || leases.single));

  /** Looks for jobs nobody live holds and takes them; true when it found the store readable. */
  async function scan(): Promise<number> {
    const found = await jobs.active();
    let taken = 0;
    for (const record of found) {
      if (stopping) break;
      if (holds(record.id) || !claimable(record) || leases.live(record.lease)) continue;
      const job = await leases.claim(record.id, claimable);
      if (!job || holds(job.id)) continue;
      adopt(job, record.lease);
      taken++;
    }
    pump();
    return taken;
  }

  /** The job's lease is another process's now: stop running it here, touching nothing. */
  function letGo(jobId: string): void {
    logger.warn({ jobId }, 'upload lease lost; another process continues it');
    const active = sending.get(jobId);
    if (active) {
      active.abortedFor = 'lost';
      active.controller.abort();
    }
    const after = following.get(jobId);
    if (after) {
      after.lost = true;
      after.controller.abort();
    }
    const queued = queue.findIndex((j) => j.id === jobId);
    if (queued >= 0) queue.splice(queued, 1);
  }

  const cancels = canceller({
    deps,
    sending,
    queue,
    following,
    busy,
    forget: (jobId) => shownPosition.delete(jobId),
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
    letGo,
  });

  return {
    /** Accepts a prepared job, shown in the member's reply: stored at once, then queued. */
    async submit(job: JobRecord, reply: Reply | undefined): Promise<void> {
      if (reply) showIn(job, reply);
      // Held by this process from its first save, unless it waits for its page, or this process
      // stops: then it is left to the queue, and another process runs it.
      const runHere = job.status !== 'awaiting' && !stopping;
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
      if (stopping) return undefined;
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
      if (stopping) return undefined;
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
      if (stopping || holds(jobId)) return;
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
      if (!stopping) beat.start();
      return taken;
    },
    /**
     * Stops for shutdown: no new jobs are taken; uploads and their steps are aborted at the byte YouTube
     * kept and handed back to the queue, so another process continues them at once (or the next start).
     */
    async stop(): Promise<void> {
      stopping = true;
      beat.stop();
      shutdown.abort();
      for (const entry of sending.values()) {
        entry.abortedFor = 'shutdown';
        entry.controller.abort();
      }
      for (const { controller } of following.values()) controller.abort();
      const waiting = queue.splice(0);
      await Promise.allSettled([...waiting.map(handBack), ...work]);
      // Work that ended meanwhile may have started more: wait for that too.
      while (work.size > 0) await Promise.allSettled([...work]);
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
