// A collection: the records of one kind in the `records` table, each a JSON value with a version and an
// optional expiry. Every method is one statement (update: a read, then one conditional write, again while
// another writer comes first), so what must happen once is decided by the database, in any process.
import type { Driver } from './driver.ts';
import type { Collection } from './index.ts';
import { StoreError } from '../errors.ts';

/** What a statement does to a record, as the test hook sees it ('get' reads, 'set' writes, 'delete' deletes). */
export type StoreOp = 'get' | 'set' | 'delete';
/** The collection method a statement belongs to. */
export type StoreMethod = 'get' | 'set' | 'delete' | 'take' | 'add' | 'update';
/** Called before each statement about a record, with its key `tubebridge:<collection>:<id>`; what it throws,
 *  the statement throws (tests inject the database's own failures with it); a promise it returns, the
 *  statement waits for (tests let another writer come between a read and a write). */
export type StatementHook = (op: StoreOp, key: string, method: StoreMethod) => void | Promise<void>;

interface Row {
  value: string;
  version: string | number;
  expires_at: string | number | null;
}

/** How many times `update` reads again after losing to another writer before it gives up. */
const MAX_UPDATE_ROUNDS = 1000;

const live = (expiresAt: string | number | null, now: number) =>
  expiresAt === null || Number(expiresAt) > now;

/** Runs one store operation; whatever it throws becomes a StoreError naming the collection. */
export async function attempt<R>(
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

export function sqlCollection<T>(
  driver: Driver,
  name: string,
  hook: StatementHook | undefined,
): Collection<T> {
  const V = driver.nextVersion;
  const statement = async <R>(
    op: StoreOp,
    method: StoreMethod,
    id: string,
    sql: string,
    params: readonly unknown[],
  ): Promise<R[]> => {
    await hook?.(op, `tubebridge:${name}:${id}`, method);
    return driver.query<R>(sql, params);
  };
  const expiry = (ttlMs: number | undefined) => (ttlMs === undefined ? null : Date.now() + ttlMs);

  const read = async (id: string, method: StoreMethod) => {
    const rows = await statement<Row>(
      'get',
      method,
      id,
      'SELECT value, version, expires_at FROM records WHERE collection = $1 AND id = $2',
      [name, id],
    );
    const row = rows[0];
    return row !== undefined && live(row.expires_at, Date.now()) ? row : undefined;
  };

  /** INSERT … ON CONFLICT: true when this insert created the record (an expired one counts as absent). */
  const insert = async (id: string, value: T, ttlMs: number | undefined, method: StoreMethod) => {
    const rows = await statement(
      'set',
      method,
      id,
      `INSERT INTO records (collection, id, value, version, expires_at) VALUES ($1, $2, $3, ${V}, $4)
       ON CONFLICT (collection, id) DO UPDATE
         SET value = excluded.value, version = excluded.version, expires_at = excluded.expires_at
         WHERE records.expires_at IS NOT NULL AND records.expires_at <= $5
       RETURNING version`,
      [name, id, JSON.stringify(value), expiry(ttlMs), Date.now()],
    );
    return rows.length === 1;
  };

  return {
    get: (id) =>
      attempt('read', name, async () => {
        const row = await read(id, 'get');
        return row === undefined ? undefined : (JSON.parse(row.value) as T);
      }),
    set: (id, value, ttlMs) =>
      attempt('write', name, async () => {
        await statement(
          'set',
          'set',
          id,
          `INSERT INTO records (collection, id, value, version, expires_at) VALUES ($1, $2, $3, ${V}, $4)
           ON CONFLICT (collection, id) DO UPDATE
             SET value = excluded.value, version = excluded.version, expires_at = excluded.expires_at`,
          [name, id, JSON.stringify(value), expiry(ttlMs)],
        );
      }),
    delete: (id) =>
      attempt('delete', name, async () => {
        const rows = await statement<Pick<Row, 'expires_at'>>(
          'delete',
          'delete',
          id,
          'DELETE FROM records WHERE collection = $1 AND id = $2 RETURNING expires_at',
          [name, id],
        );
        // An expired record was not there to delete (it goes all the same).
        return rows.some((r) => live(r.expires_at, Date.now()));
      }),
    take: (id) =>
      attempt('delete', name, async () => {
        // One DELETE … RETURNING: the database hands the row to exactly one deleter.
        const rows = await statement<Pick<Row, 'value' | 'expires_at'>>(
          'delete',
          'take',
          id,
          'DELETE FROM records WHERE collection = $1 AND id = $2 RETURNING value, expires_at',
          [name, id],
        );
        const row = rows[0];
        return row !== undefined && live(row.expires_at, Date.now())
          ? (JSON.parse(row.value) as T)
          : undefined;
      }),
    add: (id, value, ttlMs) => attempt('write', name, () => insert(id, value, ttlMs, 'add')),
    // Each statement is its own attempt; what `change` throws, update throws as it is (nothing written).
    update: async (id, change, ttlMs) => {
      for (let round = 0; round < MAX_UPDATE_ROUNDS; round++) {
        const row = await attempt('read', name, () => read(id, 'update'));
        const current = row === undefined ? undefined : (JSON.parse(row.value) as T);
        const next = change(current);
        if (next === undefined) return current;
        if (next === null) {
          if (row === undefined) return undefined;
          const gone = await attempt('delete', name, () =>
            statement(
              'delete',
              'update',
              id,
              'DELETE FROM records WHERE collection = $1 AND id = $2 AND version = $3 RETURNING version',
              [name, id, row.version],
            ),
          );
          if (gone.length === 1) return undefined;
          continue;
        }
        if (row === undefined) {
          if (await attempt('write', name, () => insert(id, next, ttlMs, 'update'))) return next;
          continue;
        }
        // Written only if nobody wrote since our read (and it did not expire meanwhile).
        const written = await attempt('write', name, () =>
          statement(
            'set',
            'update',
            id,
            `UPDATE records SET value = $3, version = ${V}, expires_at = COALESCE($4, expires_at)
             WHERE collection = $1 AND id = $2 AND version = $5 AND (expires_at IS NULL OR expires_at > $6)
             RETURNING version`,
            [name, id, JSON.stringify(next), expiry(ttlMs), row.version, Date.now()],
          ),
        );
        if (written.length === 1) return next;
      }
      throw new StoreError('write', name, {
        cause: new Error(`gave up after ${MAX_UPDATE_ROUNDS} rounds of concurrent writers`),
      });
    },
  };
}
