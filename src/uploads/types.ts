// What the upload service is built from: where progress is shown, its timings, and its dependencies.
import type { Dispatcher } from 'undici';
import type { Logger } from '../logger.ts';
import type { OAuthService } from '../google/oauth.ts';
import type { Quota } from '../google/quota.ts';
import type { JobRecord, JobRepository } from './records.ts';
import type { Relay } from './relay.ts';
import { DEFAULT_LEASE, type JobLeases, type LeaseTuning } from './leases.ts';

/** Shows an upload's progress to the member. Never throws. */
export interface ProgressSink {
  /** `cancellable`: show the Cancel button (only while a cancel can still stop the upload). */
  show(text: string, options: { cancellable: boolean }): Promise<void>;
}
/** Builds the sink for a job; `persist` saves the job after the sink changed its progress refs. */
export type SinkFactory = (job: JobRecord, persist: () => Promise<void>) => ProgressSink;

export interface UploadTuning {
  perMember: number;
  global: number;
  /** Minimum time between two progress edits. */
  progressIntervalMs: number;
  retry: { tries: number; baseDelayMs: number; maxDelayMs: number };
  /** First wait between processing checks; doubles up to one minute. */
  processingPollMs: number;
  /** How long to follow processing before leaving it to YouTube. */
  processingTimeoutMs: number;
  /** How long the /upload reply is edited before progress moves to a message the bot owns
   * (Discord's interaction tokens live 15 minutes; a minute of margin). */
  replyLifetimeMs: number;
  /** The pause between tries while the store does not answer: doubles from base up to max. */
  storeRetry: { baseDelayMs: number; maxDelayMs: number };
  /** Leases on jobs: how long they last, how often they are renewed and looked for. */
  lease: LeaseTuning;
}

export const DEFAULT_TUNING: UploadTuning = {
  perMember: 1,
  global: 3,
  progressIntervalMs: 2000,
  retry: { tries: 10, baseDelayMs: 1000, maxDelayMs: 64_000 },
  processingPollMs: 2000,
  processingTimeoutMs: 30 * 60 * 1000,
  replyLifetimeMs: 14 * 60 * 1000,
  storeRetry: { baseDelayMs: 1000, maxDelayMs: 30_000 },
  lease: DEFAULT_LEASE,
};

export interface UploadDeps {
  readonly jobs: JobRepository;
  /** Which process runs which job, and the shared upload slots (src/uploads/leases.ts). */
  readonly leases: JobLeases;
  readonly oauth: OAuthService;
  readonly rootUrl: string;
  readonly allowedHosts: readonly string[];
  readonly sinkFor: SinkFactory;
  readonly logger: Logger;
  readonly tuning: UploadTuning;
  readonly dispatcher?: Dispatcher | undefined;
  /** The shared daily quota: each new upload session is one videos.insert. */
  readonly quota?: Quota | undefined;
  /** Called after the upload changed a playlist (its cached item count is stale). */
  readonly onPlaylistChanged?: ((account: string) => void) | undefined;
  /**
   * The review card or the announcement check, once the video is processed. A recorded step: after a
   * crash midway it is called again for the same job, so it must be safe to repeat.
   */
  readonly onFinished?: ((job: JobRecord) => Promise<void>) | undefined;
  /** The browser source: relays the upload page's chunks (jobs whose source kind is 'browser'). */
  readonly relay?: Relay | undefined;
}
