// A store that fails on command: a hook where the store sends its statements to the database
// (`StoreOptions.beforeStatement`) that, while `fault` matches a statement, throws what SQLite throws when
// its disk fails, before the database is asked. Everything else goes through unchanged, so the data
// survives the outage.
import type { StatementHook, StoreMethod, StoreOp } from '../../src/store/index.ts';

export type { StoreOp, StoreMethod };

/**
 * Which statements fail: every one, or only reads of one collection. `op` is what the statement does
 * ('get' a read, 'set' a write, 'delete' a delete — `take` deletes, `add` writes, `update` reads then
 * writes or deletes), `key` the record's `tubebridge:<collection>:<id>`, `method` the collection method.
 */
export type Fault = (op: StoreOp, key: string, method: StoreMethod) => boolean;

export const everything: Fault = () => true;
export const readsOf =
  (collection: string): Fault =>
  (op, key) =>
    op === 'get' && key.includes(`:${collection}:`);

/** The switch: shared by every store it was given to (a restarted bot gets a new store, the same switch). */
export interface StoreSwitch {
  /** Set to make matching statements fail; undefined lets everything through. */
  fault: Fault | undefined;
  /** How many statements failed so far. */
  failures: number;
  /** What `StoreOptions.beforeStatement` (and `AppOptions.store.beforeStatement`) takes. */
  readonly hook: StatementHook;
}

export function storeSwitch(): StoreSwitch {
  const control: StoreSwitch = {
    fault: undefined,
    failures: 0,
    hook: (op, key, method) => {
      if (!control.fault?.(op, key, method)) return;
      control.failures++;
      // What node-sqlite3 rejects with when the database file cannot be read or written.
      throw Object.assign(new Error('SQLITE_IOERR: disk I/O error'), { errno: 10, code: 'SQLITE_IOERR' });
    },
  };
  return control;
}
