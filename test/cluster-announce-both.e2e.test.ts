// A bot upload seen both ways at once, in two processes: real bot processes on one PostgreSQL store, against the
// local fakes. Process A runs a public /upload to the server's channel; YouTube has the video (the feed shows it)
// while A has not heard back yet, and process B's feed poll falls due then. B sees the video in the feed, looks it
// up and claims it; A hears back, stores its check, looks the video up and claims it too. Both claims are made
// while a third writer holds the claim's row (an uncommitted insert, as a process in the middle of its own claim),
// so both reach PostgreSQL at the same moment when it lets go: the store's one atomic insert decides, and the video
// is announced once — one message, one post sent to Discord.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import type { FakeDiscord, FakeMessage, FakeUser } from './fakes/discord.ts';
import type { FakeGoogle } from './fakes/google.ts';
import { waitFor } from './fakes/http.ts';
import type { BotProcess } from './support/bot.ts';
import { mp4Bytes, sha256 } from './support/media.ts';
import { startAnnounceCluster, until, type AnnounceCluster } from './support/announce-cluster.ts';
import type { Store } from '../src/store/index.ts';

const GUILD = '800000000000000141';
const GENERAL = '900000000000000141';
const ANNOUNCE = '900000000000000142';
const OWNER: FakeUser = { id: '700000000000000141', username: 'owner' };

let cluster: AnnounceCluster;
let discord: FakeDiscord;
let google: FakeGoogle;
let storeUrl: string;
/** The shared store, as the test reads and writes it. */
let store: Store;
const launch = () => cluster.launch();
const ready = (bot: BotProcess) => cluster.ready(bot);
const firstRound = (bot: BotProcess) => cluster.firstRound(bot);
const announcements = (videoId: string): FakeMessage[] => cluster.announcements(videoId);

before(async () => {
  cluster = await startAnnounceCluster({
    guildId: GUILD,
    guildName: 'Both ways',
    generalId: GENERAL,
    announceId: ANNOUNCE,
    owner: OWNER,
    email: 'both-ways@example.com',
    channelTitle: 'Both Ways TV',
  });
  ({ discord, google, storeUrl, store } = cluster);
});

after(async () => {
  await cluster?.close();
});

/** The announcers' videos.list lookups of a video (the upload's processing follow-up asks for processingDetails). */
const lookups = (videoId: string) =>
  google.requests.filter(
    (r) =>
      r.method === 'GET' &&
      r.path.endsWith('/youtube/v3/videos') &&
      r.query.get('id')?.includes(videoId) &&
      !r.query.getAll('part').includes('processingDetails'),
  );

test('a bot upload in one process, seen at the same moment by the other process’s feed poll, is announced once', async () => {
  // The server's channel linked and announcements chosen (by a process that then goes).
  await cluster.setUpServer();
  // Process A: its first round takes a first look at the server channel's feed.
  const a = launch();
  await ready(a);
  await a.waitForLog(
    (e) => e['msg'] === 'announcements: watching the server channel',
    'the first look at the feed',
    30_000,
  );

  // A third writer holds the claim's row: every claim of the video waits for it in PostgreSQL (the first directly,
  // the next behind the first), and nothing else of the store does.
  const holder = new pg.Client({ connectionString: storeUrl });
  await holder.connect();
  // Asked outside the holder's transaction: inside one, PostgreSQL keeps the first look at pg_stat_activity.
  const watcher = new pg.Client({ connectionString: storeUrl });
  await watcher.connect();
  const waiting = async () =>
    Number(
      (
        await watcher.query<{ n: string }>(
          'SELECT count(*) AS n FROM pg_stat_activity WHERE cardinality(pg_blocking_pids(pid)) > 0',
        )
      ).rows[0]?.n,
    );
  try {
    // The upload, in A (the only process): YouTube takes the bytes and makes the video, its answer is held back.
    let answer!: () => void;
    google.fail(
      { method: 'PUT', path: /^\/upload\/youtube\/v3\/videos/ },
      { holdAnswerUntil: new Promise<void>((resolve) => (answer = resolve)) },
    );
    const data = mp4Bytes(64 * 1024, 1401);
    const file = discord.addAttachment({ filename: 'both_ways.mp4', data, channelId: GENERAL });
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
    const video = await waitFor(
      () => [...google.videos.values()].find((v) => v.sha256 === sha256(data)),
      'the video on YouTube',
      60_000,
    );
    // Processed while the answer is on its way (a tiny video): the channel's feed shows it.
    google.setProcessing(video.id, { pollsBeforeDone: -1 });
    const key = `${GUILD}:${video.id}`;
    await holder.query('BEGIN');
    await holder.query(
      `INSERT INTO records (collection, id, value, version, expires_at)
       VALUES ('announce-claim', $1, '{}', nextval('record_version'), NULL)`,
      [key],
    );

    // Process B starts with the feed poll due: its first round reads the feed, which shows the video (A does not know
    // its id yet, so the store names no upload of it as being followed), looks it up and claims it.
    await store.collection('announce-round').delete(GUILD);
    const b = launch();
    await ready(b);
    await until(async () => ((await waiting()) >= 1 ? true : undefined), 'the feed’s claim in B', 30_000);
    assert.equal(await waiting(), 1, 'only the feed’s claim waits yet');
    assert.equal(lookups(video.id).length, 1, 'B looked the video up');

    // A hears back: its upload ends, its check looks the video up and claims it too.
    answer();
    const done = await upload.waitForOriginal(
      (m) => /is on YouTube|Upload failed/.test(m.content ?? ''),
      60_000,
    );
    assert.match(done.content ?? '', /is on YouTube/);
    await until(async () => ((await waiting()) >= 2 ? true : undefined), 'the upload’s claim in A', 30_000);
    assert.equal(lookups(video.id).length, 2, 'A looked the video up too');
    assert.equal(announcements(video.id).length, 0, 'nothing posted while both wait');

    // The row is let go: both claims reach PostgreSQL at the same moment.
    await holder.query('ROLLBACK');
    await waitFor(() => announcements(video.id)[0], 'the announcement', 30_000);
    // Both ways are over: A's check is done, B's round (its feed poll) is over.
    await until(
      async () => ((await store.collection('announce-pending').get(key)) === undefined ? true : undefined),
      'the upload’s check to be done',
      30_000,
    );
    await firstRound(b);

    assert.equal(announcements(video.id).length, 1, 'one announcement in the channel');
    // Both ways post with the same nonce, so a second post would show no second message while Discord remembers it:
    // the posts that reached Discord tell whether the claim let one way through, or both.
    assert.equal(
      discord.calls.filter((c) => c.method === 'POST' && c.path === `/channels/${ANNOUNCE}/messages`).length,
      1,
      'no second post was even tried',
    );
    const claim = await store.collection<{ outcome: string; messageId?: string }>('announce-claim').get(key);
    assert.equal(claim?.outcome, 'announced');
    assert.equal(claim.messageId, announcements(video.id)[0]?.id, 'the message recorded on the claim');
    // Each process did its part, as its log says (log lines name the process).
    assert.ok(
      a.logs().some((e) => e['msg'] === 'announcement check stored' && e['videoId'] === video.id),
      'the upload’s check was stored by A',
    );
    const announced = [a, b].flatMap((bot) =>
      bot.logs().filter((e) => e['msg'] === 'video announced' && e['videoId'] === video.id),
    );
    assert.equal(announced.length, 1, 'announced by one process, one way');
    const winner = announced[0] ?? {};
    assert.ok(
      (winner['pid'] === a.child.pid && winner['via'] === 'upload') ||
        (winner['pid'] === b.child.pid && winner['via'] === 'feed'),
      `the upload's check in A or the feed's poll in B: ${JSON.stringify(winner)}`,
    );
  } finally {
    await holder.end().catch(() => undefined);
    await watcher.end().catch(() => undefined);
  }
});
