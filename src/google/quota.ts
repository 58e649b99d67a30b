// YouTube's daily quota belongs to the Google Cloud project, so every member of every server shares
// it. The bot keeps a running count per Pacific day (when Google resets it) and refuses early and
// kindly when a call would go over, instead of failing halfway through someone's work.
import type { Store } from '../store/index.ts';
import { UserError } from '../errors.ts';
import { keyedSerial } from '../store/serial.ts';

export interface QuotaLimits {
  /** Units shared by every method but uploads (10,000 a day by default). */
  readonly units: number;
  /** videos.insert has its own bucket (100 calls a day by default). */
  readonly inserts: number;
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
export function pacificDay(at = new Date()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'America/Los_Angeles' }).format(at);
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
  const serial = keyedSerial();

  return {
    /**
     * Counts a request before it is sent; throws a UserError (and counts nothing) when it would go
     * over the day's quota. Google charges even failed requests, so nothing is given back.
     */
    charge(cost: Cost): Promise<void> {
      return serial('quota', async () => {
        const at = now();
        const day = pacificDay(at);
        const used = (await days.get(day)) ?? { units: 0, inserts: 0 };
        if (used.inserts + cost.inserts > limits.inserts) {
          throw new UserError(
            `The bot has used all ${limits.inserts} YouTube uploads it may make today (every server shares them). The count resets at midnight Pacific time, in ${untilReset(at)}.`,
          );
        }
        if (used.units + cost.units > limits.units) {
          throw new UserError(
            `The bot has nearly used up today's YouTube quota, which every server shares: this needs ${cost.units} of the ${Math.max(0, limits.units - used.units)} units left. It resets at midnight Pacific time, in ${untilReset(at)}.`,
          );
        }
        await days.set(
          day,
          { units: used.units + cost.units, inserts: used.inserts + cost.inserts },
          3 * 86_400_000,
        );
      });
    },
    async usage(): Promise<QuotaUsage> {
      const day = pacificDay(now());
      const used = (await days.get(day)) ?? { units: 0, inserts: 0 };
      return { day, ...used, limits };
    },
  };
}

export type Quota = ReturnType<typeof createQuota>;
