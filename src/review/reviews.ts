// The review queue: a member's upload to the server's channel stays private until a moderator
// approves it (the requested privacy, playlist and announcement then apply) or rejects it (the
// video is deleted and the member told why). A decision is taken exactly once.
import type { Store } from '../store/index.ts';
import type { Logger } from '../logger.ts';
import type { OAuthService } from '../google/oauth.ts';
import { youtubeClient } from '../google/youtube.ts';
import { classifyError } from '../errors.ts';
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
  const { rootUrl } = deps;

  return {
    async open(review: ReviewRecord, channelId: string): Promise<void> {
      await records.set(review.id, review);
      await pending.set(review.id, true);
      review.card = await deps.surface.postCard(review, channelId);
      await records.set(review.id, review);
    },

    get: (id: string) => records.get(id),

    /** Approves or rejects once: the first decision wins, later presses learn who decided. */
    async decide(id: string, moderatorId: string, approve: boolean, reason?: string): Promise<Decision> {
      const review = await records.get(id);
      if (!review) return { kind: 'unknown' };
      if ((await pending.take(id)) === undefined)
        return { kind: 'already', review: (await records.get(id)) ?? review };
      review.status = approve ? 'approved' : 'rejected';
      review.decidedBy = moderatorId;
      review.reason = reason;
      await records.set(id, review);
      const notes: string[] = [];
      try {
        await deps.oauth.withClient(review.account, async (client) => {
          const yt = youtubeClient(rootUrl, client);
          if (!approve) {
            await yt.videos.delete({ id: review.videoId }, { rootUrl });
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
      } catch (error) {
        const message = classifyError(error).message;
        notes.push(
          approve ? `Changing its privacy failed: ${message}` : `Deleting the video failed: ${message}`,
        );
        deps.logger.warn({ reviewId: id, err: error }, 'review decision could not be applied on YouTube');
      }
      await deps.surface.updateCard(review);
      const link = `https://youtu.be/${review.videoId}`;
      await deps.surface.tellUploader(
        review,
        approve
          ? `✅ Your upload **${review.title}** to the server's channel was approved: ${link}`
          : `Your upload **${review.title}** to the server's channel was not accepted and has been removed.${reason ? ` Reason: ${reason}` : ''}`,
      );
      if (approve && deps.onApproved) await deps.onApproved(review).catch(() => undefined);
      return approve ? { kind: 'approved', review, notes } : { kind: 'rejected', review, notes };
    },
  };
}

export type Reviews = ReturnType<typeof createReviews>;
