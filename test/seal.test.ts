import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { seal, SealError, unseal } from '../src/store/seal.ts';

const key = randomBytes(32);

test('a sealed value opens only with the same key and owner', () => {
  const sealed = seal(key, 'user-1', '1//refresh-token');
  assert.doesNotMatch(sealed, /refresh/);
  assert.equal(unseal(key, 'user-1', sealed), '1//refresh-token');
  assert.notEqual(seal(key, 'user-1', '1//refresh-token'), sealed, 'a fresh nonce each time');
  assert.throws(() => unseal(key, 'user-2', sealed), SealError, 'swapped to another user');
  assert.throws(() => unseal(randomBytes(32), 'user-1', sealed), SealError, 'wrong key');
  const [v, n, body, tag] = sealed.split('.');
  const flipped = Buffer.from(body ?? '', 'base64url');
  flipped[0] = (flipped[0] ?? 0) ^ 1;
  assert.throws(
    () => unseal(key, 'user-1', [v, n, flipped.toString('base64url'), tag].join('.')),
    SealError,
    'tampered',
  );
  assert.throws(() => unseal(key, 'user-1', 'garbage'), SealError, 'corrupt');
});
