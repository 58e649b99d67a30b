import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import sqlite3 from 'sqlite3';
import { createStore, type Store } from '../src/store/index.ts';
import { createLogger } from '../src/logger.ts';
import { classifyError } from '../src/errors.ts';
import { createQuota } from '../src/google/quota.ts';
import { jobRepository, type JobRecord } from '../src/uploads/records.ts';
import { Keyring } from '../src/store/seal.ts';
import { everything, readsOf, storeSwitch, type StoreSwitch } from './support/faulty-store.ts';
import { startPostgres, type PostgresServer } from './support/postgres.ts';
import { twoProcesses } from './support/store-race.ts';

const logger = createLogger('silent');
const sqliteUrl = () => `sqlite://${mkdtempSync(join(tmpdir(), 'tb-store-'))}/store.sqlite`;
let postgres: PostgresServer;
before(async () => {
  postgres = await startPostgres();
});
after(async () => {
  await postgres?.stop();
});

/** Every test of the store itself runs on both databases, each on a fresh one. */
const BACKENDS = [
  { kind: 'sqlite', fresh: () => Promise.resolve(sqliteUrl()) },
  { kind: 'postgres', fresh: () => postgres.createDatabase() },
] as const;

for (const backend of BACKENDS) {
  describe(`the store on ${backend.kind}`, () => {
    let url: string;
    let store: Store;
    before(async () => {
      url = await backend.fresh();
      store = await createStore(url, logger);
    });
    after(() => store.close());

    /**
     * A second store on the same database whose next write runs `between` (the work of another writer)
     * first, once it is set: a writer that comes between a read of this store and its write.
     */
    const withWriterBetween = async () => {
      let between: (() => Promise<unknown>) | undefined;
      const gated = await createStore(url, logger, {
        beforeStatement: async (op) => {
          if (op !== 'set' || between === undefined) return;
          const run = between;
          between = undefined;
          await run();
        },
      });
      return { gated, before: (work: () => Promise<unknown>) => (between = work) };
    };

    test('records persist across a restart, collections do not overlap, a record expires', async () => {
      const things = store.collection<{ n: number }>('things');
      await things.set('a', { n: 1 });
      await things.set('short', { n: 2 }, 50);
      assert.equal(store.kind, backend.kind);
      assert.match(store.processId, new RegExp(`:${process.pid}:[0-9a-f]{8}$`));
      assert.equal(await store.ping(), true);
      const again = await createStore(url, logger);
      try {
        const others = again.collection<{ n: number }>('things');
        assert.deepEqual(await others.get('a'), { n: 1 });
        assert.notEqual(again.processId, store.processId, 'each store has its own process id');
        await new Promise((r) => setTimeout(r, 80));
        assert.equal(await others.get('short'), undefined, 'a record past its TTL is gone');
        assert.equal(await again.collection('other').get('a'), undefined, 'collections do not overlap');
        assert.equal(await others.delete('short'), false, 'an expired record was not there to delete');
        assert.equal(await others.take('short'), undefined, 'nor to take');
      } finally {
        await again.close();
      }
    });

    test('add: many callers at once, one winner; an expired record counts as absent', async () => {
      const claims = store.collection<{ by: number }>('claims');
      const wins = await Promise.all(Array.from({ length: 30 }, (_, i) => claims.add('k', { by: i })));
      assert.equal(wins.filter(Boolean).length, 1, 'exactly one insert created the record');
      const winner = wins.indexOf(true);
      assert.deepEqual(await claims.get('k'), { by: winner }, "the winner's value is stored");

      await claims.add('lease', { by: 1 }, 40);
      assert.equal(await claims.add('lease', { by: 2 }, 40), false, 'held while it lives');
      await new Promise((r) => setTimeout(r, 80));
      const again = await Promise.all(
        Array.from({ length: 10 }, (_, i) => claims.add('lease', { by: 10 + i })),
      );
      assert.equal(again.filter(Boolean).length, 1, 'one caller wins the expired record');
      assert.deepEqual(await claims.get('lease'), { by: 10 + again.indexOf(true) });
    });

    test('add raced from two processes: one winner', async () => {
      const wins = await twoProcesses(url, 'add', 'proc-add', 10);
      assert.equal(wins.filter((w) => w === true).length, 1);
      assert.ok(await store.collection('race').get('proc-add'));
    });

    test('update: N concurrent increments count N, across two stores and two processes', async () => {
      const counters = store.collection<{ n: number }>('race');
      const second = await createStore(url, logger);
      try {
        const seconds = second.collection<{ n: number }>('race');
        const bump = (c: typeof counters) => c.update('count', (cur) => ({ n: (cur?.n ?? 0) + 1 }));
        const results = await Promise.all(
          Array.from({ length: 40 }, (_, i) => bump(i % 2 ? counters : seconds)),
        );
        assert.deepEqual(
          results.map((r) => r?.n).sort((a, b) => (a ?? 0) - (b ?? 0)),
          Array.from({ length: 40 }, (_, i) => i + 1),
          'each call saw its own count',
        );
        assert.deepEqual(await counters.get('count'), { n: 40 });
      } finally {
        await second.close();
      }
      const counted = await twoProcesses(url, 'increment', 'count', 25);
      assert.equal(new Set(counted).size, 50, 'no two increments in two processes saw the same count');
      assert.deepEqual(await counters.get('count'), { n: 90 }, 'no increment lost');
    });

    test('update: undefined leaves the record, null deletes it, ttl sets the expiry, change runs again when it lost', async () => {
      const items = store.collection<{ n: number }>('items');
      assert.equal(await items.update('a', () => undefined), undefined, 'nothing written');
      assert.equal(await items.get('a'), undefined);
      assert.deepEqual(await items.update('a', () => ({ n: 1 })), { n: 1 }, 'created');
      assert.deepEqual(await items.update('a', () => undefined), { n: 1 }, 'left as it is');
      assert.equal(await items.update('a', () => null), undefined, 'deleted');
      assert.equal(await items.get('a'), undefined);
      assert.equal(await items.update('a', () => null), undefined, 'deleting nothing is no error');

      await items.set('b', { n: 1 });
      // Another writer comes between this read and the write, once: its write is done before ours is
      // tried (on PostgreSQL a write left to race may land on another connection after ours).
      const { gated, before: writeFirst } = await withWriterBetween();
      try {
        writeFirst(() => items.set('b', { n: 100 }));
        let calls = 0;
        const result = await gated.collection<{ n: number }>('items').update('b', (cur) => {
          calls++;
          return { n: (cur?.n ?? 0) + 1 };
        });
        assert.equal(calls, 2, 'the write that lost ran the change again, on what the other wrote');
        assert.deepEqual(result, { n: 101 });
        assert.deepEqual(await items.get('b'), result, 'what update resolved to is what is stored');
      } finally {
        await gated.close();
      }

      await items.update('short', () => ({ n: 1 }), 40);
      await new Promise((r) => setTimeout(r, 80));
      assert.equal(await items.get('short'), undefined, 'the ttl given to update expires it');
      assert.deepEqual(
        await items.update('short', (cur) => ({ n: (cur?.n ?? 0) + 1 })),
        { n: 1 },
        'an expired record reads as absent in update',
      );
    });

    test('update: a record deleted and written again between the read and the write is read again (no ABA)', async () => {
      const { gated, before: writeFirst } = await withWriterBetween();
      try {
        const mine = gated.collection<{ owner: string; round: number }>('aba');
        const theirs = store.collection<{ owner: string; round: number }>('aba');
        await theirs.set('lease', { owner: 'first', round: 1 });
        // Another process takes the record and adds a new one with the same content before this write.
        writeFirst(async () => {
          await theirs.take('lease');
          await theirs.add('lease', { owner: 'first', round: 1 });
        });
        const seen: unknown[] = [];
        const result = await mine.update('lease', (current) => {
          seen.push(current);
          return current && { ...current, round: current.round + 1 };
        });
        assert.equal(
          seen.length,
          2,
          'the write that came second lost and the change ran again on the new record',
        );
        assert.deepEqual(result, { owner: 'first', round: 2 });
        assert.deepEqual(await theirs.get('lease'), { owner: 'first', round: 2 });
      } finally {
        await gated.close();
      }
    });

    test('update: what change throws is thrown as it is, and nothing is written', async () => {
      const items = store.collection<{ n: number }>('throws');
      await items.set('a', { n: 1 });
      const refusal = new Error('over the limit');
      await assert.rejects(
        items.update('a', () => {
          throw refusal;
        }),
        (error) => error === refusal,
      );
      assert.deepEqual(await items.get('a'), { n: 1 });
    });

    test('take: one taker, in this process and across two processes', async () => {
      const things = store.collection<{ n: number }>('takes');
      await things.set('a', { n: 1 });
      const takes = await Promise.all(Array.from({ length: 20 }, () => things.take('a')));
      assert.deepEqual(
        takes.filter((t) => t !== undefined),
        [{ n: 1 }],
        'concurrent takes see the record once',
      );
      await store.collection('race').set('proc-take', { n: 1 });
      const taken = await twoProcesses(url, 'take', 'proc-take', 10);
      assert.equal(taken.filter((t) => t === true).length, 1);
    });

    test('expired records are swept at start', async () => {
      const things = store.collection<{ n: number }>('sweep');
      await things.set('old', { n: 1 }, 20);
      await things.set('kept', { n: 2 });
      await new Promise((r) => setTimeout(r, 50));
      const again = await createStore(url, logger);
      await again.close();
      const rows = await rawRows(url, 'sweep');
      assert.deepEqual(rows, ['kept']);
    });
  });
}

/** The ids of a collection's rows, read straight from the database (expired ones included). */
async function rawRows(url: string, collection: string): Promise<string[]> {
  if (url.startsWith('sqlite://')) {
    const db = new sqlite3.Database(url.slice('sqlite://'.length));
    try {
      return await new Promise<string[]>((resolve, reject) =>
        db.all<{ id: string }>(
          'SELECT id FROM records WHERE collection = ? ORDER BY id',
          [collection],
          (e, rows) => (e ? reject(e) : resolve(rows.map((r) => r.id))),
        ),
      );
    } finally {
      db.close();
    }
  }
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ id: string }>(
      'SELECT id FROM records WHERE collection = $1 ORDER BY id',
      [collection],
    );
    return result.rows.map((r) => r.id);
  } finally {
    await client.end();
  }
}

test('the sqlite file is where STORE_URL says, its folders created', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tb-store-'));
  const store = await createStore(`sqlite://${dir}/nested/store.sqlite`, logger);
  await store.collection('things').set('a', 1);
  await store.close();
  assert.ok(readFileSync(join(dir, 'nested', 'store.sqlite')).length > 0);
});

test('redis:// is refused with one sentence naming PostgreSQL', async () => {
  await assert.rejects(createStore('redis://127.0.0.1:1', logger), (error: Error) => {
    assert.match(
      error.message,
      /^STORE_URL=redis:\/\/… is no longer supported\b[^\n]*postgresql:\/\/[^\n]*\.$/,
    );
    return true;
  });
});

// ---- a store that fails is an error, never "nothing there" ----

async function faultyStore(): Promise<{ store: Store; control: StoreSwitch; url: string }> {
  const control = storeSwitch();
  const url = sqliteUrl();
  const store = await createStore(url, logger, { beforeStatement: control.hook });
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

// ---- migrations ----

/** A store as keyv's SQLite adapter left it (keyv 5, namespace "tubebridge"). */
async function keyvFile(rows: [string, unknown, number | null][]): Promise<string> {
  const file = join(mkdtempSync(join(tmpdir(), 'tb-keyv-')), 'tubebridge.sqlite');
  const db = new sqlite3.Database(file);
  const run = (sql: string, params: unknown[] = []) =>
    new Promise<void>((resolve, reject) => db.run(sql, params, (e) => (e ? reject(e) : resolve())));
  await run('CREATE TABLE IF NOT EXISTS keyv(key VARCHAR(255) PRIMARY KEY, value TEXT )');
  for (const [key, value, expires] of rows)
    await run('INSERT INTO keyv (key, value) VALUES (?, ?)', [key, JSON.stringify({ value, expires })]);
  await new Promise<void>((resolve) => db.close(() => resolve()));
  return `sqlite://${file}`;
}

test("an install's keyv table is imported once: links, jobs and settings kept, expired ones not", async () => {
  const url = await keyvFile([
    [
      'tubebridge:grant:700000000000000001',
      { owner: '700000000000000001', refreshToken: 'v1.k.sealed' },
      null,
    ],
    ['tubebridge:settings:800000000000000001', { template: '::colon first' }, null],
    ['tubebridge:announce-claim:800000000000000001:vid', { outcome: 'announced' }, Date.now() + 3_600_000],
    ['tubebridge:oauth-state:gone', { state: 1 }, Date.now() - 1000],
    ['other-app:thing:1', { x: 1 }, null],
  ]);
  let store = await createStore(url, logger);
  assert.deepEqual(await store.collection('grant').get('700000000000000001'), {
    owner: '700000000000000001',
    refreshToken: 'v1.k.sealed',
  });
  assert.deepEqual(
    await store.collection('settings').get('800000000000000001'),
    { template: ':colon first' },
    "keyv's escape of a leading colon is undone",
  );
  assert.deepEqual(await store.collection('announce-claim').get('800000000000000001:vid'), {
    outcome: 'announced',
  });
  assert.equal(
    await store.collection('oauth-state').get('gone'),
    undefined,
    'an expired record is not imported',
  );
  assert.equal(await store.collection('thing').get('1'), undefined, "another namespace's keys are not ours");
  await store.collection('grant').delete('700000000000000001');
  await store.close();

  // Applied once: a restart does not import the old table again.
  store = await createStore(url, logger);
  assert.equal(await store.collection('grant').get('700000000000000001'), undefined);
  await store.close();
});

test('two processes starting at once on a fresh PostgreSQL database migrate it once', async () => {
  const url = await postgres.createDatabase();
  const stores = await Promise.all([1, 2, 3].map(() => createStore(url, logger)));
  await stores[0]?.collection('things').set('a', 1);
  assert.equal(await stores[2]?.collection('things').get('a'), 1);
  await Promise.all(stores.map((s) => s.close()));
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: number; name: string }>(
      'SELECT id, name FROM schema_migrations ORDER BY id',
    );
    assert.deepEqual(
      rows.map((r) => `${r.id}-${r.name}`),
      ['1-records', '2-import-keyv'],
    );
  } finally {
    await client.end();
  }
});

// ---- SQLite is for one process ----

test('a second bot on the same SQLite store refuses to start with one sentence naming PostgreSQL; after the first stops, it starts', async () => {
  const url = sqliteUrl();
  const first = await createStore(url, logger, { processLock: true });
  await assert.rejects(createStore(url, logger, { processLock: true }), (error: Error) => {
    assert.match(
      error.message,
      /^another process of the bot is already running on the SQLite store [^\n]+PostgreSQL[^\n]*\.$/,
    );
    return true;
  });
  // A tool that only reads the file beside the bot does not take the lock.
  const reader = await createStore(url, logger);
  assert.ok(await reader.collection('process-lock').get('sqlite'), 'the lock row is there');
  await reader.close();
  await first.close();
  const second = await createStore(url, logger, { processLock: true });
  await second.close();
});

test('a SQLite lock left by a process that died is taken over at once', async () => {
  const url = sqliteUrl();
  // A process that ran and exited: its pid is free.
  const dead = spawn(process.execPath, ['-e', '0']);
  const pid = await new Promise<number>((resolve) => dead.once('exit', () => resolve(dead.pid ?? 0)));
  const before = await createStore(url, logger);
  const { hostname } = await import('node:os');
  await before
    .collection('process-lock')
    .set('sqlite', { owner: `${hostname()}:${pid}:dead`, host: hostname(), pid, since: 0 }, 30_000);
  await before.close();
  const store = await createStore(url, logger, { processLock: true });
  assert.equal(
    (await store.collection<{ owner: string }>('process-lock').get('sqlite'))?.owner,
    store.processId,
  );
  await store.close();
});
