// What gets announced is the server's choice: by default only videos on the server's own channel (uploaded
// through the bot or outside it), public ones; members' own uploads and unlisted videos only when the server opts
// in, and a member's upload pings the role only when the server chose that too. A video published on the
// server's channel after announcements were switched on is announced even when the bot's first look at the
// channel comes after it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeDiscord, type FakeMessage, type FakeUser } from './fakes/discord.ts';
import { FakeGoogle } from './fakes/google.ts';
import { waitFor } from './fakes/http.ts';
import { startTestApp, type TestApp } from './support/app.ts';
import { freePort } from './support/bot.ts';
import { linkMember, linkServer } from './support/link.ts';
import { mp4Bytes } from './support/media.ts';
import type { SettingsPatch } from '../src/store/settings.ts';

const OWNER: FakeUser = { id: '700000000000000190', username: 'owner' };
const ALICE: FakeUser = { id: '700000000000000191', username: 'alice' };

const guild = (n: number) => ({
  id: `80000000000000019${n}`,
  uploads: `90000000000000019${n}`,
  announce: `91000000000000019${n}`,
  role: `92000000000000019${n}`,
});
const G1 = guild(1);
const G2 = guild(2);
const G3 = guild(3);

const POLL_MS = 100;
let discord: FakeDiscord;
let google: FakeGoogle;
let bot: TestApp;

before(async () => {
  discord = await FakeDiscord.start({
    guilds: [G1, G2, G3].map((g) => ({
      id: g.id,
      name: `Guild ${g.id.slice(-1)}`,
      ownerId: OWNER.id,
      roles: [{ id: g.role, name: 'fans', permissions: '0' }],
      channels: [
        { id: g.uploads, name: 'uploads', type: 0 },
        { id: g.announce, name: 'announcements', type: 0 },
      ],
    })),
  });
  const port = await freePort();
  google = await FakeGoogle.start({ redirectUris: [`http://127.0.0.1:${port}/oauth/callback`] });
  bot = await startTestApp(discord, google, {
    env: { PUBLIC_URL: `http://127.0.0.1:${port}`, HTTP_PORT: String(port) },
    announce: { pollIntervalMs: POLL_MS, now: () => google.now() },
  });
});

after(async () => {
  await bot.stop();
  await discord.close();
  await google.close();
});

const announcements = (g: { announce: string }) => discord.channelMessages(g.announce);
const settings = (g: { id: string }, patch: SettingsPatch) => bot.app.ctx.settings.update(g.id, patch);

/** The JSON bodies the bot sent to a channel (allowed_mentions is not echoed back by Discord). */
const sentBodies = (channelId: string) =>
  discord.calls
    .filter(
      (c) => c.service === 'rest' && c.method === 'POST' && c.path === `/channels/${channelId}/messages`,
    )
    .map((c) => c.body as Record<string, unknown>);

/** The bot decided not to announce this video (its log says why). */
const declined = (videoId: string) =>
  waitFor(
    () => bot.logs.find((l) => l['videoId'] === videoId && l['msg'] === 'video not announced'),
    'the decision not to announce it',
  );

/** Every check and poll in flight has run (a few whole rounds). */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await bot.app.ctx.announcer.runOnce();
}

async function upload(
  g: { id: string; uploads: string },
  user: FakeUser,
  title: string,
  options: { type: number; name: string; value: string }[] = [],
): Promise<string> {
  const file = discord.addAttachment({
    filename: 'clip.mp4',
    data: mp4Bytes(200_000),
    contentType: 'video/mp4',
    channelId: g.uploads,
  });
  const final: FakeMessage = await discord
    .sendCommand({
      name: 'upload',
      user,
      guildId: g.id,
      channelId: g.uploads,
      attachments: [file],
      options: [
        { type: 11, name: 'file', value: file.id },
        { type: 3, name: 'title', value: title },
        ...options,
      ],
    })
    .waitForOriginal((m) => /is on YouTube|Upload failed|Cancelled/.test(m.content ?? ''), 20_000);
  assert.match(final.content ?? '', /is on YouTube/);
  return /youtu\.be\/([\w-]{11})/.exec(final.content ?? '')?.[1] ?? '';
}

test("a member's upload to their own channel is announced only when the server opts in, and pings only when chosen", async () => {
  await settings(G1, { announceChannelId: G1.announce, announceRoleId: G1.role });
  await linkMember(
    discord,
    google,
    ALICE,
    google.addAccount({ email: 'alice-choice@example.com', channel: { title: 'Alice' } }),
    G1.id,
  );

  const quiet = await upload(G1, ALICE, 'Not for the server');
  assert.match(String((await declined(quiet))['why']), /announce_members is off/);
  await settle();
  assert.equal(announcements(G1).length, 0, "a member's own upload is not announced by default");

  await settings(G1, { announceMembers: true });
  const opted = await upload(G1, ALICE, 'Opted in');
  const [first] = await waitFor(
    () => (announcements(G1).length > 0 ? announcements(G1) : undefined),
    "the announcement of the member's upload",
  );
  assert.equal(first?.embeds[0]?.url, `https://youtu.be/${opted}`);
  assert.doesNotMatch(first?.content ?? '', /<@&/, 'no role mention in the text');
  assert.deepEqual(sentBodies(G1.announce)[0]?.['allowed_mentions'], { parse: [], roles: [] }, 'no ping');

  await settings(G1, { announceMembersPing: true });
  const pinged = await upload(G1, ALICE, 'With the ping');
  await waitFor(() => (announcements(G1).length > 1 ? true : undefined), 'the second announcement');
  const second = announcements(G1)[1];
  assert.equal(second?.embeds[0]?.url, `https://youtu.be/${pinged}`);
  assert.match(second?.content ?? '', new RegExp(`^<@&${G1.role}>`));
  assert.deepEqual(sentBodies(G1.announce)[1]?.['allowed_mentions'], { parse: [], roles: [G1.role] });

  await settle();
  assert.equal(announcements(G1).length, 2);
  assert.ok(!announcements(G1).some((m) => m.content.includes(quiet)), 'the first one never');
});

test("an unlisted upload to the server's channel is announced only when the server opts in; a public one by default", async () => {
  await linkServer(
    bot.app,
    google,
    G2.id,
    google.addAccount({ email: 'server2-choice@example.com', channel: { title: 'Server Two' } }),
  );
  await settings(G2, { announceChannelId: G2.announce, announceRoleId: G2.role });
  await linkMember(
    discord,
    google,
    OWNER,
    google.addAccount({ email: 'owner-choice@example.com', channel: { title: 'Owner' } }),
    G2.id,
  );
  const server = { type: 3, name: 'account', value: 'server' };
  const unlisted = { type: 3, name: 'privacy', value: 'unlisted' };

  const hidden = await upload(G2, OWNER, 'Link only', [server, unlisted]);
  assert.match(String((await declined(hidden))['why']), /announce_unlisted is off/);
  await settle();
  assert.equal(announcements(G2).length, 0, 'unlisted: not announced by default');

  const shown = await upload(G2, OWNER, 'For everyone', [server]);
  const [first] = await waitFor(
    () => (announcements(G2).length > 0 ? announcements(G2) : undefined),
    'the public upload to the server channel',
  );
  assert.equal(first?.embeds[0]?.url, `https://youtu.be/${shown}`);
  assert.deepEqual(
    sentBodies(G2.announce)[0]?.['allowed_mentions'],
    { parse: [], roles: [G2.role] },
    "the server's own video pings the role",
  );

  await settings(G2, { announceUnlisted: true });
  const opted = await upload(G2, OWNER, 'Unlisted, opted in', [server, unlisted]);
  await waitFor(() => (announcements(G2).length > 1 ? true : undefined), 'the unlisted upload');
  assert.equal(announcements(G2)[1]?.embeds[0]?.url, `https://youtu.be/${opted}`);
  await settle();
  assert.equal(announcements(G2).length, 2);
  assert.ok(!announcements(G2).some((m) => m.content.includes(hidden)));
});

test("a video published on the server's channel just after announcements were switched on is announced, though the bot's first look comes later", async () => {
  const account = google.addAccount({ email: 'server3-choice@example.com', channel: { title: 'Three' } });
  const old = google.addVideo(account, { title: 'From before' });
  google.advanceClock(2000);
  await linkServer(bot.app, google, G3.id, account);
  // The feed cannot be read until the video is there: the bot's first look at the channel comes after it.
  google.fail({ method: 'GET', path: /^\/feeds\// }, { status: 503 }, 1_000_000);
  await settings(G3, { announceChannelId: G3.announce });
  google.advanceClock(2000);
  const fresh = google.addVideo(account, { title: 'Seconds later' });
  google.clearFaults();

  const [message] = await waitFor(
    () => (announcements(G3).length > 0 ? announcements(G3) : undefined),
    'the announcement of the video published after announcements began',
  );
  assert.equal(message?.embeds[0]?.url, `https://youtu.be/${fresh.id}`);
  await settle();
  await settle();
  assert.equal(announcements(G3).length, 1, 'once, and what was there before never');
  assert.ok(!announcements(G3).some((m) => m.content.includes(old.id)));
});
