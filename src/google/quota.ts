// YouTube's daily quota belongs to the Google Cloud project, so every member of every server shares
// it. The bot keeps a running count per Pacific day (when Google resets it) and refuses early and
// kindly when a call would go over, instead of failing halfway through someone's work. It also keeps
// each member (and each server's moderators) to a fair share of the day's upload bucket.
import type { Store } from '../store/index.ts';
import { UserError } from '../errors.ts';
import { serverOwner } from '../store/settings.ts';

export interface QuotaLimits {
  /** Units shared by every method but uploads (10,000 a day by default). */
  readonly units: number;
  /** videos.insert has its own bucket (100 calls a day by default). */
  readonly inserts: number;
  /** Uploads one member may start a day: to their own channel, or to the server's for review. */
  readonly uploadsPerMember?: number | undefined;
  /** Uploads a server's moderators may start a day to the server's own channel, together. */
  readonly uploadsPerServer?: number | undefined;
}

/** What decides whose daily share an upload takes (the fields of an upload job). */
export interface UploadSubject {
  /** The upload's own id: what is counted, so that it is counted, and given back, at most once. */
  readonly id: string;
  /** The member who asked. */
  readonly owner: string;
  /** Whose channel receives it: the member's id, or the server's grant owner. */
  readonly account: string;
  /** Set for a member's upload to the server's channel, which waits for a moderator. */
  readonly review: unknown;
  readonly guildId: string | null;
}

/** A moderator's upload to the server's channel is the server's; everything else is the member's. */
export function uploadShare(job: UploadSubject): { kind: 'member' | 'server'; id: string } {
  if (job.guildId !== null && job.account === serverOwner(job.guildId) && !job.review) {
    return { kind: 'server', id: job.guildId };
  }
  return { kind: 'member', id: job.owner };
}

export interface Cost {
  readonly units: number;
  readonly inserts: number;
}

export interface QuotaUsage extends Cost {
  readonly day: string;
  readonly limits: QuotaLimits;
}

const WRITE_RESOURCES = /\/youtube\/v3\/(videos(\/rate)?|playlists|playlistItems)$/;

/** What one request costs, from its method and URL (the current quota table). */
export function costOf(method: string, url: string): Cost {
  const path = new URL(url).pathname;
  const verb = method.toUpperCase();
  if (path.endsWith('/upload/youtube/v3/videos') && verb === 'POST') return { units: 0, inserts: 1 };
  if (path.endsWith('/upload/youtube/v3/thumbnails/set')) return { units: 50, inserts: 0 };
  if (verb === 'GET') return { units: 1, inserts: 0 };
  if (WRITE_RESOURCES.test(path)) return { units: 50, inserts: 0 };
  return { units: 1, inserts: 0 };
}

/** The date (YYYY-MM-DD) in Pacific time, the day Google's quota counts. */
const PACIFIC_DATE = new Intl.DateTimeFormat('en-CA', { timeZone: 'America/Los_Angeles' });

export function pacificDay(at = new Date()): string {
  return PACIFIC_DATE.format(at);
}

/** Time left until the next midnight Pacific, to the minute ("5 h 12 min", "1 min"); DST-exact. */
export function timeToReset(at: Date): string {
  const day = pacificDay(at);
  // The next Pacific day starts within 25 hours: find its first second by halving.
  let before = at.getTime();
  let after = before + 25 * 3_600_000;
  while (after - before > 1000) {
    const middle = Math.floor((before + after) / 2);
    if (pacificDay(new Date(middle)) === day) before = middle;
    else after = middle;
  }
  const minutes = Math.max(1, Math.ceil((after - at.getTime() - 1000) / 60_000));
  return minutes >= 60 ? `${Math.floor(minutes / 60)} h ${minutes % 60} min` : `${minutes} min`;
}

/** Time left until midnight Pacific, roughly ("about 7 h", "25 min"). */
export function untilReset(at: Date): string {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: 'America/Los_Angeles',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const minutes = Math.max(1, 24 * 60 - (part('hour') * 60 + part('minute')));
  return minutes >= 60 ? `about ${Math.round(minutes / 60)} h` : `${minutes} min`;
}

export function createQuota(store: Store, limits: QuotaLimits, now: () => Date = () => new Date()) {
  const days = store.collection<Cost>('quota');
  /** Per day and share: the ids of the uploads it counts (a number from before ids were kept). */
  const shares = store.collection<string[] | number>('upload-share');
  /** Per upload: which day's share counts it, so that the count can be given back. */
  const admissions = store.collection<string>('upload-admission');
  /** Counts are kept three days (a Pacific day ends within 25 hours), then expire. */
  const KEEP_MS = 3 * 86_400_000;
  const counted = (value: string[] | number | undefined): string[] =>
    typeof value === 'number' ? Array.from({ length: value }, (_, i) => `earlier-${i}`) : (value ?? []);

  // Every count is one atomic update of the store (a conditional write, tried again when another process
  // wrote first): no increment is lost and no limit is passed, however many processes count at once.
  return {
    /**
     * Counts a request before it is sent; throws a UserError (and counts nothing) when it would go
     * over the day's quota. Google charges even failed requests, so nothing is given back.
     */
    async charge(cost: Cost): Promise<void> {
      const at = now();
      let refusal: string | undefined;
      await days.update(
        pacificDay(at),
        (current) => {
          const used = current ?? { units: 0, inserts: 0 };
          refusal = undefined;
          if (used.inserts + cost.inserts > limits.inserts) {
            refusal = `The bot has used all ${limits.inserts} YouTube uploads it may make today (every server shares them). The count resets at midnight Pacific time, in ${untilReset(at)}.`;
            return undefined;
          }
          if (used.units + cost.units > limits.units) {
            refusal = `The bot has nearly used up today's YouTube quota, which every server shares: this needs ${cost.units} of the ${Math.max(0, limits.units - used.units)} units left. It resets at midnight Pacific time, in ${untilReset(at)}.`;
            return undefined;
          }
          return { units: used.units + cost.units, inserts: used.inserts + cost.inserts };
        },
        KEEP_MS,
      );
      if (refusal !== undefined) throw new UserError(refusal);
    },
    /**
     * Counts an upload against its member's (or server's) share of the day, when it is accepted and
     * before any byte moves; throws a UserError, counting nothing, when the share is used up. Counting the
     * same upload again changes nothing. The count stays once YouTube may have a session for it
     * (releaseUpload gives back only what never reached YouTube).
     */
    async admitUpload(job: UploadSubject): Promise<void> {
      const share = uploadShare(job);
      const cap = share.kind === 'server' ? limits.uploadsPerServer : limits.uploadsPerMember;
      if (cap === undefined) return;
      const at = now();
      const key = `${pacificDay(at)}:${share.kind}:${share.id}`;
      if (counted(await shares.get(key)).includes(job.id)) return;
      // Which share counts it, noted first: a crash before the count leaves a note that gives back nothing.
      await admissions.set(job.id, key, KEEP_MS);
      let admitted = false;
      await shares.update(
        key,
        (current) => {
          const started = counted(current);
          admitted = started.includes(job.id) || started.length < cap;
          if (!admitted || started.includes(job.id)) return undefined;
          return [...started, job.id];
        },
        KEEP_MS,
      );
      if (admitted) return;
      await admissions.delete(job.id);
      const reset = `the count resets at midnight Pacific time (in ${timeToReset(at)})`;
      throw new UserError(
        share.kind === 'server'
          ? `This server's moderators have started ${cap} uploads to its channel today, the most a server may; ${reset}.`
          : `You have started ${cap} uploads today, the most a member may; ${reset}.`,
      );
    },
    /**
     * Gives an upload's place in its share back (it ended before YouTube was asked for a session). The count
     * holds upload ids, so it never goes below zero and an upload is given back at most once, however often
     * this is called.
     */
    async releaseUpload(job: UploadSubject): Promise<void> {
      const key = await admissions.get(job.id);
      if (key === undefined) return;
      await shares.update(
        key,
        (current) => {
          const started = counted(current);
          return started.includes(job.id) ? started.filter((id) => id !== job.id) : undefined;
        },
        KEEP_MS,
      );
      await admissions.delete(job.id);
    },
    async usage(): Promise<QuotaUsage> {
      const day = pacificDay(now());
      const used = (await days.get(day)) ?? { units: 0, inserts: 0 };
      return { day, ...used, limits };
    },
  };
}

export type Quota = ReturnType<typeof createQuota>;
