// Never twice: every video is claimed per server in the store before anything is posted (an in-process lock makes
// the read and the write of a claim one step), whichever way it was seen first — a bot upload's check or the
// server channel's feed. The claim then records what came of it: announced (with the message id), skipped (and
// why), or failed. A failed post is not sent again from here: Discord may have shown it anyway (the poster's own
// retry is safe because it carries a nonce; see src/discord/announce.ts). A post that went through is never
// reported as failed: should the store then refuse its "announced" record, the save is tried again, and the claim
// ("being posted") keeps it from a second post meanwhile.
import type { Logger } from '../logger.ts';
import type { Store } from '../store/index.ts';
import { DEFAULT_TEMPLATE, serverLocale, type ServerSettings } from '../store/settings.ts';
import { t } from '../i18n/index.ts';
import { keyedSerial } from '../store/serial.ts';
import { storeErrorIn } from '../errors.ts';
import { buildAnnouncement, type Announcement } from './render.ts';
import { announcedVideo, type Facts } from './facts.ts';
import type { StatusBook } from './status.ts';

const CLAIM_TTL_MS = 400 * 24 * 3600 * 1000;
/** A posted announcement whose record the store refused is saved again after these waits. */
const SAVE_RETRY_MS = [250, 1000, 5000];

interface Claim {
  at: number;
  outcome: 'announcing' | 'announced' | 'skipped' | 'failed';
  reason?: string;
  messageId?: string;
}

/** The store key of a video in a server: claims and stored checks use the same one. */
export const videoKey = (guildId: string, videoId: string) => `${guildId}:${videoId}`;

export interface ClaimsDeps {
  readonly store: Store;
  readonly logger: Logger;
  readonly now: () => number;
  /** Posts one announcement; resolves to the message id. */
  readonly post: (announcement: Announcement) => Promise<string | undefined>;
  readonly status: StatusBook;
}

export function createClaims(deps: ClaimsDeps) {
  const { logger, now } = deps;
  const claims = deps.store.collection<Claim>('announce-claim');

  // Per-key locks: a claim is read and written with nobody else in between (in this process).
  const locked = keyedSerial();

  /** Claims a video for a server; false when it was already claimed (announced, skipped or being posted). */
  const claim = (guildId: string, videoId: string, outcome: Claim['outcome'], reason?: string) =>
    locked(`claim:${videoKey(guildId, videoId)}`, async () => {
      if ((await claims.get(videoKey(guildId, videoId))) !== undefined) return false;
      await claims.set(
        videoKey(guildId, videoId),
        { at: now(), outcome, ...(reason ? { reason } : {}) },
        CLAIM_TTL_MS,
      );
      return true;
    });

  /**
   * Records a posted announcement. A store that does not answer is asked again a few times; should it stay silent,
   * the claim stays "being posted", which keeps the video from being posted again as well (only the message id
   * is lost).
   */
  async function recordAnnounced(guildId: string, videoId: string, messageId: string | undefined) {
    for (let attempt = 0; ; attempt++) {
      try {
        await claims.set(
          videoKey(guildId, videoId),
          { at: now(), outcome: 'announced', ...(messageId ? { messageId } : {}) },
          CLAIM_TTL_MS,
        );
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
      return (await claims.get(videoKey(guildId, videoId))) !== undefined;
    },

    /** Claims the video as not to be announced (a live video, a Short), so neither path looks at it again. */
    async skip(guildId: string, videoId: string, reason: string): Promise<void> {
      if (await claim(guildId, videoId, 'skipped', reason))
        logger.info({ guildId, videoId, reason }, 'video not announced');
    },

    /** Claims, then posts. Returns false when another path got there first. */
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
      if (!(await claim(guildId, facts.id, 'announcing'))) return false;
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
      let messageId: string | undefined;
      try {
        messageId = await deps.post(announcement);
      } catch (error) {
        // Not sent again: Discord may have shown the message although the answer was lost.
        logger.warn(
          { guildId, videoId: facts.id, channelId, err: error },
          'announcement could not be posted',
        );
        deps.status.of(guildId).postError =
          `An announcement could not be posted in <#${channelId}>: ${error instanceof Error ? error.message : String(error)}`;
        await claims.set(
          videoKey(guildId, facts.id),
          { at: now(), outcome: 'failed', reason: error instanceof Error ? error.message : String(error) },
          CLAIM_TTL_MS,
        );
        return true;
      }
      // Posted: whatever the store does now, this is never reported as a failed post, and never posted again.
      logger.info({ guildId, videoId: facts.id, channelId, messageId, via, ping }, 'video announced');
      deps.status.of(guildId).postError = undefined;
      await recordAnnounced(guildId, facts.id, messageId);
      return true;
    },
  };
}

export type Claims = ReturnType<typeof createClaims>;
