// The steps after the bytes are in: playlist, thumbnail, processing follow-up, the review card (an
// upload a moderator must approve) or the announcement check, and the final message. They are recorded in the job with the video id
// (planSteps), each saved 'running' before it starts and 'done' after, so a restart — even after a
// SIGKILL midway — carries out what is left, once: a step found 'running' may have happened already
// and is made safe to repeat (the playlist is checked first; the thumbnail, the review card, the
// announcement check and the final message can be repeated without a second effect).
import type { Readable } from 'node:stream';
import type { OAuth2Client } from 'google-auth-library';
import { storeErrorIn } from '../errors.ts';
import { discard } from '../google/resumable.ts';
import { youtubeClient } from '../google/youtube.ts';
import { openSource } from './download.ts';
import { createDisplay, jobView } from './display.ts';
import { jobCare, StoreWaitInterrupted } from './patience.ts';
import { errorNote, note, type Note } from './notes.ts';
import { followProcessing } from './processing.ts';
import { LeaseLost, type JobRecord, type StepName, type StepRecord, type StepResult } from './records.ts';
import type { UploadDeps } from './types.ts';
import { metrics } from '../metrics.ts';

/** The steps for a job whose bytes are in, in order. */
export function planSteps(job: JobRecord): StepRecord[] {
  const names: StepName[] = [];
  if (job.playlistId) names.push('playlist');
  if (job.thumbnail) names.push('thumbnail');
  names.push('processing', handoff(job), 'final');
  return names.map((name) => ({ name, state: 'pending' }));
}

/** What follows a processed video: a moderator's review, or the announcement check. */
const handoff = (job: JobRecord): StepName => (job.review ? 'review' : 'announce');

/** Notes about the upload itself: a review to wait for, or a privacy YouTube forced. */
export function uploadNotes(
  job: JobRecord,
  privacy: string | undefined,
  publishAt: string | undefined,
): Note[] {
  if (job.review) return [note('progress.note.review')];
  if (
    privacy === 'private' &&
    (job.requestedPrivacy !== 'private' || (job.metadata.status.publishAt && !publishAt))
  ) {
    const asked = job.metadata.status.publishAt;
    return [
      asked
        ? note('progress.note.madePrivateScheduled', { when: asked })
        : note('progress.note.madePrivate', {}, { privacy: note(`privacy.${job.requestedPrivacy}`) }),
    ];
  }
  return [];
}

/**
 * Runs the steps still to do. Returns 'paused' when `signal` stopped it (shutdown): the job stays
 * 'processing' with its steps, and the next start continues them. A store that does not answer is waited
 * for: a save is tried again (the step is not run again for it), and a step that a store failure stopped
 * midway is run again as one cut off ('again'), which every step is made safe for.
 */
export async function runSteps(
  job: JobRecord,
  deps: UploadDeps,
  signal: AbortSignal,
): Promise<'done' | 'paused' | 'lost'> {
  const { jobs, logger, tuning } = deps;
  const care = jobCare(
    job,
    deps,
    signal,
    createDisplay(
      deps.sinkFor(job, () => jobs.save(job)),
      tuning.progressIntervalMs,
    ),
  );
  const { show } = care;
  // Jobs recorded before steps existed had done playlist and thumbnail already.
  job.steps ??= [
    { name: 'processing', state: 'pending' },
    { name: handoff(job), state: 'pending' },
    { name: 'final', state: 'pending' },
  ];
  const videoUrl = `https://youtu.be/${job.videoId ?? ''}`;
  const resultOf = (name: StepName) => job.steps?.find((s) => s.name === name)?.result;
  const notes = () => [
    ...(job.notes ?? []),
    ...(job.steps ?? []).flatMap((s) => (s.name !== 'processing' && s.result?.note ? [s.result.note] : [])),
  ];

  /** The review card or the announcement check (onFinished), once the video is processed. */
  const handOver = async (): Promise<StepResult> => {
    if (resultOf('processing')?.outcome !== 'done' || !job.videoId) return {};
    await deps.onFinished?.(job).catch((error: unknown) => {
      // The store did not answer: the step waits for it and runs again (the review card and the
      // announcement check are safe to repeat). Anything else is logged and the upload goes on.
      if (storeErrorIn(error)) throw error;
      logger.error({ jobId: job.id, err: error }, 'after-upload work failed');
    });
    return {};
  };

  const actions: Record<StepName, (again: boolean) => Promise<StepResult | undefined>> = {
    playlist: (again) => addToPlaylist(job, deps, again),
    thumbnail: () => setThumbnail(job, deps),
    processing: async () => {
      await show(jobView(job, 'processing', { videoUrl, sent: job.source.size, notes: notes() }), true);
      return followProcessing(
        job,
        {
          oauth: deps.oauth,
          rootUrl: deps.rootUrl,
          logger,
          pollMs: tuning.processingPollMs,
          timeoutMs: tuning.processingTimeoutMs,
        },
        signal,
      );
    },
    review: () => handOver(),
    announce: () => handOver(),
    final: async () => {
      const processed = resultOf('processing');
      const failed = processed?.outcome === 'failed';
      const all = [...notes(), ...(processed?.note ? [processed.note] : [])];
      // The status first: the progress sink tells a final update (the result) by it.
      job.status = failed ? 'failed' : 'done';
      // The record's last sentence: a note by key (drawn in the member's language wherever it is shown).
      job.outcome = processed?.note ?? `Uploaded: ${videoUrl}`;
      await show(
        failed
          ? jobView(job, 'failed', { notes: all })
          : jobView(job, 'done', {
              videoUrl,
              sent: job.source.size,
              privacy: processed?.privacy,
              notes: all,
            }),
        true,
      );
      logger.info({ jobId: job.id, owner: job.owner, status: job.status }, 'upload finished');
      if (failed) metrics.uploadFailed('processing');
      else metrics.uploadDone();
      return {};
    },
  };

  try {
    for (const step of job.steps) {
      if (step.state === 'done') continue;
      if (signal.aborted) return 'paused';
      let again = step.state === 'running';
      if (again) logger.info({ jobId: job.id, step: step.name }, 'step cut off before; running it again');
      step.state = 'running';
      await care.save();
      const result = await care.ride(step.name, () => {
        const attempt = actions[step.name](again);
        again = true; // a second try follows a first that may have got anywhere
        return attempt;
      });
      if (result === undefined) return 'paused';
      step.result = result;
      step.state = 'done';
      await care.save();
    }
  } catch (error) {
    if (error instanceof StoreWaitInterrupted) return 'paused';
    // Another process holds the job now: the step whose 'running' it could not record is not run here.
    if (error instanceof LeaseLost) return 'lost';
    throw error;
  }
  return 'done';
}

/** Inserts the video into the playlist; after a cut-off try, only when it is not there yet (one list call). */
async function addToPlaylist(job: JobRecord, deps: UploadDeps, again: boolean): Promise<StepResult> {
  const playlistId = job.playlistId ?? '';
  const videoId = job.videoId ?? '';
  try {
    await deps.oauth.withClient(job.account, async (client) => {
      const yt = youtubeClient(deps.rootUrl, client);
      if (again) {
        const { data } = await yt.playlistItems.list(
          { part: ['id'], playlistId, videoId, maxResults: 1 },
          { rootUrl: deps.rootUrl },
        );
        if ((data.items ?? []).length > 0) return;
      }
      await yt.playlistItems.insert(
        {
          part: ['snippet'],
          requestBody: { snippet: { playlistId, resourceId: { kind: 'youtube#video', videoId } } },
        },
        { rootUrl: deps.rootUrl },
      );
    });
    return { note: note('progress.note.playlistAdded') };
  } catch (error) {
    if (storeErrorIn(error)) throw error; // waited for, then tried again (the playlist is checked first)
    return { note: failedNote('progress.note.playlistFailed', error, job, deps) };
  } finally {
    deps.onPlaylistChanged?.(job.account);
  }
}

/** Sets the custom thumbnail (setting it again is harmless). */
async function setThumbnail(job: JobRecord, deps: UploadDeps): Promise<StepResult> {
  const thumbnail = job.thumbnail;
  if (!thumbnail) return {};
  let body: Readable | undefined;
  try {
    await deps.oauth.withClient(job.account, async (client: OAuth2Client) => {
      if (body) discard(body); // a second try after a refused token reads the image again
      body = await openSource({
        url: thumbnail.url,
        size: thumbnail.size,
        offset: 0,
        allowedHosts: deps.allowedHosts,
        ...(deps.dispatcher ? { dispatcher: deps.dispatcher } : {}),
      });
      await youtubeClient(deps.rootUrl, client).thumbnails.set(
        { videoId: job.videoId ?? '', media: { mimeType: thumbnail.mime, body } },
        { rootUrl: deps.rootUrl },
      );
    });
    return { note: note('progress.note.thumbnailSet') };
  } catch (error) {
    // Refused before it was read (quota, say): close the download instead of holding its socket.
    if (body) discard(body);
    if (storeErrorIn(error)) throw error; // waited for, then set again
    return { note: failedNote('progress.note.thumbnailFailed', error, job, deps) };
  }
}

/** A step that failed after the video went up: the note with the reason, and the reason in the log. */
function failedNote(key: string, error: unknown, job: JobRecord, deps: UploadDeps): Note {
  const { note: reason, referenceId } = errorNote(error);
  // The reference id the member reads is the one in the log.
  deps.logger.warn({ jobId: job.id, step: key, referenceId, err: error }, 'a step after the upload failed');
  return note(key, {}, { reason });
}
