// Repositories on the shared store stay exact when two processes change the same record at once: each runs
// on its own Store (its own connection, as a second process has), and a hook holds the first one's write
// until the second one's change is done — the interleaving that loses an update with a read-then-write.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createStore, type StatementHook, type Store, type StoreOp } from '../src/store/index.ts';
import { createLogger } from '../src/logger.ts';
import { settingsRepository } from '../src/store/settings.ts';
import { grantRepository } from '../src/store/grants.ts';
import { Keyring } from '../src/store/seal.ts';
import { jobRepository, LeaseLost, type JobRecord } from '../src/uploads/records.ts';
import { startPostgres, type PostgresServer } from './support/postgres.ts';

const logger = createLogger('silent');
let postgres: PostgresServer;
before(async () => {
  postgres = await startPostgres();
});
after(() => postgres.stop());

/** A hook that, at the first statement matching, first runs `meanwhile` (another process's change) to its end. */
function gate() {
  let pending: { op: StoreOp; key: string; meanwhile: () => Promise<unknown> } | undefined;
  let ran = false;
  const hook: StatementHook = async (op, key) => {
    if (pending === undefined || op !== pending.op || !key.endsWith(pending.key)) return;
    const { meanwhile } = pending;
    pending = undefined;
    await meanwhile();
    ran = true;
  };
  return {
    hook,
    /** Before this store's next `op` of the record whose key ends with `key`. */
    before(op: StoreOp, key: string, meanwhile: () => Promise<unknown>) {
      pending = { op, key, meanwhile };
    },
    ran: () => ran,
  };
}

const BACKENDS = [
  {
    kind: 'sqlite',
    fresh: () => Promise.resolve(`sqlite://${mkdtempSync(join(tmpdir(), 'tb-repos-'))}/s.sqlite`),
  },
  { kind: 'postgres', fresh: () => postgres.createDatabase() },
] as const;

for (const backend of BACKENDS) {
  describe(`two processes on ${backend.kind}`, () => {
    const control = gate();
    let one: Store;
    let two: Store;
    const keys = new Keyring(randomBytes(32));
    before(async () => {
      const url = await backend.fresh();
      one = await createStore(url, logger, { beforeStatement: control.hook });
      two = await createStore(url, logger);
    });
    after(async () => {
      await one.close();
      await two.close();
    });

    test('settings: two changes of different fields at once both land', async () => {
      const mine = settingsRepository(one);
      const theirs = settingsRepository(two);
      const GUILD = '800000000000000301';
      await mine.update(GUILD, { template: 'first {url}' });
      control.before('set', `:settings:${GUILD}`, () => theirs.update(GUILD, { announceShorts: false }));
      const result = await mine.update(GUILD, { moderatorRoleId: '600000000000000301' });
      assert.ok(control.ran(), 'the other change came between the read and the write');
      const stored = await theirs.get(GUILD);
      assert.equal(stored.announceShorts, false, "the other process's change was not lost");
      assert.equal(stored.moderatorRoleId, '600000000000000301');
      assert.equal(stored.template, 'first {url}');
      assert.deepEqual(result, stored, 'update answers what is stored');
    });

    test('grants: a token refresh never resurrects a grant /unlink deleted meanwhile; the channel index follows', async () => {
      const mine = grantRepository(one, keys);
      const theirs = grantRepository(two, keys);
      const OWNER = '700000000000000301';
      const channel = { id: 'UC-shared-301', title: 'Shared', thumbnailUrl: undefined };
      await mine.save({
        owner: OWNER,
        channel,
        scopes: ['youtube'],
        refreshToken: 'refresh-1',
        accessToken: 'access-1',
        expiryDate: 1,
      });
      const linked = await mine.get(OWNER);
      assert.ok(linked);
      control.before('set', `:grant:${OWNER}`, () => theirs.delete(OWNER));
      await mine.updateTokens(OWNER, linked.linkedAt, { access_token: 'access-2', expiry_date: 2 });
      assert.ok(control.ran(), '/unlink came between the refresh reading the grant and writing it');
      assert.equal(await theirs.get(OWNER), undefined, 'the unlinked grant stays deleted');
      assert.equal(await mine.get(OWNER), undefined);
      assert.deepEqual(await theirs.linkedTo(channel.id), []);
      assert.equal(
        await two.collection('grant-channel').get(channel.id),
        undefined,
        'the index entry went too',
      );
    });

    test('grants: two links to one channel at once are both in its index', async () => {
      const mine = grantRepository(one, keys);
      const theirs = grantRepository(two, keys);
      const channel = { id: 'UC-shared-302', title: 'Shared', thumbnailUrl: undefined };
      const grant = (owner: string) => ({
        owner,
        channel,
        scopes: ['youtube'],
        refreshToken: `refresh-${owner}`,
        accessToken: undefined,
        expiryDate: undefined,
      });
      control.before('set', `:grant-channel:${channel.id}`, () => theirs.save(grant('700000000000000303')));
      await mine.save(grant('700000000000000302'));
      assert.ok(control.ran());
      assert.deepEqual(((await two.collection<string[]>('grant-channel').get(channel.id)) ?? []).sort(), [
        '700000000000000302',
        '700000000000000303',
      ]);
      await theirs.delete('700000000000000303');
      assert.deepEqual(await mine.linkedTo(channel.id), ['700000000000000302']);
    });

    test('uploads: two saves at once both stay in the index of unfinished uploads', async () => {
      const mine = jobRepository(one, keys);
      const theirs = jobRepository(two, keys);
      await mine.save(job('a'));
      control.before('set', ':upload-index:active', () => theirs.save(job('b')));
      await mine.save(job('c'));
      assert.ok(control.ran());
      assert.deepEqual(
        (await theirs.active()).map((j) => j.id),
        ['a', 'b', 'c'],
      );
      // And a finished one leaves it while another is added.
      control.before('set', ':upload-index:active', () => theirs.save(job('d')));
      await mine.save({ ...job('a'), status: 'done' });
      assert.deepEqual(
        (await mine.active()).map((j) => j.id),
        ['b', 'c', 'd'],
      );
    });

    if (backend.kind === 'postgres')
      test('uploads: a process whose lease was taken over cannot save the job any more; the new holder’s record stays', async () => {
        const mine = jobRepository(one, keys);
        const theirs = jobRepository(two, keys);
        const stale: JobRecord = {
          ...job('f'),
          status: 'running',
          lease: { owner: one.processId, until: Date.now() + 30_000 },
        };
        await mine.save(stale);
        // The other process takes it over (its lease ran out while this one stalled) and moves it on.
        await two
          .collection<JobRecord>('upload')
          .update('f', (current) =>
            current
              ? { ...current, received: 4096, lease: { owner: two.processId, until: Date.now() + 30_000 } }
              : undefined,
          );
        // The stalled process wakes and saves what it had: refused, nothing overwritten.
        stale.received = 1024;
        await assert.rejects(mine.save(stale), LeaseLost);
        const stored = await theirs.get('f');
        assert.ok(stored);
        assert.equal(stored.lease?.owner, two.processId);
        assert.equal(stored.received, 4096);
        // The holder saves as before.
        await theirs.save({ ...stored, received: 8192 });
        assert.equal((await mine.get('f'))?.received, 8192);
      });
  });
}

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
