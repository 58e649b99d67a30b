// Announcements across processes: real bot processes (`node src/index.ts`) on one real PostgreSQL store,
// the local fakes, one server whose channel is linked and whose announcement channel is chosen — the
// set-up of the cluster-announce tests.
import assert from 'node:assert/strict';
import { FakeDiscord, type FakeMessage, type FakeUser } from '../fakes/discord.ts';
import { FakeGoogle, type FakeAccount } from '../fakes/google.ts';
import { baseEnv, fakeEnv, freePort, startBot, type BotEnv, type BotProcess } from './bot.ts';
import { linkServerAsAdmin } from './link.ts';
import { startPostgres } from './postgres.ts';
import { createStore, type Store } from '../../src/store/index.ts';
import { createLogger } from '../../src/logger.ts';

export interface AnnounceServer {
  readonly guildId: string;
  readonly guildName: string;
  readonly generalId: string;
  readonly announceId: string;
  readonly owner: FakeUser;
  /** The Google account of the server's channel. */
  readonly email: string;
  readonly channelTitle: string;
}

export interface AnnounceCluster {
  readonly discord: FakeDiscord;
  readonly google: FakeGoogle;
  /** The variables every process shares (STORE_URL, the fakes). */
  readonly env: BotEnv;
  /** The server's channel's account. */
  readonly server: FakeAccount;
  readonly storeUrl: string;
  /** The shared store, as the test reads and writes it (what a process left behind). */
  readonly store: Store;
  /** Every process started (stopped and killed ones too). */
  readonly bots: BotProcess[];
  /** Starts a bot process on the shared store (the first one serves PUBLIC_URL). */
  launch(): BotProcess;
  ready(bot: BotProcess): Promise<unknown>;
  /** The process's first announcement round is over. */
  firstRound(bot: BotProcess): Promise<unknown>;
  /** The announcements of a video in the announcement channel. */
  announcements(videoId: string): FakeMessage[];
  /** The server's channel linked and announcements chosen, by a process that then stops. */
  setUpServer(): Promise<void>;
  close(): Promise<void>;
}

type Option = { type: number; name: string; value?: string | number | boolean; options?: Option[] };

export async function startAnnounceCluster(spec: AnnounceServer): Promise<AnnounceCluster> {
  const postgres = await startPostgres();
  const storeUrl = await postgres.createDatabase();
  const store = await createStore(storeUrl, createLogger('silent'));
  const discord = await FakeDiscord.start({
    guilds: [
      {
        id: spec.guildId,
        name: spec.guildName,
        ownerId: spec.owner.id,
        channels: [
          { id: spec.generalId, name: 'general', type: 0 },
          { id: spec.announceId, name: 'announcements', type: 0 },
        ],
      },
    ],
  });
  const port = await freePort();
  const google = await FakeGoogle.start({ redirectUris: [`http://127.0.0.1:${port}/oauth/callback`] });
  google.processing.pollsBeforeDone = 0;
  const env = baseEnv({
    ...fakeEnv(discord, google),
    STORE_URL: storeUrl,
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    HTTP_PORT: String(port),
  });
  const server = google.addAccount({ email: spec.email, channel: { title: spec.channelTitle } });
  const bots: BotProcess[] = [];

  const launch = (): BotProcess => {
    const bot = startBot(bots.length === 0 ? env : { ...env, HTTP_PORT: '0' });
    bots.push(bot);
    return bot;
  };
  const ready = (bot: BotProcess) =>
    bot.waitForLog((e) => e['msg'] === 'discord ready', 'the bot to be ready', 60_000);

  return {
    discord,
    google,
    env,
    server,
    storeUrl,
    store,
    bots,
    launch,
    ready,
    firstRound: (bot) =>
      bot.waitForLog((e) => e['msg'] === 'announcement round over', 'its first announcement round', 30_000),
    announcements: (videoId) =>
      discord
        .channelMessages(spec.announceId)
        .filter((m) => m.embeds[0]?.url === `https://youtu.be/${videoId}`),
    async setUpServer() {
      const setup = launch();
      await ready(setup);
      await linkServerAsAdmin(discord, google, spec.owner, server, spec.guildId, spec.generalId);
      const saved = await discord
        .sendCommand({
          name: 'server',
          user: spec.owner,
          guildId: spec.guildId,
          channelId: spec.generalId,
          options: [
            {
              type: 1,
              name: 'settings',
              options: [{ type: 7, name: 'announce_channel', value: spec.announceId }],
            },
          ] satisfies Option[],
        })
        .waitForOriginal((m) => (m.content ?? '') !== '', 15_000);
      assert.match(saved.content ?? '', /^Saved\./);
      await setup.stop();
    },
    async close() {
      for (const bot of bots) await bot.stop('SIGKILL');
      await store.close();
      await discord.close();
      await google.close();
      await postgres.stop();
    },
  };
}

/** waitFor, for a condition that needs a read of the store. */
export async function until<T>(
  check: () => Promise<T | undefined>,
  what: string,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
