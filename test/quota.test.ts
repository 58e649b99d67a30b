// The shared daily quota: what each call costs, the Pacific day, and an early, kind refusal that
// sends nothing to Google.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { FakeGoogle } from './fakes/google.ts';
import { costOf, createQuota, pacificDay } from '../src/google/quota.ts';
import { createStore, type Store } from '../src/store/index.ts';
import { createLogger } from '../src/logger.ts';
import { loadConfig } from '../src/config.ts';
import { grantRepository } from '../src/store/grants.ts';
import { createOAuth } from '../src/google/oauth.ts';
import { myChannel, youtubeClient } from '../src/google/youtube.ts';
import { UserError } from '../src/errors.ts';
import { fakeEnv } from './support/bot.ts';

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
