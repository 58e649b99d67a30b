// Who runs which upload, decided by the store whichever process asks. A job is run by the one
// process that holds its lease (`lease: { owner, until }` in the job record, taken and renewed with the
// store's atomic `update`); a process that dies stops renewing, and once `until` passed another takes
// the job over from its record. Upload slots (per member, and for the whole bot) are entries of one
// shared record, taken and given back atomically too, so the limits hold across processes.
//
// On SQLite only one process ever runs (the store refuses a second), so a lease that is not this
// process's own belongs to a process that is gone: it is taken at once.
//
// Time is each process's Date.now(): leases last 30 s and are renewed every 10 s, far more than the
// clock skew between hosts of one deployment.
//
// On PostgreSQL a lease (and a slot) also says whether its owner held its presence lock when it took it
// (src/store/presence.ts). Such a lease is dead as soon as the server says that lock is free — the owner's
// connection dropped — and the lease was last renewed well before the server was asked (so a process that
// started a moment ago is never taken for dead): a killed process's uploads move again within seconds,
// not when its leases run out. A lease without the mark (an older release beside this one) lasts its time.
import type { Store } from '../store/index.ts';
import type { PresenceSnapshot } from '../store/presence.ts';
import { FINISHED, type JobRecord } from './records.ts';

export interface Lease {
  /** The holding process (store.processId). */
  owner: string;
  /** Epoch ms; past it, the lease is free for another process. */
  until: number;
  /** The owner held its presence lock when it took or renewed the lease: once the lock is free, so is this. */
  present?: true;
}

interface SlotEntry {
  /** The Discord member whose upload holds the slot (for the per-member limit). */
  member: string;
  owner: string;
  until: number;
  present?: true;
}
type SlotTable = Record<string, SlotEntry>;

export interface LeaseTuning {
  /** How long a lease lasts without renewal (≥ 15 s: clock skew between hosts must not matter). */
  leaseMs: number;
  /** How often held leases are renewed. */
  renewMs: number;
  /** How often the store is searched for jobs nobody holds (a dead process's, or handed back). */
  scanMs: number;
  /** The heartbeat: cancels asked in another process, a free slot for a waiting job. */
  tickMs: number;
}

export const DEFAULT_LEASE: LeaseTuning = { leaseMs: 30_000, renewMs: 10_000, scanMs: 2_000, tickMs: 1_000 };

/** The record collection the job repository (records.ts) keeps its jobs in. */
const JOBS = 'upload';
const SLOTS_ID = 'all';
/**
 * How much earlier than the server's answer a lease must have been renewed to be judged by it. On one
 * clock no margin is needed (a process takes its lock before it marks a lease, so a lock taken after the
 * question comes with a lease renewed after it too); this covers the clocks of hosts kept by NTP, which
 * agree within milliseconds.
 */
const SKEW_MS = 2_000;

export function jobLeases(store: Store, tuning: LeaseTuning) {
  const records = store.collection<JobRecord>(JOBS);
  const slots = store.collection<SlotTable>('upload-slots');
  const cancels = store.collection<{ by: string; at: number }>('upload-cancel');
  const me = store.processId;
  const single = store.kind === 'sqlite';

  /** Whose presence locks PostgreSQL held at the last look (refreshed by every scan for jobs). */
  let seen: PresenceSnapshot | undefined;
  /** The presence locks held at the last look of any kind (for `departed`). */
  let holders: ReadonlySet<number> | undefined;
  /** When a process was last seen to have let its presence lock go. */
  let departedAt: number | undefined;
  const present = (): { present?: true } => (store.presence?.held() ? { present: true } : {});
  /** The owner's presence lock was free when the server was asked (`view`), after the lease's last renewal. */
  const gone = (lease: Lease, view = seen): boolean =>
    lease.present === true &&
    view !== undefined &&
    lease.until - tuning.leaseMs + SKEW_MS < view.at &&
    !view.holds(lease.owner);
  /** Held by a live process (this one included), as far as `view` (by default the last look) tells. */
  const live = (lease: Lease | undefined, now = Date.now(), view = seen): boolean =>
    lease !== undefined && (lease.owner === me || (!single && lease.until > now && !gone(lease, view)));
  /**
   * Asks PostgreSQL whose presence locks are held (undefined without presence, or when it does not answer),
   * and keeps when a lock held at the look before was let go.
   */
  const look = async (): Promise<PresenceSnapshot | undefined> => {
    const view = await store.presence?.snapshot().catch(() => undefined);
    if (!view) return undefined;
    if (holders !== undefined && [...holders].some((key) => !view.keys.has(key))) departedAt = view.at;
    holders = view.keys;
    return view;
  };
  const fresh = (): Lease => ({ owner: me, until: Date.now() + tuning.leaseMs, ...present() });

  return {
    me,
    single,
    live,
    /**
     * Asks PostgreSQL whose presence locks are held (a failure keeps the last answer: leases then last
     * their time). The scan takes a dead process's jobs with it first, and only then `accept`s it for
     * everything else: the dead process's upload slots are freed for the uploads it was sending, taken
     * over, rather than for whatever waits in this process.
     */
    async presenceNow(): Promise<PresenceSnapshot | undefined> {
      return (await look()) ?? seen;
    },
    /**
     * Whether a process whose presence lock was held at an earlier look has let it go (it died) within
     * the last few seconds: a cheap question (one read of pg_locks) asked every second, so its uploads are
     * looked for at once and again each second until its leases, renewed up to SKEW_MS before its death,
     * count as gone — rather than at the next search of the store.
     */
    async departed(): Promise<boolean> {
      const view = await look();
      return view !== undefined && departedAt !== undefined && view.at - departedAt <= SKEW_MS + 1_000;
    },
    accept(view: PresenceSnapshot | undefined): void {
      seen = view ?? seen;
    },
    /** Whether this process holds the record's lease. */
    mine: (job: JobRecord | undefined) => job?.lease?.owner === me,
    /** A new lease of this process (for a job it creates: held from its first save). */
    fresh,
    /**
     * Takes the job's lease when nobody live holds it and `want` agrees; the record as stored after,
     * or undefined when another process holds it (or `want` said no).
     */
    async claim(
      id: string,
      want: (job: JobRecord) => boolean,
      view?: PresenceSnapshot,
    ): Promise<JobRecord | undefined> {
      let won = false;
      const after = await records.update(id, (current) => {
        won =
          current !== undefined &&
          !FINISHED.includes(current.status) &&
          !live(current.lease, Date.now(), view) &&
          want(current);
        return won && current ? { ...current, lease: fresh() } : undefined;
      });
      return won && after?.lease?.owner === me ? after : undefined;
    },
    /**
     * Renews this process's lease on the job; false when it is no longer ours (another process took
     * it over: this one must stop at once and leave the record alone).
     */
    async renew(job: JobRecord): Promise<boolean> {
      let ours = false;
      let lease: Lease | undefined;
      await records.update(job.id, (current) => {
        ours = current?.lease?.owner === me;
        if (!ours || !current) return undefined;
        lease = fresh();
        return { ...current, lease };
      });
      if (ours && lease) job.lease = lease;
      return ours;
    },
    /**
     * Takes an upload slot for the job when the member's and the bot's limits allow (counted over
     * every live process); renews it when the job holds one already. `full`: every slot of the bot is
     * taken, so no other job can have one either; `member`: this member's are.
     */
    async takeSlot(
      job: JobRecord,
      limits: { perMember: number; global: number },
    ): Promise<'taken' | 'member' | 'full'> {
      // One process: its own count (queue.ts) is the whole count.
      if (single) return 'taken';
      let won = false;
      let full = false;
      await slots.update(SLOTS_ID, (current) => {
        const now = Date.now();
        const table: SlotTable = {};
        for (const [id, entry] of Object.entries(current ?? {})) if (live(entry, now)) table[id] = entry;
        const pruned = Object.keys(table).length !== Object.keys(current ?? {}).length;
        const entry = table[job.id];
        // The job's slot follows its lease: a job this process took over (its lease is ours, won in the
        // store) has the slot it held in the process that ran it before at once, not once it is pruned.
        if (entry && entry.owner !== me && job.lease?.owner !== me) {
          won = false;
          return pruned ? table : undefined;
        }
        const others = Object.entries(table).filter(([id]) => id !== job.id);
        full = entry === undefined && others.length >= limits.global;
        won =
          entry !== undefined ||
          (!full && others.filter(([, e]) => e.member === job.owner).length < limits.perMember);
        if (!won) return pruned ? table : undefined;
        return {
          ...table,
          [job.id]: { member: job.owner, owner: me, until: now + tuning.leaseMs, ...present() },
        };
      });
      return won ? 'taken' : full ? 'full' : 'member';
    },
    /** Renews the slots this process holds (one write for all of them). */
    async renewSlots(jobIds: readonly string[]): Promise<void> {
      if (single || jobIds.length === 0) return;
      await slots.update(SLOTS_ID, (current) => {
        if (!current) return undefined;
        const until = Date.now() + tuning.leaseMs;
        const table = { ...current };
        let changed = false;
        for (const id of jobIds) {
          const entry = table[id];
          if (entry?.owner === me) {
            table[id] = { member: entry.member, owner: me, until, ...present() };
            changed = true;
          }
        }
        return changed ? table : undefined;
      });
    },
    /**
     * Gives the job's slot back, so a job waiting in any process can start: every process is told at
     * once (PostgreSQL NOTIFY) instead of finding it at its next tick, a second of an idle slot.
     */
    async releaseSlot(jobId: string): Promise<void> {
      if (single) return;
      let freed = false;
      await slots.update(SLOTS_ID, (current) => {
        freed = current?.[jobId]?.owner === me;
        if (!freed || !current) return undefined;
        const table = { ...current };
        delete table[jobId];
        return table;
      });
      if (freed) await store.presence?.notify('tubebridge_upload_slots').catch(() => undefined);
    },
    /** Calls `listener` when any process gives a slot back. */
    onSlotFreed(listener: () => void): void {
      store.presence?.subscribe('tubebridge_upload_slots', listener);
    },
    /** How many slots are taken now, across every process. */
    async slotsInUse(): Promise<number> {
      const table = (await slots.get(SLOTS_ID)) ?? {};
      return Object.values(table).filter((e) => live(e)).length;
    },
    /** A member's cancel, pressed in a process that does not run the job: the holder carries it out. */
    requestCancel: (jobId: string, by: string) => cancels.set(jobId, { by, at: Date.now() }, 3600_000),
    /** The cancel asked for this job, taken (so it is carried out once). */
    takeCancel: (jobId: string) => cancels.take(jobId),
  };
}

export type JobLeases = ReturnType<typeof jobLeases>;
