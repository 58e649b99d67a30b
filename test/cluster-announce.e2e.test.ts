// Announcements happen once across processes: real bot processes on one PostgreSQL store, against the local fakes.
// - Two processes that start together (a deploy) both run their first announcement round: the server's feed is read
//   once, the new video looked up once, and announced once.
// - The process posting an announcement dies (SIGKILL) while Discord fails its post: the claim it leaves is taken
//   over after its lease by another process, and the video is announced once (not never, not twice).
// - A process died after its post reached Discord, before it recorded it, and the claim is taken over after Discord
//   forgot the post's nonce: the post is found in the channel and recorded, not made a second time.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FakeDiscord, FakeMessage, FakeUser } from './fakes/discord.ts';
import type { FakeAccount, FakeGoogle } from './fakes/google.ts';
import { waitFor } from './fakes/http.ts';
import type { BotProcess } from './support/bot.ts';
import { mp4Bytes, sha256 } from './support/media.ts';
import { startAnnounceCluster, until, type AnnounceCluster } from './support/announce-cluster.ts';
import type { Store } from '../src/store/index.ts';

const GUILD = '800000000000000131';
const GENERAL = '900000000000000131';
const ANNOUNCE = '900000000000000132';
const OWNER: FakeUser = { id: '700000000000000131', username: 'owner' };

let cluster: AnnounceCluster;
let discord: FakeDiscord;
let google: FakeGoogle;
let server: FakeAccount;
/** The shared store, as the test reads and writes it (what a process left behind). */
let store: Store;
let bots: BotProcess[];
const launch = () => cluster.launch();
const ready = (bot: BotProcess) => cluster.ready(bot);
/** The first announcement round of a process is over (it polled, or left the feed to another process). */
const firstRound = (bot: BotProcess) => cluster.firstRound(bot).catch(() => undefined);
const announcements = (videoId: string): FakeMessage[] => cluster.announcements(videoId);

before(async () => {
  cluster = await startAnnounceCluster({
    guildId: GUILD,
    guildName: 'Cluster announcements',
    generalId: GENERAL,
    announceId: ANNOUNCE,
    owner: OWNER,
    email: 'cluster-announce@example.com',
    channelTitle: 'Cluster TV',
  });
  ({ discord, google, server, store, bots } = cluster);
  // One process sets the server up (its channel linked, announcements chosen), and goes.
  await cluster.setUpServer();
});

after(async () => {
  await cluster?.close();
});

test('two processes starting together read the feed once, look the new video up once, and announce it once', async () => {
  // Published after announcements were chosen (the feed tells whole seconds).
  google.advanceClock(2_000);
  const video = google.addVideo(server, { title: 'Fresh from the studio' });
  const feedReads = () =>
    google.requests.filter(
      (r) =>
        r.method === 'GET' && r.path.includes('/feeds/') && r.query.get('channel_id') === server.channel?.id,
    );
  const lookups = () =>
    google.requests.filter(
      (r) =>
        r.method === 'GET' && r.path.endsWith('/youtube/v3/videos') && r.query.get('id')?.includes(video.id),
    );

  // A deploy: two processes start at once, each runs its first round (due checks, then the feeds that are due).
  const [a, b] = [launch(), launch()];
  await Promise.all([ready(a), ready(b)]);
  await waitFor(() => announcements(video.id)[0], 'the announcement', 30_000);
  await Promise.all([firstRound(a), firstRound(b)]);

  assert.equal(announcements(video.id).length, 1, 'announced once');
  assert.equal(feedReads().length, 1, 'the feed is read once for this due time, by one process');
  assert.equal(lookups().length, 1, 'the new video is looked up once (1 unit)');
});

test('the process posting an announcement dies: another takes its claim over after the lease and posts once', async () => {
  const posts = () =>
    discord.calls.filter((c) => c.method === 'POST' && c.path === `/channels/${ANNOUNCE}/messages`);
  const postsBefore = posts().length;
  // Discord fails the post (the REST client's try and its three retries): the poster waits before sending again,
  // and its process is killed meanwhile — the claim says "being posted", nothing was posted.
  discord.failNext(
    { method: 'POST', pathPattern: new RegExp(`^/channels/${ANNOUNCE}/messages$`) },
    { status: 503 },
    4,
  );
  const data = mp4Bytes(64 * 1024, 1301);
  const file = discord.addAttachment({ filename: 'taken_over.mp4', data, channelId: GENERAL });
  const upload = discord.sendCommand({
    name: 'upload',
    user: OWNER,
    guildId: GUILD,
    channelId: GENERAL,
    attachments: [file],
    options: [
      { type: 11, name: 'file', value: file.id },
      { type: 3, name: 'account', value: 'server' },
      { type: 3, name: 'privacy', value: 'public' },
    ],
  });
  await upload.waitForOriginal((m) => /is on YouTube|Upload failed/.test(m.content ?? ''), 60_000);
  const video = [...google.videos.values()].find((v) => v.sha256 === sha256(data));
  assert.ok(video, 'uploaded');
  await waitFor(() => (posts().length - postsBefore >= 4 ? true : undefined), 'the failed post', 30_000);
  const poster = bots.find(
    (bot) =>
      bot.child.exitCode === null &&
      bot.logs().some((e) => e['msg'] === 'announcement check stored' && e['videoId'] === video.id),
  );
  assert.ok(poster, 'the process that follows the upload');
  await poster.stop('SIGKILL');
  assert.equal(announcements(video.id).length, 0, 'nothing was posted before it died');

  // Another process (started now, as after a crash) finds the claim and, once its lease is over, posts.
  await ready(launch());
  await waitFor(() => announcements(video.id)[0], 'the announcement after the take-over', 120_000);
  // Posted by the process that took the claim over; the one that died never got through.
  assert.equal(posts().length - postsBefore, 5, 'four failed tries before the kill, then one post');
  assert.equal(announcements(video.id).length, 1, 'announced once');
});

test('a post that reached Discord before its process died is found in the channel when the claim is taken over, not posted again', async () => {
  const video = google.addVideo(server, { title: 'Posted just before the crash' });
  const key = `${GUILD}:${video.id}`;
  const url = `https://youtu.be/${video.id}`;
  // What a process leaves when it dies right after Discord created its post, long enough ago that Discord forgot
  // the nonce: the message in the channel, the claim still "being posted" (its lease over), the check stored.
  const died = Date.now() - 10 * 60_000;
  const posted = await fetch(`${discord.apiUrl}/v10/channels/${ANNOUNCE}/messages`, {
    method: 'POST',
    headers: { authorization: `Bot ${discord.botToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ content: 'New video', embeds: [{ title: video.snippet.title, url }] }),
  });
  assert.equal(posted.status, 200);
  const earlier = ((await posted.json()) as { id: string }).id;
  await store
    .collection('announce-claim')
    .set(key, { at: died, outcome: 'announcing', holder: 'gone', until: died + 20_000 });
  await store.collection('announce-pending').set(key, {
    guildId: GUILD,
    videoId: video.id,
    account: `guild:${GUILD}`,
    memberId: undefined,
    dueAt: Date.now(),
    attempts: 0,
    shortsChecks: 0,
    createdAt: died,
  });
  await store.collection<string[]>('announce-pending-index').update('all', (ids) => [...(ids ?? []), key]);
  const postsBefore = discord.calls.filter(
    (c) => c.method === 'POST' && c.path === `/channels/${ANNOUNCE}/messages`,
  ).length;

  // A process that starts now runs the due check, finds the claim's lease over, and takes it.
  await ready(launch());
  const claim = await until(
    async () => {
      const current = await store
        .collection<{ outcome: string; messageId?: string }>('announce-claim')
        .get(key);
      return current?.outcome === 'announcing' ? undefined : current;
    },
    'the claim to be settled',
    90_000,
  );
  assert.equal(claim.outcome, 'announced');
  assert.equal(claim.messageId, earlier, 'recorded as the message found in the channel');
  assert.deepEqual(
    announcements(video.id).map((m) => m.id),
    [earlier],
    'not posted a second time',
  );
  assert.equal(
    discord.calls.filter((c) => c.method === 'POST' && c.path === `/channels/${ANNOUNCE}/messages`).length,
    postsBefore,
    'no post was even tried',
  );
});

test('a scheduled video’s check falls due while two processes run: one of them runs it, once — one lookup, one announcement', async () => {
  // What an upload with publish_at leaves in the store: a check due at publishAt. Two processes start before it
  // is due; each arms a timer for it at its first round, so both wake at the same instant.
  for (const bot of bots) if (bot.child.exitCode === null) await bot.stop('SIGKILL');
  const video = google.addVideo(server, { title: 'Premiere at noon' });
  const key = `${GUILD}:${video.id}`;
  const dueAt = Date.now() + 30_000;
  await store.collection('announce-pending').set(key, {
    guildId: GUILD,
    videoId: video.id,
    account: `guild:${GUILD}`,
    memberId: undefined,
    dueAt,
    attempts: 0,
    shortsChecks: 0,
    createdAt: Date.now(),
  });
  await store.collection<string[]>('announce-pending-index').update('all', (ids) => [...(ids ?? []), key]);
  const lookups = () =>
    google.requests.filter(
      (r) =>
        r.method === 'GET' && r.path.endsWith('/youtube/v3/videos') && r.query.get('id')?.includes(video.id),
    );

  const [a, b] = [launch(), launch()];
  await Promise.all([ready(a), ready(b)]);
  await Promise.all([firstRound(a), firstRound(b)]);
  // On a machine slow enough that both started after the due time, "not before" cannot be seen.
  const early = Date.now() < dueAt ? lookups().length : 0;
  await waitFor(() => announcements(video.id)[0], 'the announcement at the due time', 60_000);
  // Both timers have fired well before this (they wake at dueAt); a second run would show by now.
  await waitFor(
    () => (Date.now() > dueAt + 5_000 ? true : undefined),
    'five seconds past the due time',
    60_000,
  );
  assert.equal(early, 0, 'nothing was looked up before the check was due');
  assert.equal(lookups().length, 1, 'looked up once (1 unit), by one process');
  assert.equal(announcements(video.id).length, 1, 'announced once');
  assert.equal(await store.collection('announce-pending').get(key), undefined, 'the check is done');
});
