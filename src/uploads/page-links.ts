// The capability behind an upload page: 256 random bits, stored only as their SHA-256, bound to the
// member and to one job. It opens the page and its tus endpoint while the job awaits its file (for
// `ttlMs`, one hour by default) and then while the transfer runs; once the job ended, it is spent (so
// is it when the member sent the file through Discord's form instead).
import { createHash, randomBytes } from 'node:crypto';
import type { Store } from '../store/index.ts';
import { FINISHED, type JobRecord, type JobRepository } from './records.ts';

export interface PageLink {
  jobId: string;
  owner: string;
  expiresAt: number;
}

export type LinkState =
  | { kind: 'open'; link: PageLink; job: JobRecord }
  /** Spent: the job ended (its result may still be read by the page for a while). */
  | { kind: 'used'; link: PageLink; job: JobRecord }
  | { kind: 'expired' }
  | { kind: 'unknown' };

/** Kept after expiry so an old link says "expired" rather than "unknown". */
const KEEP_MS = 7 * 24 * 3600 * 1000;

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export function pageLinks(store: Store, jobs: JobRepository, ttlMs: number) {
  const links = store.collection<PageLink>('upload-page');
  return {
    ttlMs,
    /**
     * A new link to the job's page. The job keeps the token sealed (saved when the job is), so its
     * progress message can show the page's button again until the transfer ends.
     */
    async create(job: JobRecord, now = Date.now()): Promise<string> {
      const token = randomBytes(32).toString('base64url');
      await links.set(hashToken(token), { jobId: job.id, owner: job.owner, expiresAt: now + ttlMs }, KEEP_MS);
      job.progress.page = jobs.sealToken(job, token);
      return token;
    },
    async resolve(token: string, now = Date.now()): Promise<LinkState> {
      if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return { kind: 'unknown' };
      const link = await links.get(hashToken(token));
      if (!link) return { kind: 'unknown' };
      const job = await jobs.get(link.jobId);
      if (!job || job.owner !== link.owner) return { kind: 'unknown' };
      // Never given a file within its time: expired, whether or not the sweep has ended the job yet.
      const fileless = job.status === 'awaiting' || job.source.size === 0;
      if (fileless && now > link.expiresAt) return { kind: 'expired' };
      // Ended, or the member sent the file through Discord instead: the page has nothing left to take.
      if (FINISHED.includes(job.status) || job.source.kind !== 'browser') return { kind: 'used', link, job };
      return { kind: 'open', link, job };
    },
  };
}

export type PageLinks = ReturnType<typeof pageLinks>;
