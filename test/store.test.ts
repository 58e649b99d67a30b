import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStore } from '../src/store/index.ts';
import { createLogger } from '../src/logger.ts';

test('collections persist to the sqlite file, expire, and take exactly once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tb-store-'));
  const url = `sqlite://${dir}/nested/store.sqlite`;
  const logger = createLogger('silent');
  let store = await createStore(url, logger);
  const things = store.collection<{ n: number }>('things');
  await things.set('a', { n: 1 });
  await things.set('short', { n: 2 }, 50);
  assert.equal(await store.ping(), true);
  await store.close();

  store = await createStore(url, logger);
  const again = store.collection<{ n: number }>('things');
  assert.deepEqual(await again.get('a'), { n: 1 });
  await new Promise((r) => setTimeout(r, 80));
  assert.equal(await again.get('short'), undefined, 'a record past its TTL is gone');
  assert.equal(
    await store.collection<{ n: number }>('other').get('a'),
    undefined,
    'collections do not overlap',
  );

  const takes = await Promise.all([again.take('a'), again.take('a'), again.take('a')]);
  assert.deepEqual(
    takes.filter((t) => t !== undefined),
    [{ n: 1 }],
    'concurrent takes see the record once',
  );
  assert.equal(await again.get('a'), undefined);
  await store.close();
  assert.ok(readFileSync(join(dir, 'nested', 'store.sqlite')).length > 0);
});

test('an unsupported adapter names the package to install', async () => {
  await assert.rejects(
    createStore('redis://127.0.0.1:1', createLogger('silent')),
    /npm install @keyv\/redis/,
  );
});
