// The bot in-process (createApp), against the fakes, with timings shortened for tests. Used where a
// test needs what a separate process cannot give: tuned backoff, a short reply lifetime.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { createApp, type App, type AppOptions } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import type { UploadTuning } from '../../src/uploads/jobs.ts';
import { FakeDiscord } from '../fakes/discord.ts';
import { FakeGoogle } from '../fakes/google.ts';
import { waitFor } from '../fakes/http.ts';
import { fakeEnv, freePort } from './bot.ts';

export interface TestApp {
  readonly app: App;
  /** Parsed log lines. */
  readonly logs: Record<string, unknown>[];
  readonly storeUrl: string;
  stop(): Promise<void>;
}

export const FAST_TUNING: Partial<UploadTuning> = {
  progressIntervalMs: 50,
  retry: { tries: 10, baseDelayMs: 5, maxDelayMs: 50 },
  processingPollMs: 20,
};

export async function startTestApp(
  discord: FakeDiscord,
  google: FakeGoogle,
  options: {
    tuning?: Partial<UploadTuning>;
    env?: Record<string, string>;
    storeUrl?: string;
    key?: string;
    announce?: AppOptions['announce'];
    store?: AppOptions['store'];
  } = {},
): Promise<TestApp> {
  const storeUrl = options.storeUrl ?? `sqlite://${mkdtempSync(join(tmpdir(), 'tb-app-'))}/store.sqlite`;
  const config = loadConfig({
    ...fakeEnv(discord, google),
    HTTP_PORT: '0',
    STORE_URL: storeUrl,
    TOKEN_ENCRYPTION_KEY: options.key ?? randomBytes(32).toString('hex'),
    // Suites upload freely; the daily caps have their own (test/daily-caps.e2e.test.ts).
    UPLOAD_DAILY_PER_MEMBER: '1000',
    UPLOAD_DAILY_PER_SERVER: '1000',
    ...options.env,
  });
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger(
    'debug',
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n'))
          if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    }),
  );
  const app = await createApp(config, {
    logger,
    tuning: { ...FAST_TUNING, ...options.tuning },
    ...(options.announce ? { announce: options.announce } : {}),
    ...(options.store ? { store: options.store } : {}),
  });
  await app.start();
  await waitFor(() => (app.client.isReady() ? true : undefined), 'the client to be ready');
  return { app, logs, storeUrl, stop: () => app.stop() };
}

export interface World {
  readonly discord: FakeDiscord;
  readonly google: FakeGoogle;
  readonly bot: TestApp;
  /** Stops the bot, then both fakes. */
  stop(): Promise<void>;
}

/**
 * The usual setting of an end-to-end suite: a Discord fake with these guilds, a Google fake that
 * accepts the bot's redirect URI, and the bot in-process on a free port (so /link works).
 */
export async function startWorld(
  guilds: NonNullable<Parameters<typeof FakeDiscord.start>[0]>['guilds'],
  options: { tuning?: Partial<UploadTuning>; applicationId?: string } = {},
): Promise<World> {
  // A known application id (the bot's user id too) lets a guild spec name the bot in permission overwrites.
  const discord = await FakeDiscord.start({
    guilds,
    ...(options.applicationId ? { applicationId: options.applicationId } : {}),
  });
  const port = await freePort();
  const google = await FakeGoogle.start({ redirectUris: [`http://127.0.0.1:${port}/oauth/callback`] });
  const bot = await startTestApp(discord, google, {
    env: { PUBLIC_URL: `http://127.0.0.1:${port}`, HTTP_PORT: String(port) },
    ...(options.tuning ? { tuning: options.tuning } : {}),
  });
  return {
    discord,
    google,
    bot,
    stop: async () => {
      await bot.stop();
      await discord.close();
      await google.close();
    },
  };
}
