// Two real bot processes (`node src/index.ts`, as `npm start` runs it) on one real PostgreSQL and the
// local fakes: what a deployment with more than one process looks like. Both identify for the same
// Discord shard, so every interaction reaches both (as Discord does); each has its own HTTP port and
// PUBLIC_URL, and shares STORE_URL and TOKEN_ENCRYPTION_KEY with the other.
import { FakeDiscord, type StartOptions } from '../fakes/discord.ts';
import { FakeGoogle } from '../fakes/google.ts';
import { waitFor } from '../fakes/http.ts';
import { baseEnv, fakeEnv, freePort, startBot, type BotEnv, type BotProcess } from './bot.ts';
import { startPostgres, type PostgresServer } from './postgres.ts';

export interface ClusterBot {
  /** 'a' or 'b'. */
  readonly name: string;
  /** The running process (replaced by restart). */
  process: BotProcess;
  readonly publicUrl: string;
}

export interface Cluster {
  readonly discord: FakeDiscord;
  readonly google: FakeGoogle;
  readonly postgres: PostgresServer;
  /** The variables both processes share (STORE_URL, TOKEN_ENCRYPTION_KEY, the fakes). */
  readonly env: BotEnv;
  readonly a: ClusterBot;
  readonly b: ClusterBot;
  /** Both bots. */
  readonly bots: readonly ClusterBot[];
  /** SIGKILL: the process dies at once, nothing is handed back. */
  kill(bot: ClusterBot): Promise<void>;
  /** SIGTERM: the graceful hand-over; resolves with the exit code. */
  terminate(bot: ClusterBot): Promise<number | null>;
  /** Starts the bot again (a new process, same port and URL) and waits until it is ready. */
  restart(bot: ClusterBot): Promise<void>;
  /** Restarts whichever bot is not running (a test that failed midway may have left one stopped). */
  ensureRunning(): Promise<void>;
  /** Every bot process started so far (killed ones included), for log assertions. */
  readonly history: BotProcess[];
  close(): Promise<void>;
}

export interface ClusterOptions {
  readonly discord?: StartOptions;
  /** Extra variables for both processes (UPLOAD_CONCURRENCY…). */
  readonly env?: BotEnv;
  /** Extra variables of each process, a's then b's (DISCORD_SHARDS…). */
  readonly each?: readonly [BotEnv, BotEnv];
}

export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const postgres = await startPostgres();
  const storeUrl = await postgres.createDatabase();
  const discord = await FakeDiscord.start(options.discord);
  const ports = [await freePort(), await freePort()];
  const urls = ports.map((port) => `http://127.0.0.1:${port}`);
  const google = await FakeGoogle.start({
    redirectUris: urls.map((url) => `${url}/oauth/callback`),
  });
  const env = baseEnv({
    ...fakeEnv(discord, google),
    STORE_URL: storeUrl,
    ...options.env,
  });
  const history: BotProcess[] = [];

  const launch = async (bot: { name: string; publicUrl: string }, port: number): Promise<BotProcess> => {
    const identified = discord.identified();
    const own = options.each?.[bot.name === 'a' ? 0 : 1];
    const child = startBot({ ...env, ...own, HTTP_PORT: String(port), PUBLIC_URL: bot.publicUrl });
    history.push(child);
    await child.waitForLog((e) => e['msg'] === 'discord ready', `bot ${bot.name} to be ready`, 60_000);
    await waitFor(
      () => (discord.identified() > identified ? true : undefined),
      `bot ${bot.name} to IDENTIFY`,
      30_000,
    );
    return child;
  };

  const make = (name: string, index: number): ClusterBot => ({
    name,
    publicUrl: urls[index] ?? '',
    process: undefined as unknown as BotProcess,
  });
  const a = make('a', 0);
  const b = make('b', 1);
  const portOf = (bot: ClusterBot) => ports[bot === a ? 0 : 1] ?? 0;
  try {
    // One after the other: the first applies the migrations, the second finds them applied.
    a.process = await launch(a, portOf(a));
    b.process = await launch(b, portOf(b));
  } catch (error) {
    for (const child of history) await child.stop('SIGKILL');
    await Promise.allSettled([discord.close(), google.close(), postgres.stop()]);
    throw error;
  }

  return {
    discord,
    google,
    postgres,
    env,
    a,
    b,
    bots: [a, b],
    history,
    async kill(bot) {
      await bot.process.stop('SIGKILL');
    },
    terminate: (bot) => bot.process.stop('SIGTERM'),
    async restart(bot) {
      bot.process = await launch(bot, portOf(bot));
    },
    async ensureRunning() {
      for (const bot of [a, b]) {
        const { child } = bot.process;
        if (child.exitCode !== null || child.signalCode !== null)
          bot.process = await launch(bot, portOf(bot));
      }
    },
    async close() {
      for (const child of history) await child.stop('SIGKILL');
      await discord.close();
      await google.close();
      await postgres.stop();
    },
  };
}
