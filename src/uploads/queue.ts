// The jobs this process holds, and how they move here: waiting in the queue (oldest first, their
// position shown to the member) → sending their bytes in a slot (run.ts; slots counted in the store,
// leases.ts) → running their recorded steps without a slot (after-steps.ts) → finished, or handed back
// to the queue shared by every process (a shutdown), or let go (another process took the lease).
// The upload service (jobs.ts) decides which jobs come here: accepted, begun, or taken over.
import { runSteps } from './after-steps.ts';
import { jobView } from './display.ts';
import { FINISHED, type JobRecord } from './records.ts';
import { renderProgress } from './progress.ts';
import { StoreWaitInterrupted } from './patience.ts';
import { running, runBytes, type Running } from './run.ts';
import type { UploadDeps } from './types.ts';
import { withoutLogFields } from '../logger.ts';

export function localQueue(deps: UploadDeps) {
  const { jobs, leases, logger, tuning } = deps;
  /** Jobs this process holds, waiting for a slot, oldest first. */
  const queue: JobRecord[] = [];
  /** Jobs sending bytes: these hold the slots. */
  const sending = new Map<string, Running>();
  /** Jobs whose bytes are in, running their recorded steps: no slot. */
  const following = new Map<string, { job: JobRecord; controller: AbortController; lost: boolean }>();
  /** Jobs held for a moment outside the queue (being expired, cancelled, begun). */
  const busy = new Set<string>();
  /**
   * The queue position last shown per job, and when: shown again when it changes, at most once per
   * progress interval (a start moves every job behind it; the next pass, within a second, shows the rest).
   */
  const shownPosition = new Map<string, { position: number; at: number }>();
  const work = new Set<Promise<void>>();
  /** Counters since start, for /metrics: jobs taken over from a dead process, and handed back. */
  const counts = { takenOver: 0, handedBack: 0 };
  let stopping = false;
  /** Aborted by stop(): ends the waits for a store that does not answer (the records say where jobs stand). */
  const shutdown = new AbortController();

  const persist = (job: JobRecord) => () => jobs.save(job);
  /** Jobs here holding a slot: sending, their bytes not all in yet. */
  const inSlots = () => [...sending.values()].filter((r) => !r.slotFreed);
  const activeFor = (owner: string) => inSlots().filter((r) => r.job.owner === owner).length;
  const holds = (jobId: string) =>
    busy.has(jobId) || sending.has(jobId) || following.has(jobId) || queue.some((j) => j.id === jobId);
  const heldJobs = (): JobRecord[] => [
    ...queue,
    ...[...sending.values()].map((r) => r.job),
    ...[...following.values()].map((f) => f.job),
  ];

  /** Starts work of the queue, tracked until it ends; it logs its own fields, not those of who started it. */
  const track = (start: () => Promise<void>): void => {
    const done = withoutLogFields(start).finally(() => work.delete(done));
    work.add(done);
  };

  /** An upload that had started sending (taken over, or handed back) goes first: its member sees it stalled. */
  const started = (job: JobRecord): number => (job.status === 'running' ? 0 : 1);
  const enqueue = (job: JobRecord): void => {
    queue.push(job);
    queue.sort((a, b) => started(a) - started(b) || a.createdAt - b.createdAt);
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
    track(async () => {
      do {
        pumpAgain = false;
        for (const job of [...queue]) {
          if (stopping || inSlots().length >= tuning.global) break;
          if (activeFor(job.owner) >= tuning.perMember) continue;
          let slot: Awaited<ReturnType<typeof leases.takeSlot>> | undefined;
          try {
            slot = await leases.takeSlot(job, tuning);
          } catch (error) {
            logger.warn({ jobId: job.id, err: error }, 'could not take an upload slot; trying again');
          }
          // Every slot of the bot is taken (in some process): no job behind this one gets one either.
          if (slot === 'full') break;
          if (slot !== 'taken' || stopping || !queue.includes(job)) continue;
          queue.splice(queue.indexOf(job), 1);
          shownPosition.delete(job.id);
          send(job);
        }
      } while (pumpAgain && !stopping);
      pumping = false;
      await showQueuePositions();
    });
  }

  async function showQueuePositions(): Promise<void> {
    await Promise.all(
      queue.map(async (job, index) => {
        const shown = shownPosition.get(job.id);
        const now = Date.now();
        if (shown?.position === index + 1) return;
        if (shown && now - shown.at < tuning.progressIntervalMs) return;
        shownPosition.set(job.id, { position: index + 1, at: now });
        await deps
          .sinkFor(job, persist(job))
          .show(renderProgress(jobView(job, 'queued', { queuePosition: index + 1 })), { cancellable: true });
      }),
    );
  }

  /** Sends the bytes in a slot; the slot is given back as soon as they are in (before they are recorded). */
  function send(job: JobRecord): void {
    const entry = running(job, shutdown.signal);
    sending.set(job.id, entry);
    let freed: Promise<void> | undefined;
    const freeSlot = (): Promise<void> => {
      entry.slotFreed = true;
      freed ??= leases
        .releaseSlot(job.id)
        .catch((error: unknown) =>
          logger.warn({ jobId: job.id, err: error }, 'could not give the upload slot back; it runs out'),
        )
        .then(pump);
      return freed;
    };
    track(() =>
      runBytes(entry, deps, () => void freeSlot())
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
          await freeSlot(); // pumps: the slot is free for a job waiting here
          sending.delete(job.id);
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
    track(() =>
      runSteps(job, deps, controller.signal)
        .then(async (outcome) => {
          if (outcome === 'lost') {
            entry.lost = true;
            logger.warn({ jobId: job.id }, 'upload lease lost; another process continues its steps');
          }
          if (outcome !== 'paused' || entry.lost) return;
          logger.info({ jobId: job.id }, 'after-upload steps paused; they resume on the next start');
          await handBack(job);
        })
        .catch((error: unknown) => logger.error({ jobId: job.id, err: error }, 'after-upload steps crashed'))
        .finally(() => following.delete(job.id)),
    );
  }

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
        // Above 0: taken before the lease ran out, because its owner's presence lock was free (it died).
        ...(previous ? { leaseLeftMs: Math.max(0, previous.until - Date.now()) } : {}),
      },
      'resuming upload',
    );
    if (job.status === 'processing' && job.videoId) follow(job);
    else enqueue(job);
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

  return {
    queue,
    sending,
    following,
    busy,
    counts,
    /** Aborted by drain(): ends the waits for a store that does not answer. */
    signal: shutdown.signal,
    /** Whether halt() was called: no new jobs are taken. */
    stopping: () => stopping,
    persist,
    holds,
    heldJobs,
    enqueue,
    pump,
    follow,
    adopt,
    letGo,
    /** The job left the queue (its shown position is forgotten). */
    forget: (jobId: string) => shownPosition.delete(jobId),
    /** No new jobs are taken or started from now on. */
    halt(): void {
      stopping = true;
    },
    /**
     * Aborts the uploads and their steps at the byte YouTube kept and hands them back to the shared
     * queue, with the jobs waiting here; resolves once all work here has ended.
     */
    async drain(): Promise<void> {
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
  };
}

export type LocalQueue = ReturnType<typeof localQueue>;
