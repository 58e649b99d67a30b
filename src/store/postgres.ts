// PostgreSQL through pg's Pool: the store for one process or many.
import pg from 'pg';
import type { Driver, Query } from './driver.ts';

/** The advisory lock the migrations hold (any number, the same in every process of the bot). */
const MIGRATION_LOCK = 7_251_012;

export async function openPostgres(url: string, onError?: (error: Error) => void): Promise<Driver> {
  const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 10_000 });
  // An idle connection that breaks (the server restarted) is reported here; the next query gets a new one.
  pool.on('error', (error) => onError?.(error));
  const query: Query = async <R>(sql: string, params: readonly unknown[] = []) =>
    (await pool.query(sql, params as unknown[])).rows as R[];
  // Fails now, with the server's own reason, when the database cannot be reached.
  await query('SELECT 1');

  return {
    kind: 'postgres',
    query,
    nextVersion: "nextval('record_version')",
    async exclusive(work) {
      const client = await pool.connect();
      const inTransaction: Query = async <R>(sql: string, params: readonly unknown[] = []) =>
        (await client.query(sql, params as unknown[])).rows as R[];
      try {
        await client.query('BEGIN');
        await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
        const result = await work(inTransaction);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}
