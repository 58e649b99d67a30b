// The two databases behind the store, one small interface: a statement with `$1…$n` parameters that
// returns its rows (RETURNING included), a transaction for the migrations, close. The SQL is the same for
// both wherever SQL allows; the few differences (how a new version number is made) are named here.

/** Runs one statement; its rows (none for a statement without RETURNING). */
export type Query = <R = Record<string, unknown>>(sql: string, params?: readonly unknown[]) => Promise<R[]>;

export interface Driver {
  readonly kind: 'sqlite' | 'postgres';
  readonly query: Query;
  /**
   * The SQL expression that makes a record's next version: a number taken from one counter of the whole
   * database, never handed out twice (so a record deleted and written again never shows a version a reader
   * saw before it was deleted).
   */
  readonly nextVersion: string;
  /**
   * Runs `work` in one transaction that no other process runs at the same time (PostgreSQL: an advisory
   * transaction lock; SQLite: BEGIN IMMEDIATE, the database's write lock). Only for the migrations at start,
   * before anything else uses the connection.
   */
  exclusive<T>(work: (query: Query) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** The driver STORE_URL names. `redis://` is refused: it cannot make the store's updates atomic across processes. */
export async function openDriver(url: string, onError: (error: Error) => void): Promise<Driver> {
  if (url.startsWith('sqlite://')) {
    const { openSqlite } = await import('./sqlite.ts');
    return openSqlite(url.slice('sqlite://'.length));
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    const { openPostgres } = await import('./postgres.ts');
    return openPostgres(url, onError);
  }
  if (/^rediss?:\/\//.test(url)) throw new Error(REDIS_REFUSED);
  throw new Error(
    'STORE_URL must start with sqlite:// (one process) or postgresql:// (one or more processes).',
  );
}

export const REDIS_REFUSED =
  'STORE_URL=redis://… is no longer supported, because the bot needs SQL transactions to do things once across processes: use postgresql://… (or sqlite://… for one process).';
