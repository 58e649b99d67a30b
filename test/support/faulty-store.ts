// A keyv store adapter that fails on command: it wraps the real adapter (@keyv/sqlite in the bot) and,
// while `fault` matches an operation, throws what SQLite throws when its disk fails, before the real
// adapter is touched. Everything else goes through unchanged, so the data survives the outage.
import { EventEmitter } from 'node:events';
import type { KeyvStoreAdapter, StoredData } from 'keyv';

export type StoreOp = 'get' | 'set' | 'delete' | 'clear' | 'has';

/** Which operations fail: every one, or only reads of one collection. */
export type Fault = (op: StoreOp, key: string) => boolean;

export const everything: Fault = () => true;
export const readsOf =
  (collection: string): Fault =>
  (op, key) =>
    op === 'get' && key.includes(`:${collection}:`);

/** The switch: shared by every adapter it wrapped (a restarted bot gets a new adapter, the same switch). */
export interface StoreSwitch {
  /** Set to make matching operations fail; undefined lets everything through. */
  fault: Fault | undefined;
  /** How many operations failed so far. */
  failures: number;
  /** What `AppOptions.store.wrapAdapter` takes. */
  readonly wrap: (adapter: KeyvStoreAdapter) => KeyvStoreAdapter;
}

export function storeSwitch(): StoreSwitch {
  const control: StoreSwitch = {
    fault: undefined,
    failures: 0,
    wrap: (adapter) => new FaultyAdapter(adapter, control),
  };
  return control;
}

export class FaultyAdapter extends EventEmitter {
  readonly inner: KeyvStoreAdapter;
  private readonly control: StoreSwitch;

  constructor(inner: KeyvStoreAdapter, control: StoreSwitch) {
    super();
    this.inner = inner;
    this.control = control;
    inner.on('error', (error: unknown) => this.emit('error', error));
  }

  get opts(): unknown {
    return this.inner.opts as unknown;
  }

  get namespace(): string | undefined {
    return this.inner.namespace;
  }

  set namespace(value: string | undefined) {
    this.inner.namespace = value;
  }

  private check(op: StoreOp, key: string): void {
    if (!this.control.fault?.(op, key)) return;
    this.control.failures++;
    // What node-sqlite3 rejects with when the database file cannot be read or written.
    throw Object.assign(new Error('SQLITE_IOERR: disk I/O error'), { errno: 10, code: 'SQLITE_IOERR' });
  }

  async get<Value>(key: string): Promise<StoredData<Value> | undefined> {
    this.check('get', key);
    return this.inner.get<Value>(key);
  }

  async set(key: string, value: unknown, ttl?: number): Promise<unknown> {
    this.check('set', key);
    return (await this.inner.set(key, value, ttl)) as unknown;
  }

  async delete(key: string): Promise<boolean> {
    this.check('delete', key);
    return this.inner.delete(key);
  }

  async clear(): Promise<void> {
    this.check('clear', '');
    return this.inner.clear();
  }

  async has(key: string): Promise<boolean> {
    this.check('has', key);
    return (await this.inner.has?.(key)) ?? (await this.inner.get(key)) !== undefined;
  }

  async disconnect(): Promise<void> {
    await this.inner.disconnect?.();
  }
}
