import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyError, UserError } from '../src/errors.ts';

const googleError = (reason: string, code = 403) => ({
  name: 'GaxiosError',
  message: `raw: ${reason} ya29.secret`,
  response: {
    status: code,
    data: { error: { code, message: 'raw', errors: [{ domain: 'youtube', reason }] } },
  },
});

test('a UserError shows its own text', () => {
  const result = classifyError(new UserError('Title is too long.'));
  assert.deepEqual(result, { kind: 'user', message: 'Title is too long.', detail: {} });
});

test('Google reasons become one plain sentence, never the raw message', () => {
  const cases: [string, RegExp][] = [
    ['quotaExceeded', /quota.*midnight Pacific/],
    ['uploadLimitExceeded', /daily upload limit/],
    ['youtubeSignupRequired', /no YouTube channel/],
    ['insufficientPermissions', /Run \/link again/],
    ['videoNotFound', /video does not exist/],
  ];
  for (const [reason, text] of cases) {
    const result = classifyError(googleError(reason));
    assert.match(result.message, text, reason);
    assert.doesNotMatch(result.message, /ya29|raw/);
    assert.equal(result.detail['reason'], reason);
  }
  const oauth = classifyError({ name: 'GaxiosError', response: { data: { error: 'invalid_grant' } } });
  assert.equal(oauth.kind, 'auth_revoked');
  assert.match(oauth.message, /run \/link/);
});

test('network errors and unknown errors', () => {
  assert.equal(classifyError(Object.assign(new Error('socket'), { code: 'UND_ERR_SOCKET' })).kind, 'network');
  const unknown = classifyError(new Error('database exploded with token ya29.abc'));
  assert.equal(unknown.kind, 'internal');
  assert.match(unknown.referenceId ?? '', /^E[A-Z2-9]{7}$/);
  assert.ok(unknown.message.includes(unknown.referenceId ?? '-'));
  assert.doesNotMatch(unknown.message, /database|ya29/);
});
