// Composition: config → store → google → uploads → http → discord → login. Used by src/index.ts
// and, in-process, by tests that need to tune timings (backoff, progress interval, token lifetime).
import type { Dispatcher } from 'undici';
import type { Config } from './config.ts';
import type { Context } from './context.ts';
import { createLogger, type Logger } from './logger.ts';
import { createStore, type StoreOptions } from './store/index.ts';
import { grantRepository } from './store/grants.ts';
import { createOAuth } from './google/oauth.ts';
import { createCatalog } from './google/catalog.ts';
import { createQuota } from './google/quota.ts';
import { serverLocale, serverOwner, settingsRepository } from './store/settings.ts';
import { createReviews } from './review/reviews.ts';
import { discordReviewSurface } from './discord/review-card.ts';
import { startHttpServer, type HttpServer } from './http/server.ts';
import { oauthRoutes } from './http/oauth-routes.ts';
import { linkBrowser } from './http/link-browser.ts';
import { createDiscordSignIn } from './http/discord-oauth.ts';
import { createClient, gatewayStatus, shardStatus } from './discord/client.ts';
import { createDispatcher } from './discord/dispatcher.ts';
import { loadCommands } from './discord/loader.ts';
import { editOriginalReply } from './discord/notify.ts';
import { linkReplyText } from './discord/link-messages.ts';
import { discordProgressSink } from './discord/progress-message.ts';
import { jobRepository } from './uploads/records.ts';
import { createUploads, DEFAULT_TUNING, type UploadTuning } from './uploads/jobs.ts';
import { createRelay } from './uploads/relay.ts';
import { jobLeases } from './uploads/leases.ts';
import { pageLinks } from './uploads/page-links.ts';
import { uploadRoutes } from './http/upload-routes.ts';
import { createAnnouncer } from './announce/announcer.ts';
import { discordAnnouncementFinder, discordAnnouncementPoster } from './discord/announce.ts';
import { metrics } from './metrics.ts';
import { metricsRoute } from './http/metrics-route.ts';
import type { Client } from 'discord.js';

export interface AppOptions {
  readonly logger?: Logger;
  /** Overrides of upload timings (tests shorten backoff and the reply lifetime). */
  readonly tuning?: Partial<UploadTuning>;
  readonly dispatcher?: Dispatcher;
  /** Announcement timings (tests poll often and move the clock with the Google fake's). */
  readonly announce?: {
    readonly pollIntervalMs?: number;
    readonly now?: () => number;
    /** The pause before a failed announcement post is sent once more (default 15 s). */
    readonly postRetryMs?: number;
  };
  /**
   * Store plumbing (tests wrap the real adapter in one that fails on command), and how soon work that
   * found the store down at start (resuming uploads) tries again: 30 s by default.
   */
  readonly store?: StoreOptions & { readonly retryMs?: number };
}

export interface App {
  readonly client: Client;
  /** What every command receives (tests use it to reach services directly). */
  readonly ctx: Context;
  readonly http: HttpServer;
  readonly logger: Logger;
  /** Logs in to Discord and resumes unfinished uploads. */
  start(): Promise<void>;
  /** Stops cleanly: uploads paused resumable, gateway closed, HTTP drained, store closed. */
  stop(): Promise<void>;
}

export async function createApp(config: Config, options: AppOptions = {}): Promise<App> {
  const logger = options.logger ?? createLogger(config.logLevel);
  // The bot takes SQLite's one-process lock: a second process on the same file refuses to start.
  const store = await createStore(config.storeUrl, logger, { ...options.store, processLock: true });
  const quota = createQuota(store, config.quota);
  // The announcer's clock: settings record when announcements began, which the announcer compares with.
  const settings = settingsRepository(store, options.announce?.now);
  const oauth = createOAuth(config, store, grantRepository(store, config.tokenEncryptionKey), logger, quota);
  const registry = loadCommands();
  const jobs = jobRepository(store, config.tokenEncryptionKey);

  // The dispatcher needs the context, the context needs the uploads, the uploads need the client.
  let dispatch: (i: Parameters<ReturnType<typeof createDispatcher>['dispatch']>[0]) => Promise<void> = () =>
    Promise.resolve();
  const client = createClient(config, logger, (i) => dispatch(i));
  const announcer = createAnnouncer({
    store,
    settings,
    oauth,
    rootUrl: config.youtubeApiUrl,
    feedUrl: config.youtubeFeedUrl,
    post: discordAnnouncementPoster(client, options.announce?.postRetryMs),
    find: discordAnnouncementFinder(client),
    guildIds: () => client.guilds.cache.keys(),
    uploadInProgress: async (videoId) => (await jobs.active()).some((job) => job.videoId === videoId),
    logger,
    dispatcher: options.dispatcher,
    pollIntervalMs: options.announce?.pollIntervalMs,
    now: options.announce?.now,
  });
  const catalog = createCatalog(oauth, config.youtubeApiUrl, logger);
  /** The language of a server's public messages (review cards, the DM notice). */
  const serverLocaleOf = async (guildId: string) => serverLocale(await settings.get(guildId));
  const reviews = createReviews({
    store,
    oauth,
    rootUrl: config.youtubeApiUrl,
    logger,
    surface: discordReviewSurface(client, logger, serverLocaleOf),
    // An approved upload becomes visible (at once or at its publishAt): announce it, naming the member.
    onApproved: (review) => {
      if (review.playlistId) catalog.invalidatePlaylists(review.account);
      return announcer.uploadFinished({
        guildId: review.guildId,
        account: review.account,
        memberId: review.uploaderId,
        videoId: review.videoId,
        privacy: review.publishAt ? 'private' : review.requestedPrivacy,
        publishAt: review.publishAt,
      });
    },
  });
  // The browser source of uploads: the upload page's chunks relayed to YouTube (src/uploads/relay.ts).
  const relay = createRelay({
    jobs,
    oauth,
    rootUrl: config.youtubeApiUrl,
    logger,
    dispatcher: options.dispatcher,
    // The lease follows the bytes: a page sending to this process brings its upload here.
    onWanted: (jobId) => void uploads.wanted(jobId),
  });
  const pages = pageLinks(store, jobs, config.uploads.pageLinkMs);
  const tuning: UploadTuning = {
    ...DEFAULT_TUNING,
    perMember: config.uploads.perMember,
    global: config.uploads.global,
    ...options.tuning,
  };
  const uploads = createUploads({
    relay,
    jobs,
    leases: jobLeases(store, tuning.lease),
    oauth,
    rootUrl: config.youtubeApiUrl,
    allowedHosts: config.discord.cdnHosts,
    sinkFor: discordProgressSink(client, jobs, logger, config.publicUrl, serverLocaleOf),
    logger,
    tuning,
    dispatcher: options.dispatcher,
    quota,
    onPlaylistChanged: (account) => catalog.invalidatePlaylists(account),
    // The review or announcement step after an upload (src/uploads/after-steps.ts): safe to run twice.
    onFinished: async (job) => {
      // A member's upload to the server channel waits, private, for a moderator's review.
      if (job.review && job.guildId && job.videoId) {
        // A recorded step, run again after a crash: open() leaves a review whose card is posted as it is.
        const reviewChannel = (await settings.get(job.guildId)).reviewChannelId;
        if (!reviewChannel) return;
        await reviews.open(
          {
            id: job.id,
            guildId: job.guildId,
            account: serverOwner(job.guildId),
            uploaderId: job.owner,
            uploaderLocale: job.locale,
            videoId: job.videoId,
            title: job.metadata.snippet.title,
            requestedPrivacy: job.review.requestedPrivacy,
            publishAt: job.review.publishAt,
            playlistId: job.review.playlistId,
            // What the card shows the moderator: everything that is approved.
            description: job.metadata.snippet.description,
            tags: job.metadata.snippet.tags,
            madeForKids: job.metadata.status.selfDeclaredMadeForKids,
            thumbnailUrl: job.thumbnail?.url,
            card: undefined,
            status: 'pending',
            decidedBy: undefined,
            reason: undefined,
          },
          reviewChannel,
        );
      } else if (!job.review && job.videoId) {
        // Visible now or at its publishAt: announced in the server where it was uploaded.
        await announcer.uploadFinished({
          guildId: job.guildId,
          account: job.account,
          memberId: job.owner,
          videoId: job.videoId,
          privacy: job.metadata.status.publishAt ? 'private' : job.requestedPrivacy,
          publishAt: job.metadata.status.publishAt,
        });
      }
    },
  });
  const ctx: Context = {
    pages,
    config,
    store,
    logger,
    oauth,
    uploads,
    catalog,
    quota,
    settings,
    reviews,
    announcer,
    commands: registry.all,
    dispatcher: options.dispatcher,
  };
  const dispatcher = createDispatcher(registry, ctx);
  dispatch = dispatcher.dispatch;

  const { clientSecret } = config.discord;
  const routes = oauthRoutes({
    oauth,
    browser: linkBrowser(config.publicUrl, config.tokenEncryptionKey.derive('link-browser')),
    signIn:
      clientSecret === undefined
        ? undefined
        : createDiscordSignIn({
            applicationId: config.discord.applicationId,
            clientSecret,
            apiUrl: config.discord.apiUrl,
            publicUrl: config.publicUrl,
            key: config.tokenEncryptionKey,
            store,
            logger,
            dispatcher: options.dispatcher,
          }),
    googleAuthUrl: config.google.authUrl,
    onOutcome: async (outcome) => {
      const text = linkReplyText(outcome);
      if ('reply' in outcome && outcome.reply && text)
        await editOriginalReply(client, logger, outcome.reply, text);
    },
    logger,
  });
  Object.assign(
    routes,
    uploadRoutes({
      links: pages,
      jobs,
      relay,
      publicUrl: config.publicUrl,
      maxBytes: config.uploads.maxBytes,
      chunkBytes: config.uploads.pageChunkBytes,
      begin: (jobId, file) => uploads.begin(jobId, file),
      cancel: (jobId, owner) => uploads.cancel(jobId, owner),
      member: async (userId) => {
        const user = await client.users.fetch(userId);
        return { displayName: user.globalName ?? user.username, username: user.username };
      },
      logger,
    }),
  );
  routes['GET /metrics'] = metricsRoute(config.metricsToken);
  const removeMetricSources = metrics.addSources({
    uploads: () => uploads.stats(),
    quota: () => quota.usage(),
  });
  const health = {
    gateway: () => gatewayStatus(client),
    store: () => store.ping(),
    shards: () => shardStatus(client),
  };
  const http = await startHttpServer(config.httpPort, health, logger, routes);
  logger.info({ port: http.port(), publicUrl: config.publicUrl }, 'http listening');

  let stopped = false;
  // A store that does not answer at start must not lose the unfinished uploads: try again until it does.
  let resumeTimer: NodeJS.Timeout | undefined;
  let expireTimer: NodeJS.Timeout | undefined;
  const resume = async (): Promise<void> => {
    try {
      const resumed = await uploads.resume();
      if (resumed > 0) logger.info({ resumed }, 'unfinished uploads resumed');
    } catch (error) {
      logger.error({ err: error }, 'unfinished uploads could not be read from the store; trying again');
      if (!stopped) resumeTimer = setTimeout(() => void resume(), options.store?.retryMs ?? 30_000);
    }
  };
  return {
    client,
    ctx,
    http,
    logger,
    async start() {
      await client.login(config.discord.token);
      await resume();
      // Upload pages never used within their hour end quietly, their reply saying so.
      const expire = () =>
        void uploads
          .expireAwaiting(config.uploads.pageLinkMs)
          .catch((error: unknown) => logger.warn({ err: error }, 'could not expire unused upload links'));
      expireTimer = setInterval(expire, Math.min(60_000, config.uploads.pageLinkMs / 4));
      expireTimer.unref();
      await announcer.start();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      clearTimeout(resumeTimer);
      clearInterval(expireTimer);
      // Interactions that came after this are left to the other processes; those in flight finish
      // (up to 5 s) while the uploads are handed back, at the byte YouTube kept, for another to continue.
      await Promise.all([dispatcher.drain(5000), uploads.stop()]);
      await announcer.stop();
      await client.destroy();
      await http.close();
      await store.close();
      removeMetricSources();
    },
  };
}
