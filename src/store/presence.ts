// Which processes of the bot are alive, from PostgreSQL itself: each process holds a session advisory lock
// of its own on a connection kept for that alone, and the server frees it the moment that connection
// drops — a process killed with SIGKILL, a host that died, a network cut. A lease whose owner's lock is free
// belongs to a process that is gone, so its jobs and slots are taken over in seconds instead of when the
// lease runs out (src/uploads/leases.ts). Nothing here is an in-process lock: the database decides.
import { createHash } from 'node:crypto';
import pg from 'pg';
import type { Logger } from '../logger.ts';
import type { Query } from './driver.ts';

/** The first key of every presence lock (the second is the process's own); the migrations use another. */
const PRESENCE_CLASS = 7_251_013;

/** What processes tell each other at once, instead of each finding it at its next look. */
export type Topic = 'tubebridge_upload_slots';

/** A process's lock key: 31 bits of its id's hash (two ids sharing one only make a death seen later). */
export function presenceKey(processId: string): number {
  return createHash('sha256').update(processId).digest().readUInt32BE(0) & 0x7fffffff;
}

/** The locks held at one moment: `at` is taken before the question was asked. */
export interface PresenceSnapshot {
  readonly at: number;
  holds(processId: string): boolean;
  /** The lock keys held (a key missing from a later look: that process is gone). */
  readonly keys: ReadonlySet<number>;
}

export interface Presence {
  /** Whether this process holds its lock now (its leases may say so). */
  held(): boolean;
  /** Tells every process of the bot (this one too) that `topic` happened (PostgreSQL NOTIFY). */
  notify(topic: Topic): Promise<void>;
  /** Calls `listener` whenever any process notifies `topic` (LISTEN on the presence connection). */
  subscribe(topic: Topic, listener: () => void): void;
  /** Whose locks are held now. */
  snapshot(): Promise<PresenceSnapshot>;
  /** Lets the lock go (the connection ends). */
  release(): Promise<void>;
}

/**
 * Takes this process's lock and keeps it: after its connection breaks, it is taken again on a new one
 * (meanwhile other processes may take this one's jobs over; its lease renewals then fail and it stops them).
 */
export async function holdPresence(
  url: string,
  processId: string,
  query: Query,
  logger: Logger,
): Promise<Presence> {
  const key = presenceKey(processId);
  let client: pg.Client | undefined;
  let closed = false;
  const listeners = new Map<Topic, Set<() => void>>();
  const listen = (on: pg.Client, topic: Topic) => on.query(`LISTEN ${topic}`);
  let retry: NodeJS.Timeout | undefined;

  const connect = async (): Promise<void> => {
    const next = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
    next.on('error', (error) => {
      if (closed || client !== next) return;
      logger.warn({ err: error }, 'the presence connection broke; taking the lock again');
      client = undefined;
      next.end().catch(() => undefined);
      again();
    });
    await next.connect();
    // try: a lock held by another live process (the same 31 bits of another id) must never block a start.
    const [row] = (
      await next.query<{ got: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS got', [PRESENCE_CLASS, key])
    ).rows;
    if (closed || row?.got !== true) {
      if (!closed)
        logger.warn(
          'another process holds this one’s presence key: its death is seen when its leases run out',
        );
      await next.end();
      return;
    }
    next.on('notification', (message) => {
      for (const listener of listeners.get(message.channel as Topic) ?? []) listener();
    });
    for (const topic of listeners.keys()) await listen(next, topic);
    client = next;
  };
  const again = () => {
    clearTimeout(retry);
    retry = setTimeout(() => {
      if (closed) return;
      connect().catch((error: unknown) => {
        logger.warn({ err: error }, 'the presence lock could not be taken again; retrying');
        again();
      });
    }, 1000);
    retry.unref();
  };
  await connect();

  return {
    held: () => client !== undefined,
    async notify(topic) {
      await query('SELECT pg_notify($1, $2)', [topic, '']);
    },
    subscribe(topic, listener) {
      const set = listeners.get(topic) ?? new Set();
      const first = set.size === 0;
      set.add(listener);
      listeners.set(topic, set);
      if (first && client) {
        listen(client, topic).catch((error: unknown) =>
          logger.warn({ err: error, topic }, 'could not listen; the next look finds it instead'),
        );
      }
    },
    async snapshot() {
      const at = Date.now();
      const rows = await query<{ key: string }>(
        `SELECT objid::text AS key FROM pg_locks
          WHERE locktype = 'advisory' AND granted AND classid = $1 AND objsubid = 2
            AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
        [PRESENCE_CLASS],
      );
      const held = new Set(rows.map((r) => Number(r.key)));
      return { at, keys: held, holds: (owner: string) => held.has(presenceKey(owner)) };
    },
    async release() {
      closed = true;
      clearTimeout(retry);
      await client?.end().catch(() => undefined);
      client = undefined;
    },
  };
}
