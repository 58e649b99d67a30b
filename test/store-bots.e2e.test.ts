// SQLite is for one process: a second real bot started on the same SQLite file refuses to start with one
// sentence naming PostgreSQL, and starts once the first one stopped. redis:// is refused at start too.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeDiscord } from './fakes/discord.ts';
import { FakeGoogle } from './fakes/google.ts';
import { baseEnv, fakeEnv, startBot, type BotEnv } from './support/bot.ts';

const GUILD = { id: '800000000000000091', name: 'One Process', ownerId: '700000000000000091' };

let discord: FakeDiscord;
let google: FakeGoogle;
let env: BotEnv;

before(async () => {
  discord = await FakeDiscord.start({ guilds: [GUILD] });
  google = await FakeGoogle.start();
  env = baseEnv(fakeEnv(discord, google));
});

after(async () => {
  await discord.close();
  await google.close();
});

test('a second bot on the same SQLite store refuses to start, naming PostgreSQL; after the first stops, it starts', async () => {
  const first = startBot(env);
  try {
    await first.waitForLog((e) => e['msg'] === 'discord ready', 'the first bot to be ready');
    const second = startBot(env);
    const outcome = await Promise.race([
      second.exited,
      second.waitForLog((e) => e['msg'] === 'discord ready', 'the second bot', 60_000).then(() => 'started'),
    ]).finally(() => second.stop('SIGKILL'));
    assert.equal(outcome, 1, 'the second process exits instead of running beside the first');
    const output = second.lines.join('\n');
    assert.match(
      output,
      /^The bot cannot start: another process of the bot is already running on the SQLite store \S+, and SQLite serves one process only: stop that one, or set STORE_URL=postgresql:\/\/… \(PostgreSQL\) to run several\.$/m,
    );
    assert.doesNotMatch(output, /\n\s+at /, 'no stack trace');
    assert.equal(discord.identified(), 1, 'the second never connected to Discord');
  } finally {
    assert.equal(await first.stop('SIGTERM'), 0);
  }
  const third = startBot(env);
  try {
    await third.waitForLog((e) => e['msg'] === 'discord ready', 'the bot started after the first stopped');
  } finally {
    await third.stop('SIGTERM');
  }
});

test('STORE_URL=redis://… is refused at start with one sentence', async () => {
  const bot = startBot({
    ...env,
    STORE_URL: 'redis://cache.example:6379',
    TOKEN_ENCRYPTION_KEY: env['TOKEN_ENCRYPTION_KEY'],
  });
  assert.equal(await bot.exited, 2);
  assert.match(bot.lines.join('\n'), /STORE_URL=redis:\/\/… is no longer supported\b.*postgresql:\/\/.*\./);
});
