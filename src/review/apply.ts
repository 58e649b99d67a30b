// A review decision on YouTube, and what the card needs from YouTube. Free of discord.js.
import type { Logger } from '../logger.ts';
import type { OAuthService } from '../google/oauth.ts';
import { youtubeClient } from '../google/youtube.ts';
import { classifyError, googleReason } from '../errors.ts';
import type { ReviewNote, ReviewRecord } from './reviews.ts';

export interface YouTubeDeps {
  readonly oauth: OAuthService;
  readonly rootUrl: string;
  readonly logger: Logger;
}

/** The playlist's title, for the card; undefined when YouTube cannot tell (the card shows the id). */
export async function playlistTitle(
  deps: YouTubeDeps,
  account: string,
  playlistId: string,
): Promise<string | undefined> {
  const { rootUrl } = deps;
  try {
    return await deps.oauth.withClient(account, async (client) => {
      const { data } = await youtubeClient(rootUrl, client).playlists.list(
        { part: ['snippet'], id: [playlistId], maxResults: 1 },
        { rootUrl },
      );
      return data.items?.[0]?.snippet?.title ?? undefined;
    });
  } catch (error) {
    deps.logger.info({ playlistId, err: error }, 'review card: the playlist title could not be read');
    return undefined;
  }
}

/**
 * Applies the decision on YouTube; throws when the privacy change or the delete did not happen. Safe to repeat:
 * approving sets the same privacy, `repeat` adds to the playlist only when the video is not in it yet, and
 * rejecting a video already gone is done.
 */
export async function applyDecision(
  deps: YouTubeDeps,
  review: ReviewRecord,
  approve: boolean,
  repeat: boolean,
): Promise<ReviewNote[]> {
  const { rootUrl } = deps;
  const notes: ReviewNote[] = [];
  await deps.oauth.withClient(review.account, async (client) => {
    const yt = youtubeClient(rootUrl, client);
    if (!approve) {
      try {
        await yt.videos.delete({ id: review.videoId }, { rootUrl });
      } catch (error) {
        // Already gone (deleted in YouTube Studio meanwhile, or by a press before a crash): done.
        if (googleReason(error) !== 'videoNotFound') throw error;
        notes.push({ key: 'review.note.alreadyGone', values: {} });
      }
      return;
    }
    // Read, modify, write: an update replaces the whole status part.
    const { data } = await yt.videos.list({ part: ['status'], id: [review.videoId] }, { rootUrl });
    const status = { ...data.items?.[0]?.status };
    delete status.publishAt;
    await yt.videos.update(
      {
        part: ['status'],
        requestBody: {
          id: review.videoId,
          status: {
            ...status,
            privacyStatus: review.publishAt ? 'private' : review.requestedPrivacy,
            ...(review.publishAt ? { publishAt: review.publishAt } : {}),
          },
        },
      },
      { rootUrl },
    );
    if (review.playlistId) {
      try {
        // Taken again after a crash: the first attempt may have added it already.
        const there =
          repeat &&
          ((
            await yt.playlistItems.list(
              { part: ['id'], playlistId: review.playlistId, videoId: review.videoId, maxResults: 1 },
              { rootUrl },
            )
          ).data.items?.length ?? 0) > 0;
        if (!there) {
          await yt.playlistItems.insert(
            {
              part: ['snippet'],
              requestBody: {
                snippet: {
                  playlistId: review.playlistId,
                  resourceId: { kind: 'youtube#video', videoId: review.videoId },
                },
              },
            },
            { rootUrl },
          );
        }
      } catch (error) {
        const { kind, detail, referenceId } = classifyError(error);
        deps.logger.warn(
          { reviewId: review.id, playlistId: review.playlistId, kind, ...detail, referenceId, err: error },
          'review: the approved video could not be added to the playlist',
        );
        notes.push({ key: 'review.note.playlistFailed', values: {}, error: { cause: error, referenceId } });
      }
    }
  });
  return notes;
}
