// Following YouTube's processing of an uploaded video: polls with a growing pause until it is
// processed, rejected or failed, or until the time allowed runs out (then YouTube finishes alone).
import { setTimeout as sleep } from 'node:timers/promises';
import { UserError } from '../errors.ts';
import { youtubeClient } from '../google/youtube.ts';
import type { Logger } from '../logger.ts';
import type { OAuthService } from '../google/oauth.ts';
import type { JobRecord, StepResult } from './records.ts';
import { errorNote, note } from './notes.ts';

export interface FollowDeps {
  readonly oauth: OAuthService;
  readonly rootUrl: string;
  readonly logger: Logger;
  readonly pollMs: number;
  readonly timeoutMs: number;
}

/** How processing ended; undefined when `signal` stopped the wait (shutdown: follow again later). */
export async function followProcessing(
  job: JobRecord,
  deps: FollowDeps,
  signal: AbortSignal,
): Promise<StepResult | undefined> {
  const deadline = Date.now() + deps.timeoutMs;
  let wait = deps.pollMs;
  for (;;) {
    if (!(await sleep(wait, true, { signal }).catch(() => false))) return undefined;
    wait = Math.min(wait * 2, 60_000);
    if (Date.now() > deadline) {
      // Whatever kept failing, stop asking (each check costs quota).
      return {
        outcome: 'done',
        note: note('progress.note.stillProcessing'),
      };
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
        return { outcome: 'done', privacy: 'unknown', note: errorNote(error).note };
      }
      deps.logger.warn({ jobId: job.id, err: error }, 'processing check failed; trying again');
      continue;
    }
    if (!video) {
      return {
        outcome: 'failed',
        note: note('progress.note.disappeared'),
      };
    }
    const processing = video.processingDetails?.processingStatus;
    const upload = video.status?.uploadStatus;
    const privacy = video.status?.privacyStatus ?? undefined;
    if (upload === 'rejected' || processing === 'terminated') {
      const reason = video.status?.rejectionReason ?? 'unknown';
      return { outcome: 'failed', note: note('progress.note.rejected', { reason }) };
    }
    if (upload === 'failed' || processing === 'failed') {
      const reason =
        video.status?.failureReason ?? video.processingDetails?.processingFailureReason ?? 'unknown';
      return { outcome: 'failed', note: note('progress.note.processingFailed', { reason }) };
    }
    if (upload === 'processed' || processing === 'succeeded') return { outcome: 'done', privacy };
  }
}
