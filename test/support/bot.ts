// Starts the real bot as a child process (`node src/index.ts`), the way `npm start` does, with its
// configuration pointing at the local fakes. Captures its log lines for assertions.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { waitFor } from '../fakes/http.ts';
import type { FakeDiscord } from '../fakes/discord.ts';
import type { FakeGoogle } from '../fakes/google.ts';

export const ROOT = resolve(import.meta.dirname, '../..');

export interface BotProcess {
  readonly child: ChildProcess;
  /** Every line the bot wrote to stdout and stderr, in order. */
  readonly lines: string[];
  /** Log lines parsed as JSON (non-JSON lines are skipped). */
  logs(): Record<string, unknown>[];
  waitForLog(
    predicate: (entry: Record<string, unknown>) => boolean,
    what: string,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  /** The HTTP server's origin, known once it logged "http listening". */
  httpOrigin(): Promise<string>;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface BotEnv {
  [name: string]: string | undefined;
}

/** A fresh data folder and the variables every test bot shares. */
export function baseEnv(over: BotEnv = {}): BotEnv {
  const dir = mkdtempSync(join(tmpdir(), 'tubebridge-bot-'));
  return {
    STORE_URL: `sqlite://${dir}/tubebridge.sqlite`,
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    HTTP_PORT: '0',
    LOG_LEVEL: 'debug',
    ...over,
  };
}

/** The variables that point the bot at the fakes (Google's only, when `discord` is null). */
export function fakeEnv(discord: FakeDiscord | null, google: FakeGoogle, extra: BotEnv = {}): BotEnv {
  return {
    ...(discord
      ? {
          DISCORD_TOKEN: discord.botToken,
          DISCORD_APPLICATION_ID: discord.applicationId,
          DISCORD_API_URL: discord.apiUrl,
          DISCORD_CDN_HOSTS: discord.cdnHost,
        }
      : { DISCORD_TOKEN: 'unused', DISCORD_APPLICATION_ID: '123456789012345678' }),
    GOOGLE_CLIENT_ID: google.clientId,
    GOOGLE_CLIENT_SECRET: google.clientSecret,
    GOOGLE_AUTH_URL: google.authUrl,
    GOOGLE_TOKEN_URL: google.tokenUrl,
    GOOGLE_REVOKE_URL: google.revokeUrl,
    YOUTUBE_API_URL: google.apiRoot,
    YOUTUBE_FEED_URL: google.feedUrl,
    ...extra,
  };
}

export function startBot(env: BotEnv, cwd = mkdtempSync(join(tmpdir(), 'tubebridge-cwd-'))): BotProcess {
  // Only what the test sets: nothing from the developer's own environment or .env leaks in.
  const childEnv: NodeJS.ProcessEnv = { PATH: process.env['PATH'], HOME: process.env['HOME'] };
  for (const [name, value] of Object.entries(env)) if (value !== undefined) childEnv[name] = value;
  const child = spawn(process.execPath, [join(ROOT, 'src/index.ts')], {
    cwd,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  // TB_BOT_LOG=<folder>: every bot's output also goes to <folder>/bot-<pid>.log, to read after a failure.
  const logDir = process.env['TB_BOT_LOG'];
  if (logDir) mkdirSync(logDir, { recursive: true });
  const logFile = logDir ? join(logDir, `bot-${String(child.pid)}.log`) : undefined;
  const collect = (stream: NodeJS.ReadableStream | null) => {
    let rest = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop() ?? '';
      lines.push(...parts.filter((l) => l !== ''));
      if (logFile) appendFileSync(logFile, chunk);
    });
    stream?.on('end', () => {
      if (rest !== '') lines.push(rest);
    });
  };
  collect(child.stdout);
  collect(child.stderr);
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));

  const logs = () =>
    lines.flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  const waitForLog: BotProcess['waitForLog'] = (predicate, what, timeoutMs = 15_000) =>
    waitFor(
      () => {
        if (child.exitCode !== null)
          throw new Error(`bot exited (${child.exitCode}) before ${what}:\n${lines.join('\n')}`);
        return logs().find(predicate);
      },
      what,
      timeoutMs,
    );

  return {
    child,
    lines,
    logs,
    waitForLog,
    httpOrigin: async () => {
      const entry = await waitForLog((e) => e['msg'] === 'http listening', 'the HTTP server');
      return `http://127.0.0.1:${String(entry['port'])}`;
    },
    exited,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** A port that was free a moment ago (the bot binds it next; PUBLIC_URL must be known in advance). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => done(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
