import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger } from '../src/logger.ts';

/** A logger whose lines are kept in memory, as written. */
function capture() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, logger: createLogger('info', sink) };
}

test('secrets are redacted from log lines at the top level and one level down', () => {
  const { lines, logger } = capture();
  logger.info(
    {
      token: 'discord-interaction-token-SECRET1',
      tokens: { access_token: 'ya29.SECRET2', refresh_token: '1//SECRET3' },
      req: { headers: { authorization: 'Bearer SECRET4' } },
      oauth: { code: '4/SECRET5', state: 'SECRET6', codeVerifier: 'SECRET7' },
      userId: '123',
    },
    'linked',
  );
  const text = lines.join('');
  assert.doesNotMatch(text, /SECRET/);
  assert.match(text, /"userId":"123"/);
  assert.match(text, /\[redacted\]/);
});

test('errors are logged without the request config, headers or tokens libraries attach to them', () => {
  const { lines, logger } = capture();
  const error = Object.assign(
    new Error('Request failed for https://x/webhooks/123/aW50ZXJhY3Rpb24SECRET8 with ya29.SECRET9'),
    {
      code: 'ERR_X',
      config: { headers: { Authorization: 'Bearer SECRET10' } },
      response: { data: { access_token: 'SECRET11' } },
    },
  );
  logger.error({ err: error }, 'failed');
  const text = lines.join('');
  assert.doesNotMatch(text, /SECRET/);
  assert.match(text, /"errorCode":"ERR_X"/);
  assert.match(text, /Request failed/);
});
