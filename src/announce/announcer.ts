// Announcements of new videos in a server's chosen channel, free of discord.js: the caller gives `post`.
//
// Two ways a video becomes known:
// - Uploads through the bot: the upload runner reports each finished upload, and the review queue each approved
//   one. It becomes a stored check, due at once (public, unlisted) or at its publishAt (scheduled), so it survives
//   restarts. The check confirms with videos.list (1 unit) that the video really is public or unlisted, and
//   retries a while when YouTube is late.
// - Uploads from outside Discord to the server's own linked channel: the channel's public Atom feed is polled
//   (0 units) every pollIntervalMs. The first look at a channel only records what was published before
//   announcements began (the announcement channel was chosen, or the server channel linked, whichever is later);
//   what the feed says was published since is new even then. New entries are confirmed with one videos.list call
//   for up to 50 of them (1 unit) through the server channel's grant.
//
// What is announced is the server's choice: videos on the server's own channel, public ones. Members' own uploads
// (to their own channels) only with announceMembers, and then without the role ping unless announceMembersPing;
// unlisted videos only with announceUnlisted. Otherwise any member could make the bot ping a role and post a
// thumbnail of their choosing.
//
// Never twice: every video is claimed per server in the store before anything is posted (an in-process lock makes
// the claim atomic), whichever way it was seen first; a failed post is not retried, since Discord may have
// shown it anyway.
import type { Dispatcher } from 'undici';
import type { youtube_v3 } from '@googleapis/youtube';
import type { Logger } from '../logger.ts';
import type { Store } from '../store/index.ts';
import { serverOwner, type ServerSettings, type SettingsRepository } from '../store/settings.ts';
import type { OAuthService } from '../google/oauth.ts';
import { youtubeClient } from '../google/youtube.ts';
import { storeErrorIn, UserError } from '../errors.ts';
import { fetchFeed, type FeedEntry } from './feed.ts';
import { buildAnnouncement, defaultThumbnail, type AnnouncedVideo, type Announcement } from './render.ts';
import { keyedSerial } from '../store/serial.ts';
import { announcementsBegan, verdict } from './policy.ts';

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

export interface AnnouncerDeps {
  readonly store: Store;
  readonly settings: SettingsRepository;
  readonly oauth: OAuthService;
  /** YOUTUBE_API_URL. */
  readonly rootUrl: string;
  /** YOUTUBE_FEED_URL. */
  readonly feedUrl: string;
  /** Posts one announcement; resolves to the message id. */
  readonly post: (announcement: Announcement) => Promise<string | undefined>;
  /** The servers the bot is in, asked at every poll. */
  readonly guildIds: () => Iterable<string>;
  readonly logger: Logger;
  /** True while a bot upload of this video is still being followed: its own report will announce it. */
  readonly uploadInProgress?: ((videoId: string) => Promise<boolean>) | undefined;
  /** How often feeds are read and due checks run (default 4 minutes, so a new video is announced within 5). */
  readonly pollIntervalMs?: number | undefined;
  /** The clock (tests move it together with the Google fake's). */
  readonly now?: (() => number) | undefined;
  readonly dispatcher?: Dispatcher | undefined;
}

export const DEFAULT_POLL_INTERVAL_MS = 4 * 60 * 1000;
/** A check whose video is not public yet (YouTube publishes a little after publishAt) tries again this often… */
const RETRY_MS = 60_000;
/** …this many times (a check stopped by the store, which says nothing about the video, is not counted). */
const MAX_ATTEMPTS = 30;
/** With the Shorts filter on, a public bot upload waits at most this many polls to show up in the feed. */
const MAX_SHORTS_CHECKS = 3;
/** Feed ids remembered per server (the feed shows 15). */
const SEEN_KEEP = 200;
/** A server not polled for this long is looked at afresh: no flood of what came while the bot was away. */
const SEEN_STALE_MS = 24 * 3600 * 1000;
const CLAIM_TTL_MS = 400 * 24 * 3600 * 1000;

interface Claim {
  at: number;
  outcome: 'announcing' | 'announced' | 'skipped' | 'failed';
  reason?: string;
  messageId?: string;
}

interface Seen {
  channelId: string;
  ids: string[];
  at: number;
}

interface Pending {
  guildId: string;
  videoId: string;
  account: string;
  memberId: string | undefined;
  dueAt: number;
  attempts: number;
  shortsChecks: number;
  createdAt: number;
}

interface Facts {
  id: string;
  title: string;
  channelId: string;
  channelTitle: string;
  thumbnailUrl: string;
  privacy: string;
  publishAt: string | undefined;
  uploadStatus: string | undefined;
  live: boolean;
  short: boolean | undefined;
}

export interface AnnounceStatus {
  /** When this server's channel feed was last read, and what went wrong last, if anything. */
  readonly lastPollAt: number | undefined;
  /** Why the last poll of the server's channel failed (cleared by the next good one). */
  readonly lastError: string | undefined;
  /** Why the last announcement could not be posted (cleared by the next one posted). */
  readonly postError: string | undefined;
}

const key = (guildId: string, videoId: string) => `${guildId}:${videoId}`;
const SNOWFLAKE = /^\d{17,20}$/;
const BROKEN_UPLOAD = new Set(['rejected', 'failed', 'deleted']);

function factsFromApi(item: youtube_v3.Schema$Video): Facts | undefined {
  if (!item.id) return undefined;
  const t = item.snippet?.thumbnails;
  return {
    id: item.id,
    title: item.snippet?.title ?? item.id,
    channelId: item.snippet?.channelId ?? '',
    channelTitle: item.snippet?.channelTitle ?? '',
    thumbnailUrl:
      t?.maxres?.url ?? t?.high?.url ?? t?.medium?.url ?? t?.default?.url ?? defaultThumbnail(item.id),
    privacy: item.status?.privacyStatus ?? 'private',
    publishAt: item.status?.publishAt ?? undefined,
    uploadStatus: item.status?.uploadStatus ?? undefined,
    live: (item.snippet?.liveBroadcastContent ?? 'none') !== 'none' || item.liveStreamingDetails != null,
    short: undefined,
  };
}

function factsFromFeed(entry: FeedEntry, channelId: string): Facts {
  return {
    id: entry.videoId,
    title: entry.title,
    channelId: entry.channelId ?? channelId,
    channelTitle: entry.author ?? '',
    thumbnailUrl: entry.thumbnailUrl ?? defaultThumbnail(entry.videoId),
    privacy: 'public', // the feed lists public videos only
    publishAt: undefined,
    uploadStatus: undefined,
    live: false, // unknown from the feed alone; callers only use this when live videos may be announced
    short: entry.short,
  };
}

export function createAnnouncer(deps: AnnouncerDeps) {
  const { store, logger } = deps;
  const now = deps.now ?? Date.now;
  const interval = deps.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  const retryMs = Math.min(RETRY_MS, interval);
  const claims = store.collection<Claim>('announce-claim');
  const seenRecords = store.collection<Seen>('announce-seen');
  const pending = store.collection<Pending>('announce-pending');
  const pendingIndex = store.collection<string[]>('announce-pending-index');
  const status = new Map<
    string,
    { lastPollAt: number | undefined; lastError: string | undefined; postError: string | undefined }
  >();
  const stateOf = (guildId: string) => {
    let state = status.get(guildId);
    if (state === undefined) {
      state = { lastPollAt: undefined, lastError: undefined, postError: undefined };
      status.set(guildId, state);
    }
    return state;
  };

  // Per-key locks: a claim is read and written with nobody else in between (in this process).
  const locked = keyedSerial();

  /** Claims a video for a server; false when it was already claimed (announced, skipped or being posted). */
  const claim = (guildId: string, videoId: string, outcome: Claim['outcome'], reason?: string) =>
    locked(`claim:${key(guildId, videoId)}`, async () => {
      if ((await claims.get(key(guildId, videoId))) !== undefined) return false;
      await claims.set(
        key(guildId, videoId),
        { at: now(), outcome, ...(reason ? { reason } : {}) },
        CLAIM_TTL_MS,
      );
      return true;
    });

  async function skip(guildId: string, videoId: string, reason: string): Promise<void> {
    if (await claim(guildId, videoId, 'skipped', reason))
      logger.info({ guildId, videoId, reason }, 'video not announced');
  }

  /** Claims, then posts. Returns false when another path got there first. */
  async function announce(
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
    const video: AnnouncedVideo = {
      id: facts.id,
      title: facts.title,
      channelId: facts.channelId,
      channelTitle: facts.channelTitle,
      thumbnailUrl: facts.thumbnailUrl,
      memberId,
      short: facts.short === true,
      live: facts.live,
    };
    const announcement = buildAnnouncement(
      guildId,
      {
        announceChannelId: channelId,
        announceRoleId: ping ? settings.announceRoleId : undefined,
        template: settings.template,
      },
      video,
    );
    try {
      const messageId = await deps.post(announcement);
      await claims.set(
        key(guildId, facts.id),
        { at: now(), outcome: 'announced', ...(messageId ? { messageId } : {}) },
        CLAIM_TTL_MS,
      );
      logger.info({ guildId, videoId: facts.id, channelId, messageId, via, ping }, 'video announced');
      stateOf(guildId).postError = undefined;
    } catch (error) {
      // Not retried: Discord may have shown the message although the answer was lost.
      await claims.set(
        key(guildId, facts.id),
        { at: now(), outcome: 'failed', reason: error instanceof Error ? error.message : String(error) },
        CLAIM_TTL_MS,
      );
      logger.warn({ guildId, videoId: facts.id, channelId, err: error }, 'announcement could not be posted');
      stateOf(guildId).postError =
        `An announcement could not be posted in <#${channelId}>: ${error instanceof Error ? error.message : String(error)}`;
    }
    return true;
  }

  /** videos.list for up to 50 ids a call (1 unit each) through `owner`'s grant; missing ids are not in the map. */
  async function lookup(owner: string, ids: readonly string[]): Promise<Map<string, Facts>> {
    return deps.oauth.withClient(owner, async (client) => {
      const yt = youtubeClient(deps.rootUrl, client);
      const found = new Map<string, Facts>();
      for (let i = 0; i < ids.length; i += 50) {
        const { data } = await yt.videos.list(
          { part: ['snippet', 'status', 'liveStreamingDetails'], id: ids.slice(i, i + 50) },
          { rootUrl: deps.rootUrl },
        );
        for (const item of data.items ?? []) {
          const facts = factsFromApi(item);
          if (facts) found.set(facts.id, facts);
        }
      }
      return found;
    });
  }

  const feed = (channelId: string) => fetchFeed(deps.feedUrl, channelId, { dispatcher: deps.dispatcher });

  // ---- checks of bot uploads (stored, so they survive restarts) ----

  const indexLock = 'pending-index';
  const addToIndex = (id: string) =>
    locked(indexLock, async () => {
      const ids = (await pendingIndex.get('all')) ?? [];
      if (!ids.includes(id)) await pendingIndex.set('all', [...ids, id]);
    });
  const removeFromIndex = (id: string) =>
    locked(indexLock, async () => {
      const ids = (await pendingIndex.get('all')) ?? [];
      if (ids.includes(id))
        await pendingIndex.set(
          'all',
          ids.filter((i) => i !== id),
        );
    });

  /** The next time this check should run, or undefined when it is finished. */
  async function check(p: Pending): Promise<number | undefined> {
    if ((await claims.get(key(p.guildId, p.videoId))) !== undefined) return undefined;
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
      facts = (await lookup(p.account, [p.videoId])).get(p.videoId);
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
        ? (await feed(channel.id).catch(() => undefined))?.find((e) => e.videoId === p.videoId)
        : undefined;
      if (entry === undefined || channel === undefined) return retry('not visible yet');
      facts = factsFromFeed(entry, channel.id);
    }

    if (facts.uploadStatus !== undefined && BROKEN_UPLOAD.has(facts.uploadStatus)) return undefined;
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
    if (facts.live && !settings.announceLive) {
      await skip(p.guildId, p.videoId, 'live');
      return undefined;
    }
    if (!settings.announceShorts && facts.short === undefined && facts.privacy === 'public') {
      // Only the feed tells a Short (its /shorts/ link); a public video shows up there within a few minutes.
      const entry = (await feed(facts.channelId).catch(() => undefined))?.find(
        (e) => e.videoId === p.videoId,
      );
      if (entry !== undefined) facts.short = entry.short;
      else if (p.shortsChecks < MAX_SHORTS_CHECKS) {
        p.shortsChecks++;
        return now() + interval;
      }
    }
    if (facts.short === true && !settings.announceShorts) {
      await skip(p.guildId, p.videoId, 'short');
      return undefined;
    }
    const memberId = p.memberId !== undefined && SNOWFLAKE.test(p.memberId) ? p.memberId : undefined;
    await announce(p.guildId, settings, facts, memberId, 'upload', allowed.ping);
    return undefined;
  }

  let timer: NodeJS.Timeout | undefined;
  let pollTimer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  let started = false;
  const work = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>): Promise<T> => {
    work.add(p);
    void p.finally(() => work.delete(p)).catch(() => undefined);
    return p;
  };

  /** Runs every check that is due, then arms a timer for the next one. Never runs twice at once. */
  function runDue(): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        const ids = (await pendingIndex.get('all')) ?? [];
        let next: number | undefined;
        for (const id of ids) {
          if (stopped) return;
          const p = await pending.get(id);
          if (p === undefined) {
            await removeFromIndex(id);
            continue;
          }
          if (p.dueAt > now()) {
            next = Math.min(next ?? Infinity, p.dueAt);
            continue;
          }
          let dueAt: number | undefined;
          try {
            dueAt = await check(p);
          } catch (error) {
            logger.error({ guildId: p.guildId, videoId: p.videoId, err: error }, 'announcement check failed');
            // A store that did not answer says nothing about the video: tried again, no attempt used up.
            if (!storeErrorIn(error)) p.attempts++;
            dueAt = p.attempts > MAX_ATTEMPTS ? undefined : now() + retryMs;
          }
          if (dueAt === undefined) {
            await pending.delete(id);
            await removeFromIndex(id);
          } else {
            p.dueAt = dueAt;
            await pending.set(id, p);
            next = Math.min(next ?? Infinity, dueAt);
          }
        }
        arm(next);
      } while (again && !stopped);
    })()
      .catch((error: unknown) => logger.error({ err: error }, 'announcement checks failed'))
      .finally(() => {
        running = undefined;
      });
    return track(running);
  }

  /** A timer for the earliest check that falls before the next poll (the poll runs due checks anyway). */
  function arm(next: number | undefined): void {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (next === undefined || stopped || !started) return;
    const delay = Math.max(0, next - now());
    if (delay >= interval) return;
    timer = setTimeout(() => void runDue(), delay);
  }

  // ---- polling of server channels ----

  async function pollGuild(
    guildId: string,
    feeds: Map<string, Promise<FeedEntry[] | undefined>>,
  ): Promise<void> {
    const settings = await deps.settings.get(guildId);
    const seen = await seenRecords.get(guildId);
    if (settings.announceChannelId === undefined) {
      // Turned off: start afresh when it is turned on again, instead of announcing what came meanwhile.
      if (seen) await seenRecords.delete(guildId);
      return;
    }
    const linked = await deps.oauth.linked(serverOwner(guildId));
    if (linked === undefined) return;
    const channelId = linked.channel.id;
    const state = stateOf(guildId);

    let entries = feeds.get(channelId);
    if (entries === undefined) {
      entries = feed(channelId);
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
      if ((await claims.get(key(guildId, entry.videoId))) !== undefined) settled.add(entry.videoId);
      // A bot upload still being followed, or waiting for its own check: that path names the member.
      else if ((await pending.get(key(guildId, entry.videoId))) !== undefined) continue;
      else if (await (deps.uploadInProgress?.(entry.videoId) ?? Promise.resolve(false))) continue;
      else candidates.push(entry);
    }
    if (candidates.length > 0) {
      let facts: Map<string, Facts> | undefined;
      try {
        facts = await lookup(
          serverOwner(guildId),
          candidates.map((e) => e.videoId),
        );
      } catch (error) {
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
          if ((await pending.get(key(guildId, entry.videoId))) !== undefined) continue;
          settled.add(entry.videoId);
          const f = facts.get(entry.videoId);
          if (f === undefined || f.privacy === 'private') continue; // gone, or private since the feed was made
          if (f.uploadStatus !== undefined && BROKEN_UPLOAD.has(f.uploadStatus)) continue;
          f.short = entry.short;
          if (f.live && !settings.announceLive) await skip(guildId, f.id, 'live');
          else if (f.short && !settings.announceShorts) await skip(guildId, f.id, 'short');
          else {
            const allowed = verdict(settings, { onServerChannel: true, privacy: f.privacy });
            if (allowed.announce) await announce(guildId, settings, f, undefined, 'feed', allowed.ping);
            else logger.info({ guildId, videoId: f.id, why: allowed.why }, 'video not announced');
          }
        }
      }
    }
    const remembered = [
      ...new Set([...ids.filter((id) => known.has(id) || settled.has(id)), ...(firstLook ? [] : seen.ids)]),
    ].slice(0, SEEN_KEEP);
    await seenRecords.set(guildId, { channelId, ids: remembered, at: now() });
  }

  const polling = new Set<string>();
  async function pollAll(): Promise<void> {
    const feeds = new Map<string, Promise<FeedEntry[] | undefined>>();
    for (const guildId of [...deps.guildIds()]) {
      if (stopped) return;
      if (polling.has(guildId)) continue;
      polling.add(guildId);
      try {
        await pollGuild(guildId, feeds);
      } catch (error) {
        const state = status.get(guildId);
        if (state) state.lastError = error instanceof Error ? error.message : String(error);
        logger.warn({ guildId, err: error }, 'announcement poll failed');
      } finally {
        polling.delete(guildId);
      }
    }
  }

  let ticking: Promise<void> | undefined;
  /** One round: due checks, then every server's channel feed. */
  function tick(): Promise<void> {
    ticking ??= (async () => {
      await runDue();
      await pollAll();
    })()
      .catch((error: unknown) => logger.error({ err: error }, 'announcement round failed'))
      .finally(() => {
        ticking = undefined;
      });
    return track(ticking);
  }

  function schedulePoll(): void {
    if (stopped) return;
    pollTimer = setTimeout(() => {
      void tick().finally(schedulePoll);
    }, interval);
  }

  return {
    /**
     * A bot upload ended, or a moderator approved one: stores a check, due now or at publishAt. Idempotent (the
     * same video reported twice is checked, and announced, once).
     */
    async uploadFinished(upload: BotUpload): Promise<void> {
      if (upload.guildId === null) return; // uploaded in a DM: no server to announce in
      const scheduled = upload.publishAt !== undefined ? Date.parse(upload.publishAt) : NaN;
      if (upload.privacy === 'private' && Number.isNaN(scheduled)) return; // private: never announced
      const dueAt = upload.privacy === 'private' ? scheduled : now();
      // The server's choice, as far as it can be told without a YouTube call (the check asks again with the facts).
      const settings = await deps.settings.get(upload.guildId);
      const serverOwnerKey = serverOwner(upload.guildId);
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
        logger.info(
          { guildId: upload.guildId, videoId: upload.videoId, why: allowed.why },
          'video not announced',
        );
        return;
      }
      const id = key(upload.guildId, upload.videoId);
      if ((await claims.get(id)) !== undefined) return;
      const existing = await pending.get(id);
      await pending.set(id, {
        guildId: upload.guildId,
        videoId: upload.videoId,
        account: upload.account,
        memberId: upload.memberId,
        dueAt,
        attempts: 0,
        shortsChecks: existing?.shortsChecks ?? 0,
        createdAt: existing?.createdAt ?? now(),
      });
      await addToIndex(id);
      logger.debug({ guildId: upload.guildId, videoId: upload.videoId, dueAt }, 'announcement check stored');
      if (started && !stopped) void runDue();
    },
    /** Resumes stored checks and starts polling. */
    start(): Promise<void> {
      if (started) return Promise.resolve();
      started = true;
      stopped = false;
      const first = tick();
      void first.finally(schedulePoll);
      return Promise.resolve();
    },
    /** Stops the timers and waits for work in flight. */
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (pollTimer) clearTimeout(pollTimer);
      timer = undefined;
      pollTimer = undefined;
      await Promise.allSettled([...work]);
    },
    /** One round now (tests, and a status command's "check now"). */
    runOnce: (): Promise<void> => tick(),
    /** What the poller last saw of a server's channel. */
    status(guildId: string): AnnounceStatus {
      const state = status.get(guildId);
      return { lastPollAt: state?.lastPollAt, lastError: state?.lastError, postError: state?.postError };
    },
  };
}

export type Announcer = ReturnType<typeof createAnnouncer>;
