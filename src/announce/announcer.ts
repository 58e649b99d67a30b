// Announcements of new videos in a server's chosen channel, free of discord.js: the caller gives `post`.
//
// Two ways a video becomes known:
// - Uploads through the bot: the upload runner reports each finished upload, and the review queue each approved
//   one. It becomes a stored check, due at once (public, unlisted) or at its publishAt (scheduled), so it survives
//   restarts. The check confirms with videos.list (1 unit) that the video really is public or unlisted, and
//   retries a while when YouTube is late. (checks.ts)
// - Uploads from outside Discord to the server's own linked channel: the channel's public Atom feed is polled
//   (0 units) every pollIntervalMs. The first look at a channel only records what was published before
//   announcements began (the announcement channel was chosen, or the server channel linked, whichever is later);
//   what the feed says was published since is new even then. New entries are confirmed with one videos.list call
//   for up to 50 of them (1 unit) through the server channel's grant. (poller.ts)
//
// What is announced is the server's choice: videos on the server's own channel, public ones. Members' own uploads
// (to their own channels) only with announceMembers, and then without the role ping unless announceMembersPing;
// unlisted videos only with announceUnlisted. Otherwise any member could make the bot ping a role and post a
// thumbnail of their choosing. (policy.ts)
//
// Never twice, in any number of processes sharing the store: every video is claimed per server in the store before
// anything is posted (one atomic insert), whichever way and in whichever process it was seen first; a claim whose
// process died is taken over after a lease, without a second message; a failed post is not retried, since Discord
// may have shown it anyway. (claims.ts) Each check and each server's feed poll runs once per due time, in the one
// process whose atomic update of its due time won. (checks.ts, poller.ts)
//
// This file puts the parts together and runs them: due checks when they fall due, and a round (due checks, then
// every server's feed) every pollIntervalMs. What is known of a video: facts.ts; what an announcement says:
// render.ts.
import type { Dispatcher } from 'undici';
import type { Logger } from '../logger.ts';
import type { Store } from '../store/index.ts';
import type { SettingsRepository } from '../store/settings.ts';
import type { OAuthService } from '../google/oauth.ts';
import type { Announcement } from './render.ts';
import { createVideoSource } from './facts.ts';
import { createClaims } from './claims.ts';
import { createChecks, type BotUpload } from './checks.ts';
import { createPoller } from './poller.ts';
import { createStatusBook, type AnnounceStatus } from './status.ts';

export type { BotUpload } from './checks.ts';
export type { AnnounceStatus } from './status.ts';

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
  /** Looks in the channel for the bot's announcement of a video posted since a time (see claims.ts). */
  readonly find?: ((announcement: Announcement, since: number) => Promise<string | undefined>) | undefined;
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

export function createAnnouncer(deps: AnnouncerDeps) {
  const { store, logger } = deps;
  const now = deps.now ?? Date.now;
  const interval = deps.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  const status = createStatusBook();
  const source = createVideoSource(deps);
  const claims = createClaims({ store, logger, now, post: deps.post, find: deps.find, status });
  const checks = createChecks({
    store,
    settings: deps.settings,
    oauth: deps.oauth,
    source,
    claims,
    logger,
    now,
    interval,
  });
  const poller = createPoller({
    store,
    settings: deps.settings,
    oauth: deps.oauth,
    source,
    claims,
    checks,
    status,
    guildIds: deps.guildIds,
    uploadInProgress: deps.uploadInProgress,
    logger,
    now,
    interval,
  });

  let timer: NodeJS.Timeout | undefined;
  let pollTimer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  let started = false;
  const isStopped = () => stopped;
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
        arm(await checks.runDue(isStopped));
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

  let ticking: Promise<void> | undefined;
  /** One round: due checks, then every server's channel feed that is due (all of them when `force`). */
  function tick(force = false): Promise<void> {
    ticking ??= (async () => {
      await runDue();
      await poller.pollAll(isStopped, force);
      logger.debug('announcement round over');
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
      if ((await checks.add(upload)) && started && !stopped) void runDue();
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
    runOnce: (): Promise<void> => tick(true),
    /** What the poller last saw of a server's channel. */
    status(guildId: string): AnnounceStatus {
      return status.read(guildId);
    },
  };
}

export type Announcer = ReturnType<typeof createAnnouncer>;
