// Announcements end to end, in-process: uploads through /upload and videos added to a server's own channel
// "from outside Discord" (straight into the Google fake) end in exactly one message in the announcement channel.
// The announcer polls every 100 ms here; scheduled videos move on a shared clock (the bot's `now` and the Google
// fake's), never on real waits.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { FakeDiscord, type FakeMessage, type FakeUser } from './fakes/discord.ts';
import { FakeGoogle, type FakeAccount } from './fakes/google.ts';
import { waitFor } from './fakes/http.ts';
import { startTestApp, type TestApp } from './support/app.ts';
import { freePort } from './support/bot.ts';
import { linkMember, linkServer } from './support/link.ts';
import { mp4Bytes } from './support/media.ts';
import type { ServerSettings } from '../src/store/settings.ts';

const OWNER: FakeUser = { id: '700000000000000090', username: 'owner' };
const ALICE: FakeUser = { id: '700000000000000091', username: 'alice' };
const BOB: FakeUser = { id: '700000000000000092', username: 'bob' };
const CAROL: FakeUser = { id: '700000000000000093', username: 'carol' };
const DAVE: FakeUser = { id: '700000000000000094', username: 'dave' };
const ERIN: FakeUser = { id: '700000000000000095', username: 'erin' };
const FRED: FakeUser = { id: '700000000000000096', username: 'fred' };

/** One server per test, so polls of one never touch another's channel. */
const guild = (n: number) => ({
  id: `80000000000000009${n}`,
  uploads: `90000000000000009${n}`,
  announce: `91000000000000009${n}`,
  role: `92000000000000009${n}`,
});
const G = [1, 2, 3, 4, 5, 6, 7, 8].map(guild);
const [G1, G2, G3, G4, G5, G6, G7, G8] = G as [
  ReturnType<typeof guild>,
  ReturnType<typeof guild>,
  ReturnType<typeof guild>,
  ReturnType<typeof guild>,
  ReturnType<typeof guild>,
  ReturnType<typeof guild>,
  ReturnType<typeof guild>,
  ReturnType<typeof guild>,
];

const POLL_MS = 100;
const KEY = randomBytes(32).toString('hex');
let offset = 0;
const now = () => Date.now() + offset;

let discord: FakeDiscord;
let google: FakeGoogle;
let bot: TestApp;
let env: Record<string, string>;

before(async () => {
  discord = await FakeDiscord.start({
    guilds: G.map((g) => ({
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
  env = { PUBLIC_URL: `http://127.0.0.1:${port}`, HTTP_PORT: String(port) };
  bot = await start();
});

after(async () => {
  await bot.stop();
  await discord.close();
  await google.close();
});

const start = (storeUrl?: string) =>
  startTestApp(discord, google, {
    env,
    key: KEY,
    ...(storeUrl ? { storeUrl } : {}),
    announce: { pollIntervalMs: POLL_MS, now, postRetryMs: 300 },
  });

/** Moves the bot's clock and the Google fake's together. */
function advance(ms: number): void {
  offset += ms;
  google.advanceClock(ms);
}

const announcements = (g: { announce: string }) => discord.channelMessages(g.announce);

function settings(g: { id: string }, patch: { [K in keyof ServerSettings]?: ServerSettings[K] | null }) {
  return bot.app.ctx.settings.update(g.id, patch);
}

/** Links a Google account as the server's own channel. */
async function serverChannel(g: { id: string }, title: string): Promise<FakeAccount> {
  const account = google.addAccount({
    email: `${title.toLowerCase().replace(/\W/g, '')}@example.com`,
    channel: { title },
  });
  await linkServer(bot.app, google, g.id, account);
  return account;
}

/** Resolves after `n` more complete polls of the server's channel. */
async function polls(g: { id: string }, n = 2): Promise<void> {
  for (let i = 0; i < n; i++) {
    const last = bot.app.ctx.announcer.status(g.id).lastPollAt ?? -1;
    await waitFor(
      () => ((bot.app.ctx.announcer.status(g.id).lastPollAt ?? -1) > last ? true : undefined),
      'a poll of the server channel',
    );
  }
  // The round that read the feed may still be posting: let it finish.
  await bot.app.ctx.announcer.runOnce();
}

async function upload(
  g: { id: string; uploads: string },
  user: FakeUser,
  title: string,
  options: { type: number; name: string; value: string }[] = [],
): Promise<FakeMessage> {
  const file = discord.addAttachment({
    filename: 'clip.mp4',
    data: mp4Bytes(300_000),
    contentType: 'video/mp4',
    channelId: g.uploads,
  });
  const interaction = discord.sendCommand({
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
  });
  const final = await interaction.waitForOriginal(
    (m) => /is on YouTube|Upload failed|Cancelled/.test(m.content ?? ''),
    20_000,
  );
  assert.match(final.content ?? '', /is on YouTube/);
  return final;
}

const videoIdOf = (m: FakeMessage) => /youtu\.be\/([\w-]{11})/.exec(m.content ?? '')?.[1] ?? '';

/** The JSON body the bot sent for a message in the channel (what Discord does not echo back). */
function sentBody(channelId: string): Record<string, unknown>[] {
  return discord.calls
    .filter(
      (c) => c.service === 'rest' && c.method === 'POST' && c.path === `/channels/${channelId}/messages`,
    )
    .map((c) => c.body as Record<string, unknown>);
}

test('a public upload through /upload is announced once: template filled, embed, only the role pinged', async () => {
  await settings(G1, {
    announceChannelId: G1.announce,
    announceRoleId: G1.role,
    template: '{role} New: {title} by {uploader} on {channel} → {url}',
    // Members' own uploads are announced, with the ping, only because the server chose both.
    announceMembers: true,
    announceMembersPing: true,
  });
  const account = google.addAccount({ email: 'alice@example.com', channel: { title: 'Alice Uploads' } });
  await linkMember(discord, google, ALICE, account, G1.id);

  const videoId = videoIdOf(await upload(G1, ALICE, 'Surf *trip*'));
  const [message] = await waitFor(
    () => (announcements(G1).length > 0 ? announcements(G1) : undefined),
    'the announcement',
  );
  assert.ok(message);
  assert.equal(
    message.content,
    `<@&${G1.role}> New: Surf \\*trip\\* by <@${ALICE.id}> on Alice Uploads → https://youtu.be/${videoId}`,
  );
  const embed = message.embeds[0];
  assert.ok(embed);
  assert.equal(embed.title, 'Surf *trip*');
  assert.equal(embed.url, `https://youtu.be/${videoId}`);
  assert.match(embed.image?.url ?? '', new RegExp(`/vi/${videoId}/`));
  assert.equal(embed.author?.name, 'Alice Uploads');
  assert.deepEqual(embed.fields, [{ name: 'Uploaded by', value: `<@${ALICE.id}>`, inline: true }]);
  const [body] = sentBody(G1.announce);
  assert.deepEqual(body?.['allowed_mentions'], { parse: [], roles: [G1.role] }, 'the member is never pinged');

  await bot.app.ctx.announcer.runOnce();
  await bot.app.ctx.announcer.runOnce();
  assert.equal(announcements(G1).length, 1, 'exactly one');
});

test('a scheduled upload is announced when YouTube publishes it, not before', async () => {
  await settings(G2, { announceChannelId: G2.announce, announceMembers: true });
  await linkMember(
    discord,
    google,
    BOB,
    google.addAccount({ email: 'bob@example.com', channel: { title: 'Bob' } }),
    G2.id,
  );
  const publishAt = new Date(now() + 2 * 3600_000).toISOString();
  const videoId = videoIdOf(
    await upload(G2, BOB, 'Premiere', [
      { type: 3, name: 'privacy', value: 'private' },
      { type: 3, name: 'publish_at', value: publishAt },
    ]),
  );
  const privateId = videoIdOf(
    await upload(G2, BOB, 'Just for me', [{ type: 3, name: 'privacy', value: 'private' }]),
  );
  for (let i = 0; i < 3; i++) await bot.app.ctx.announcer.runOnce();
  assert.equal(announcements(G2).length, 0, 'nothing while it is private');
  assert.equal(google.videos.get(videoId)?.status.privacyStatus, 'private');

  advance(2 * 3600_000 + 1000);
  const [message] = await waitFor(
    () => (announcements(G2).length > 0 ? announcements(G2) : undefined),
    'the announcement at publishAt',
  );
  assert.equal(google.videos.get(videoId)?.status.privacyStatus, 'public');
  assert.equal(message?.content, `📺 New video from <@${BOB.id}>: **Premiere** https://youtu.be/${videoId}`);
  for (let i = 0; i < 3; i++) await bot.app.ctx.announcer.runOnce();
  assert.equal(announcements(G2).length, 1, 'once, and the private upload never');
  assert.ok(!announcements(G2).some((m) => m.content.includes(privateId)));
});

test('an upload from outside Discord is announced on the next poll, for no quota while nothing is new; a private one never', async () => {
  const account = google.addAccount({ email: 'studio@example.com', channel: { title: 'Studio & Co' } });
  google.addVideo(account, { title: 'Old video' });
  await linkServer(bot.app, google, G3.id, account);
  await settings(G3, { announceChannelId: G3.announce });
  await polls(G3);
  assert.equal(announcements(G3).length, 0, 'what was there before is not announced');

  const units = google.quotaUsed.units;
  await polls(G3, 3);
  assert.equal(google.quotaUsed.units, units, 'polls that find nothing new cost no quota');

  const fresh = google.addVideo(account, { title: 'Made in Studio' });
  const hidden = google.addVideo(account, { title: 'Secret', privacyStatus: 'private' });
  const [message] = await waitFor(
    () => (announcements(G3).length > 0 ? announcements(G3) : undefined),
    'the announcement of the outside upload',
  );
  assert.equal(
    message?.content,
    `📺 New video from Studio & Co: **Made in Studio** https://youtu.be/${fresh.id}`,
  );
  assert.deepEqual(message?.embeds[0]?.fields, [{ name: 'Uploaded by', value: 'Studio & Co', inline: true }]);
  assert.equal(google.quotaUsed.units, units + 1, 'one videos.list confirmed the new video');

  await polls(G3, 3);
  assert.equal(announcements(G3).length, 1, 'once, and the private video never');
  assert.ok(!announcements(G3).some((m) => m.content.includes(hidden.id)));

  // YouTube's feed is cached: it may still list a video its owner has made private since. videos.list decides.
  const regret = google.addVideo(account, { title: 'Second thoughts' });
  google.freezeFeeds();
  regret.status.privacyStatus = 'private';
  await polls(G3, 3);
  google.thawFeeds();
  assert.equal(
    announcements(G3).length,
    1,
    'a video private by now is not announced, even if the feed lists it',
  );

  // Discord refuses the post: the server's status says so, and it is not retried (it might have been shown).
  discord.setChannelPermissionDenied(G3.announce, true);
  google.addVideo(account, { title: 'Nowhere to go' });
  await waitFor(
    () =>
      /could not be posted/.test(bot.app.ctx.announcer.status(G3.id).postError ?? '') ? true : undefined,
    'the failure in the status',
  );
  discord.setChannelPermissionDenied(G3.announce, false);
  await polls(G3, 3);
  assert.equal(announcements(G3).length, 1);
});

test('Shorts and live streams are skipped when the server turns them off; a normal video is announced', async () => {
  const account = await serverChannel(G6, 'Clips');
  await settings(G6, {
    announceChannelId: G6.announce,
    announceShorts: false,
    announceLive: false,
    announceMembers: true,
  });
  await polls(G6);
  const short = google.addVideo(account, { title: 'A Short', short: true });
  const live = google.addVideo(account, { title: 'On air', live: 'live' });
  await polls(G6, 2);
  assert.equal(announcements(G6).length, 0, 'neither the Short nor the live stream');

  const normal = google.addVideo(account, { title: 'A normal video' });
  await waitFor(() => (announcements(G6).length > 0 ? true : undefined), 'the normal video');
  await polls(G6, 2);
  assert.deepEqual(
    announcements(G6).map((m) => m.embeds[0]?.url),
    [`https://youtu.be/${normal.id}`],
  );
  assert.ok(![short.id, live.id].some((id) => announcements(G6).some((m) => m.content.includes(id))));

  // A member's Short through /upload: only the feed tells a Short, and the bot asks it before announcing.
  await linkMember(
    discord,
    google,
    OWNER,
    google.addAccount({ email: 'owner@example.com', channel: { title: 'Owner' } }),
    G6.id,
  );
  google.upload.shorts = true;
  const memberShort = videoIdOf(await upload(G6, OWNER, 'Vertical clip'));
  google.upload.shorts = false;
  const memberVideo = videoIdOf(await upload(G6, OWNER, 'Wide clip'));
  await waitFor(() => (announcements(G6).length > 1 ? true : undefined), "the member's normal video");
  for (let i = 0; i < 3; i++) await bot.app.ctx.announcer.runOnce();
  assert.deepEqual(
    announcements(G6).map((m) => m.embeds[0]?.url),
    [`https://youtu.be/${normal.id}`, `https://youtu.be/${memberVideo}`],
  );
  assert.ok(!announcements(G6).some((m) => m.content.includes(memberShort)));

  // With the filters on (the default), a Short is announced like any video.
  await settings(G6, { announceShorts: null, announceLive: null });
  const second = google.addVideo(account, { title: 'Another Short', short: true });
  await waitFor(() => (announcements(G6).length > 2 ? true : undefined), 'the second Short');
  assert.equal(announcements(G6)[2]?.embeds[0]?.url, `https://youtu.be/${second.id}`);
  assert.equal(announcements(G6)[2]?.embeds[0]?.footer?.text, 'YouTube · Short');
});

test('a video seen both ways is announced once, whichever way sees it first', async () => {
  // The server's channel is also CAROL's own: her upload through /upload lands on the polled channel.
  const account = google.addAccount({ email: 'carol@example.com', channel: { title: 'Carol & Server' } });
  await linkServer(bot.app, google, G4.id, account);
  await linkMember(discord, google, CAROL, account, G4.id);
  await settings(G4, { announceChannelId: G4.announce });
  await polls(G4);

  // The upload's own report first: the feed is down while it finishes, then comes back with the video in it.
  google.fail({ method: 'GET', path: /^\/feeds\// }, { status: 503 }, 1_000_000);
  const videoId = videoIdOf(await upload(G4, CAROL, 'Both ways'));
  await waitFor(() => (announcements(G4).length > 0 ? true : undefined), 'the announcement of the upload');
  google.clearFaults();
  await polls(G4, 3);
  assert.equal(announcements(G4).length, 1);
  assert.match(announcements(G4)[0]?.content ?? '', new RegExp(`<@${CAROL.id}>.*${videoId}`));

  // The feed first: an outside upload is announced, then a late report of the same video (an approval,
  // a restart in between) changes nothing.
  const outside = google.addVideo(account, { title: 'Seen by the feed first' });
  await waitFor(() => (announcements(G4).length > 1 ? true : undefined), 'the outside upload');
  await bot.app.ctx.announcer.uploadFinished({
    guildId: G4.id,
    account: CAROL.id,
    memberId: CAROL.id,
    videoId: outside.id,
    privacy: 'public',
    publishAt: undefined,
  });
  for (let i = 0; i < 3; i++) await bot.app.ctx.announcer.runOnce();
  assert.equal(announcements(G4).length, 2);
});

test('after a restart nothing is announced again, and a scheduled check carries over', async () => {
  const account = await serverChannel(G5, 'Restart TV');
  await settings(G5, { announceChannelId: G5.announce, announceMembers: true });
  await linkMember(
    discord,
    google,
    DAVE,
    google.addAccount({ email: 'dave@example.com', channel: { title: 'Dave' } }),
    G5.id,
  );
  await polls(G5);
  const outside = google.addVideo(account, { title: 'Before the restart' });
  await waitFor(() => (announcements(G5).length > 0 ? true : undefined), 'the first announcement');
  const publishAt = new Date(now() + 3600_000).toISOString();
  const scheduled = videoIdOf(
    await upload(G5, DAVE, 'After the restart', [
      { type: 3, name: 'privacy', value: 'private' },
      { type: 3, name: 'publish_at', value: publishAt },
    ]),
  );

  const { storeUrl } = bot;
  await bot.stop();
  const away = google.addVideo(account, { title: 'While the bot was away' });
  bot = await start(storeUrl);
  await waitFor(() => (announcements(G5).length > 1 ? true : undefined), 'the video added while away');
  await polls(G5, 3);
  assert.deepEqual(
    announcements(G5).map((m) => m.embeds[0]?.url),
    [`https://youtu.be/${outside.id}`, `https://youtu.be/${away.id}`],
    'the restarted bot announces what came meanwhile, and nothing again',
  );

  advance(3600_000 + 1000);
  await waitFor(() => (announcements(G5).length > 2 ? true : undefined), 'the scheduled video');
  await polls(G5, 3);
  assert.deepEqual(
    announcements(G5).map((m) => m.embeds[0]?.url),
    [`https://youtu.be/${outside.id}`, `https://youtu.be/${away.id}`, `https://youtu.be/${scheduled}`],
  );
  assert.match(announcements(G5)[2]?.content ?? '', new RegExp(`<@${DAVE.id}>`));
});

test("an announcement whose post failed on Discord's side (5xx after the REST client's own tries) is sent again with the same nonce, and shows once", async () => {
  const account = await serverChannel(G7, 'Flaky Discord');
  await settings(G7, { announceChannelId: G7.announce });
  await polls(G7);
  const posts = () =>
    discord.calls.filter((c) => c.method === 'POST' && c.path === `/channels/${G7.announce}/messages`);
  // Every try of the REST client (one and its three retries) answers 500.
  discord.failNext(
    { method: 'POST', pathPattern: new RegExp(`^/channels/${G7.announce}/messages$`) },
    { status: 500 },
    4,
  );
  const video = google.addVideo(account, { title: 'Through the blip' });
  await waitFor(() => (announcements(G7).length > 0 ? true : undefined), 'the announcement', 20_000);
  await polls(G7, 3);
  assert.deepEqual(
    announcements(G7).map((m) => m.embeds[0]?.url),
    [`https://youtu.be/${video.id}`],
    'announced once',
  );
  const nonces = new Set(posts().map((c) => (c.body as { nonce?: string }).nonce));
  assert.equal(posts().length, 5, 'four failed tries, then the one sent again');
  assert.equal(nonces.size, 1, 'every try carried the same nonce');
  assert.equal((posts()[0]?.body as { enforce_nonce?: boolean }).enforce_nonce, true);
});

/** The stored check of a video (what survives a restart). */
const storedCheck = (g: { id: string }, videoId: string) =>
  bot.app.ctx.store.collection<{ attempts: number }>('announce-pending').get(`${g.id}:${videoId}`);

/** A member linked to G8 whose Google link was then revoked at Google: the bot can no longer ask YouTube. */
async function memberWithDeadGrant(user: FakeUser, title: string): Promise<FakeAccount> {
  const account = google.addAccount({ email: `${user.username}@example.com`, channel: { title } });
  await linkMember(discord, google, user, account, G8.id);
  google.revokeAll(account);
  return account;
}

test("with live streams excluded, a video only the public feed shows (the uploader's grant is unusable) is not guessed to be no live stream", async () => {
  await settings(G8, { announceChannelId: G8.announce, announceLive: false, announceMembers: true });
  const account = await memberWithDeadGrant(ERIN, 'Erin');
  const live = google.addVideo(account, { title: 'Erin on air', live: 'live' });
  await bot.app.ctx.announcer.uploadFinished({
    guildId: G8.id,
    account: ERIN.id,
    memberId: ERIN.id,
    videoId: live.id,
    privacy: 'public',
    publishAt: undefined,
  });
  // The check waits for a grant that tells, and gives up after its attempts: never announced.
  await waitFor(
    () =>
      bot.logs.some((l) => l['msg'] === 'announcement check given up' && l['videoId'] === live.id)
        ? true
        : undefined,
    'the check to give up',
    30_000,
  );
  assert.ok(
    bot.logs.some(
      (l) =>
        l['msg'] === 'announcement check given up' &&
        l['videoId'] === live.id &&
        /live or not is unknown/.test(String(l['why'])),
    ),
    'the log says why',
  );
  assert.equal(announcements(G8).length, 0, 'the live stream is not announced');
});

test('a second report of an upload keeps the attempts its check used: it does not extend the retries', async () => {
  await settings(G8, { announceChannelId: G8.announce, announceMembers: true });
  const account = await memberWithDeadGrant(FRED, 'Fred');
  // Private on YouTube, so not in the feed either: the check tries again and again.
  const video = google.addVideo(account, { title: 'Not visible', privacyStatus: 'private' });
  const report = () =>
    bot.app.ctx.announcer.uploadFinished({
      guildId: G8.id,
      account: FRED.id,
      memberId: FRED.id,
      videoId: video.id,
      privacy: 'public',
      publishAt: undefined,
    });
  await report();
  let used = 0;
  const deadline = Date.now() + 20_000;
  while (used < 3 && Date.now() < deadline) {
    used = (await storedCheck(G8, video.id))?.attempts ?? 0;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await report(); // the after-steps ran again after a restart
  const after = (await storedCheck(G8, video.id))?.attempts;
  assert.ok(
    after !== undefined && after >= used,
    `attempts ${after} after the second report, ${used} before`,
  );
  assert.equal(announcements(G8).length, 0);
});
