// Riding out a store outage. A job's saves, and the work that reads the store on its way (the grant
// behind a YouTube call, the day's quota count), are tried again with a growing pause until the store
// answers — never turned into a failed upload, and never given up while the bot runs: the video may
// already exist on YouTube, and the record is what a restart continues from. Meanwhile the member reads
// that the bot is waiting for its storage; when it answers, the message shows where the upload stands
// again. Only a shutdown (or, where the caller says so, a cancel) stops the wait.
import { setTimeout as sleep } from 'node:timers/promises';
import { storeErrorIn } from '../errors.ts';
import { jobView, type Show } from './display.ts';
import type { ProgressView } from './progress.ts';
import { FINISHED, type JobRecord } from './records.ts';
import type { UploadDeps } from './types.ts';

/** The wait for the store was stopped (shutdown, or a cancel): the record is as the store last took it. */
export class StoreWaitInterrupted extends Error {
  constructor(cause: unknown) {
    super('Stopped while waiting for the store to answer.', { cause });
    this.name = 'StoreWaitInterrupted';
  }
}

export interface JobCare {
  /** Shows a view (and remembers it, to show it again after a wait for the store). */
  readonly show: Show;
  /** Saves the job; while the store fails, waits and tries again. Throws StoreWaitInterrupted only. */
  save(): Promise<void>;
  /**
   * Runs `work`; when a store failure stops it, waits and runs it again (so it must be safe to repeat).
   * `signal` stops the wait too (by default only the shutdown does).
   */
  ride<T>(what: string, work: () => Promise<T>, signal?: AbortSignal): Promise<T>;
}

export function jobCare(job: JobRecord, deps: UploadDeps, shutdown: AbortSignal, show: Show): JobCare {
  const { logger, jobs } = deps;
  const { baseDelayMs, maxDelayMs } = deps.tuning.storeRetry;
  let last: ProgressView | undefined;
  /** Waits in progress (a save inside a ridden piece of work is one wait, shown once). */
  let waits = 0;

  const remembered: Show = (view, force = false) => {
    last = view;
    return show(view, force);
  };

  // A result already shown stays: the record catches up with it when the store answers.
  const waitBegins = async (): Promise<void> => {
    if (++waits === 1 && !FINISHED.includes(job.status)) await show(jobView(job, 'storage'), true);
  };
  const waitEnds = async (answered: boolean): Promise<void> => {
    if (--waits === 0 && answered && last && !FINISHED.includes(job.status)) await show(last, true);
  };

  async function ride<T>(what: string, work: () => Promise<T>, signal: AbortSignal = shutdown): Promise<T> {
    let waited = false;
    let answered = false;
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          const result = await work();
          answered = true;
          if (waited) logger.info({ jobId: job.id, what }, 'the store answers again; the upload goes on');
          return result;
        } catch (error) {
          if (error instanceof StoreWaitInterrupted || !storeErrorIn(error)) throw error;
          if (!waited) {
            waited = true;
            logger.warn(
              { jobId: job.id, what, err: error },
              'the store is not answering; waiting for it before the upload goes on',
            );
            await waitBegins();
          }
          const delay = Math.min(maxDelayMs, baseDelayMs * 2 ** attempt);
          if (!(await sleep(delay, true, { signal }).catch(() => false)))
            throw new StoreWaitInterrupted(error);
        }
      }
    } finally {
      if (waited) await waitEnds(answered);
    }
  }

  return { show: remembered, save: () => ride('save', () => jobs.save(job)), ride };
}
