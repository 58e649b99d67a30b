// Uploads from outside Discord to a server's own linked channel: the channel's public Atom feed is read (0 units)
// at every poll. The first look at a channel only records what was published before announcements began (the
// announcement channel was chosen, or the server channel linked, whichever is later); what the feed says was
// published since is new even then. New entries are confirmed with one videos.list call for up to 50 of them
// (1 unit) through the server channel's grant. What the feed showed is remembered per server (the seen list).
//
// Once per due time, in any number of processes: before a server's feed is read, its next poll time is moved an
// interval ahead in one atomic `update` of the store; only the process that moved it polls, the others leave the
// server alone until it is due again.
import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger.ts';
import type { Store } from '../store/index.ts';
import { serverOwner, type SettingsRepository } from '../store/settings.ts';
import type { OAuthService } from '../google/oauth.ts';
import { storeErrorIn, UserError } from '../errors.ts';
import type { FeedEntry } from './feed.ts';
import { announcementsBegan, verdict } from './policy.ts';
import { brokenUpload, type Facts, type VideoSource } from './facts.ts';
import type { Claims } from './claims.ts';
import type { Checks } from './checks.ts';
import type { StatusBook } from './status.ts';

/** Feed ids remembered per server (the feed shows 15). */
const SEEN_KEEP = 200;
/** A server not polled for this long is looked at afresh: no flood of what came while the bot was away. */
const SEEN_STALE_MS = 24 * 3600 * 1000;
/** A server's poll falls due this much before a full interval, so a process's own next round is never too early. */
const ROUND_SLACK = 0.1;

interface Seen {
  channelId: string;
  ids: string[];
  at: number;
}

export interface PollerDeps {
  readonly store: Store;
  readonly settings: SettingsRepository;
  readonly oauth: OAuthService;
  readonly source: VideoSource;
  readonly claims: Claims;
  readonly checks: Checks;
  readonly status: StatusBook;
  /** The servers the bot is in, asked at every poll. */
  readonly guildIds: () => Iterable<string>;
  /** True while a bot upload of this video is still being followed: its own report will announce it. */
  readonly uploadInProgress?: ((videoId: string) => Promise<boolean>) | undefined;
  readonly logger: Logger;
  readonly now: () => number;
  /** How often a server's feed is read (across all processes). */
  readonly interval: number;
}

/** When a server's feed is next due, and which round took it last. */
interface Round {
  nextAt: number;
  by: string;
}

/** Why a poll failed, for the server's status: the store's own sentence, a member-readable one, or a generic one. */
function pollFailure(error: unknown): string {
  const storeError = storeErrorIn(error);
  if (storeError) return storeError.message;
  if (error instanceof UserError) return error.message;
  return "The poll of the server's channel failed unexpectedly; the bot's log has the details.";
}

export function createPoller(deps: PollerDeps) {
  const { logger, now, claims, checks, source } = deps;
  const seenRecords = deps.store.collection<Seen>('announce-seen');
  const rounds = deps.store.collection<Round>('announce-round');

  /** Takes this server's poll for this round: true for one process only, while the poll is due (or `force`). */
  async function takeRound(guildId: string, force: boolean): Promise<boolean> {
    const by = randomUUID();
    const taken = await rounds.update(
      guildId,
      (current) =>
        force || current === undefined || current.nextAt <= now()
          ? { nextAt: now() + deps.interval * (1 - ROUND_SLACK), by }
          : undefined,
      // Forgotten a while after it was due: a server the bot left leaves nothing behind.
      2 * deps.interval + SEEN_STALE_MS,
    );
    return taken?.by === by;
  }

  async function pollGuild(
    guildId: string,
    feeds: Map<string, Promise<FeedEntry[] | undefined>>,
    force: boolean,
  ): Promise<void> {
    const settings = await deps.settings.get(guildId);
    const seen = await seenRecords.get(guildId);
    // A poll that fails before it reads a feed leaves its reason; one that ends early (nothing to watch) clears it.
    const clearError = () => {
      const state = deps.status.peek(guildId);
      if (state) state.lastError = undefined;
    };
    if (settings.announceChannelId === undefined) {
      // Turned off: start afresh when it is turned on again, instead of announcing what came meanwhile.
      if (seen) await seenRecords.delete(guildId);
      clearError();
      return;
    }
    const linked = await deps.oauth.linked(serverOwner(guildId));
    if (linked === undefined) {
      clearError();
      return;
    }
    // Something to watch: read once per due time, by whichever process takes this round.
    if (!(await takeRound(guildId, force))) {
      logger.debug({ guildId }, 'announcement poll: another process has this round');
      return;
    }
    const channelId = linked.channel.id;
    const state = deps.status.of(guildId);

    let entries = feeds.get(channelId);
    if (entries === undefined) {
      entries = source.feed(channelId);
      feeds.set(channelId, entries);
    }
    const list = await entries;
    state.lastPollAt = now();
    if (list === undefined) {
      state.lastError = 'YouTube does not know the linked channel (its feed answered 404).';
      logger.warn({ guildId, channelId }, 'channel feed not found');
      return;
    }
    state.lastError = undefined;
    const ids = list.map((e) => e.videoId);
    const firstLook = seen === undefined || seen.channelId !== channelId;
    let known: Set<string>;
    if (firstLook || now() - seen.at > SEEN_STALE_MS) {
      // The first look: what was published before announcements began is only noted; what the feed says was
      // published since then (a video uploaded right after the channel was linked) is new. After a long absence
      // everything is only noted: no flood of what came meanwhile.
      const began = firstLook ? announcementsBegan(settings, linked.linkedAt) : undefined;
      const fresh = (e: FeedEntry) => {
        const at = e.published !== undefined ? Date.parse(e.published) : NaN;
        return began !== undefined && !Number.isNaN(at) && at > began;
      };
      known = new Set(list.filter((e) => !fresh(e)).map((e) => e.videoId));
      logger.info(
        { guildId, channelId, videos: ids.length, fresh: ids.length - known.size },
        'announcements: watching the server channel',
      );
    } else known = new Set(seen.ids);

    const settled = new Set<string>();
    const candidates: FeedEntry[] = [];
    for (const entry of list) {
      if (known.has(entry.videoId)) continue;
      if (await claims.claimed(guildId, entry.videoId)) settled.add(entry.videoId);
      // A bot upload still being followed, or waiting for its own check: that path names the member.
      else if (await checks.waiting(guildId, entry.videoId)) continue;
      else if (await (deps.uploadInProgress?.(entry.videoId) ?? Promise.resolve(false))) continue;
      else candidates.push(entry);
    }
    if (candidates.length > 0) {
      let facts: Map<string, Facts> | undefined;
      try {
        facts = await source.lookup(
          serverOwner(guildId),
          candidates.map((e) => e.videoId),
        );
      } catch (error) {
        // The store did not answer (the server's grant could not be read): that is no fault of YouTube's, and the
        // poll stops here (its status says so; see pollAll).
        if (storeErrorIn(error)) throw error;
        // Nothing is announced unconfirmed; the same entries are new again at the next poll.
        state.lastError =
          error instanceof UserError ? error.message : 'YouTube could not confirm the new videos.';
        logger.warn(
          { guildId, channelId, err: error },
          'new videos could not be confirmed; trying next poll',
        );
      }
      if (facts !== undefined) {
        for (const entry of [...candidates].reverse()) {
          // A bot upload reported while videos.list was on its way: its own check names the member.
          if (await checks.waiting(guildId, entry.videoId)) continue;
          settled.add(entry.videoId);
          const f = facts.get(entry.videoId);
          if (f === undefined || f.privacy === 'private') continue; // gone, or private since the feed was made
          if (brokenUpload(f)) continue;
          f.short = entry.short;
          if (f.live && !settings.announceLive) await claims.skip(guildId, f.id, 'live');
          else if (f.short && !settings.announceShorts) await claims.skip(guildId, f.id, 'short');
          else {
            const allowed = verdict(settings, { onServerChannel: true, privacy: f.privacy });
            if (allowed.announce)
              await claims.announce(guildId, settings, f, undefined, 'feed', allowed.ping);
            else logger.info({ guildId, videoId: f.id, why: allowed.why }, 'video not announced');
          }
        }
      }
    }
    // Merged with what is stored now (a forced round in another process may have written it meanwhile).
    await seenRecords.update(guildId, (current) => {
      const before = current?.channelId === channelId ? current.ids : [];
      const kept = [
        ...new Set([
          ...ids.filter((id) => known.has(id) || settled.has(id)),
          ...(firstLook ? [] : seen.ids),
          ...before,
        ]),
      ].slice(0, SEEN_KEEP);
      return { channelId, ids: kept, at: now() };
    });
  }

  return {
    /**
     * Reads every server's channel feed that is due (one read per channel) and not taken by another process, one
     * server at a time, until `stopped` says so. `force` (a round asked for now) reads them whether due or not.
     */
    async pollAll(stopped: () => boolean, force = false): Promise<void> {
      const feeds = new Map<string, Promise<FeedEntry[] | undefined>>();
      for (const guildId of [...deps.guildIds()]) {
        if (stopped()) return;
        try {
          await pollGuild(guildId, feeds, force);
        } catch (error) {
          // Recorded even when nothing was before (the server's first poll).
          deps.status.of(guildId).lastError = pollFailure(error);
          logger.warn({ guildId, err: error }, 'announcement poll failed');
        }
      }
    },
  };
}

export type Poller = ReturnType<typeof createPoller>;
