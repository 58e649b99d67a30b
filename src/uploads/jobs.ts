// The upload queue: per-member and global limits with queue positions, one runner per job, cancel,
// and resume after a restart. Progress goes to a sink the Discord layer provides.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Dispatcher } from 'undici';
import type { OAuth2Client } from 'google-auth-library';
import type { Logger } from '../logger.ts';
import { classifyError, UserError } from '../errors.ts';
import type { OAuthService } from '../google/oauth.ts';
import { discard, tokenSource, UploadError } from '../google/resumable.ts';
import type { Readable } from 'node:stream';
import { youtubeClient } from '../google/youtube.ts';
import type { Quota } from '../google/quota.ts';
import { openSource } from './download.ts';
import { runUpload, type UploadProgress } from './pipeline.ts';
import { FINISHED, type JobRecord, type JobRepository } from './records.ts';
import { renderProgress, SpeedMeter, Throttle, type Phase, type ProgressView } from './progress.ts';

/** Shows an upload's progress to the member. Never throws. */
export interface ProgressSink {
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
}

export const DEFAULT_TUNING: UploadTuning = {
  perMember: 1,
  global: 3,
  progressIntervalMs: 2000,
  retry: { tries: 10, baseDelayMs: 1000, maxDelayMs: 64_000 },
  processingPollMs: 2000,
  processingTimeoutMs: 30 * 60 * 1000,
  replyLifetimeMs: 14 * 60 * 1000,
};

export interface UploadDeps {
  readonly jobs: JobRepository;
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
  /** Called once when a job ends done (the video is processed): reviews, announcements. */
  readonly onFinished?: ((job: JobRecord) => Promise<void>) | undefined;
}

export type CancelResult = 'cancelled' | 'not_owner' | 'not_found' | 'finished';

interface Running {
  job: JobRecord;
  controller: AbortController;
  /** Why the run was aborted: a member's cancel, or the bot shutting down. */
  abortedFor: 'cancel' | 'shutdown' | undefined;
}

export function createUploads(deps: UploadDeps) {
  const { jobs, logger, tuning } = deps;
  const queue: JobRecord[] = [];
  const running = new Map<string, Running>();
  const finished = new Set<Promise<void>>();
  let stopping = false;

  const persist = (job: JobRecord) => () => jobs.save(job);

  const activeFor = (owner: string) => [...running.values()].filter((r) => r.job.owner === owner).length;

  function pump(): void {
    if (stopping) return;
    for (let i = 0; i < queue.length && running.size < tuning.global;) {
      const job = queue[i];
      if (job && activeFor(job.owner) < tuning.perMember) {
        queue.splice(i, 1);
        start(job);
      } else i++;
    }
    void showQueuePositions();
  }

  async function showQueuePositions(): Promise<void> {
    await Promise.all(
      queue.map((job, index) =>
        deps
          .sinkFor(job, persist(job))
          .show(renderProgress(view(job, 'queued', { queuePosition: index + 1 })), {
            cancellable: true,
          }),
      ),
    );
  }

  function start(job: JobRecord): void {
    const entry: Running = { job, controller: new AbortController(), abortedFor: undefined };
    running.set(job.id, entry);
    const done = run(entry)
      .catch((error: unknown) => logger.error({ jobId: job.id, err: error }, 'upload runner crashed'))
      .finally(() => {
        running.delete(job.id);
        finished.delete(done);
        pump();
      });
    finished.add(done);
  }

  function view(job: JobRecord, phase: Phase, extra: Partial<ProgressView> = {}): ProgressView {
    return {
      phase,
      filename: job.source.filename,
      title: job.metadata.snippet.title,
      total: job.source.size,
      sent: job.received,
      bytesPerSecond: undefined,
      ...extra,
    };
  }

  async function run(entry: Running): Promise<void> {
    const { job } = entry;
    const controller = entry.controller;
    const sink = deps.sinkFor(job, persist(job));
    const throttle = new Throttle(tuning.progressIntervalMs);
    const speed = new SpeedMeter();
    // Edits are serialized; a newer text replaces one still waiting.
    let pending: { text: string; cancellable: boolean } | undefined;
    let drain: Promise<void> = Promise.resolve();
    const show = (v: ProgressView, force = false): Promise<void> => {
      if (!force && !throttle.allow(Date.now(), v.phase)) return drain;
      if (force) throttle.allow(Date.now(), v.phase);
      pending = {
        text: renderProgress(v),
        cancellable: !['done', 'failed', 'cancelled', 'processing'].includes(v.phase),
      };
      drain = drain.then(async () => {
        const next = pending;
        pending = undefined;
        if (next) await sink.show(next.text, { cancellable: next.cancellable });
      });
      return drain;
    };

    if (job.status === 'processing' && job.videoId) {
      await followProcessing(job, show, [], controller.signal);
      return;
    }
    job.status = 'running';
    await jobs.save(job);
    await show(view(job, 'starting'), true);

    let client: OAuth2Client | undefined;
    try {
      const insert = { units: 0, inserts: 1 };
      const result = await deps.oauth.withClient(job.account, async (authorized) => {
        client = authorized;
        return runUpload({
          source: {
            url: job.source.url,
            size: job.source.size,
            contentType: job.source.mime,
            allowedHosts: deps.allowedHosts,
          },
          metadata: job.metadata,
          notifySubscribers: job.notifySubscribers,
          rootUrl: deps.rootUrl,
          token: tokenSource(authorized),
          sessionUri: jobs.openSession(job),
          onSession: async (uri) => {
            job.session = jobs.sealSession(job, uri);
            job.received = 0;
            await jobs.save(job);
          },
          onAcknowledged: async (received) => {
            job.received = received;
            await jobs.save(job);
          },
          beforeSession: () => deps.quota?.charge(insert) ?? Promise.resolve(),
          onProgress: (p: UploadProgress) => {
            speed.add(Date.now(), p.sent);
            const phase: Phase =
              p.phase === 'retrying' ? 'retrying' : p.phase === 'uploading' ? 'uploading' : 'starting';
            void show(
              view(job, phase, {
                sent: p.sent,
                bytesPerSecond: speed.bytesPerSecond(),
                retry:
                  p.phase === 'retrying'
                    ? { attempt: p.attempt, tries: tuning.retry.tries, inMs: p.nextRetryInMs ?? 0 }
                    : undefined,
              }),
            );
          },
          signal: controller.signal,
          retry: tuning.retry,
          logger,
          ...(deps.dispatcher ? { dispatcher: deps.dispatcher } : {}),
        });
      });
      const videoId = result.video.id;
      if (!videoId) throw new UploadError('server', 'YouTube finished the upload but returned no video id.');
      job.videoId = videoId;
      job.received = job.source.size;
      job.session = undefined;
      job.status = 'processing';
      await jobs.save(job);
      logger.info(
        {
          jobId: job.id,
          owner: job.owner,
          videoId,
          resentBytes: result.resentBytes,
          restarts: result.restarts,
          retries: result.retries,
        },
        'upload complete',
      );
      const notes = client
        ? await afterUpload(
            job,
            client,
            result.video.status?.privacyStatus ?? undefined,
            result.video.status?.publishAt ?? undefined,
          )
        : [];
      if (entry.abortedFor === 'cancel') {
        // Cancel was pressed as the last byte arrived: the video exists, so see it through.
        entry.abortedFor = undefined;
        entry.controller = new AbortController();
      }
      await followProcessing(job, show, notes, entry.controller.signal);
    } catch (error) {
      if (entry.abortedFor === 'shutdown') {
        logger.info({ jobId: job.id }, 'upload paused for shutdown; it resumes on the next start');
        await show(view(job, 'paused'), true);
        return;
      }
      if (entry.abortedFor === 'cancel') {
        await finish(job, 'cancelled', 'Cancelled by the uploader.', show, view(job, 'cancelled'));
        return;
      }
      const classified =
        error instanceof UploadError ? { message: error.message, kind: error.kind } : classifyError(error);
      logger.warn({ jobId: job.id, owner: job.owner, kind: classified.kind, err: error }, 'upload failed');
      const reference =
        'referenceId' in classified && classified.referenceId ? classified.referenceId : undefined;
      await finish(
        job,
        'failed',
        classified.message,
        show,
        view(job, 'failed', { notes: [classified.message] }),
        reference,
      );
    }
  }

  async function finish(
    job: JobRecord,
    status: 'done' | 'failed' | 'cancelled',
    outcome: string,
    show: (v: ProgressView, force?: boolean) => Promise<void>,
    final: ProgressView,
    referenceId?: string,
  ): Promise<void> {
    job.status = status;
    job.outcome = outcome;
    job.session = undefined;
    await jobs.save(job);
    await show(final, true);
    logger.info({ jobId: job.id, owner: job.owner, status, referenceId }, 'upload finished');
    if (status === 'done' && job.videoId) {
      await deps
        .onFinished?.(job)
        .catch((error: unknown) => logger.error({ jobId: job.id, err: error }, 'after-upload work failed'));
    }
  }

  /** Playlist and thumbnail come after the upload; a failure there never loses the video. */
  async function afterUpload(
    job: JobRecord,
    client: OAuth2Client,
    privacy: string | undefined,
    publishAt: string | undefined,
  ): Promise<string[]> {
    const notes: string[] = [];
    const yt = youtubeClient(deps.rootUrl, client);
    const videoId = job.videoId ?? '';
    if (job.review) {
      notes.push('It stays private until a moderator approves it; you will get a DM with the decision.');
    } else if (
      privacy === 'private' &&
      (job.requestedPrivacy !== 'private' || (job.metadata.status.publishAt && !publishAt))
    ) {
      notes.push(
        `⚠️ YouTube made this video private although you asked for ${job.metadata.status.publishAt ? `it to go public at ${job.metadata.status.publishAt}` : job.requestedPrivacy}: ` +
          "videos uploaded through an API project that YouTube has not audited yet stay private. Change it in YouTube Studio, or ask the bot's admin to complete YouTube's API audit.",
      );
    }
    if (job.playlistId) {
      try {
        await yt.playlistItems.insert(
          {
            part: ['snippet'],
            requestBody: {
              snippet: { playlistId: job.playlistId, resourceId: { kind: 'youtube#video', videoId } },
            },
          },
          { rootUrl: deps.rootUrl },
        );
        notes.push('Added to your playlist.');
      } catch (error) {
        notes.push(`The video is up, but adding it to the playlist failed: ${classifyError(error).message}`);
      } finally {
        deps.onPlaylistChanged?.(job.account);
      }
    }
    if (job.thumbnail) {
      let body: Readable | undefined;
      try {
        body = await openSource({
          url: job.thumbnail.url,
          size: job.thumbnail.size,
          offset: 0,
          allowedHosts: deps.allowedHosts,
          ...(deps.dispatcher ? { dispatcher: deps.dispatcher } : {}),
        });
        await yt.thumbnails.set(
          { videoId, media: { mimeType: job.thumbnail.mime, body } },
          { rootUrl: deps.rootUrl },
        );
        notes.push('Custom thumbnail set.');
      } catch (error) {
        // Refused before it was read (quota, say): close the download instead of holding its socket.
        if (body) discard(body);
        const reason = error instanceof UploadError ? error.message : classifyError(error).message;
        notes.push(`The video is up, but the thumbnail was not set: ${reason}`);
      }
    }
    return notes;
  }

  async function followProcessing(
    job: JobRecord,
    show: (v: ProgressView, force?: boolean) => Promise<void>,
    notes: string[],
    signal: AbortSignal,
  ): Promise<void> {
    const videoUrl = `https://youtu.be/${job.videoId ?? ''}`;
    await show(view(job, 'processing', { videoUrl, sent: job.source.size, notes }), true);
    const deadline = Date.now() + tuning.processingTimeoutMs;
    let wait = tuning.processingPollMs;
    for (;;) {
      // Shutdown aborts the wait; the job stays 'processing' and is followed again after the restart.
      if (!(await sleep(wait, true, { signal }).catch(() => false))) return;
      wait = Math.min(wait * 2, 60_000);
      if (Date.now() > deadline) {
        // Whatever kept failing, stop asking (each check costs quota) and free the upload slot.
        const text = 'YouTube is still processing the video; it will appear when it is done.';
        await finish(
          job,
          'done',
          text,
          show,
          view(job, 'done', { videoUrl, sent: job.source.size, notes: [...notes, text] }),
        );
        return;
      }
      let video;
      try {
        video = await deps.oauth.withClient(job.account, async (client) => {
          const { data } = await youtubeClient(deps.rootUrl, client).videos.list(
            { part: ['processingDetails', 'status', 'snippet'], id: [job.videoId ?? ''] },
            { rootUrl: deps.rootUrl },
          );
          return data.items?.[0];
        });
      } catch (error) {
        if (error instanceof UserError) {
          await finish(
            job,
            'done',
            'Uploaded; processing could not be followed.',
            show,
            view(job, 'done', {
              videoUrl,
              sent: job.source.size,
              privacy: 'unknown',
              notes: [...notes, error.message],
            }),
          );
          return;
        }
        logger.warn({ jobId: job.id, err: error }, 'processing check failed; trying again');
        continue;
      }
      if (!video) {
        await finish(
          job,
          'failed',
          'The video disappeared from YouTube while it was processing (it may have been deleted).',
          show,
          view(job, 'failed', {
            notes: ['The video disappeared from YouTube while it was processing (it may have been deleted).'],
          }),
        );
        return;
      }
      const processing = video.processingDetails?.processingStatus;
      const upload = video.status?.uploadStatus;
      const privacy = video.status?.privacyStatus ?? undefined;
      if (upload === 'rejected' || processing === 'terminated') {
        const reason = video.status?.rejectionReason ?? 'unknown';
        const text = `YouTube rejected the video (reason: ${reason}).`;
        await finish(job, 'failed', text, show, view(job, 'failed', { notes: [...notes, text] }));
        return;
      }
      if (upload === 'failed' || processing === 'failed') {
        const reason =
          video.status?.failureReason ?? video.processingDetails?.processingFailureReason ?? 'unknown';
        const text = `YouTube could not process the video (reason: ${reason}). Check the file plays, then upload it again.`;
        await finish(job, 'failed', text, show, view(job, 'failed', { notes: [...notes, text] }));
        return;
      }
      if (upload === 'processed' || processing === 'succeeded') {
        await finish(
          job,
          'done',
          `Uploaded: ${videoUrl}`,
          show,
          view(job, 'done', { videoUrl, sent: job.source.size, privacy, notes }),
        );
        return;
      }
    }
  }

  return {
    /** Accepts a prepared job, shown in the member's reply: stored at once, then queued. */
    async submit(
      job: JobRecord,
      reply: { applicationId: string; token: string; createdAt: number } | undefined,
    ): Promise<void> {
      if (reply) {
        job.progress.reply = {
          applicationId: reply.applicationId,
          token: jobs.sealToken(job, reply.token),
          // The token's 15 minutes started when the member ran the command, not now.
          moveAt: reply.createdAt + tuning.replyLifetimeMs,
        };
      }
      await jobs.save(job);
      queue.push(job);
      pump();
    },
    /** Cancels a queued or running job; only its owner may. */
    async cancel(jobId: string, userId: string): Promise<CancelResult> {
      const active = running.get(jobId);
      const queued = queue.find((j) => j.id === jobId);
      const job = active?.job ?? queued ?? (await jobs.get(jobId));
      if (!job) return 'not_found';
      if (job.owner !== userId) return 'not_owner';
      if (active) {
        if (active.job.status === 'processing') return 'finished';
        active.abortedFor = 'cancel';
        active.controller.abort();
        return 'cancelled';
      }
      if (queued) {
        queue.splice(queue.indexOf(queued), 1);
        const sink = deps.sinkFor(queued, persist(queued));
        queued.status = 'cancelled';
        queued.outcome = 'Cancelled by the uploader.';
        await jobs.save(queued);
        await sink.show(renderProgress(view(queued, 'cancelled')), { cancellable: false });
        pump();
        return 'cancelled';
      }
      return FINISHED.includes(job.status) ? 'finished' : 'not_found';
    },
    /** Resumes every unfinished job from the store (after a restart). */
    async resume(): Promise<number> {
      const pendingJobs = await jobs.active();
      for (const job of pendingJobs) {
        logger.info(
          { jobId: job.id, owner: job.owner, status: job.status, received: job.received },
          'resuming upload',
        );
        queue.push(job);
      }
      pump();
      return pendingJobs.length;
    },
    /** Stops for shutdown: running uploads are aborted but stay resumable. */
    async stop(): Promise<void> {
      stopping = true;
      for (const entry of running.values()) {
        entry.abortedFor = 'shutdown';
        entry.controller.abort();
      }
      await Promise.allSettled([...finished]);
    },
    /** Queue and running counts, for status displays. */
    stats: () => ({ queued: queue.length, running: running.size }),
  };
}

export type UploadService = ReturnType<typeof createUploads>;
