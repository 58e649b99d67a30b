// The OAuth service in-process, against the Google fake: what is hard to reach through Discord
// (expired states, refresh persistence, revoked grants, a changed key, a corrupt record).
import { after, before, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { FakeGoogle } from './fakes/google.ts';
import { loadConfig, type Config } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { createStore, type Store } from '../src/store/index.ts';
import { grantRepository } from '../src/store/grants.ts';
import { createOAuth, type OAuthService } from '../src/google/oauth.ts';
import { myChannel, youtubeClient } from '../src/google/youtube.ts';
import { UserError } from '../src/errors.ts';
import { fakeEnv } from './support/bot.ts';

const PUBLIC_URL = 'http://127.0.0.1:9';
let google: FakeGoogle;
let store: Store;
let config: Config;
let oauth: OAuthService;
const logger = createLogger('silent');

const configFor = (key: string): Config =>
  loadConfig(fakeEnv(null, google, { PUBLIC_URL, TOKEN_ENCRYPTION_KEY: key }));

before(async () => {
  google = await FakeGoogle.start({ redirectUris: [`${PUBLIC_URL}/oauth/callback`] });
  store = await createStore(`sqlite://${mkdtempSync(join(tmpdir(), 'tb-oauth-'))}/s.sqlite`, logger);
  config = configFor(randomBytes(32).toString('hex'));
  oauth = createOAuth(config, store, grantRepository(store, config.tokenEncryptionKey), logger);
});

after(async () => {
  await store.close();
  await google.close();
});

/** The browser's cookie: every step after the link page must come from it. */
const BROWSER = randomBytes(32).toString('base64url');
const start = (owner: string) =>
  oauth.start({
    owner,
    requester: {
      userId: '700000000000000099',
      username: owner,
      displayName: owner,
      avatarUrl: undefined,
      guildName: undefined,
    },
  });
const stateOf = (link: string) => link.slice(link.lastIndexOf('/') + 1);

/** Runs the browser part: the link page's Continue → Google consent → the callback's query. */
async function consent(link: string): Promise<URLSearchParams> {
  const confirmed = await oauth.confirm(stateOf(link), BROWSER);
  assert.equal(confirmed.kind, 'continue');
  const authUrl =
    confirmed.kind === 'continue' ? await oauth.authorizationUrl(confirmed.next, BROWSER) : undefined;
  assert.ok(authUrl, 'a live state has an authorization URL');
  const response = await fetch(authUrl, { redirect: 'manual' });
  return new URL(response.headers.get('location') ?? '').searchParams;
}

async function linkAs(owner: string, title: string) {
  const account = google.addAccount({ email: `${owner}@example.com`, channel: { title } });
  google.consent.account = account;
  const outcome = await oauth.complete(await consent(await start(owner)), BROWSER);
  assert.equal(outcome.kind, 'linked');
  return account;
}

test('a state older than 10 minutes is refused', async () => {
  mock.timers.enable({ apis: ['Date'], now: Date.now() });
  try {
    const unopened = await start('expired-user');
    const query = await consent(await start('expired-user'));
    mock.timers.tick(10 * 60 * 1000 + 1);
    assert.equal(await oauth.pending(stateOf(unopened)), undefined);
    assert.equal(await oauth.authorizationUrl(query.get('state') ?? '', BROWSER), undefined);
    assert.deepEqual(await oauth.complete(query, BROWSER), { kind: 'invalid_state' });
  } finally {
    mock.timers.reset();
  }
  assert.equal(await oauth.linked('expired-user'), undefined);
});

test('an expired access token is refreshed and the new one persisted; the refresh token is kept', async () => {
  await linkAs('refresh-user', 'Refresh Channel');
  const grants = grantRepository(store, config.tokenEncryptionKey);
  const before = await grants.get('refresh-user');
  google.expireAccessTokens();
  const channel = await oauth.withClient('refresh-user', (client) =>
    myChannel(youtubeClient(config.youtubeApiUrl, client), config.youtubeApiUrl),
  );
  assert.equal(channel?.title, 'Refresh Channel');
  const after = await grants.get('refresh-user');
  assert.ok(before?.accessToken && after?.accessToken);
  assert.notEqual(after.accessToken, before.accessToken, 'the refreshed access token is stored');
  assert.equal(
    after.refreshToken,
    before.refreshToken,
    'a refresh carries no new refresh token: keep the old',
  );
  assert.ok((after.expiryDate ?? 0) > Date.now());
  // The stored token works without another refresh.
  const refreshes = google.requests.filter((r) => r.path === '/token').length;
  await oauth.withClient('refresh-user', (client) =>
    myChannel(youtubeClient(config.youtubeApiUrl, client), config.youtubeApiUrl),
  );
  assert.equal(google.requests.filter((r) => r.path === '/token').length, refreshes);
});

test('invalid_grant marks the link broken and asks the member to /link again', async () => {
  const account = await linkAs('revoked-user', 'Revoked Channel');
  google.revokeAll(account);
  google.expireAccessTokens();
  const call = () =>
    oauth.withClient('revoked-user', (client) =>
      myChannel(youtubeClient(config.youtubeApiUrl, client), config.youtubeApiUrl),
    );
  await assert.rejects(
    call,
    (e: unknown) => e instanceof UserError && /Google link expired — run \/link/.test(e.message),
  );
  assert.deepEqual(await oauth.linked('revoked-user'), {
    channel: (await oauth.linked('revoked-user'))?.channel,
    broken: true,
    linkedAt: (await oauth.linked('revoked-user'))?.linkedAt,
  });
  const tokenCalls = google.requests.filter((r) => r.path === '/token').length;
  await assert.rejects(call, /run \/link/);
  assert.equal(
    google.requests.filter((r) => r.path === '/token').length,
    tokenCalls,
    'a broken link is not retried',
  );
});

test('a changed key or a corrupt record is a clear error for that member, not a crash', async () => {
  await linkAs('key-user', 'Key Channel');
  const other = configFor(randomBytes(32).toString('hex'));
  const otherOauth = createOAuth(other, store, grantRepository(store, other.tokenEncryptionKey), logger);
  await assert.rejects(
    otherOauth.withClient('key-user', () => Promise.resolve()),
    (e: unknown) => e instanceof UserError && /cannot be read any more/.test(e.message),
  );
  await store.collection('grant').set('corrupt-user', {
    owner: 'corrupt-user',
    channel: { id: 'x', title: 'X' },
    refreshToken: 'garbage',
  });
  await assert.rejects(oauth.requireGrant('corrupt-user'), /cannot be read any more/);
  // A record copied under another member's id does not open as theirs.
  await store.collection('grant').set('thief', await store.collection('grant').get('key-user'));
  await assert.rejects(oauth.requireGrant('thief'), /cannot be read any more/);
  assert.equal((await oauth.requireGrant('key-user')).channel.title, 'Key Channel', 'the owner still works');
});

test('an unlinked member is told to run /link', async () => {
  await assert.rejects(oauth.requireGrant('stranger'), /run \/link first/);
});

test('a link that fails after the code exchange stores nothing and revokes the new grant at Google', async () => {
  google.consent.account = google.addAccount({ email: 'flaky@example.com', channel: { title: 'Flaky' } });
  const query = await consent(await start('flaky-user'));
  const revokes = google.requests.filter((r) => r.path === '/revoke').length;
  google.fail({ method: 'GET', path: /\/youtube\/v3\/channels/ }, { status: 500 }, 10);
  try {
    const outcome = await oauth.complete(query, BROWSER);
    assert.equal(outcome.kind, 'exchange_failed');
  } finally {
    google.clearFaults();
  }
  assert.equal(await oauth.linked('flaky-user'), undefined, 'nothing stored');
  assert.equal(
    google.requests.filter((r) => r.path === '/revoke').length,
    revokes + 1,
    'the new grant was revoked',
  );
});
