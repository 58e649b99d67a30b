// Never twice, in any number of processes: every video is claimed per server in the store before anything is
// posted, whichever way it was seen first — a bot upload's check or the server channel's feed — and whichever
// process saw it. The claim is one atomic insert of the store (`add`: exactly one caller creates it); what came of
// it is then recorded on it (`update`): announced (with the message id), skipped (and why), or failed.
//
// A claim being posted is a lease: its process renews it while the post is on its way. A process that died between
// claiming and recording (SIGKILL, a crash) leaves a lease that runs out; the next process to see the video takes
// the claim over (one atomic `update`, so one process only) and posts with the same nonce (see
// src/discord/announce.ts): should the first post have reached Discord after all, Discord answers with that
// message instead of a second one (it remembers a nonce a few minutes); for a post older than that, the caller's
// `find` looks in the channel first.
//
// A failed post is not sent again from here: Discord may have shown it anyway (the poster's own retry is safe
// because it carries a nonce). A post that went through is never reported as failed: should the store then refuse
// its "announced" record, the save is tried again, and the claim keeps it from a second post meanwhile.
import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger.ts';
import type { Store } from '../store/index.ts';
import { DEFAULT_TEMPLATE, serverLocale, type ServerSettings } from '../store/settings.ts';
import { t } from '../i18n/index.ts';
import { storeErrorIn } from '../errors.ts';
import { buildAnnouncement, type Announcement } from './render.ts';
import { announcedVideo, type Facts } from './facts.ts';
import type { StatusBook } from './status.ts';

const CLAIM_TTL_MS = 400 * 24 * 3600 * 1000;
/** A posted announcement whose record the store refused is saved again after these waits. */
const SAVE_RETRY_MS = [250, 1000, 5000];
/**
 * How long a claim being posted stays its process's without renewal (renewed every third of it while the post is
 * on its way). Far longer than clock differences between the hosts of one deployment.
 */
export const ANNOUNCE_LEASE_MS = 20_000;

interface Claim {
  at: number;
  outcome: 'announcing' | 'announced' | 'skipped' | 'failed';
  reason?: string;
  messageId?: string;
  /** While being posted: who holds the claim (one claim attempt), and until when. */
  holder?: string;
  until?: number;
}

/** The store key of a video in a server: claims and stored checks use the same one. */
export const videoKey = (guildId: string, videoId: string) => `${guildId}:${videoId}`;

export interface ClaimsDeps {
  readonly store: Store;
  readonly logger: Logger;
  readonly now: () => number;
  /** Posts one announcement; resolves to the message id. */
  readonly post: (announcement: Announcement) => Promise<string | undefined>;
  /**
   * Looks in the channel for the bot's announcement of this video posted since a time: its message id, or
   * undefined. Asked before a claim taken over is posted, for a post that reached Discord longer ago than Discord
   * remembers a nonce (every process was down a while).
   */
  readonly find?: ((announcement: Announcement, since: number) => Promise<string | undefined>) | undefined;
  readonly status: StatusBook;
}

export function createClaims(deps: ClaimsDeps) {
  const { logger, now } = deps;
  const claims = deps.store.collection<Claim>('announce-claim');

  /** A claim being posted whose process stopped renewing it: that process is gone. */
  const lapsed = (c: Claim) => c.outcome === 'announcing' && (c.until ?? c.at + ANNOUNCE_LEASE_MS) < now();

  /**
   * Claims a video for a server, atomically across processes. 'won': this caller's claim; 'retaken': a claim
   * being posted whose process died, now this caller's; 'taken': somebody else's (announced, skipped, failed,
   * or being posted by a live process).
   */
  async function claim(
    guildId: string,
    videoId: string,
    fresh: Claim,
  ): Promise<{ kind: 'won' | 'taken' } | { kind: 'retaken'; since: number }> {
    const key = videoKey(guildId, videoId);
    if (await claims.add(key, fresh, CLAIM_TTL_MS)) return { kind: 'won' };
    let retaken = false;
    let since = fresh.at;
    await claims.update(
      key,
      (current) => {
        // Gone meanwhile (expired, or removed by hand): as good as never claimed.
        retaken = current === undefined || lapsed(current);
        since = current?.at ?? fresh.at;
        return retaken ? fresh : undefined;
      },
      CLAIM_TTL_MS,
    );
    return retaken ? { kind: 'retaken', since } : { kind: 'taken' };
  }

  /** Keeps this caller's claim being posted alive until `stop` is called. */
  function renew(key: string, holder: string): () => void {
    const timer = setInterval(() => {
      void claims
        .update(
          key,
          (current) =>
            current?.holder === holder && current.outcome === 'announcing'
              ? { ...current, until: now() + ANNOUNCE_LEASE_MS }
              : undefined,
          CLAIM_TTL_MS,
        )
        .catch((error: unknown) => logger.warn({ key, err: error }, 'announcement claim not renewed'));
    }, ANNOUNCE_LEASE_MS / 3);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** Records what came of a claim (the post is over: whoever holds the claim now, this is what happened). */
  const record = (guildId: string, videoId: string, outcome: Claim) =>
    claims.update(videoKey(guildId, videoId), () => outcome, CLAIM_TTL_MS);

  /**
   * Records a posted announcement. A store that does not answer is asked again a few times; should it stay silent,
   * the claim stays "being posted" and its lease runs out: the process that takes it over finds the post (the
   * channel, the nonce) instead of posting again (only the message id may be lost).
   */
  async function recordAnnounced(guildId: string, videoId: string, messageId: string | undefined) {
    for (let attempt = 0; ; attempt++) {
      try {
        await record(guildId, videoId, {
          at: now(),
          outcome: 'announced',
          ...(messageId ? { messageId } : {}),
        });
        return;
      } catch (error) {
        const delay = SAVE_RETRY_MS[attempt];
        if (!storeErrorIn(error) || delay === undefined) {
          logger.error(
            { guildId, videoId, messageId, err: error },
            'announcement posted, but the store did not record it; it stays claimed and is not posted again',
          );
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  return {
    /** Whether the video was claimed for the server already: announced, skipped, failed, or being posted. */
    async claimed(guildId: string, videoId: string): Promise<boolean> {
      const current = await claims.get(videoKey(guildId, videoId));
      // A claim whose process died is as good as none: the next look takes it over.
      return current !== undefined && !lapsed(current);
    },

    /** Claims the video as not to be announced (a live video, a Short), so neither path looks at it again. */
    async skip(guildId: string, videoId: string, reason: string): Promise<void> {
      if ((await claim(guildId, videoId, { at: now(), outcome: 'skipped', reason })).kind !== 'taken')
        logger.info({ guildId, videoId, reason }, 'video not announced');
    },

    /** Claims, then posts. Returns false when another path (or process) got there first. */
    async announce(
      guildId: string,
      settings: ServerSettings,
      facts: Facts,
      memberId: string | undefined,
      via: 'upload' | 'feed',
      ping: boolean,
    ): Promise<boolean> {
      const channelId = settings.announceChannelId;
      if (channelId === undefined) return false;
      const holder = randomUUID();
      const at = now();
      const won = await claim(guildId, facts.id, {
        at,
        outcome: 'announcing',
        holder,
        until: at + ANNOUNCE_LEASE_MS,
      });
      if (won.kind === 'taken') return false;
      const announcement = buildAnnouncement(
        guildId,
        {
          announceChannelId: channelId,
          announceRoleId: ping ? settings.announceRoleId : undefined,
          // The bot's own default template speaks the server's language; a server's own stays as written.
          template:
            settings.template === DEFAULT_TEMPLATE
              ? t(serverLocale(settings), 'announce.template')
              : settings.template,
          locale: serverLocale(settings),
        },
        announcedVideo(facts, memberId),
      );
      const stop = renew(videoKey(guildId, facts.id), holder);
      let messageId: string | undefined;
      try {
        if (won.kind === 'retaken') {
          logger.warn(
            { guildId, videoId: facts.id, via, claimedAt: won.since },
            'announcement: a claim whose process stopped is taken over',
          );
          // Posted by the process that died, before it could record it? Then it is recorded, not posted again.
          messageId = await deps.find?.(announcement, won.since).catch((error: unknown) => {
            logger.warn({ guildId, videoId: facts.id, err: error }, 'could not look for an earlier post');
            return undefined;
          });
          if (messageId !== undefined)
            logger.info({ guildId, videoId: facts.id, messageId }, 'announcement found posted already');
        }
        // Otherwise posted now; should the first post have reached Discord within its few minutes, the nonce makes
        // Discord hand that message back instead of showing a second.
        messageId ??= await deps.post(announcement);
      } catch (error) {
        stop();
        // Not sent again: Discord may have shown the message although the answer was lost.
        logger.warn(
          { guildId, videoId: facts.id, channelId, err: error },
          'announcement could not be posted',
        );
        deps.status.of(guildId).postError =
          `An announcement could not be posted in <#${channelId}>: ${error instanceof Error ? error.message : String(error)}`;
        await record(guildId, facts.id, {
          at: now(),
          outcome: 'failed',
          reason: error instanceof Error ? error.message : String(error),
        });
        return true;
      }
      stop();
      // Posted: whatever the store does now, this is never reported as a failed post, and never posted again.
      logger.info({ guildId, videoId: facts.id, channelId, messageId, via, ping }, 'video announced');
      deps.status.of(guildId).postError = undefined;
      await recordAnnounced(guildId, facts.id, messageId);
      return true;
    },
  };
}

export type Claims = ReturnType<typeof createClaims>;
