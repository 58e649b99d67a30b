// The store: one keyv instance (sqlite by default; redis or postgres chosen by STORE_URL) and typed
// collections on top of it, each a key prefix. Repositories for each feature build on `collection`.
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Keyv, { type KeyvStoreAdapter } from 'keyv';
import KeyvSqlite from '@keyv/sqlite';
import type { Logger } from '../logger.ts';
import { keyedSerial } from './serial.ts';
import { StoreError } from '../errors.ts';

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
  /**
   * Reads and deletes: the value is returned to one caller only, the one whose delete removed it (in
   * this process one at a time; across processes, the database's delete decides).
   */
  take(id: string): Promise<T | undefined>;
}

export interface Store {
  collection<T>(name: string): Collection<T>;
  /** True when the database answers a real round trip (a write read back) within a few seconds. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export { StoreError };

export interface StoreOptions {
  /** Wraps the adapter STORE_URL chose (tests put a switch in front of the real SQLite adapter). */
  readonly wrapAdapter?: ((adapter: KeyvStoreAdapter) => KeyvStoreAdapter) | undefined;
  /** How long ping waits for the round trip (default 5 s): a database that hangs is down too. */
  readonly pingTimeoutMs?: number | undefined;
}

async function adapterFor(url: string): Promise<KeyvStoreAdapter> {
  if (url.startsWith('sqlite://')) {
    const file = url.slice('sqlite://'.length);
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    return new KeyvSqlite({ uri: url, busyTimeout: 5000 });
  }
  // redis and postgres adapters are optional: installed only by those who use them.
  const pkg = url.startsWith('redis') ? '@keyv/redis' : '@keyv/postgres';
  try {
    const mod = (await import(pkg)) as { default: new (uri: string) => KeyvStoreAdapter };
    return new mod.default(url);
  } catch {
    throw new Error(`STORE_URL asks for ${pkg}, which is not installed: run "npm install ${pkg}".`);
  }
}

/** Runs one store operation; whatever it throws becomes a StoreError naming the collection. */
async function attempt<R>(
  operation: StoreError['operation'],
  collection: string,
  work: () => Promise<R>,
): Promise<R> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof StoreError) throw error;
    throw new StoreError(operation, collection, { cause: error });
  }
}

export async function createStore(url: string, logger: Logger, options: StoreOptions = {}): Promise<Store> {
  const adapter = await adapterFor(url);
  // keyv's default (throwOnErrors: false) turns a failed read into undefined and a failed write into
  // false: an index read that failed would then be rewritten as if it were empty.
  const keyv = new Keyv({
    store: options.wrapAdapter?.(adapter) ?? adapter,
    namespace: 'tubebridge',
    throwOnErrors: true,
    // What keyv throws, its callers log; it would emit each failure a second time.
    emitErrors: false,
  });
  // The adapter's own errors, outside any call (a connection lost or refused).
  adapter.on('error', (error: unknown) => logger.warn({ err: error }, 'store backend error'));
  // `take` is atomic against concurrent callers of this process.
  const serial = keyedSerial();
  const pingTimeoutMs = options.pingTimeoutMs ?? 5000;
  // One health key per process: processes sharing the store do not read each other's probes.
  const healthKey = `health:${randomUUID()}`;
  let healthy: boolean | undefined;

  const set = async (name: string, key: string, value: unknown, ttlMs?: number): Promise<void> => {
    // An adapter may answer false instead of throwing: that write did not happen either.
    if (!(await attempt('write', name, () => keyv.set(key, value, ttlMs))))
      throw new StoreError('write', name, { cause: new Error('the store answered false to a write') });
  };

  const collection = <T>(name: string): Collection<T> => {
    const key = (id: string) => `${name}:${id}`;
    return {
      get: (id) => attempt('read', name, () => keyv.get<T>(key(id))),
      set: (id, value, ttlMs) => set(name, key(id), value, ttlMs),
      delete: (id) => attempt('delete', name, () => keyv.delete(key(id))),
      take: (id) =>
        serial(key(id), async () => {
          const value = await attempt('read', name, () => keyv.get<T>(key(id)));
          if (value === undefined) return undefined;
          // Another process took it between our read and our delete: it is theirs.
          const deleted = await attempt('delete', name, () => keyv.delete(key(id)));
          return deleted ? value : undefined;
        }),
    };
  };

  /** Writes a fresh value, reads it back, removes it: throws unless all three worked. */
  const roundTrip = () =>
    serial(healthKey, async () => {
      const probe = randomUUID();
      await set('health', healthKey, probe, 60_000);
      const read = await attempt('read', 'health', () => keyv.get<string>(healthKey));
      if (read !== probe)
        throw new StoreError('read', 'health', { cause: new Error('the value read back differs') });
      await attempt('delete', 'health', () => keyv.delete(healthKey));
    });

  return {
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
    close: () => keyv.disconnect(),
  };
}
