// The upload queue's heartbeat in each process (src/uploads/jobs.ts): every second it looks whether a
// cancel was asked through the store for a job this process runs and whether a waiting job can have a
// slot now; every `renewMs` it renews the leases this process holds (a job whose lease another process
// took is let go at once); every `scanMs`, and as soon as a process's presence lock is let go (it died),
// it looks for jobs nobody runs (a dead process's, or handed back). On SQLite this process is the only
// one: nobody to renew against, take over from or cancel for.
import type { Logger } from '../logger.ts';
import type { JobLeases, LeaseTuning } from './leases.ts';
import type { JobRecord } from './records.ts';

export interface HeartbeatDeps {
  readonly leases: JobLeases;
  readonly logger: Logger;
  readonly tuning: LeaseTuning;
  /** Every job this process holds (waiting, sending, following). */
  held(): JobRecord[];
  /** The jobs that may still be cancelled (waiting or sending). */
  cancellable(): JobRecord[];
  /** The jobs holding an upload slot. */
  sending(): string[];
  /** Whether jobs wait for a slot. */
  waiting(): boolean;
  scan(): Promise<unknown>;
  pump(): void;
  cancel(jobId: string): Promise<unknown>;
  /** The job's lease is another process's now: stop running it here, touching nothing. */
  letGo(jobId: string): void;
}

export function heartbeat(deps: HeartbeatDeps) {
  const { leases, logger, tuning } = deps;
  let timer: NodeJS.Timeout | undefined;
  let ticking = false;
  let lastRenew = Date.now();
  let lastScan = Date.now();

  async function renewAll(): Promise<void> {
    for (const job of deps.held()) {
      let ours: boolean;
      try {
        ours = await leases.renew(job);
      } catch (error) {
        logger.warn({ jobId: job.id, err: error }, 'could not renew the upload lease');
        // Not renewed in time: another process may have taken it over.
        ours = (job.lease?.until ?? 0) > Date.now();
      }
      if (!ours) deps.letGo(job.id);
    }
    await leases
      .renewSlots(deps.sending())
      .catch((error: unknown) => logger.warn({ err: error }, 'could not renew the upload slots'));
  }

  /** Cancels pressed in another process for jobs this one runs: carried out here, once. */
  async function cancelsAsked(): Promise<void> {
    for (const job of deps.cancellable()) {
      const asked = await leases.takeCancel(job.id);
      if (asked?.by === job.owner) await deps.cancel(job.id);
    }
  }

  async function tick(): Promise<void> {
    if (ticking) return;
    ticking = true;
    try {
      const now = Date.now();
      if (!leases.single) {
        if (now - lastRenew >= tuning.renewMs) {
          lastRenew = now;
          await renewAll();
        }
        await cancelsAsked();
        // A process that died is looked for at once, not at the next search of the store.
        if (now - lastScan >= tuning.scanMs || (await leases.departed())) {
          lastScan = now;
          await deps.scan();
          return;
        }
      }
      if (deps.waiting()) deps.pump();
    } catch (error) {
      logger.warn({ err: error }, 'the upload queue could not be read; trying again');
    } finally {
      ticking = false;
    }
  }

  return {
    start(): void {
      lastScan = Date.now();
      if (timer) return;
      timer = setInterval(() => void tick(), tuning.tickMs);
      timer.unref();
    },
    stop(): void {
      clearInterval(timer);
    },
  };
}
