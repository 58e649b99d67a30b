// Fair shares of the project's daily upload bucket (100 videos.insert a day, shared by every server):
// a member may start UPLOAD_DAILY_PER_MEMBER uploads a Pacific day, a server's moderators together
// UPLOAD_DAILY_PER_SERVER to the server's channel. The refusal comes before any byte moves and says
// when the count resets. (The day boundary itself is tested in quota.test.ts, with a clock.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeDiscord, type FakeMessage, type FakeUser, type InteractionHandle } from './fakes/discord.ts';
import { FakeGoogle, type FakeAccount } from './fakes/google.ts';
import { startTestApp, type TestApp } from './support/app.ts';
import { freePort } from './support/bot.ts';
import { linkMember, linkServer } from './support/link.ts';
import { mp4Bytes, sha256 } from './support/media.ts';
import { DEFAULTS } from '../src/config.ts';

const GUILD = '800000000000000071';
const CHANNEL = '900000000000000071';
const OWNER: FakeUser = { id: '700000000000000070', username: 'owner' }; // Manage Server: a moderator
const MEMBER: FakeUser = { id: '700000000000000071', username: 'member' };
const THIRD: FakeUser = { id: '700000000000000072', username: 'third' };

let discord: FakeDiscord;
let google: FakeGoogle;
let bot: TestApp;
let memberAccount: FakeAccount;
let ownerAccount: FakeAccount;
let serverAccount: FakeAccount;
let thirdAccount: FakeAccount;

before(async () => {
  discord = await FakeDiscord.start({
    guilds: [
      {
        id: GUILD,
        name: 'Busy server',
        ownerId: OWNER.id,
        channels: [{ id: CHANNEL, name: 'videos', type: 0 }],
        members: [
          { user: MEMBER, roles: [] },
          { user: THIRD, roles: [] },
        ],
      },
    ],
  });
  const port = await freePort();
  google = await FakeGoogle.start({ redirectUris: [`http://127.0.0.1:${port}/oauth/callback`] });
  bot = await startTestApp(discord, google, {
    env: {
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      HTTP_PORT: String(port),
      // The documented defaults, which the other suites raise so that they can upload freely.
      UPLOAD_DAILY_PER_MEMBER: DEFAULTS.UPLOAD_DAILY_PER_MEMBER,
      UPLOAD_DAILY_PER_SERVER: DEFAULTS.UPLOAD_DAILY_PER_SERVER,
    },
  });
  memberAccount = google.addAccount({ email: 'member@example.com', channel: { title: 'Member' } });
  ownerAccount = google.addAccount({ email: 'owner@example.com', channel: { title: 'Owner' } });
  serverAccount = google.addAccount({ email: 'server@example.com', channel: { title: 'Busy Server' } });
  await linkMember(discord, google, MEMBER, memberAccount, GUILD);
  await linkMember(discord, google, OWNER, ownerAccount, GUILD);
  await linkServer(bot.app, google, GUILD, serverAccount);
  thirdAccount = google.addAccount({ email: 'third@example.com', channel: { title: 'Third' } });
  await linkMember(discord, google, THIRD, thirdAccount, GUILD);
});

after(async () => {
  await bot.stop();
  await discord.close();
  await google.close();
});

function upload(user: FakeUser, data: Buffer, account: 'mine' | 'server' = 'mine'): InteractionHandle {
  const file = discord.addAttachment({
    filename: `clip_${sha256(data).slice(0, 8)}.mp4`,
    data,
    channelId: CHANNEL,
  });
  return discord.sendCommand({
    name: 'upload',
    user,
    guildId: GUILD,
    channelId: CHANNEL,
    attachments: [file],
    options: [
      { type: 11, name: 'file', value: file.id },
      { type: 3, name: 'account', value: account },
    ],
  });
}

/** The first thing the member reads in the reply: the progress, or a refusal. */
const firstWords = async (interaction: InteractionHandle) =>
  (await interaction.waitForOriginal((m) => (m.content ?? '') !== '', 20_000)).content ?? '';
const finished = (m: FakeMessage) => /is on YouTube|Upload failed|Cancelled/.test(m.content ?? '');
const videosOf = (account: FakeAccount) =>
  [...google.videos.values()].filter((v) => v.ownerChannelId === account.channel?.id);
const insertsSoFar = () =>
  google.requests.filter((r) => r.method === 'POST' && r.path === '/upload/youtube/v3/videos').length;
const RESET = /the count resets at midnight Pacific time \(in (\d+ h )?\d+ min\)\.$/;

test("a member's 11th upload of the day is refused with the reset time, before anything reaches YouTube", async () => {
  const accepted: InteractionHandle[] = [];
  for (let i = 0; i < 10; i++) {
    const interaction = upload(MEMBER, mp4Bytes(4096, 700 + i));
    assert.doesNotMatch(await firstWords(interaction), /uploads today/, `upload ${i + 1} is accepted`);
    accepted.push(interaction);
  }
  const eleventh = mp4Bytes(4096, 710);
  const refusal = await firstWords(upload(MEMBER, eleventh));
  assert.match(refusal, /^You have started 10 uploads today, the most a member may; /);
  assert.match(refusal, RESET);
  for (const interaction of accepted) {
    assert.match((await interaction.waitForOriginal(finished, 30_000)).content ?? '', /is on YouTube/);
  }
  const inserts = insertsSoFar();
  assert.match(await firstWords(upload(MEMBER, mp4Bytes(4096, 711))), /started 10 uploads today/);
  assert.equal(insertsSoFar(), inserts, 'a refused upload creates no YouTube session');
  assert.equal(videosOf(memberAccount).length, 10);
  assert.ok(!videosOf(memberAccount).some((v) => v.sha256 === sha256(eleventh)));
});

test("a moderator's 26th upload to the server channel is refused; the moderator's own channel is a separate count", async () => {
  const accepted: InteractionHandle[] = [];
  for (let i = 0; i < 25; i++) {
    const interaction = upload(OWNER, mp4Bytes(4096, 800 + i), 'server');
    assert.doesNotMatch(await firstWords(interaction), /uploads/, `server upload ${i + 1} is accepted`);
    accepted.push(interaction);
  }
  const refusal = await firstWords(upload(OWNER, mp4Bytes(4096, 825), 'server'));
  assert.match(
    refusal,
    /^This server's moderators have started 25 uploads to its channel today, the most a server may; /,
  );
  assert.match(refusal, RESET);

  const own = upload(OWNER, mp4Bytes(4096, 826));
  assert.match((await own.waitForOriginal(finished, 30_000)).content ?? '', /is on YouTube/);
  for (const interaction of accepted) await interaction.waitForOriginal(finished, 30_000);
  assert.equal(videosOf(serverAccount).length, 25);
  assert.equal(videosOf(ownerAccount).length, 1);
});

const cancelId = (m: FakeMessage) =>
  (m.components as { components: { custom_id: string }[] }[])[0]?.components[0]?.custom_id ?? '';

test('an upload that ends before YouTube was asked for a session gives its count back; one that reached YouTube keeps it', async () => {
  // The first upload runs slowly (a session, bytes on their way); the next nine wait behind it.
  google.upload.throttleBytesPerSec = 100_000;
  const first = upload(THIRD, mp4Bytes(6 * 1024 * 1024, 900));
  const sending = await first.waitForOriginal((m) => /Uploading/.test(m.content ?? ''), 20_000);
  const press = (m: FakeMessage) =>
    discord.sendButton({
      customId: cancelId(m),
      user: THIRD,
      guildId: GUILD,
      channelId: CHANNEL,
      message: { id: m.id, channelId: CHANNEL },
    });
  const queued: InteractionHandle[] = [];
  for (let i = 0; i < 9; i++) {
    const interaction = upload(THIRD, mp4Bytes(4096, 901 + i));
    await interaction.waitForOriginal((m) => /Queued/.test(m.content ?? ''), 20_000);
    queued.push(interaction);
  }
  // Cancelled while queued: never reached YouTube, so each is given back (a second press changes nothing).
  for (const interaction of queued) {
    const message = interaction.original();
    assert.ok(message);
    await press(message).response();
    await interaction.waitForOriginal((m) => /Cancelled/.test(m.content ?? ''), 20_000);
    await press(message).response();
  }
  // The first had its session: cancelled now, it stays counted.
  await press(sending).response();
  await first.waitForOriginal(finished, 30_000);
  google.upload.throttleBytesPerSec = null;

  // 1 counted so far: nine more are accepted, the tenth of the day is refused.
  const more: InteractionHandle[] = [];
  for (let i = 0; i < 9; i++) {
    const interaction = upload(THIRD, mp4Bytes(4096, 920 + i));
    assert.doesNotMatch(
      await firstWords(interaction),
      /uploads today/,
      `upload ${i + 2} of the day is accepted`,
    );
    more.push(interaction);
  }
  assert.match(await firstWords(upload(THIRD, mp4Bytes(4096, 930))), /^You have started 10 uploads today/);
  for (const interaction of more)
    assert.match((await interaction.waitForOriginal(finished, 30_000)).content ?? '', /is on YouTube/);
  assert.equal(videosOf(thirdAccount).length, 9);
});
