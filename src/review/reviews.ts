// The review queue: a member's upload to the server's channel stays private until a moderator
// approves it (the requested privacy, playlist and announcement then apply) or rejects it (the
// video is deleted and the member told why). A decision is taken exactly once, and only counts once
// YouTube has applied it.
//
// Once, in any number of processes: a decision is claimed before it is applied, in one atomic `update` of the
// store that only one press wins (two moderators pressing Approve and Reject at once in two processes: one claim).
// The other press waits a moment for the winner's outcome and tells its moderator who decided; a decision still
// being applied then is named too ("@Alice's decision to approve … is being applied right now"). When YouTube refuses, the claim is given back: the
// review is pending again and either press may be made again.
//
// Never stuck: a claim older than the lease belongs to a process that died between claiming and recording; the
// next press takes the decision over (again one atomic update). Applying is safe to repeat: approving sets the
// same privacy (and adds to the playlist only when the video is not in it yet), rejecting a video already gone is
// done.
//
// Never refused forever: a schedule that passed while the upload waited (by our clock, or YouTube's
// invalidPublishAt) is offered to the moderator as "publish now" or a new time.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Store } from '../store/index.ts';
import type { Logger } from '../logger.ts';
import type { OAuthService } from '../google/oauth.ts';
import { classifyError, googleReason, UserError } from '../errors.ts';
import { applyDecision, playlistTitle } from './apply.ts';
import { parsePublishAt, type Privacy } from '../uploads/metadata.ts';
import type { Values } from '../i18n/index.ts';

export interface ReviewRecord {
  readonly id: string;
  readonly guildId: string;
  /** The grant owner of the server's channel. */
  readonly account: string;
  readonly uploaderId: string;
  /** The uploader's Discord locale when they uploaded: what the bot tells them is in their language. */
  readonly uploaderLocale?: string | undefined;
  readonly videoId: string;
  readonly title: string;
  /** What the member asked; becomes 'public' when a moderator publishes a missed schedule at once. */
  requestedPrivacy: Privacy;
  /** The schedule asked for (or the new time a moderator chose); cleared when published at once. */
  publishAt: string | undefined;
  readonly playlistId: string | undefined;
  /** What the card shows besides (absent on reviews opened before the card showed them). */
  readonly description?: string | undefined;
  readonly tags?: readonly string[] | undefined;
  /** Looked up when the review opens; the id is shown when YouTube cannot tell. */
  playlistTitle?: string | undefined;
  readonly madeForKids?: boolean | undefined;
  /** The thumbnail as the member gave it (a Discord CDN attachment checked when the upload was accepted). */
  readonly thumbnailUrl?: string | undefined;
  /** The schedule that passed while the upload waited: the card offers "Publish now" or a new time. */
  missedPublishAt?: string | undefined;
  card: { channelId: string; messageId: string } | undefined;
  status: 'pending' | 'approved' | 'rejected';
  decidedBy: string | undefined;
  reason: string | undefined;
}

/** How an approval applies the schedule: as requested, at once, or at a new time. */
export type ApproveAs = { kind: 'requested' } | { kind: 'now' } | { kind: 'at'; publishAt: string };

/**
 * A note to the moderator who pressed: a text of src/i18n/locales and its values (the service knows no languages).
 * `error` is what stopped the work, told in the moderator's language under the reference id the log has.
 */
export interface ReviewNote {
  readonly key: string;
  readonly values: Values;
  readonly error?: { readonly cause: unknown; readonly referenceId?: string | undefined } | undefined;
}

export type Decision =
  | { kind: 'approved'; review: ReviewRecord; notes: ReviewNote[] }
  | { kind: 'rejected'; review: ReviewRecord; notes: ReviewNote[] }
  /** YouTube did not take the change: nothing was recorded, the review is still pending, press again. */
  | { kind: 'failed'; review: ReviewRecord; notes: ReviewNote[] }
  /** The schedule passed while the upload waited: nothing changed, the card now offers Publish now / New time. */
  | { kind: 'expired'; review: ReviewRecord; notes: ReviewNote[] }
  /** Another moderator's press (named in the notes) is being applied right now. */
  | { kind: 'busy'; review: ReviewRecord; notes: ReviewNote[] }
  | { kind: 'already'; review: ReviewRecord }
  | { kind: 'unknown' };

/** What the uploader is told: a text's key and its values (the service knows no languages). */
export interface UploaderNote {
  readonly key: string;
  readonly values: Values;
}

/** What the Discord side does with reviews: post the card, update it, tell the uploader. */
export interface ReviewSurface {
  postCard(
    review: ReviewRecord,
    channelId: string,
  ): Promise<{ channelId: string; messageId: string } | undefined>;
  updateCard(review: ReviewRecord): Promise<void>;
  /** A note to the uploader: a text of src/i18n/locales, rendered in the uploader's language by the surface. */
  tellUploader(review: ReviewRecord, note: UploaderNote): Promise<void>;
}

/** A decision being applied: by whom, since when. Past the lease, its process is taken to be gone. */
interface Claim {
  at: number;
  by: string;
  approve: boolean;
  token: string;
}

/** How long a claimed decision may take before another press may take it again (a few YouTube calls). */
export const CLAIM_LEASE_MS = 2 * 60_000;
/** A press that finds another moderator's decision being applied waits this long for its outcome. */
export const DECISION_WAIT_MS = 5_000;
/** …looking at the store this often. */
const DECISION_POLL_MS = 200;
/** YouTube wants a schedule in the future; one this close is treated as passed. */
const SCHEDULE_LEAD_MS = 60_000;

export function createReviews(deps: {
  store: Store;
  oauth: OAuthService;
  rootUrl: string;
  logger: Logger;
  surface: ReviewSurface;
  /** Called after an approval made the video visible (announcements). */
  onApproved?: (review: ReviewRecord) => Promise<void>;
  now?: () => number;
}) {
  const records = deps.store.collection<ReviewRecord>('review');
  const claims = deps.store.collection<Claim>('review-claim');
  /** A recorded decision whose card, DM and announcement are still due. */
  const followUps = deps.store.collection<true>('review-followup');
  const { logger } = deps;
  const now = deps.now ?? Date.now;

  const passed = (publishAt: string | undefined) =>
    publishAt !== undefined && Date.parse(publishAt) <= now() + SCHEDULE_LEAD_MS;

  /** Gives a claimed decision back (only while it is still this press's): anyone may press again. */
  async function release(id: string, token: string): Promise<void> {
    await claims.update(id, (current) => (current?.token === token ? null : undefined));
  }

  /** The schedule passed: nothing is applied; the card offers Publish now, a new time, or Reject. */
  async function expire(review: ReviewRecord, publishAt: string, token: string): Promise<Decision> {
    review.missedPublishAt = publishAt;
    await records.set(review.id, review);
    await release(review.id, token);
    await deps.surface.updateCard(review);
    logger.info({ reviewId: review.id, guildId: review.guildId, publishAt }, 'review: the schedule passed');
    return {
      kind: 'expired',
      review,
      notes: [{ key: 'review.note.expired', values: { when: publishAt } }],
    };
  }

  /** Applies a decision this press claimed; on failure the claim is given back and nothing is recorded. */
  async function settle(
    review: ReviewRecord,
    moderatorId: string,
    approve: boolean,
    reason: string | undefined,
    as: ApproveAs,
    repeat: boolean,
    token: string,
  ): Promise<Decision> {
    const { id, guildId } = review;
    const asked = review.publishAt;
    if (approve) {
      if (as.kind === 'now') {
        // A schedule means "public then": published at once, it is public now.
        review.requestedPrivacy =
          review.publishAt || review.missedPublishAt ? 'public' : review.requestedPrivacy;
        review.publishAt = undefined;
      } else if (as.kind === 'at') review.publishAt = as.publishAt;
      if (passed(review.publishAt)) return expire(review, review.publishAt ?? '', token);
    }
    let notes: ReviewNote[];
    try {
      notes = await applyDecision(deps, review, approve, repeat);
    } catch (error) {
      if (approve && review.publishAt && googleReason(error) === 'invalidPublishAt')
        return expire(review, review.publishAt, token);
      review.publishAt = asked;
      await release(id, token);
      const { kind, detail, referenceId } = classifyError(error);
      logger.warn(
        { reviewId: id, guildId, approve, kind, ...detail, referenceId, err: error },
        'review decision could not be applied on YouTube; the review stays pending',
      );
      return {
        kind: 'failed',
        review,
        notes: [
          {
            key: approve ? 'review.note.approveFailed' : 'review.note.rejectFailed',
            values: {},
            error: { cause: error, referenceId },
          },
          { key: approve ? 'review.note.stillWaitingApprove' : 'review.note.stillWaitingReject', values: {} },
        ],
      };
    }
    review.status = approve ? 'approved' : 'rejected';
    review.decidedBy = moderatorId;
    review.reason = reason;
    // The follow-ups are due before the decision is recorded: whoever takes this marker carries them out, here
    // at once (the claim still held, so a press meanwhile leaves them to this one), or at the next press should
    // this process die before.
    await followUps.set(id, true);
    await records.set(id, review);
    if ((await followUps.take(id)) !== undefined) await followUp(review);
    await release(id, token);
    return approve ? { kind: 'approved', review, notes } : { kind: 'rejected', review, notes };
  }

  /** After a recorded decision: the card shows it, the uploader hears it, an approved video is announced. */
  async function followUp(review: ReviewRecord): Promise<void> {
    await deps.surface.updateCard(review);
    const url = `https://youtu.be/${review.videoId}`;
    const { title, reason } = review;
    await deps.surface.tellUploader(
      review,
      review.status === 'approved'
        ? { key: 'review.dm.approved', values: { title, url } }
        : reason
          ? { key: 'review.dm.rejectedBecause', values: { title, reason } }
          : { key: 'review.dm.rejected', values: { title } },
    );
    if (review.status === 'approved' && deps.onApproved)
      await deps
        .onApproved(review)
        .catch((error: unknown) =>
          deps.logger.error(
            { reviewId: review.id, guildId: review.guildId, err: error },
            'after-approval work failed',
          ),
        );
  }

  return {
    /**
     * Records the review and posts its card, once: a review whose record has its card already is left as it
     * is (the step after an upload may run again), and the card itself is posted idempotently (the surface
     * sends a nonce derived from the review id, so a card Discord created before a crash, whose record was
     * never saved, comes back instead of a second one). When the card cannot be posted nobody could ever
     * decide it, so the review is dropped and the uploader told that the video stays private.
     */
    async open(review: ReviewRecord, channelId: string): Promise<void> {
      const existing = await records.get(review.id);
      if (existing?.card || (existing && existing.status !== 'pending')) return;
      if (review.playlistId && review.playlistTitle === undefined)
        review.playlistTitle = await playlistTitle(deps, review.account, review.playlistId);
      // The upload took longer than the time left: the card offers Publish now from the start.
      if (review.publishAt && passed(review.publishAt)) review.missedPublishAt = review.publishAt;
      await records.set(review.id, review);
      review.card = await deps.surface.postCard(review, channelId);
      if (review.card) {
        await records.set(review.id, review);
        return;
      }
      await records.delete(review.id);
      logger.error(
        { reviewId: review.id, guildId: review.guildId, channelId, videoId: review.videoId },
        'review card could not be posted: the upload stays private and no review is open',
      );
      await deps.surface.tellUploader(review, {
        key: 'review.dm.notPosted',
        values: { title: review.title },
      });
    },

    get: (id: string) => records.get(id),

    /**
     * Approves or rejects once, for a press in `guildId` (a review of another server is 'unknown'). The decision
     * is claimed atomically across processes (one `update` of the claim that only one press wins), applied on
     * YouTube, and only then recorded, shown on the card and told to the uploader. When YouTube refuses, the claim
     * is given back: the review stays pending with its buttons, and the moderator can press again. A press that
     * finds another moderator's decision being applied waits a moment for it: 'already' (who decided) when it was
     * recorded, 'busy' (who is deciding) when it still runs — unless that claim is older than the lease: its
     * process died, and the decision is taken again. `as` says how an approval applies the schedule ('now' or a
     * new time after it passed).
     */
    async decide(
      guildId: string | null,
      id: string,
      moderatorId: string,
      approve: boolean,
      reason?: string,
      as: ApproveAs = { kind: 'requested' },
    ): Promise<Decision> {
      if (as.kind === 'at') {
        const when = parsePublishAt(as.publishAt);
        if (!when) throw UserError.t('error.reviewTimeUnreadable');
        if (passed(when.toISOString()))
          throw UserError.t('error.reviewTimePassed', { when: when.toISOString() });
        as = { kind: 'at', publishAt: when.toISOString() };
      }
      const review = await records.get(id);
      if (!review || guildId === null || review.guildId !== guildId) return { kind: 'unknown' };
      const token = randomBytes(6).toString('hex');
      const waitUntil = Date.now() + DECISION_WAIT_MS;
      for (;;) {
        const current = (await records.get(id)) ?? review;
        if (current.status !== 'pending') return decided(current);
        const mine: Claim = { at: now(), by: moderatorId, approve, token };
        const seen: { holder?: Claim | undefined; stale?: Claim | undefined } = {};
        await claims.update(
          id,
          (claim) => {
            seen.holder = claim !== undefined && now() - claim.at <= CLAIM_LEASE_MS ? claim : undefined;
            seen.stale = seen.holder === undefined ? claim : undefined;
            return seen.holder === undefined ? mine : undefined;
          },
          // Kept a while past the lease so a later press can still tell a stale claim from none.
          10 * CLAIM_LEASE_MS,
        );
        const { holder, stale } = seen;
        if (holder === undefined) {
          // This press's. Recorded by another press between the read above and this claim? Then that stands.
          const latest = (await records.get(id)) ?? current;
          if (latest.status !== 'pending') {
            await release(id, token);
            return decided(latest);
          }
          if (stale !== undefined)
            // Its process is gone (it died between claiming and recording): the decision is taken again.
            logger.warn(
              { reviewId: id, guildId, claimedAt: stale.at, claimedBy: stale.by },
              'review: a stale claim is taken over',
            );
          return settle(latest, moderatorId, approve, reason, as, stale !== undefined, token);
        }
        if (Date.now() >= waitUntil) {
          const named = /^\d{17,20}$/.test(holder.by);
          const key = holder.approve
            ? named
              ? 'review.note.busyApprove'
              : 'review.note.busyApproveOther'
            : named
              ? 'review.note.busyReject'
              : 'review.note.busyRejectOther';
          return { kind: 'busy', review: current, notes: [{ key, values: named ? { by: holder.by } : {} }] };
        }
        // Another press is being applied (here or in another process): its outcome is in the store soon.
        await sleep(DECISION_POLL_MS);
      }

      /** Decided already: said so (with who decided), after completing follow-ups a dead process left. */
      async function decided(current: ReviewRecord): Promise<Decision> {
        // The press that decided carries out its follow-ups while it holds the claim; once the claim is gone (or
        // its lease over) and they are still due, that process died before: this press completes them.
        const claim = await claims.get(id);
        const held = claim !== undefined && now() - claim.at <= CLAIM_LEASE_MS && claim.token !== token;
        if (!held && (await followUps.take(id)) !== undefined) {
          logger.warn({ reviewId: id, guildId }, 'review: completing a decision whose follow-ups were lost');
          await followUp(current);
        }
        return { kind: 'already', review: current };
      }
    },
  };
}

export type Reviews = ReturnType<typeof createReviews>;
