// Versioned migrations, applied at start in one transaction that only one process runs at a time, and
// recorded in `schema_migrations`. Append new ones; never change one that was released.
import type { Driver, Query } from './driver.ts';

interface Migration {
  readonly id: number;
  readonly name: string;
  up(query: Query, driver: Driver): Promise<void>;
}

const MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: 'records',
    async up(query, { kind }) {
      // One table for every collection. `version` changes with every write (a number no record ever had
      // before), so a conditional UPDATE … WHERE version = $read fails when another writer came first.
      await query(`CREATE TABLE records (
        collection text NOT NULL,
        id text NOT NULL,
        value text NOT NULL,
        version bigint NOT NULL,
        expires_at bigint NULL,
        PRIMARY KEY (collection, id)
      )`);
      await query('CREATE INDEX records_expiry ON records (expires_at) WHERE expires_at IS NOT NULL');
      if (kind === 'postgres') {
        await query('CREATE SEQUENCE record_version');
        return;
      }
      // SQLite has no sequences: a one-row counter that every write of `records` moves on to its version.
      await query('CREATE TABLE record_version (n bigint NOT NULL)');
      await query('INSERT INTO record_version (n) VALUES (0)');
      for (const event of ['INSERT', 'UPDATE'])
        await query(`CREATE TRIGGER records_version_after_${event.toLowerCase()} AFTER ${event} ON records
          BEGIN UPDATE record_version SET n = NEW.version WHERE n < NEW.version; END`);
    },
  },
  {
    id: 2,
    name: 'import-keyv',
    // Until this version the store was keyv's table `keyv` (keys `tubebridge:<collection>:<id>`, values
    // keyv's JSON `{"value":…,"expires":…}`): a running install keeps its links, jobs and settings. The old
    // table stays as it was (a way back); nothing reads it any more.
    async up(query, { kind, nextVersion }) {
      const present = await query<{ found: unknown }>(
        kind === 'postgres'
          ? "SELECT to_regclass('keyv') IS NOT NULL AS found"
          : "SELECT count(*) > 0 AS found FROM sqlite_master WHERE type = 'table' AND name = 'keyv'",
      );
      if (!present[0]?.found) return;
      const rows = await query<{ key: string; value: string | null }>(
        "SELECT key, value FROM keyv WHERE key LIKE 'tubebridge:%'",
      );
      const now = Date.now();
      for (const row of rows) {
        const record = fromKeyv(row.key, row.value, now);
        if (record === undefined) continue;
        await query(
          `INSERT INTO records (collection, id, value, version, expires_at)
           VALUES ($1, $2, $3, ${nextVersion}, $4) ON CONFLICT (collection, id) DO NOTHING`,
          [record.collection, record.id, record.value, record.expiresAt],
        );
      }
    },
  },
];

/** One keyv row as a record; undefined when it is not one of ours, cannot be read, or has expired. */
export function fromKeyv(
  key: string,
  raw: string | null,
  now: number,
): { collection: string; id: string; value: string; expiresAt: number | null } | undefined {
  const match = /^tubebridge:([^:]+):(.+)$/s.exec(key);
  if (!match || raw === null) return undefined;
  let stored: { value?: unknown; expires?: unknown };
  try {
    // keyv's serializer escapes a string that starts with ':' with a second ':' (and writes buffers as
    // ':base64:…', which this bot never stored).
    stored = JSON.parse(raw, (_key, value: unknown) =>
      typeof value === 'string' && value.startsWith(':') ? value.slice(1) : value,
    ) as typeof stored;
  } catch {
    return undefined;
  }
  if (stored === null || typeof stored !== 'object' || stored.value === undefined) return undefined;
  const expiresAt = typeof stored.expires === 'number' ? stored.expires : null;
  if (expiresAt !== null && expiresAt <= now) return undefined;
  return { collection: match[1] ?? '', id: match[2] ?? '', value: JSON.stringify(stored.value), expiresAt };
}

/** Applies the migrations this database has not had yet; returns the names of those applied. */
export function migrate(driver: Driver): Promise<string[]> {
  return driver.exclusive(async (query) => {
    await query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      id integer PRIMARY KEY,
      name text NOT NULL,
      applied_at bigint NOT NULL
    )`);
    const done = new Set(
      (await query<{ id: number | string }>('SELECT id FROM schema_migrations')).map((r) => Number(r.id)),
    );
    const applied: string[] = [];
    for (const migration of MIGRATIONS) {
      if (done.has(migration.id)) continue;
      await migration.up(query, driver);
      await query('INSERT INTO schema_migrations (id, name, applied_at) VALUES ($1, $2, $3)', [
        migration.id,
        migration.name,
        Date.now(),
      ]);
      applied.push(`${String(migration.id).padStart(3, '0')}-${migration.name}`);
    }
    return applied;
  });
}
