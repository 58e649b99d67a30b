// SQLite serves ONE process: the bot takes a lock row at start (an `add`, 30 s expiry, renewed every 10 s)
// and a second process that finds it held by a live one refuses to start. A lock left by a process that
// died on this host (its pid is gone) is taken over at once instead of after its expiry.
import { hostname } from 'node:os';
import type { Logger } from '../logger.ts';
import type { Store } from './index.ts';
import { hideCredentials } from '../config.ts';

const LOCK_ID = 'sqlite';
export const LOCK_TTL_MS = 30_000;
const RENEW_MS = 10_000;

interface LockRecord {
  owner: string;
  host: string;
  pid: number;
  since: number;
}

/** Whether a process with this id runs on this host (EPERM: it does, as another user). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function holdProcessLock(
  store: Store,
  url: string,
  logger: Logger,
): Promise<{ release(): Promise<void> }> {
  const locks = store.collection<LockRecord>('process-lock');
  const mine: LockRecord = { owner: store.processId, host: hostname(), pid: process.pid, since: Date.now() };
  let won = await locks.add(LOCK_ID, mine, LOCK_TTL_MS);
  if (!won) {
    await locks.update(
      LOCK_ID,
      (current) => {
        won = current === undefined || (current.host === mine.host && !alive(current.pid));
        return won ? mine : undefined;
      },
      LOCK_TTL_MS,
    );
  }
  if (!won)
    throw new Error(
      `another process of the bot is already running on the SQLite store ${hideCredentials(url)}, and SQLite serves one process only: stop that one, or set STORE_URL=postgresql://… (PostgreSQL) to run several.`,
    );
  const renew = setInterval(() => {
    let held = false;
    locks
      .update(
        LOCK_ID,
        (current) => {
          held = current?.owner === mine.owner;
          return held && current ? { ...current } : undefined;
        },
        LOCK_TTL_MS,
      )
      .then(
        () => {
          if (!held)
            logger.error('another process took the SQLite store lock: only one process may use SQLite');
        },
        (error: unknown) => logger.warn({ err: error }, 'the SQLite store lock could not be renewed'),
      );
  }, RENEW_MS);
  renew.unref();
  return {
    async release() {
      clearInterval(renew);
      await locks
        .update(LOCK_ID, (current) => (current?.owner === mine.owner ? null : undefined))
        .catch((error: unknown) =>
          logger.warn({ err: error }, 'the SQLite store lock could not be released'),
        );
    },
  };
}
