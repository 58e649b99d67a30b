// Checks of uploads through the bot, stored so they survive restarts. The upload runner reports each finished
// upload, and the review queue each approved one; it becomes a check due at once (public, unlisted) or at its
// publishAt (scheduled). The check confirms with videos.list (1 unit) through the uploader's grant that the video
// really is public or unlisted — or, when that grant cannot be used, finds it in the channel's public feed — and
// tries again a while when YouTube is late. The stored checks are listed in one index record.
//
// Once per due time, in any number of processes: a check that is due is claimed by moving its due time a lease
// ahead, in one atomic `update` of the store that only one process wins; the winner runs it and writes the next
// due time (or removes it). A process that dies while checking leaves the lease, after which the check is due
// again. The index is changed with `update` too, so two processes adding checks at once lose neither.
import type { Logger } from '../logger.ts';
import type { Store } from '../store/index.ts';
import { serverOwner, type SettingsRepository } from '../store/settings.ts';
import type { OAuthService } from '../google/oauth.ts';
import { storeErrorIn, UserError } from '../errors.ts';
import { randomUUID } from 'node:crypto';
import { verdict } from './policy.ts';
import { brokenUpload, factsFromFeed, type Facts, type VideoSource } from './facts.ts';
import { videoKey, type Claims } from './claims.ts';

/**
 * A video uploaded through the bot that is (or will be) visible: reported when an upload ends, and when a
 * moderator approves a member's upload to the server channel.
 */
export interface BotUpload {
  readonly guildId: string | null;
  /** Whose grant owns the video (a member's id, or the server channel's owner key): it confirms the video. */
  readonly account: string;
  /** The Discord member who uploaded it: named in the announcement by mention, never pinged. */
  readonly memberId: string | undefined;
  readonly videoId: string;
  /** The privacy asked for (or known): 'private' without publishAt is never announced. */
  readonly privacy: string | undefined;
  /** When YouTube is to make it public, for a scheduled video. */
  readonly publishAt: string | undefined;
}

/** A check whose video is not public yet (YouTube publishes a little after publishAt) tries again this often… */
const RETRY_MS = 60_000;
/** …this many times (a check stopped by the store, which says nothing about the video, is not counted). */
const MAX_ATTEMPTS = 30;
/** With the Shorts filter on, a public bot upload waits at most this many polls to show up in the feed. */
const MAX_SHORTS_CHECKS = 3;
const SNOWFLAKE = /^\d{17,20}$/;
/** How long a check being run stays its process's (a few Google calls; a dead process's check is due after it). */
export const CHECK_LEASE_MS = 30_000;

interface Pending {
  guildId: string;
  videoId: string;
  account: string;
  memberId: string | undefined;
  dueAt: number;
  attempts: number;
  shortsChecks: number;
  createdAt: number;
  /** The run that holds the check while it runs (its due time is then the lease's end). */
  runner?: string | undefined;
}

export interface ChecksDeps {
  readonly store: Store;
  readonly settings: SettingsRepository;
  readonly oauth: OAuthService;
  readonly source: VideoSource;
  readonly claims: Claims;
  readonly logger: Logger;
  readonly now: () => number;
  /** The poll interval: a check waiting for the feed (the Shorts filter) looks again after one. */
  readonly interval: number;
}

export function createChecks(deps: ChecksDeps) {
  const { logger, now, interval, claims, source } = deps;
  const retryMs = Math.min(RETRY_MS, interval);
  const pending = deps.store.collection<Pending>('announce-pending');
  const pendingIndex = deps.store.collection<string[]>('announce-pending-index');

  // Read-modify-write of the index, atomic across processes.
  const addToIndex = (id: string) =>
    pendingIndex.update('all', (ids) => (ids?.includes(id) ? undefined : [...(ids ?? []), id]));
  const removeFromIndex = (id: string) =>
    pendingIndex.update('all', (ids) => (ids?.includes(id) ? ids.filter((i) => i !== id) : undefined));

  /**
   * Takes a due check for this run: its due time moves a lease ahead, for one process only. Undefined when it is
   * not due (or gone, or another process took it first).
   */
  async function take(id: string): Promise<Pending | undefined> {
    const runner = randomUUID();
    const taken = await pending.update(id, (current) =>
      current !== undefined && current.dueAt <= now()
        ? { ...current, dueAt: now() + CHECK_LEASE_MS, runner }
        : undefined,
    );
    return taken?.runner === runner ? taken : undefined;
  }

  /** The run is over: the next due time (or none) is written, unless another process took the check meanwhile. */
  async function finish(id: string, run: Pending, dueAt: number | undefined): Promise<void> {
    const mine = (current: Pending | undefined) => current?.runner === run.runner;
    let removed = false;
    await pending.update(id, (current) => {
      removed = false;
      if (!mine(current)) return undefined;
      if (dueAt === undefined) {
        removed = true;
        return null;
      }
      return { ...run, dueAt, runner: undefined };
    });
    if (removed) await removeFromIndex(id);
  }

  /** The next time this check should run, or undefined when it is finished. */
  async function check(p: Pending): Promise<number | undefined> {
    if (await claims.claimed(p.guildId, p.videoId)) return undefined;
    const settings = await deps.settings.get(p.guildId);
    if (settings.announceChannelId === undefined) return undefined;
    const retry = (why: string): number | undefined => {
      p.attempts++;
      if (p.attempts > MAX_ATTEMPTS) {
        logger.warn({ guildId: p.guildId, videoId: p.videoId, why }, 'announcement check given up');
        return undefined;
      }
      return now() + retryMs;
    };

    let facts: Facts | undefined;
    let looked = false;
    try {
      facts = (await source.lookup(p.account, [p.videoId])).get(p.videoId);
      looked = true;
    } catch (error) {
      // The store did not answer (the grant could not be read): that says nothing about the video.
      if (storeErrorIn(error)) throw error;
      logger.info(
        { guildId: p.guildId, videoId: p.videoId, err: error instanceof UserError ? error.message : error },
        'announcement check: videos.list failed, reading the public feed instead',
      );
    }
    if (looked && facts === undefined) return undefined; // deleted
    if (facts === undefined) {
      // The uploader's grant is unusable (unlinked, expired, quota) or Google failed: the public feed (no quota)
      // still shows a video that went public.
      const channel = (await deps.oauth.linked(p.account))?.channel;
      const entry = channel
        ? (await source.feed(channel.id).catch(() => undefined))?.find((e) => e.videoId === p.videoId)
        : undefined;
      if (entry === undefined || channel === undefined) return retry('not visible yet');
      facts = factsFromFeed(entry, channel.id);
    }

    if (brokenUpload(facts)) return undefined;
    if (facts.privacy === 'private') {
      if (facts.publishAt === undefined) return undefined; // private and not scheduled: never announced
      const at = Date.parse(facts.publishAt);
      if (at > now()) {
        p.attempts = 0;
        return at; // scheduled (again, perhaps to another time)
      }
      return retry('publishAt passed, still private'); // YouTube publishes a little late
    }
    const serverChannel = (await deps.oauth.linked(serverOwner(p.guildId)))?.channel.id;
    const allowed = verdict(settings, {
      onServerChannel: serverChannel !== undefined && facts.channelId === serverChannel,
      privacy: facts.privacy,
    });
    if (!allowed.announce) {
      // Not claimed: should it become public on the server's channel, the feed may still announce it.
      logger.info({ guildId: p.guildId, videoId: p.videoId, why: allowed.why }, 'video not announced');
      return undefined;
    }
    if (facts.live === true && !settings.announceLive) {
      await claims.skip(p.guildId, p.videoId, 'live');
      return undefined;
    }
    if (facts.live === undefined && !settings.announceLive) {
      // Seen in the public feed only, which does not tell a live stream: never guessed "not live" while the
      // server excludes live streams. Asked again (videos.list through the uploader's grant, once it can be used
      // again) until the check gives up; then it is not announced.
      logger.info(
        { guildId: p.guildId, videoId: p.videoId },
        "announcement check: live or not is unknown without the uploader's grant, and live streams are excluded",
      );
      return retry("live or not is unknown without the uploader's grant");
    }
    if (!settings.announceShorts && facts.short === undefined && facts.privacy === 'public') {
      // Only the feed tells a Short (its /shorts/ link); a public video shows up there within a few minutes.
      const entry = (await source.feed(facts.channelId).catch(() => undefined))?.find(
        (e) => e.videoId === p.videoId,
      );
      if (entry !== undefined) facts.short = entry.short;
      else if (p.shortsChecks < MAX_SHORTS_CHECKS) {
        p.shortsChecks++;
        return now() + interval;
      }
    }
    if (facts.short === true && !settings.announceShorts) {
      await claims.skip(p.guildId, p.videoId, 'short');
      return undefined;
    }
    const memberId = p.memberId !== undefined && SNOWFLAKE.test(p.memberId) ? p.memberId : undefined;
    await claims.announce(p.guildId, settings, facts, memberId, 'upload', allowed.ping);
    return undefined;
  }

  return {
    /**
     * Stores a check for a bot upload the server may announce, due now or at publishAt; true when one was stored.
     * Idempotent (the same video reported twice is checked, and announced, once).
     */
    async add(upload: BotUpload): Promise<boolean> {
      const { guildId } = upload;
      if (guildId === null) return false; // uploaded in a DM: no server to announce in
      const scheduled = upload.publishAt !== undefined ? Date.parse(upload.publishAt) : NaN;
      if (upload.privacy === 'private' && Number.isNaN(scheduled)) return false; // private: never announced
      const dueAt = upload.privacy === 'private' ? scheduled : now();
      // The server's choice, as far as it can be told without a YouTube call (the check asks again with the facts).
      const settings = await deps.settings.get(guildId);
      const serverOwnerKey = serverOwner(guildId);
      let onServerChannel = upload.account === serverOwnerKey;
      if (!onServerChannel) {
        const [mine, server] = await Promise.all([
          deps.oauth.linked(upload.account),
          deps.oauth.linked(serverOwnerKey),
        ]);
        onServerChannel = mine !== undefined && server !== undefined && mine.channel.id === server.channel.id;
      }
      const allowed = verdict(settings, { onServerChannel, privacy: upload.privacy });
      if (!allowed.announce) {
        logger.info({ guildId, videoId: upload.videoId, why: allowed.why }, 'video not announced');
        return false;
      }
      const id = videoKey(guildId, upload.videoId);
      if (await claims.claimed(guildId, upload.videoId)) return false;
      await pending.update(id, (existing) =>
        // A check being run right now is left to its run, which writes what comes next.
        existing?.runner !== undefined
          ? undefined
          : {
              guildId,
              videoId: upload.videoId,
              account: upload.account,
              memberId: upload.memberId,
              dueAt,
              // A second report of the same video (the upload's after-steps run again after a restart) keeps the
              // attempts used: it never extends the retries.
              attempts: existing?.attempts ?? 0,
              shortsChecks: existing?.shortsChecks ?? 0,
              createdAt: existing?.createdAt ?? now(),
            },
      );
      await addToIndex(id);
      logger.debug({ guildId, videoId: upload.videoId, dueAt }, 'announcement check stored');
      return true;
    },

    /** Whether a check of this video is stored: its own path names the member, so the feed leaves it alone. */
    async waiting(guildId: string, videoId: string): Promise<boolean> {
      return (await pending.get(videoKey(guildId, videoId))) !== undefined;
    },

    /**
     * Runs every check that is due, in the order they were stored, until `stopped` says so. Resolves to the time
     * the earliest remaining check is due, if any.
     */
    async runDue(stopped: () => boolean): Promise<number | undefined> {
      const ids = (await pendingIndex.get('all')) ?? [];
      let next: number | undefined;
      for (const id of ids) {
        if (stopped()) return undefined;
        const p = await pending.get(id);
        if (p === undefined) {
          await removeFromIndex(id);
          continue;
        }
        if (p.dueAt > now()) {
          next = Math.min(next ?? Infinity, p.dueAt);
          continue;
        }
        // Due: run here only when this process is the one that takes it.
        const run = await take(id);
        if (run === undefined) continue;
        let dueAt: number | undefined;
        try {
          dueAt = await check(run);
        } catch (error) {
          logger.error(
            { guildId: run.guildId, videoId: run.videoId, err: error },
            'announcement check failed',
          );
          // A store that did not answer says nothing about the video: tried again, no attempt used up.
          if (!storeErrorIn(error)) run.attempts++;
          dueAt = run.attempts > MAX_ATTEMPTS ? undefined : now() + retryMs;
        }
        await finish(id, run, dueAt);
        if (dueAt !== undefined) next = Math.min(next ?? Infinity, dueAt);
      }
      return next;
    },
  };
}

export type Checks = ReturnType<typeof createChecks>;
