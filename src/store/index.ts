// The store: our own SQL table `records` on SQLite (one process) or PostgreSQL (one or many), typed
// collections on top of it. Repositories for each feature build on `collection`. What must happen once
// across processes is decided by one statement of the database (add, take, a conditional update).
import { randomBytes, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from '../logger.ts';
import { StoreError } from '../errors.ts';
import { openDriver } from './driver.ts';
import { migrate } from './migrations.ts';
import { attempt, sqlCollection, type StatementHook } from './collection.ts';
import { holdProcessLock } from './process-lock.ts';
import { holdPresence, type Presence } from './presence.ts';

export type { StoreOp, StoreMethod, StatementHook } from './collection.ts';

/**
 * A typed view of one kind of record. Every method either does what it says or throws a StoreError:
 * a read that failed is never "not there", a write that failed never passes for done.
 */
export interface Collection<T> {
  /** undefined only when the record is not there (or expired). */
  get(id: string): Promise<T | undefined>;
  /** `ttlMs` makes the record expire on its own. */
  set(id: string, value: T, ttlMs?: number): Promise<void>;
  /** False when there was nothing to delete. */
  delete(id: string): Promise<boolean>;
  /** DELETE … RETURNING: the value goes to exactly one caller across all processes. */
  take(id: string): Promise<T | undefined>;
  /**
   * INSERT … ON CONFLICT DO NOTHING (an expired row counts as absent): true only for the one caller,
   * across all processes, whose insert created the record.
   */
  add(id: string, value: T, ttlMs?: number): Promise<boolean>;
  /**
   * Atomic read-modify-write across processes: reads the record and its version, calls `change`, and
   * writes with `UPDATE … WHERE version = $read` (or `add` when there was none); when another writer came
   * first it reads again and calls `change` again. `change` must be free of side effects (it may run
   * several times; the LAST call is the one that counts). It returns the new value, `undefined` to leave
   * the record as it is (nothing written), or `null` to delete it. Resolves to the value stored after.
   * `ttlMs` (when given) sets the new expiry. What `change` throws, update throws as it is (nothing written).
   */
  update(
    id: string,
    change: (current: T | undefined) => T | null | undefined,
    ttlMs?: number,
  ): Promise<T | undefined>;
}

export interface Store {
  collection<T>(name: string): Collection<T>;
  /** True when the database answers a real round trip (a write read back) within a few seconds. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
  readonly kind: 'sqlite' | 'postgres';
  /** This process, `<hostname>:<pid>:<random>`: the owner of the leases it takes. */
  readonly processId: string;
  /**
   * PostgreSQL, in the bot: this process's presence lock and whose are held, so a dead process's leases
   * are seen at once (src/store/presence.ts). Absent on SQLite (one process) and in tools.
   */
  readonly presence?: Pick<Presence, 'held' | 'snapshot' | 'notify' | 'subscribe'> | undefined;
}

export { StoreError };

export interface StoreOptions {
  /**
   * Tests: called before each statement about a record ('get' a read, 'set' a write, 'delete' a delete);
   * what it throws, the statement throws, as if the database had failed (test/support/faulty-store.ts).
   */
  readonly beforeStatement?: StatementHook | undefined;
  /** How long ping waits for the round trip (default 5 s): a database that hangs is down too. */
  readonly pingTimeoutMs?: number | undefined;
  /**
   * Take SQLite's one-process lock (the bot does; a tool that reads the file beside it does not): a second
   * process that finds it held refuses to start. On PostgreSQL, hold this process's presence lock instead.
   */
  readonly processLock?: boolean | undefined;
  /** How often expired records are deleted (default 10 min; they read as absent before that already). */
  readonly sweepIntervalMs?: number | undefined;
}

export async function createStore(url: string, logger: Logger, options: StoreOptions = {}): Promise<Store> {
  const driver = await openDriver(url, (error) => logger.warn({ err: error }, 'store backend error'));
  const processId = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  let lock: { release(): Promise<void> } | undefined;
  let presence: Presence | undefined;
  try {
    const applied = await migrate(driver);
    if (applied.length > 0) logger.info({ migrations: applied }, 'store migrated');
  } catch (error) {
    await driver.close().catch(() => undefined);
    throw error;
  }
  const hook = options.beforeStatement;
  const collection = <T>(name: string): Collection<T> => sqlCollection<T>(driver, name, hook);
  const pingTimeoutMs = options.pingTimeoutMs ?? 5000;
  let healthy: boolean | undefined;

  /** Writes a fresh value, reads it back, removes it: throws unless all three worked. */
  const roundTrip = async () => {
    // A key of its own per round trip: two pings at once, or processes sharing the store, never meet.
    const health = collection<string>('health');
    const key = `${processId}:${randomUUID()}`;
    const probe = randomUUID();
    await health.set(key, probe, 60_000);
    if ((await health.get(key)) !== probe)
      throw new StoreError('read', 'health', { cause: new Error('the value read back differs') });
    await health.delete(key);
  };

  const sweep = () =>
    attempt('delete', 'records', () =>
      driver.query('DELETE FROM records WHERE expires_at IS NOT NULL AND expires_at <= $1', [Date.now()]),
    ).catch((error: unknown) => logger.warn({ err: error }, 'expired records could not be swept'));
  const sweeper = setInterval(() => void sweep(), options.sweepIntervalMs ?? 10 * 60_000);
  sweeper.unref();

  const store: Store = {
    kind: driver.kind,
    processId,
    collection,
    ping: async () => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${pingTimeoutMs} ms`)), pingTimeoutMs);
      });
      try {
        await Promise.race([roundTrip(), timeout]);
        if (healthy === false) logger.info('the store answers again');
        healthy = true;
        return true;
      } catch (error) {
        // Logged when it goes down, not at every health check while it stays down.
        if (healthy !== false) logger.error({ err: error }, 'the store is not answering');
        healthy = false;
        return false;
      } finally {
        clearTimeout(timer);
      }
    },
    get presence() {
      return presence;
    },
    close: async () => {
      clearInterval(sweeper);
      await lock?.release();
      await presence?.release();
      await driver.close();
    },
  };

  try {
    if (options.processLock && driver.kind === 'sqlite') lock = await holdProcessLock(store, url, logger);
    if (options.processLock && driver.kind === 'postgres')
      presence = await holdPresence(url, processId, driver.query, logger);
  } catch (error) {
    clearInterval(sweeper);
    await driver.close().catch(() => undefined);
    throw error;
  }
  await sweep();
  return store;
}
