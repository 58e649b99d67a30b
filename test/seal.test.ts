import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { Keyring, keyId, seal, SealError, unseal } from '../src/store/seal.ts';

const secret = randomBytes(32);
const key = new Keyring(secret);

/** A record as the bot sealed it before key ids existed: `v1.<nonce>.<ciphertext>.<tag>`. */
function sealV1(k: Buffer, owner: string, plaintext: string): string {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', k, nonce);
  cipher.setAAD(Buffer.from(owner, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', ...[nonce, body, cipher.getAuthTag()].map((b) => b.toString('base64url'))].join('.');
}

test('a sealed value opens only with the same key and owner', () => {
  const sealed = seal(key, 'user-1', '1//refresh-token');
  assert.doesNotMatch(sealed, /refresh/);
  assert.equal(unseal(key, 'user-1', sealed), '1//refresh-token');
  assert.notEqual(seal(key, 'user-1', '1//refresh-token'), sealed, 'a fresh nonce each time');
  assert.throws(() => unseal(key, 'user-2', sealed), SealError, 'swapped to another user');
  assert.throws(() => unseal(new Keyring(randomBytes(32)), 'user-1', sealed), SealError, 'wrong key');
  const [v, kid, n, body, tag] = sealed.split('.');
  const flipped = Buffer.from(body ?? '', 'base64url');
  flipped[0] = (flipped[0] ?? 0) ^ 1;
  assert.throws(
    () => unseal(key, 'user-1', [v, kid, n, flipped.toString('base64url'), tag].join('.')),
    SealError,
    'tampered',
  );
  assert.throws(() => unseal(key, 'user-1', 'garbage'), SealError, 'corrupt');
});

test('each sealed record names its key by an id derived from the key, never the key', () => {
  const sealed = seal(key, 'user-1', 'token');
  const [version, kid] = sealed.split('.');
  assert.equal(version, 'v2');
  assert.equal(kid, createHash('sha256').update(secret).digest('hex').slice(0, 8));
  assert.equal(kid, keyId(secret));
  assert.equal(key.currentId, kid);
  assert.ok(!sealed.includes(secret.toString('hex')) && !sealed.includes(secret.toString('base64url')));
  // The keyring shows its ids when logged or serialised, never the secret.
  for (const shown of [inspect(key, { showHidden: true, depth: 5 }), JSON.stringify(key)]) {
    assert.ok(!shown.includes(secret.toString('hex')), shown);
    assert.ok(!shown.includes(secret.toString('base64')), shown);
    assert.ok(!shown.includes(`${secret[0]}, ${secret[1]}, ${secret[2]}`), shown);
  }
});

test('after a rotation the previous key still opens its records, which are reported stale', () => {
  const old = randomBytes(32);
  const before = seal(new Keyring(old), 'user-1', 'token');
  const rotated = new Keyring(randomBytes(32), old);
  assert.equal(rotated.previousId, keyId(old));
  assert.deepEqual(rotated.open('user-1', before), { plaintext: 'token', stale: true });
  const after = seal(rotated, 'user-1', 'token');
  assert.equal(after.split('.')[1], rotated.currentId, 'new records are sealed under the current key');
  assert.deepEqual(rotated.open('user-1', after), { plaintext: 'token', stale: false });
  assert.throws(() => unseal(rotated, 'user-2', before), SealError, 'the owner still binds');

  // Without the previous key the record is unreadable, and the error names the missing key id.
  const forgotten = new Keyring(randomBytes(32));
  assert.throws(
    () => unseal(forgotten, 'user-1', before),
    (e: unknown) => e instanceof SealError && e.message.includes(keyId(old)),
  );
});

test('records from before key ids open with the current or the previous key and are stale', () => {
  const old = randomBytes(32);
  const legacy = sealV1(old, 'user-1', 'token');
  assert.deepEqual(new Keyring(old).open('user-1', legacy), { plaintext: 'token', stale: true });
  assert.deepEqual(new Keyring(randomBytes(32), old).open('user-1', legacy), {
    plaintext: 'token',
    stale: true,
  });
  assert.throws(() => unseal(new Keyring(randomBytes(32)), 'user-1', legacy), SealError);
  assert.throws(() => unseal(new Keyring(old), 'user-2', legacy), SealError);
});
