// Upload jobs in the store, from the moment they are accepted: everything needed to resume after a
// restart (attachment, metadata, session URI, acknowledged offset, where the progress is shown).
import type { Store } from '../store/index.ts';
import { seal, unseal, type Keyring } from '../store/seal.ts';
import type { VideoMetadata } from '../google/resumable.ts';
import type { Privacy } from './metadata.ts';
import type { Lease } from './leases.ts';
import type { Note } from './notes.ts';

/** 'awaiting': a browser upload whose page has not sent a file yet (no slot, no session). */
export type JobStatus = 'awaiting' | 'queued' | 'running' | 'processing' | 'done' | 'failed' | 'cancelled';
export const FINISHED: readonly JobStatus[] = ['done', 'failed', 'cancelled'];

export interface SourceFile {
  /** Where the bytes come from: a Discord attachment read by URL (the default), or a member's
   * browser sending them over tus to the bot's upload page (`url` is empty then). */
  readonly kind?: 'attachment' | 'browser' | undefined;
  readonly url: string;
  readonly filename: string;
  readonly size: number;
  /** Sniffed from the bytes, never taken from Discord's content_type. */
  readonly mime: string;
}

/** Where the progress is shown; the interaction token is sealed at rest. */
export interface ProgressRefs {
  /** The member's reply, edited until `moveAt` (a minute before Discord's 15-minute token limit). */
  reply: { applicationId: string; token: string; moveAt: number } | undefined;
  channelMessage: { channelId: string; messageId: string; dm: boolean } | undefined;
  /** The one public notice (no title, no link) posted when the member's DMs are closed. */
  notice?: { channelId: string; messageId: string } | undefined;
  /** The upload page's link token, sealed: its button stays on the progress while the browser sends. */
  page?: string | undefined;
  /** Set when neither the channel nor a DM can be reached: stop trying (failed requests count against the bot). */
  lost?: boolean;
}

/** A step after the bytes are in, in the order they run. */
export type StepName = 'playlist' | 'thumbnail' | 'processing' | 'review' | 'announce' | 'final';

/**
 * One recorded step. It is saved 'running' before it starts and 'done' (with what it found) after,
 * so a restart knows which step may have been cut off midway and runs it again, safely.
 */
export interface StepRecord {
  name: StepName;
  state: 'pending' | 'running' | 'done';
  result?: StepResult | undefined;
}

export interface StepResult {
  /** A sentence for the member's final message (by key: drawn in their language). */
  note?: Note | undefined;
  /** For 'processing': how YouTube's processing ended. */
  outcome?: 'done' | 'failed' | undefined;
  /** For 'processing': the privacy YouTube reports. */
  privacy?: string | undefined;
}

export interface JobRecord {
  id: string;
  /** The Discord member who asked: sees the progress, may cancel. */
  owner: string;
  /** The member's Discord locale when they asked: their progress and pages speak their language. */
  locale?: string | undefined;
  /** Whose YouTube channel receives the video: the member's id, or the server's grant owner. */
  account: string;
  /** Set for a member's upload to the server channel: uploaded private, applied on approval. */
  review:
    { requestedPrivacy: Privacy; publishAt: string | undefined; playlistId: string | undefined } | undefined;
  guildId: string | null;
  channelId: string;
  source: SourceFile;
  /** A browser upload without a title given: the title comes from the chosen file's name. */
  titleFromFile?: boolean | undefined;
  thumbnail: SourceFile | undefined;
  metadata: VideoMetadata;
  requestedPrivacy: Privacy;
  notifySubscribers: boolean;
  playlistId: string | undefined;
  status: JobStatus;
  /** The resumable session URI (sealed: whoever holds it can write into the upload). */
  session: string | undefined;
  received: number;
  /**
   * Set (and saved) before the first session-creating POST: from then on YouTube may have a session,
   * and the upload counts against the day's share for good. Without it, a job that ends gives the count back.
   */
  sessionRequested?: true | undefined;
  videoId: string | undefined;
  progress: ProgressRefs;
  /** The steps after the bytes are in, recorded (all at once) with the video id. */
  steps?: StepRecord[] | undefined;
  /** Sentences about the upload itself for the final message (a privacy YouTube forced, a cancel that came too late). */
  notes?: Note[] | undefined;
  /** The last sentence shown when the job ended: by key (drawn in the member's language), or English from before. */
  outcome: Note | undefined;
  /** The process running the job, until when (src/uploads/leases.ts); none while nobody holds it. */
  lease?: Lease | undefined;
  createdAt: number;
  updatedAt: number;
}

const INDEX = 'active';

/**
 * A save refused because another process holds the job's lease now: it took the job over (this process
 * stalled past its lease) and continues it, so this one must stop at once and leave the record alone.
 */
export class LeaseLost extends Error {
  readonly jobId: string;
  constructor(jobId: string) {
    super(`Upload ${jobId} is run by another process now.`);
    this.name = 'LeaseLost';
    this.jobId = jobId;
  }
}

export function jobRepository(store: Store, key: Keyring) {
  const jobs = store.collection<JobRecord>('upload');
  const index = store.collection<string[]>('upload-index');

  return {
    get: (id: string) => jobs.get(id),
    /** Jobs not yet finished, oldest first: what a restart resumes. */
    async active(): Promise<JobRecord[]> {
      const ids = (await index.get(INDEX)) ?? [];
      const records = await Promise.all(ids.map((id) => jobs.get(id)));
      return records
        .filter((r): r is JobRecord => r !== undefined && !FINISHED.includes(r.status))
        .sort((a, b) => a.createdAt - b.createdAt);
    },
    /**
     * Writes the whole record; keeps the active index in step with its status, with one atomic update of the
     * index (in any process, no other save's change of the index is lost). On PostgreSQL, throws LeaseLost
     * instead when another process holds the job's lease.
     */
    async save(record: JobRecord): Promise<void> {
      record.updatedAt = Date.now();
      const ttl = FINISHED.includes(record.status) ? 30 * 24 * 3600 * 1000 : undefined;
      if (store.kind === 'sqlite') await jobs.set(record.id, record, ttl);
      else {
        // Fenced: written only while no other process holds the lease (a process that stalled past its
        // lease must not overwrite what the process that took the job over has written since).
        let refused = false;
        await jobs.update(
          record.id,
          (current) => {
            const holder = current?.lease?.owner;
            refused = holder !== undefined && holder !== store.processId;
            return refused ? undefined : record;
          },
          ttl,
        );
        if (refused) throw new LeaseLost(record.id);
      }
      const active = !FINISHED.includes(record.status);
      await index.update(INDEX, (current) => {
        const ids = current ?? [];
        if (ids.includes(record.id) === active) return undefined;
        return active ? [...ids, record.id] : ids.filter((i) => i !== record.id);
      });
    },
    sealSession: (record: JobRecord, uri: string | undefined) =>
      uri === undefined ? undefined : seal(key, `${record.owner}:${record.id}`, uri),
    openSession: (record: JobRecord) =>
      record.session === undefined ? undefined : unseal(key, `${record.owner}:${record.id}`, record.session),
    sealToken: (record: JobRecord, token: string) => seal(key, `${record.owner}:${record.id}`, token),
    openToken: (record: JobRecord, sealed: string) => unseal(key, `${record.owner}:${record.id}`, sealed),
  };
}

export type JobRepository = ReturnType<typeof jobRepository>;
