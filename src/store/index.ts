// The store: one keyv instance (sqlite by default; redis or postgres chosen by STORE_URL) and typed
// collections on top of it, each a key prefix. Repositories for each feature build on `collection`.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Keyv, { type KeyvStoreAdapter } from 'keyv';
import KeyvSqlite from '@keyv/sqlite';
import type { Logger } from '../logger.ts';
import { keyedSerial } from './serial.ts';

/** A typed view of one kind of record. */
export interface Collection<T> {
  get(id: string): Promise<T | undefined>;
  /** `ttlMs` makes the record expire on its own. */
  set(id: string, value: T, ttlMs?: number): Promise<void>;
  delete(id: string): Promise<boolean>;
  /** Reads and deletes in one step as far as this process goes: the read value is gone afterwards. */
  take(id: string): Promise<T | undefined>;
}

export interface Store {
  collection<T>(name: string): Collection<T>;
  /** True when the backing database answers. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
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

export async function createStore(url: string, logger: Logger): Promise<Store> {
  const keyv = new Keyv({ store: await adapterFor(url), namespace: 'tubebridge' });
  keyv.on('error', (error: unknown) => logger.error({ err: error }, 'store error'));
  // `take` is atomic against concurrent callers of this process.
  const serial = keyedSerial();

  const collection = <T>(name: string): Collection<T> => {
    const key = (id: string) => `${name}:${id}`;
    return {
      get: (id) => keyv.get<T>(key(id)),
      set: async (id, value, ttlMs) => {
        await keyv.set(key(id), value, ttlMs);
      },
      delete: (id) => keyv.delete(key(id)),
      take: (id) =>
        serial(key(id), async () => {
          const value = await keyv.get<T>(key(id));
          if (value !== undefined) await keyv.delete(key(id));
          return value;
        }),
    };
  };

  return {
    collection,
    ping: async () => {
      try {
        await keyv.get('healthz');
        return true;
      } catch {
        return false;
      }
    },
    close: () => keyv.disconnect(),
  };
}
