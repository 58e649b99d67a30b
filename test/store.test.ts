import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createStore, type Store } from '../src/store/index.ts';
import { createLogger } from '../src/logger.ts';
import { classifyError } from '../src/errors.ts';
import { createQuota } from '../src/google/quota.ts';
import { jobRepository, type JobRecord } from '../src/uploads/records.ts';
import { Keyring } from '../src/store/seal.ts';
import { everything, readsOf, storeSwitch, type StoreSwitch } from './support/faulty-store.ts';

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

// ---- a store that fails is an error, never "nothing there" ----

async function faultyStore(): Promise<{ store: Store; control: StoreSwitch; url: string }> {
  const control = storeSwitch();
  const url = `sqlite://${mkdtempSync(join(tmpdir(), 'tb-store-'))}/store.sqlite`;
  const store = await createStore(url, createLogger('silent'), { wrapAdapter: control.wrap });
  return { store, control, url };
}

const isStoreError = { name: 'StoreError' };

test('a read, write or delete the database fails throws a StoreError; what was stored is intact after', async () => {
  const { store, control } = await faultyStore();
  const things = store.collection<{ n: number }>('things');
  await things.set('a', { n: 1 });
  await things.set('b', { n: 2 });

  control.fault = everything;
  await assert.rejects(things.get('a'), isStoreError, 'a failed read is not "nothing there"');
  await assert.rejects(things.set('a', { n: 9 }), isStoreError);
  await assert.rejects(things.delete('a'), isStoreError);
  await assert.rejects(things.take('b'), isStoreError);

  control.fault = (op) => op === 'delete';
  await assert.rejects(things.take('b'), isStoreError, 'a take whose delete failed took nothing');
  control.fault = undefined;

  assert.deepEqual(await things.get('a'), { n: 1 });
  assert.deepEqual(await things.take('b'), { n: 2 }, 'the failed takes left the record for the next one');
  assert.equal(await things.take('b'), undefined);
  assert.equal(await things.delete('never-there'), false, 'deleting what is not there is not an error');
  await store.close();
});

test('a write the adapter answers false for is an error', async () => {
  const url = `sqlite://${mkdtempSync(join(tmpdir(), 'tb-store-'))}/store.sqlite`;
  const store = await createStore(url, createLogger('silent'), {
    wrapAdapter: (adapter) => Object.assign(adapter, { set: () => Promise.resolve(false) }),
  });
  await assert.rejects(store.collection<number>('things').set('a', 1), isStoreError);
  await store.close();
});

test('ping is a real round trip: false while writes or reads fail, true again after', async () => {
  const { store, control } = await faultyStore();
  assert.equal(await store.ping(), true);
  control.fault = (op) => op === 'set';
  assert.equal(await store.ping(), false, 'a store that cannot write is down, although it reads');
  control.fault = everything;
  assert.equal(await store.ping(), false);
  control.fault = undefined;
  assert.equal(await store.ping(), true);
  await store.close();
});

test("a failed read of the day's quota count refuses the call instead of starting the count again", async () => {
  const { store, control } = await faultyStore();
  const quota = createQuota(store, { units: 10_000, inserts: 100 });
  await quota.charge({ units: 50, inserts: 1 });
  await quota.charge({ units: 50, inserts: 1 });

  control.fault = readsOf('quota');
  await assert.rejects(quota.charge({ units: 1, inserts: 0 }), isStoreError);
  control.fault = undefined;
  const usage = await quota.usage();
  assert.equal(usage.units, 100, 'the count was not reset by the failed read');
  assert.equal(usage.inserts, 2);
  await store.close();
});

test('a save while the upload index cannot be read fails and leaves every unfinished upload listed', async () => {
  const { store, control } = await faultyStore();
  const jobs = jobRepository(store, new Keyring(randomBytes(32)));
  for (const id of ['a', 'b', 'c']) await jobs.save(job(id));

  control.fault = readsOf('upload-index');
  await assert.rejects(jobs.save(job('d')), isStoreError);
  await assert.rejects(jobs.save({ ...job('a'), status: 'running' }), isStoreError);
  control.fault = undefined;

  assert.deepEqual(
    (await jobs.active()).map((j) => j.id),
    ['a', 'b', 'c'],
    'the index neither shrank to the job saved during the outage nor lost the others',
  );
  await store.close();
});

function job(id: string): JobRecord {
  return {
    id,
    owner: '700000000000000001',
    account: '700000000000000001',
    review: undefined,
    guildId: null,
    channelId: '900000000000000001',
    source: { url: 'https://cdn.discordapp.com/x.mp4', filename: 'x.mp4', size: 10, mime: 'video/mp4' },
    thumbnail: undefined,
    metadata: {
      snippet: { title: id, description: '', categoryId: '22' },
      status: { privacyStatus: 'private' },
    },
    requestedPrivacy: 'private',
    notifySubscribers: true,
    playlistId: undefined,
    status: 'queued',
    session: undefined,
    received: 0,
    videoId: undefined,
    progress: { reply: undefined, channelMessage: undefined },
    outcome: undefined,
    createdAt: 1_700_000_000_000 + id.charCodeAt(0),
    updatedAt: 0,
  };
}

test('a store failure, even wrapped in another error, reads as one sentence with a reference', async () => {
  const { store, control } = await faultyStore();
  control.fault = everything;
  const failure = await store
    .collection('things')
    .get('a')
    .then(
      () => undefined,
      (error: unknown) => error,
    );
  for (const error of [failure, new Error('upload step failed', { cause: failure })]) {
    const classified = classifyError(error);
    assert.equal(classified.kind, 'store');
    assert.match(
      classified.message,
      /^The bot's storage is not answering right now, so I could not finish this — please try again in a minute \(reference E[A-Z2-9]{7}\)\.$/,
    );
    assert.ok(classified.referenceId && classified.message.includes(classified.referenceId));
    assert.deepEqual(classified.detail, { storeOperation: 'read', storeCollection: 'things' });
  }
  control.fault = undefined;
  await store.close();
});
