// SQLite through node-sqlite3: one connection, WAL, a busy timeout. For ONE process (the bot takes a
// lock row at start, src/store/process-lock.ts); a second connection to the same file still sees the
// database's own locking, so nothing breaks, it just waits.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import sqlite3 from 'sqlite3';
import type { Driver, Query } from './driver.ts';

const BUSY_TIMEOUT_MS = 5000;

/** `$1…$n` (the SQL both drivers share) as SQLite's numbered parameters `?1…?n`. */
const numbered = (sql: string) => sql.replace(/\$(\d+)/g, '?$1');

export async function openSqlite(file: string): Promise<Driver> {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const db = await new Promise<sqlite3.Database>((resolve, reject) => {
    const opened: sqlite3.Database = new sqlite3.Database(file, (error) =>
      error ? reject(error) : resolve(opened),
    );
  });
  db.configure('busyTimeout', BUSY_TIMEOUT_MS);
  const query: Query = <R>(sql: string, params: readonly unknown[] = []) =>
    new Promise<R[]>((resolve, reject) => {
      db.all<R>(numbered(sql), params, (error, rows) => (error ? reject(error) : resolve(rows)));
    });
  await query('PRAGMA journal_mode = WAL');

  return {
    kind: 'sqlite',
    query,
    // A one-row counter, moved on by a trigger after every write of `records` (migration 1).
    nextVersion: '(SELECT n + 1 FROM record_version)',
    async exclusive(work) {
      await query('BEGIN IMMEDIATE');
      try {
        const result = await work(query);
        await query('COMMIT');
        return result;
      } catch (error) {
        await query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    },
    close: () =>
      new Promise<void>((resolve, reject) => db.close((error) => (error ? reject(error) : resolve()))),
  };
}
