// The real bot process against the local Discord and Google servers: start-up, /help, errors,
// health, registration and a clean stop.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeDiscord } from './fakes/discord.ts';
import { FakeGoogle } from './fakes/google.ts';
import { loadCommands } from '../src/discord/loader.ts';
import { baseEnv, fakeEnv, ROOT, startBot, type BotEnv, type BotProcess } from './support/bot.ts';

const GUILD = { id: '800000000000000001', name: 'Video Makers', ownerId: '700000000000000001' };
const MEMBER = { id: '700000000000000002', username: 'maker' };

let discord: FakeDiscord;
let google: FakeGoogle;
let env: BotEnv;
let bot: BotProcess;

before(async () => {
  discord = await FakeDiscord.start({ guilds: [GUILD] });
  google = await FakeGoogle.start();
  env = baseEnv({
    ...fakeEnv(discord, google),
  });
  bot = startBot(env);
  await bot.waitForLog((e) => e['msg'] === 'discord ready', 'the bot to be ready');
});

after(async () => {
  await bot.stop('SIGKILL');
  await discord.close();
  await google.close();
});

test('with no configuration, start-up exits 2 naming every missing variable and no stack trace', () => {
  const result = spawnSync(process.execPath, [join(ROOT, 'src/index.ts')], {
    cwd: mkdtempSync(join(tmpdir(), 'tubebridge-empty-')),
    env: { PATH: process.env['PATH'] },
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(result.status, 2);
  for (const name of [
    'DISCORD_TOKEN',
    'DISCORD_APPLICATION_ID',
    'GOOGLE_CLIENT_ID',
    'GOOGLE_CLIENT_SECRET',
  ]) {
    assert.match(result.stderr, new RegExp(`${name} is missing`));
  }
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
});

test('the bot identifies with its token and answers /health with the gateway and store status', async () => {
  assert.equal(discord.identified(), 1);
  const response = await fetch(`${await bot.httpOrigin()}/healthz`);
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), {
    status: 'ok',
    gateway: 'ready',
    store: 'ok',
    // This process's shards: Discord recommends one for a bot in one server.
    shards: { count: 1, ids: [{ id: 0, status: 'ready' }] },
  });
  assert.equal(response.headers.get('cache-control'), 'no-store');
});

test('/help lists every command, privately by default', async () => {
  const interaction = discord.sendCommand({ name: 'help', user: MEMBER, guildId: GUILD.id });
  const response = await interaction.response();
  assert.equal(response.type, 4, 'answered with a message at once');
  const data = response.data as { embeds: { title: string; description: string }[]; flags?: number };
  assert.equal((data.flags ?? 0) & 64, 64, 'ephemeral');
  assert.equal(data.embeds[0]?.title, 'TubeBridge');
  const text = data.embeds[0]?.description ?? '';
  for (const { data: definition } of loadCommands().all) {
    const shown = 'description' in definition ? `\`/${definition.name}` : `**${definition.name}**`;
    assert.ok(text.includes(shown), `${definition.name} is listed`);
  }

  const shown = discord.sendCommand({
    name: 'help',
    options: [{ type: 5, name: 'public', value: true }],
    user: MEMBER,
    guildId: GUILD.id,
  });
  const visible = (await shown.response()).data as { flags?: number };
  assert.equal((visible.flags ?? 0) & 64, 0, 'public:true shows it to the channel');

  const entry = await bot.waitForLog(
    (e) => e['msg'] === 'interaction' && e['interaction'] === '/help' && e['userId'] === MEMBER.id,
    'the structured log line',
  );
  assert.equal(entry['outcome'], 'ok');
  assert.equal(typeof entry['durationMs'], 'number');
  assert.equal(entry['guildId'], GUILD.id);
});

test('a command the bot does not know gets a readable private answer', async () => {
  const interaction = discord.sendCommand({ name: 'nonexistent', user: MEMBER, guildId: GUILD.id });
  const response = await interaction.response();
  const data = response.data as { content: string; flags?: number };
  assert.equal(response.type, 4);
  assert.equal((data.flags ?? 0) & 64, 64);
  assert.match(data.content, /do not know this command/);
});

test('npm run register bulk-overwrites the commands for the guild, or globally without DISCORD_GUILD_ID', async () => {
  // Asynchronously: the fake Discord answers from this very process.
  const run = (extra: BotEnv) =>
    promisify(execFile)(process.execPath, [join(ROOT, 'scripts/register.ts')], {
      cwd: mkdtempSync(join(tmpdir(), 'tubebridge-register-')),
      env: { PATH: process.env['PATH'], ...env, ...extra },
      encoding: 'utf8',
      timeout: 30_000,
    });
  const served = loadCommands()
    .all.map((c) => c.data.name)
    .sort();
  assert.ok(served.includes('upload') && served.includes('Upload to YouTube') && served.length >= 5);
  const guild = await run({ DISCORD_GUILD_ID: GUILD.id });
  assert.match(guild.stdout, new RegExp(`Registered ${served.length} commands for server ${GUILD.id}`));
  const names = (discord.commands.guild.get(GUILD.id) ?? []).map((c) => c.name).sort();
  assert.deepEqual(names, served);

  const global = await run({});
  assert.match(global.stdout, new RegExp(`Registered ${served.length} commands for every server`));
  assert.deepEqual(discord.commands.global.map((c) => c.name).sort(), served);
});

test('a wrong Discord token ends start-up with exit 1 and a sentence saying what to do', async () => {
  const wrong = startBot({ ...env, DISCORD_TOKEN: 'not-the-token', STORE_URL: baseEnv()['STORE_URL'] });
  assert.equal(await wrong.exited, 1);
  assert.match(wrong.lines.join('\n'), /Discord refused DISCORD_TOKEN/);
  assert.doesNotMatch(wrong.lines.join('\n'), /not-the-token/);
});

test('SIGTERM stops the bot cleanly with exit 0', async () => {
  const second = startBot({ ...env, STORE_URL: baseEnv()['STORE_URL'] });
  await second.waitForLog((e) => e['msg'] === 'discord ready', 'the second bot to be ready');
  assert.equal(await second.stop('SIGTERM'), 0);
  assert.ok(second.logs().some((e) => e['msg'] === 'stopped'));
});

test('a busy HTTP_PORT is one sentence and exit 1, not a stack trace', async () => {
  const { createServer } = await import('node:net');
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, resolve));
  const port = (blocker.address() as { port: number }).port;
  try {
    const busy = startBot({ ...env, HTTP_PORT: String(port), STORE_URL: baseEnv()['STORE_URL'] });
    assert.equal(await busy.exited, 1);
    const output = busy.lines.join('\n');
    assert.match(output, new RegExp(`HTTP_PORT ${port} is already in use`));
    assert.doesNotMatch(output, /\n\s+at /);
  } finally {
    blocker.close();
  }
});

test('a malformed request to the HTTP server is a 400, and the bot keeps running', async () => {
  const { connect } = await import('node:net');
  const port = Number(new URL(await bot.httpOrigin()).port);
  const answer = await new Promise<string>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write('GET http://[ HTTP/1.1\r\nHost: x\r\n\r\n'));
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk.toString();
      if (text.includes('\r\n\r\n')) {
        socket.destroy();
        resolve(text);
      }
    });
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
  assert.match(answer, /^HTTP\/1\.1 400/);
  assert.equal(bot.child.exitCode, null, 'still running');
  assert.equal((await fetch(`${await bot.httpOrigin()}/healthz`)).status, 200);
});
