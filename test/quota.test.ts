// The shared daily quota: what each call costs, the Pacific day, and an early, kind refusal that
// sends nothing to Google.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { FakeGoogle } from './fakes/google.ts';
import { costOf, createQuota, pacificDay, timeToReset } from '../src/google/quota.ts';
import { createStore, type Store } from '../src/store/index.ts';
import { createLogger } from '../src/logger.ts';
import { loadConfig } from '../src/config.ts';
import { grantRepository } from '../src/store/grants.ts';
import { createOAuth } from '../src/google/oauth.ts';
import { myChannel, youtubeClient } from '../src/google/youtube.ts';
import { UserError } from '../src/errors.ts';
import { fakeEnv } from './support/bot.ts';
import { serverOwner } from '../src/store/settings.ts';
import { startPostgres, type PostgresServer } from './support/postgres.ts';
import { twoProcesses } from './support/store-race.ts';

const ROOT = 'https://www.googleapis.com/';
let store: Store;
let google: FakeGoogle;
const logger = createLogger('silent');

before(async () => {
  store = await createStore(`sqlite://${mkdtempSync(join(tmpdir(), 'tb-quota-'))}/q.sqlite`, logger);
  google = await FakeGoogle.start({ redirectUris: ['http://127.0.0.1:9/oauth/callback'] });
});

after(async () => {
  await store.close();
  await google.close();
});

test('costs follow the current quota table', () => {
  assert.deepEqual(costOf('GET', `${ROOT}youtube/v3/playlists?mine=true`), { units: 1, inserts: 0 });
  assert.deepEqual(costOf('GET', `${ROOT}youtube/v3/videos/getRating?id=x`), { units: 1, inserts: 0 });
  for (const [method, path] of [
    ['PUT', 'youtube/v3/videos'],
    ['DELETE', 'youtube/v3/videos'],
    ['POST', 'youtube/v3/videos/rate'],
    ['POST', 'youtube/v3/playlists'],
    ['PUT', 'youtube/v3/playlistItems'],
    ['DELETE', 'youtube/v3/playlistItems'],
    ['POST', 'upload/youtube/v3/thumbnails/set'],
  ] as const) {
    assert.deepEqual(
      costOf(method, `${ROOT}${path}?part=snippet`),
      { units: 50, inserts: 0 },
      `${method} ${path}`,
    );
  }
  assert.deepEqual(costOf('POST', `${ROOT}upload/youtube/v3/videos?uploadType=resumable`), {
    units: 0,
    inserts: 1,
  });
});

test('the day is the Pacific day, when Google resets the quota', () => {
  assert.equal(pacificDay(new Date('2026-11-22T07:59:00Z')), '2026-11-21');
  assert.equal(pacificDay(new Date('2026-11-22T08:00:00Z')), '2026-11-22');
  assert.equal(pacificDay(new Date('2026-07-01T06:59:00Z')), '2026-06-30', 'daylight saving time');
});

test('a call that would go over is refused before it is sent, and the count starts again the next day', async () => {
  let now = new Date('2026-11-22T20:00:00Z');
  const quota = createQuota(store, { units: 60, inserts: 1 }, () => now);
  await quota.charge({ units: 50, inserts: 0 });
  await assert.rejects(
    quota.charge({ units: 50, inserts: 0 }),
    (e: unknown) =>
      e instanceof UserError &&
      /needs 50 of the 10 units left.*midnight Pacific time, in about 12 h/.test(e.message),
  );
  await quota.charge({ units: 0, inserts: 1 });
  await assert.rejects(quota.charge({ units: 0, inserts: 1 }), /all 1 YouTube uploads it may make today/);
  assert.deepEqual(await quota.usage(), {
    day: '2026-11-22',
    units: 50,
    inserts: 1,
    limits: { units: 60, inserts: 1 },
  });
  now = new Date('2026-11-23T09:00:00Z');
  await quota.charge({ units: 50, inserts: 1 });
  assert.equal((await quota.usage()).units, 50);
});

test('every request of the YouTube client is counted; past the limit nothing reaches Google', async () => {
  const config = loadConfig(
    fakeEnv(null, google, {
      PUBLIC_URL: 'http://127.0.0.1:9',
      TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    }),
  );
  const quota = createQuota(store, { units: 2, inserts: 1 }, () => new Date('2030-01-01T12:00:00Z'));
  const grants = grantRepository(store, config.tokenEncryptionKey);
  const oauth = createOAuth(config, store, grants, logger, quota);
  const account = google.addAccount({ email: 'q@example.com', channel: { title: 'Quota Channel' } });
  const tokens = google.mintTokens(account, ['youtube']);
  await grants.save({
    owner: 'q',
    channel: { id: account.channel?.id ?? '', title: 'Quota Channel', thumbnailUrl: undefined },
    scopes: [tokens.scope],
    refreshToken: tokens.refresh_token,
    accessToken: tokens.access_token,
    expiryDate: tokens.expiry_date,
  });
  const list = () =>
    oauth.withClient('q', (client) =>
      myChannel(youtubeClient(config.youtubeApiUrl, client), config.youtubeApiUrl),
    );
  await list();
  await list();
  const sent = google.requests.length;
  await assert.rejects(
    list,
    (e: unknown) => e instanceof UserError && /today's YouTube quota/.test(e.message),
  );
  assert.equal(google.requests.length, sent, 'nothing was sent');
  assert.equal((await quota.usage()).units, 2);
});

const CAPS = { units: 10_000, inserts: 100, uploadsPerMember: 10, uploadsPerServer: 25 };
let jobs = 0;
const memberJob = (owner: string) => ({
  id: `job-${++jobs}`,
  owner,
  account: owner,
  review: undefined,
  guildId: 'g1',
});

test('the time to the reset is exact, daylight saving time included', () => {
  assert.equal(timeToReset(new Date('2026-11-22T18:48:00Z')), '13 h 12 min'); // 10:48 PST
  assert.equal(timeToReset(new Date('2026-11-23T07:59:30Z')), '1 min');
  assert.equal(timeToReset(new Date('2026-07-01T06:00:00Z')), '1 h 0 min'); // 23:00 PDT
  // 8 March 2026: clocks go forward at 02:00, so that Pacific day is 23 hours long.
  assert.equal(timeToReset(new Date('2026-03-08T08:30:00Z')), '22 h 30 min');
});

test("a member's 11th upload of the Pacific day is refused with the reset time; refusals cost nothing; the next day starts again", async () => {
  let now = new Date('2026-11-22T18:48:00Z');
  const quota = createQuota(store, CAPS, () => now);
  const inserts = (await quota.usage()).inserts;
  for (let i = 0; i < 10; i++) await quota.admitUpload(memberJob('m11'));
  const refusal =
    'You have started 10 uploads today, the most a member may; the count resets at midnight Pacific time (in 13 h 12 min).';
  await assert.rejects(
    quota.admitUpload(memberJob('m11')),
    (e: unknown) => e instanceof UserError && e.message === refusal,
  );
  await assert.rejects(
    quota.admitUpload(memberJob('m11')),
    { message: refusal },
    'still 10: the refusal was not counted',
  );
  await quota.admitUpload(memberJob('someone-else'));
  assert.equal(
    (await quota.usage()).inserts,
    inserts,
    "admitting is not YouTube's charge: that comes with the session",
  );

  now = new Date('2026-11-23T07:59:00Z'); // 23:59 Pacific, same day
  await assert.rejects(quota.admitUpload(memberJob('m11')), /resets at midnight Pacific time \(in 1 min\)/);
  now = new Date('2026-11-23T08:00:00Z'); // midnight Pacific: a new day
  for (let i = 0; i < 10; i++) await quota.admitUpload(memberJob('m11'));
  await assert.rejects(quota.admitUpload(memberJob('m11')), /started 10 uploads today/);
});

test("a moderator's uploads to the server channel count against the server (25), a member's review upload against the member", async () => {
  const now = new Date('2026-11-24T20:00:00Z');
  const quota = createQuota(store, CAPS, () => now);
  const byModerator = () => ({
    id: `job-${++jobs}`,
    owner: 'mod',
    account: serverOwner('g2'),
    review: undefined,
    guildId: 'g2',
  });
  for (let i = 0; i < 25; i++) await quota.admitUpload(byModerator());
  await assert.rejects(
    quota.admitUpload(byModerator()),
    (e: unknown) =>
      e instanceof UserError &&
      e.message ===
        "This server's moderators have started 25 uploads to its channel today, the most a server may; the count resets at midnight Pacific time (in 12 h 0 min).",
  );
  // The moderator's own channel is the moderator's own count, untouched by the server's.
  for (let i = 0; i < 10; i++) await quota.admitUpload(memberJob('mod'));
  await assert.rejects(
    quota.admitUpload(memberJob('mod')),
    /started 10 uploads today, the most a member may/,
  );

  const review = () => ({
    id: `job-${++jobs}`,
    owner: 'member',
    account: serverOwner('g2'),
    review: { requestedPrivacy: 'public' as const, publishAt: undefined, playlistId: undefined },
    guildId: 'g2',
  });
  for (let i = 0; i < 10; i++) await quota.admitUpload(review());
  await assert.rejects(quota.admitUpload(memberJob('member')), /started 10 uploads today/);
});

test('UPLOAD_DAILY_PER_MEMBER and UPLOAD_DAILY_PER_SERVER default to 10 and 25, and must be whole numbers', () => {
  const env = fakeEnv(null, google, { TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('hex') });
  const { quota } = loadConfig(env);
  assert.equal(quota.uploadsPerMember, 10);
  assert.equal(quota.uploadsPerServer, 25);
  const set = loadConfig({ ...env, UPLOAD_DAILY_PER_MEMBER: '3', UPLOAD_DAILY_PER_SERVER: '40' }).quota;
  assert.deepEqual([set.uploadsPerMember, set.uploadsPerServer], [3, 40]);
  assert.throws(
    () => loadConfig({ ...env, UPLOAD_DAILY_PER_MEMBER: 'ten', UPLOAD_DAILY_PER_SERVER: '0' }),
    (e: unknown) =>
      e instanceof Error &&
      /UPLOAD_DAILY_PER_MEMBER must be a whole number/.test(e.message) &&
      /UPLOAD_DAILY_PER_SERVER must be a whole number/.test(e.message),
  );
});

test('an upload given back frees its place once: counted once however often it is admitted, given back at most once, never below zero', async () => {
  const now = new Date('2026-11-25T20:00:00Z');
  const quota = createQuota(store, CAPS, () => now);
  const jobs = Array.from({ length: 10 }, () => memberJob('giver'));
  for (const job of jobs) await quota.admitUpload(job);
  await quota.admitUpload(jobs[0] ?? memberJob('giver')); // the same upload again: still 10
  await assert.rejects(quota.admitUpload(memberJob('giver')), /started 10 uploads today/);

  const back = jobs[3] ?? memberJob('giver');
  await quota.releaseUpload(back);
  await quota.releaseUpload(back); // twice: one place, not two
  await quota.releaseUpload(memberJob('giver')); // never counted: nothing to give back
  await quota.admitUpload(memberJob('giver'));
  await assert.rejects(quota.admitUpload(memberJob('giver')), /started 10 uploads today/);

  // Everything given back, and more: the count stops at zero.
  for (const job of jobs) await quota.releaseUpload(job);
  for (let i = 0; i < 9; i++) await quota.admitUpload(memberJob('giver'));
  await assert.rejects(quota.admitUpload(memberJob('giver')), /started 10 uploads today/);
});

// ---- exact across processes: every count is one atomic update of the shared store ----

describe('on one PostgreSQL shared by two processes', () => {
  let postgres: PostgresServer;
  before(async () => {
    postgres = await startPostgres();
  });
  after(() => postgres.stop());

  test('N parallel calls from two processes count exactly N', async () => {
    const url = await postgres.createDatabase();
    const results = await twoProcesses(url, 'charge', 'unused', 30);
    assert.deepEqual(
      results,
      Array.from({ length: 60 }, () => 'ok'),
    );
    const shared = await createStore(url, logger);
    try {
      assert.equal(
        (await createQuota(shared, { units: 10_000, inserts: 100 }).usage()).units,
        60,
        'no call lost',
      );
    } finally {
      await shared.close();
    }
  });

  test('the daily quota lets exactly as many calls in as it has units, not one more', async () => {
    const url = await postgres.createDatabase();
    const results = await twoProcesses(url, 'charge', 'unused', 20, { YOUTUBE_QUOTA_UNITS: '25' });
    assert.equal(results.filter((r) => r === 'ok').length, 25);
    assert.equal(results.filter((r) => r === 'refused').length, 15);
    const shared = await createStore(url, logger);
    try {
      assert.equal((await createQuota(shared, { units: 25, inserts: 100 }).usage()).units, 25);
    } finally {
      await shared.close();
    }
  });

  test("a member's daily cap admits exactly the cap from two processes at once, never one more", async () => {
    const url = await postgres.createDatabase();
    const member = '700000000000000555';
    const results = await twoProcesses(url, 'admit', member, 10, { UPLOAD_DAILY_PER_MEMBER: '7' });
    assert.equal(results.filter((r) => r === 'ok').length, 7);
    assert.equal(results.filter((r) => r === 'refused').length, 13);
    const shared = await createStore(url, logger);
    try {
      const counted = await shared
        .collection<string[]>('upload-share')
        .get(`${pacificDay()}:member:${member}`);
      assert.equal(counted?.length, 7, 'the share lists the seven admitted uploads');
      const notes = await Promise.all(
        (counted ?? []).map((id) => shared.collection('upload-admission').get(id)),
      );
      assert.ok(
        notes.every((n) => n !== undefined),
        'each admitted upload can be given back',
      );
    } finally {
      await shared.close();
    }
  });
});
