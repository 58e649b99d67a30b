// Cancelling an upload, wherever it runs. In the process running it, the transfer is aborted and the
// session asked whether YouTube had the whole file anyway (a video that exists is reported, not
// hidden). A job run by another live process is cancelled there: the request goes through the store,
// its holder carries it out at its next heartbeat, and this process waits to tell the member what
// became of it. A job nobody runs is taken (its lease) and cancelled here.
import { CANCELLED_OUTCOME, endWithout, settleCancel, type Running } from './run.ts';
import type { JobCare } from './patience.ts';
import { FINISHED, type JobRecord } from './records.ts';
import type { UploadDeps } from './types.ts';
import { setTimeout as sleep } from 'node:timers/promises';

export type CancelResult =
  | { kind: 'cancelled' }
  /** YouTube had the whole file: the video exists (its after-upload steps run as for any upload). */
  | { kind: 'too_late'; videoId: string }
  | { kind: 'not_owner' | 'not_found' | 'finished' };

export interface CancelDeps {
  readonly deps: UploadDeps;
  /** This process's jobs: sending bytes, waiting for a slot, running their steps. */
  readonly sending: ReadonlyMap<string, Running>;
  readonly queue: JobRecord[];
  readonly following: ReadonlyMap<string, { job: JobRecord }>;
  /** Jobs held for a moment outside the queue. */
  readonly busy: Set<string>;
  /** The job left the queue (its shown position is forgotten). */
  forget(jobId: string): void;
  pump(): void;
  follow(job: JobRecord): void;
  careFor(job: JobRecord): JobCare;
}

const tooLate = (videoId: string | undefined): CancelResult =>
  videoId ? { kind: 'too_late', videoId } : { kind: 'not_found' };

export function canceller(c: CancelDeps) {
  const { jobs, leases } = c.deps;

  /** Cancels a job this process holds; undefined when it holds none by that id. */
  async function cancelHere(jobId: string): Promise<CancelResult | undefined> {
    const active = c.sending.get(jobId);
    const queued = c.queue.find((j) => j.id === jobId);
    const after = c.following.get(jobId)?.job;
    if (after) return tooLate(after.videoId);
    if (active) {
      active.abortedFor = 'cancel';
      active.controller.abort();
      const videoId = await active.settled;
      return videoId ? tooLate(videoId) : { kind: 'cancelled' };
    }
    if (queued) {
      c.queue.splice(c.queue.indexOf(queued), 1);
      c.forget(queued.id);
      c.pump();
      return cancelHeld(queued);
    }
    return undefined;
  }

  /** Cancels a job held but not running (queued): YouTube may have the whole file already. */
  async function cancelHeld(job: JobRecord): Promise<CancelResult> {
    if (await settleCancel(job, c.deps, c.careFor(job))) {
      c.follow(job);
      return tooLate(job.videoId);
    }
    return { kind: 'cancelled' };
  }

  /** Waits for the process running a job to carry out a cancel asked of it; what became of the job. */
  async function cancelElsewhere(job: JobRecord, userId: string): Promise<CancelResult> {
    await leases.requestCancel(job.id, userId);
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      await sleep(500);
      const now = await jobs.get(job.id);
      if (!now) return { kind: 'not_found' };
      if (now.status === 'cancelled') return { kind: 'cancelled' };
      if (now.videoId) return tooLate(now.videoId);
      if (FINISHED.includes(now.status)) return { kind: 'finished' };
      // Its process died meanwhile: the cancel is this process's to carry out.
      if (!leases.live(now.lease)) return cancelStored(now.id, userId);
    }
    // The other process carries it out when it can; its progress message shows the outcome.
    return { kind: 'cancelled' };
  }

  /** Cancels a job found in the store, run by no process or another. */
  async function cancelStored(jobId: string, userId: string): Promise<CancelResult> {
    const job = await jobs.get(jobId);
    if (!job) return { kind: 'not_found' };
    if (job.owner !== userId) return { kind: 'not_owner' };
    if (FINISHED.includes(job.status)) return { kind: 'finished' };
    if (job.status === 'processing' && job.videoId) return tooLate(job.videoId);
    const mine = await leases.claim(jobId, () => true);
    if (!mine) return cancelElsewhere(job, userId);
    c.busy.add(jobId);
    try {
      if (mine.status === 'awaiting') {
        await endWithout(mine, c.deps, c.careFor(mine), 'cancelled', CANCELLED_OUTCOME, []);
        return { kind: 'cancelled' };
      }
      return await cancelHeld(mine);
    } finally {
      c.busy.delete(jobId);
    }
  }

  return { here: cancelHere, stored: cancelStored };
}
