// Rotating TOKEN_ENCRYPTION_KEY: the bot restarted with a new key and the old one in
// TOKEN_ENCRYPTION_KEY_PREVIOUS still serves members linked under the old key, and re-seals their
// stored tokens under the new key the first time it reads them; without the previous key, such a
// link is unreadable and the member is told to /link again.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { FakeDiscord, type FakeUser } from './fakes/discord.ts';
import { FakeGoogle } from './fakes/google.ts';
import { freePort } from './support/bot.ts';
import { startTestApp, type TestApp } from './support/app.ts';
import { linkMember } from './support/link.ts';
import { createStore } from '../src/store/index.ts';
import { createLogger } from '../src/logger.ts';
import { Keyring, keyId, unseal } from '../src/store/seal.ts';

const GUILD = '800000000000000091';
const ALICE: FakeUser = { id: '700000000000000091', username: 'alice' };
const BOB: FakeUser = { id: '700000000000000092', username: 'bob' };
const OLD = randomBytes(32);
const NEW = randomBytes(32);

let discord: FakeDiscord;
let google: FakeGoogle;
let port: number;
const storeUrl = `sqlite://${mkdtempSync(join(tmpdir(), 'tb-keys-'))}/store.sqlite`;
let bot: TestApp | undefined;

interface RawGrant {
  owner: string;
  refreshToken: string;
  accessToken: string | undefined;
}

/** The grant record exactly as stored: sealed strings, read straight from the database. */
async function rawGrant(owner: string): Promise<RawGrant | undefined> {
  const store = await createStore(storeUrl, createLogger('silent'));
  try {
    return await store.collection<RawGrant>('grant').get(owner);
  } finally {
    await store.close();
  }
}

const kidOf = (sealed: string | undefined) => sealed?.split('.')[1];

async function startBot(key: Buffer, previous?: Buffer): Promise<TestApp> {
  await bot?.stop();
  bot = await startTestApp(discord, google, {
    storeUrl,
    key: key.toString('hex'),
    env: {
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      HTTP_PORT: String(port),
      ...(previous ? { TOKEN_ENCRYPTION_KEY_PREVIOUS: previous.toString('hex') } : {}),
    },
  });
  return bot;
}

/** Runs /favorites (it needs the member's Google link) and answers the private reply's text. */
async function favorites(user: FakeUser): Promise<string> {
  const interaction = discord.sendCommand({ name: 'favorites', user, guildId: GUILD });
  const reply = await interaction.waitForOriginal((m) => (m.content ?? '') !== '' || m.embeds.length > 0);
  return [reply.content ?? '', ...reply.embeds.map((e) => JSON.stringify(e))].join('\n');
}

before(async () => {
  discord = await FakeDiscord.start({ guilds: [{ id: GUILD, name: 'Keys', ownerId: '700000000000000090' }] });
  port = await freePort();
  google = await FakeGoogle.start({ redirectUris: [`http://127.0.0.1:${port}/oauth/callback`] });
  const app = await startBot(OLD);
  await linkMember(discord, google, ALICE, google.addAccount({ email: 'a@example.com' }), GUILD);
  await linkMember(discord, google, BOB, google.addAccount({ email: 'b@example.com' }), GUILD);
  void app;
});

after(async () => {
  await bot?.stop();
  await discord.close();
  await google.close();
});

test('stored tokens name the key that sealed them', async () => {
  const alice = await rawGrant(ALICE.id);
  assert.ok(alice);
  assert.match(alice.refreshToken, /^v2\.[0-9a-f]{8}\./);
  assert.equal(kidOf(alice.refreshToken), keyId(OLD));
});

test('after a rotation the previous key keeps a member working, and the grant is re-sealed under the new key', async () => {
  await startBot(NEW, OLD);
  const text = await favorites(ALICE);
  assert.doesNotMatch(text, /\/link/, text);

  const alice = await rawGrant(ALICE.id);
  assert.ok(alice);
  assert.equal(kidOf(alice.refreshToken), keyId(NEW), 'the refresh token is re-sealed under the new key');
  if (alice.accessToken !== undefined) assert.equal(kidOf(alice.accessToken), keyId(NEW));
  // The new key alone opens it now: the previous key is no longer needed for this member.
  assert.match(unseal(new Keyring(NEW), ALICE.id, alice.refreshToken), /./);
  assert.equal(
    kidOf((await rawGrant(BOB.id))?.refreshToken),
    keyId(OLD),
    'grants not read stay as they were',
  );
});

test('without the previous key, a grant sealed under it is unreadable and the member is told to /link again', async () => {
  const app = await startBot(NEW);
  assert.match(await favorites(BOB), /cannot be read any more.*run \/link/);
  const logged = app.logs.find((e) => /stored grant cannot be opened/.test(String(e['msg'])));
  assert.ok(logged, 'the unreadable grant is logged');
  assert.match(
    String(logged['reason']),
    new RegExp(`sealed with key ${keyId(OLD)}`),
    'naming the missing key id',
  );
  const text = JSON.stringify(app.logs);
  for (const secret of [OLD, NEW]) {
    assert.ok(
      !text.includes(secret.toString('hex')) && !text.includes(secret.toString('base64')),
      'no key is logged',
    );
  }
  assert.doesNotMatch(await favorites(ALICE), /\/link/, 're-sealed grants work with the new key alone');
});
