// The review queue: a member's upload to the server's channel stays private until a moderator
// approves it (the requested privacy, playlist and announcement then apply) or rejects it (the
// video is deleted and the member told why). A decision is taken exactly once, and only counts once
// YouTube has applied it.
import type { Store } from '../store/index.ts';
import type { Logger } from '../logger.ts';
import type { OAuthService } from '../google/oauth.ts';
import { youtubeClient } from '../google/youtube.ts';
import { classifyError, googleReason } from '../errors.ts';
import type { Privacy } from '../uploads/metadata.ts';

export interface ReviewRecord {
  readonly id: string;
  readonly guildId: string;
  /** The grant owner of the server's channel. */
  readonly account: string;
  readonly uploaderId: string;
  readonly videoId: string;
  readonly title: string;
  readonly requestedPrivacy: Privacy;
  readonly publishAt: string | undefined;
  readonly playlistId: string | undefined;
  card: { channelId: string; messageId: string } | undefined;
  status: 'pending' | 'approved' | 'rejected';
  decidedBy: string | undefined;
  reason: string | undefined;
}

export type Decision =
  | { kind: 'approved'; review: ReviewRecord; notes: string[] }
  | { kind: 'rejected'; review: ReviewRecord; notes: string[] }
  /** YouTube did not take the change: nothing was recorded, the review is still pending, press again. */
  | { kind: 'failed'; review: ReviewRecord; notes: string[] }
  /** Another moderator's press is being applied right now. */
  | { kind: 'busy'; review: ReviewRecord; notes: string[] }
  | { kind: 'already'; review: ReviewRecord }
  | { kind: 'unknown' };

/** What the Discord side does with reviews: post the card, update it, tell the uploader. */
export interface ReviewSurface {
  postCard(
    review: ReviewRecord,
    channelId: string,
  ): Promise<{ channelId: string; messageId: string } | undefined>;
  updateCard(review: ReviewRecord): Promise<void>;
  tellUploader(review: ReviewRecord, text: string): Promise<void>;
}

export function createReviews(deps: {
  store: Store;
  oauth: OAuthService;
  rootUrl: string;
  logger: Logger;
  surface: ReviewSurface;
  /** Called after an approval made the video visible (announcements). */
  onApproved?: (review: ReviewRecord) => Promise<void>;
}) {
  const records = deps.store.collection<ReviewRecord>('review');
  const pending = deps.store.collection<true>('review-pending');
  /** Decisions being applied by this process, by review id. */
  const inflight = new Map<string, Promise<Decision>>();
  const { rootUrl } = deps;

  /** Applies the decision on YouTube; throws when the privacy change or the delete did not happen. */
  async function apply(review: ReviewRecord, approve: boolean): Promise<string[]> {
    const notes: string[] = [];
    await deps.oauth.withClient(review.account, async (client) => {
      const yt = youtubeClient(rootUrl, client);
      if (!approve) {
        try {
          await yt.videos.delete({ id: review.videoId }, { rootUrl });
        } catch (error) {
          // Already gone (deleted in YouTube Studio meanwhile): what a rejection wants is done.
          if (googleReason(error) !== 'videoNotFound') throw error;
          notes.push('The video was already gone from YouTube.');
        }
        return;
      }
      // Read, modify, write: an update replaces the whole status part.
      const { data } = await yt.videos.list({ part: ['status'], id: [review.videoId] }, { rootUrl });
      const status = data.items?.[0]?.status ?? {};
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
        } catch (error) {
          notes.push(`Adding it to the playlist failed: ${classifyError(error).message}`);
        }
      }
    });
    return notes;
  }

  /** Applies a claimed decision; on failure the claim is given back and nothing is recorded. */
  async function settle(
    review: ReviewRecord,
    moderatorId: string,
    approve: boolean,
    reason: string | undefined,
  ): Promise<Decision> {
    const { id, guildId } = review;
    let notes: string[];
    try {
      notes = await apply(review, approve);
    } catch (error) {
      await pending.set(id, true);
      const { message, kind, detail, referenceId } = classifyError(error);
      deps.logger.warn(
        { reviewId: id, guildId, approve, kind, ...detail, referenceId, err: error },
        'review decision could not be applied on YouTube; the review stays pending',
      );
      return {
        kind: 'failed',
        review,
        notes: [
          approve
            ? `Approving did not go through: YouTube did not change the video's privacy. ${message}`
            : `Rejecting did not go through: YouTube did not delete the video. ${message}`,
          `Nothing was recorded and the member was not told; the upload is still waiting, so you can press ${approve ? 'Approve' : 'Reject'} again.`,
        ],
      };
    }
    review.status = approve ? 'approved' : 'rejected';
    review.decidedBy = moderatorId;
    review.reason = reason;
    await records.set(id, review);
    await deps.surface.updateCard(review);
    const link = `https://youtu.be/${review.videoId}`;
    await deps.surface.tellUploader(
      review,
      approve
        ? `✅ Your upload **${review.title}** to the server's channel was approved: ${link}`
        : `Your upload **${review.title}** to the server's channel was not accepted and has been removed.${reason ? ` Reason: ${reason}` : ''}`,
    );
    if (approve && deps.onApproved)
      await deps
        .onApproved(review)
        .catch((error: unknown) =>
          deps.logger.error({ reviewId: id, guildId, err: error }, 'after-approval work failed'),
        );
    return approve ? { kind: 'approved', review, notes } : { kind: 'rejected', review, notes };
  }

  return {
    /**
     * Records the review and posts its card. When the card cannot be posted nobody could ever decide
     * it, so the review is dropped and the uploader told that the video stays private.
     */
    async open(review: ReviewRecord, channelId: string): Promise<void> {
      await records.set(review.id, review);
      await pending.set(review.id, true);
      review.card = await deps.surface.postCard(review, channelId);
      if (review.card) {
        await records.set(review.id, review);
        return;
      }
      await pending.delete(review.id);
      await records.delete(review.id);
      deps.logger.error(
        { reviewId: review.id, guildId: review.guildId, channelId, videoId: review.videoId },
        'review card could not be posted: the upload stays private and no review is open',
      );
      await deps.surface.tellUploader(
        review,
        `Your upload **${review.title}** to the server's channel could not be put up for review: ` +
          "I cannot post in the server's review channel. The video stays private on the server's channel — " +
          'ask a moderator to check the review channel in /server settings.',
      );
    },

    get: (id: string) => records.get(id),

    /**
     * Approves or rejects once, for a press in `guildId` (a review of another server is 'unknown'). The
     * decision is claimed atomically (the pending marker is taken), applied on YouTube, and only then
     * recorded, shown on the card and told to the uploader. When YouTube refuses, the marker is put back:
     * the review stays pending with its buttons, and the moderator can press again. A press that comes
     * while another is being applied waits for it: it learns who decided, or tries itself if that failed.
     */
    async decide(
      guildId: string | null,
      id: string,
      moderatorId: string,
      approve: boolean,
      reason?: string,
    ): Promise<Decision> {
      const review = await records.get(id);
      if (!review || guildId === null || review.guildId !== guildId) return { kind: 'unknown' };
      while ((await pending.take(id)) === undefined) {
        const current = (await records.get(id)) ?? review;
        if (current.status !== 'pending') return { kind: 'already', review: current };
        const running = inflight.get(id);
        if (running === undefined) {
          // Claimed elsewhere (another process sharing the store), and not yet applied.
          return {
            kind: 'busy',
            review: current,
            notes: [
              "Another moderator's decision on this upload is being applied right now. If the card still has its buttons in a moment, press again.",
            ],
          };
        }
        await running.catch(() => undefined);
      }
      // Registered before anything else awaits, so a press arriving now finds it.
      const attempt = settle(review, moderatorId, approve, reason);
      inflight.set(id, attempt);
      try {
        return await attempt;
      } finally {
        inflight.delete(id);
      }
    },
  };
}

export type Reviews = ReturnType<typeof createReviews>;
