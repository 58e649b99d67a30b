// Shards: DISCORD_SHARD_COUNT / DISCORD_SHARDS choose which gateway shards a bot process connects.
// Two real bot processes split two shards: a guild's command reaches the process of its shard
// ((guild_id >> 22) % 2), a DM reaches shard 0's; /healthz of each lists its own shard; bad values
// are refused at start with one sentence. Without the variables, one process takes Discord's
// recommended count.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeDiscord, type FakeUser } from './fakes/discord.ts';
import { FakeGoogle } from './fakes/google.ts';
import { baseEnv, fakeEnv, startBot, type BotEnv, type BotProcess } from './support/bot.ts';
import { ConfigError, loadConfig } from '../src/config.ts';

// (id >> 22) % 2: 810… is on shard 0, 800…001 on shard 1.
const GUILD_0 = { id: '810000000000000000', name: 'Shard Zero', ownerId: '700000000000000071' };
const GUILD_1 = { id: '800000000000000001', name: 'Shard One', ownerId: '700000000000000071' };
const MEMBER: FakeUser = { id: '700000000000000072', username: 'sharded' };

let discord: FakeDiscord;
let google: FakeGoogle;
const bots: BotProcess[] = [];

before(async () => {
  discord = await FakeDiscord.start({ guilds: [GUILD_0, GUILD_1], recommendedShards: 2 });
  google = await FakeGoogle.start();
});

after(async () => {
  for (const bot of bots) await bot.stop('SIGKILL');
  await discord.close();
  await google.close();
});

function boot(extra: BotEnv): BotProcess {
  // Each its own SQLite file: the shard split needs no shared store (that is PostgreSQL's part).
  const bot = startBot(baseEnv({ ...fakeEnv(discord, google), ...extra }));
  bots.push(bot);
  return bot;
}

interface Health {
  status: string;
  shards: { count: number; ids: { id: number; status: string }[] };
}

/** /healthz once it answers 200 (every shard of the process ready), within 20 s. */
async function health(bot: BotProcess): Promise<Health> {
  const url = `${await bot.httpOrigin()}/healthz`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    const response = await fetch(url);
    const body = (await response.json()) as Health;
    if (response.status === 200) return body;
    if (Date.now() > deadline) throw new Error(`/healthz stayed ${response.status}: ${JSON.stringify(body)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Is this the dispatcher's "interaction" line of a command the member ran in `guildId` (undefined: a DM)? */
const about = (guildId: string | undefined) => (e: Record<string, unknown>) =>
  e['msg'] === 'interaction' && e['userId'] === MEMBER.id && e['guildId'] === guildId;
const handled = (bot: BotProcess, guildId: string | undefined) => bot.logs().find(about(guildId));

test('two processes split two shards: each guild is answered by its shard, DMs by shard 0, logs name pid and shard', async () => {
  const first = boot({ DISCORD_SHARD_COUNT: '2', DISCORD_SHARDS: '0' });
  const second = boot({ DISCORD_SHARD_COUNT: '2', DISCORD_SHARDS: '1' });
  await first.waitForLog((e) => e['msg'] === 'discord ready', 'the first bot to be ready', 30_000);
  await second.waitForLog((e) => e['msg'] === 'discord ready', 'the second bot to be ready', 30_000);

  assert.deepEqual((await health(first)).shards, { count: 2, ids: [{ id: 0, status: 'ready' }] });
  assert.deepEqual((await health(second)).shards, { count: 2, ids: [{ id: 1, status: 'ready' }] });

  // A guild on shard 1: the second process answers, the first never sees it.
  const inOne = discord.sendCommand({ name: 'help', user: MEMBER, guildId: GUILD_1.id });
  assert.equal((await inOne.response()).type, 4);
  const line = await second.waitForLog(about(GUILD_1.id), 'shard 1 handles it');
  assert.equal(handled(first, GUILD_1.id), undefined, 'the shard-0 process did not handle it');
  assert.equal(line['shard'], 1, 'the line names the shard the interaction came in on');
  assert.equal(line['pid'], second.child.pid);

  // A guild on shard 0 and a DM (shard 0): the first process.
  const inZero = discord.sendCommand({ name: 'help', user: MEMBER, guildId: GUILD_0.id });
  assert.equal((await inZero.response()).type, 4);
  const zero = await first.waitForLog(about(GUILD_0.id), 'shard 0 handles it');
  assert.equal(zero['shard'], 0);
  const dm = discord.sendCommand({ name: 'help', user: MEMBER, guildId: null });
  assert.equal((await dm.response()).type, 4);
  await first.waitForLog(about(undefined), 'shard 0 handles the DM');
  assert.equal(handled(second, undefined), undefined, 'the shard-1 process did not handle the DM');

  // pid on every log line of a real process.
  for (const bot of [first, second]) {
    const logs = bot.logs();
    assert.ok(logs.length > 3);
    for (const entry of logs) assert.equal(entry['pid'], bot.child.pid, JSON.stringify(entry));
  }
  await Promise.all([first.stop(), second.stop()]);
});

test("without DISCORD_SHARD_COUNT one process connects Discord's recommended count, every shard", async () => {
  const before = discord.identified();
  const bot = boot({});
  await bot.waitForLog((e) => e['msg'] === 'discord ready', 'the bot to be ready', 30_000);
  const { shards } = await health(bot);
  assert.deepEqual(shards, {
    count: 2,
    ids: [
      { id: 0, status: 'ready' },
      { id: 1, status: 'ready' },
    ],
  });
  assert.equal(discord.identified() - before, 2, 'one IDENTIFY per shard');
  const inOne = discord.sendCommand({ name: 'help', user: MEMBER, guildId: GUILD_1.id });
  assert.equal((await inOne.response()).type, 4);
  await bot.stop();
});

test('bad shard settings are refused at start with one sentence each', async () => {
  const base = {
    DISCORD_TOKEN: 'bot-token',
    DISCORD_APPLICATION_ID: '123456789012345678',
    GOOGLE_CLIENT_ID: 'client.apps.googleusercontent.com',
    GOOGLE_CLIENT_SECRET: 'secret',
    TOKEN_ENCRYPTION_KEY: 'a'.repeat(64),
  };
  const refused = (env: Record<string, string>): string[] => {
    try {
      loadConfig({ ...base, ...env });
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      return [...error.problems];
    }
    return [];
  };
  const cases: [Record<string, string>, RegExp][] = [
    [{ DISCORD_SHARD_COUNT: '0' }, /DISCORD_SHARD_COUNT must be a whole number from 1/],
    [{ DISCORD_SHARD_COUNT: 'two' }, /DISCORD_SHARD_COUNT must be a whole number/],
    [{ DISCORD_SHARDS: '0' }, /DISCORD_SHARDS needs DISCORD_SHARD_COUNT/],
    [{ DISCORD_SHARD_COUNT: '2', DISCORD_SHARDS: '2' }, /names shard 2, but shard ids run from 0 to 1/],
    [{ DISCORD_SHARD_COUNT: '4', DISCORD_SHARDS: '0-4' }, /names shard 4, but shard ids run from 0 to 3/],
    [{ DISCORD_SHARD_COUNT: '4', DISCORD_SHARDS: '1,1' }, /names shard 1 twice/],
    [{ DISCORD_SHARD_COUNT: '4', DISCORD_SHARDS: '0-2,2' }, /names shard 2 twice/],
    [{ DISCORD_SHARD_COUNT: '4', DISCORD_SHARDS: '3-1' }, /runs backwards/],
    [{ DISCORD_SHARD_COUNT: '4', DISCORD_SHARDS: 'a,b' }, /like "0,2,5" or a range like "0-3"/],
    [{ DISCORD_SHARD_COUNT: '4', DISCORD_SHARDS: '-1' }, /like "0,2,5" or a range like "0-3"/],
  ];
  for (const [env, expected] of cases) {
    const problems = refused(env);
    assert.equal(problems.length, 1, `${JSON.stringify(env)}: ${problems.join(' | ')}`);
    assert.match(problems[0] ?? '', expected);
  }
  assert.deepEqual(
    loadConfig({ ...base, DISCORD_SHARD_COUNT: '6', DISCORD_SHARDS: '4, 0-1' }).discord.shards,
    {
      count: 6,
      ids: [0, 1, 4],
    },
  );
  assert.deepEqual(loadConfig({ ...base, DISCORD_SHARD_COUNT: '3' }).discord.shards, {
    count: 3,
    ids: [0, 1, 2],
  });
  assert.deepEqual(loadConfig(base).discord.shards, { count: 'auto' });

  // The real process: exit 2, the sentence, no stack trace.
  const bot = boot({ DISCORD_SHARD_COUNT: '2', DISCORD_SHARDS: '0,5' });
  assert.equal(await bot.exited, 2);
  const output = bot.lines.join('\n');
  assert.match(
    output,
    /DISCORD_SHARDS names shard 5, but shard ids run from 0 to 1 with DISCORD_SHARD_COUNT=2/,
  );
  assert.doesNotMatch(output, /\n\s+at /);
});
