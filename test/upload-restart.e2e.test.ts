// Never lose an upload: SIGKILL the bot process mid-upload, start it again, and the upload resumes
// from what YouTube kept — one video, every byte intact, the same progress message finishing it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeDiscord, type FakeUser } from './fakes/discord.ts';
import { FakeGoogle } from './fakes/google.ts';
import { waitFor } from './fakes/http.ts';
import { baseEnv, fakeEnv, freePort, startBot, type BotEnv, type BotProcess } from './support/bot.ts';
import { linkMember } from './support/link.ts';
import { MiB, mp4Bytes, sha256 } from './support/media.ts';

const GUILD = '800000000000000051';
const CHANNEL = '900000000000000051';
const ALICE: FakeUser = { id: '700000000000000051', username: 'alice' };

let discord: FakeDiscord;
let google: FakeGoogle;
let env: BotEnv;
const bots: BotProcess[] = [];

before(async () => {
  discord = await FakeDiscord.start({
    guilds: [
      {
        id: GUILD,
        name: 'Restarts',
        ownerId: ALICE.id,
        channels: [{ id: CHANNEL, name: 'videos', type: 0 }],
      },
    ],
  });
  const port = await freePort();
  google = await FakeGoogle.start({ redirectUris: [`http://127.0.0.1:${port}/oauth/callback`] });
  env = baseEnv({
    ...fakeEnv(discord, google),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    HTTP_PORT: String(port),
  });
});

after(async () => {
  for (const bot of bots) await bot.stop('SIGKILL');
  await discord.close();
  await google.close();
});

async function boot(): Promise<BotProcess> {
  const identified = discord.identified();
  const bot = startBot(env);
  bots.push(bot);
  await bot.waitForLog((e) => e['msg'] === 'discord ready', 'the bot to be ready');
  await waitFor(() => (discord.identified() > identified ? true : undefined), 'IDENTIFY');
  return bot;
}

test('SIGKILL mid-upload, restart: exactly one video with every byte, the same message finishes', async () => {
  const account = google.addAccount({ email: 'alice@example.com', channel: { title: 'Alice Restarts' } });
  const first = await boot();
  await linkMember(discord, google, ALICE, account, GUILD);

  google.upload.throttleBytesPerSec = 2 * MiB;
  google.processing.pollsBeforeDone = 0; // the bot's first processing check (after 2 s) finds it done
  const data = mp4Bytes(8 * MiB, 31);
  const file = discord.addAttachment({ filename: 'restart.mp4', data, channelId: CHANNEL });
  const interaction = discord.sendCommand({
    name: 'upload',
    user: ALICE,
    guildId: GUILD,
    channelId: CHANNEL,
    attachments: [file],
    options: [{ type: 11, name: 'file', value: file.id }],
  });
  await interaction.waitForOriginal((m) => /Uploading/.test(m.content ?? ''), 15_000);
  await new Promise((resolve) => setTimeout(resolve, 1500)); // about 3 MiB into the upload
  first.child.kill('SIGKILL');
  await first.exited;

  const session = await waitFor(
    () => [...google.sessions.values()].find((s) => s.accountId === account.id && s.received > 0),
    'YouTube to keep what arrived before the kill',
  );
  const kept = session.received;
  assert.ok(kept > 0 && kept < data.length, `kept ${kept} bytes`);
  google.upload.throttleBytesPerSec = null;
  const rangesBefore = discord.calls.length;

  const second = await boot();
  await second.waitForLog((e) => e['msg'] === 'resuming upload', 'the upload to resume');
  const final = await interaction.waitForOriginal(
    (m) => /is on YouTube|Upload failed/.test(m.content ?? ''),
    30_000,
  );
  assert.match(final.content ?? '', /\*\*restart\*\* is on YouTube: https:\/\/youtu\.be\//);

  const videos = [...google.videos.values()].filter((v) => v.ownerChannelId === account.channel?.id);
  assert.equal(videos.length, 1, 'exactly one video');
  assert.equal(videos[0]?.sha256, sha256(data), 'every byte intact');
  assert.equal(
    [...google.sessions.values()].filter((s) => s.accountId === account.id).length,
    1,
    'the same session',
  );
  const resumedFrom = discord.calls
    .slice(rangesBefore)
    .filter((c) => c.service === 'cdn' && c.method === 'GET')
    .map((c) => String(c.headers['range'] ?? ''));
  assert.ok(
    resumedFrom.some((range) => range.startsWith(`bytes=${kept}-`)),
    `the attachment was read again from byte ${kept}, not from 0 (${resumedFrom.join(', ')})`,
  );
  assert.equal(await second.stop('SIGTERM'), 0);
});

test('SIGTERM mid-upload pauses it with a note, exits 0, and the next start finishes it', async () => {
  const bob: FakeUser = { id: '700000000000000052', username: 'bob' };
  const account = google.addAccount({ email: 'bob@example.com', channel: { title: 'Bob Restarts' } });
  const first = await boot();
  await linkMember(discord, google, bob, account, GUILD);
  google.upload.throttleBytesPerSec = MiB;
  const data = mp4Bytes(6 * MiB, 32);
  const file = discord.addAttachment({ filename: 'graceful.mp4', data, channelId: CHANNEL });
  const interaction = discord.sendCommand({
    name: 'upload',
    user: bob,
    guildId: GUILD,
    channelId: CHANNEL,
    attachments: [file],
    options: [{ type: 11, name: 'file', value: file.id }],
  });
  await interaction.waitForOriginal((m) => /Uploading/.test(m.content ?? ''), 15_000);
  assert.equal(await first.stop('SIGTERM'), 0, 'a clean exit');
  assert.match(interaction.original()?.content ?? '', /Paused.*continues from where YouTube stopped/);
  google.upload.throttleBytesPerSec = null;

  await boot();
  const final = await interaction.waitForOriginal(
    (m) => /is on YouTube|Upload failed/.test(m.content ?? ''),
    30_000,
  );
  assert.match(final.content ?? '', /\*\*graceful\*\* is on YouTube/);
  const videos = [...google.videos.values()].filter((v) => v.ownerChannelId === account.channel?.id);
  assert.equal(videos.length, 1);
  assert.equal(videos[0]?.sha256, sha256(data));
});
