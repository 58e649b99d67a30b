// The last "exactly once" races across processes: two real bot processes on one PostgreSQL and the local fakes.
// Settings changed in both at the same moment both land; a token refresh in one never brings back the grant
// /unlink deleted in the other meanwhile; YouTube calls counted at once in both are all counted.
//
// Both processes identify for the one shard, as in a deploy. Which process handles an interaction is put in the
// test's hands by the fake gateway's `route` (the next interaction goes to that session only). Which one writes
// first is too: the test holds the record's row in a transaction of its own (SELECT … FOR UPDATE, as any other
// writer would hold it), so both processes read the same record and then wait to write it — the moment a lost
// update happens — and lets go only once both are waiting (PostgreSQL's own view of who waits for a lock).
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import type { FakeMessage, FakeUser, InteractionHandle } from './fakes/discord.ts';
import { waitFor } from './fakes/http.ts';
import { linkMember } from './support/link.ts';
import { startCluster, type Cluster, type ClusterBot } from './support/cluster.ts';
import { pacificDay } from '../src/google/quota.ts';

const GUILD = '800000000000000161';
const GENERAL = '900000000000000161';
const ADMIN_ROLE = '600000000000000161';
const OWNER: FakeUser = { id: '700000000000000161', username: 'owner' };
const ADMIN: FakeUser = { id: '700000000000000162', username: 'admin' };
const MEMBER: FakeUser = { id: '700000000000000163', username: 'member' };
const COUNTER: FakeUser = { id: '700000000000000164', username: 'counter' };

let cluster: Cluster;
/** The test's own connections to the bots' database: one holds a row, the other watches who waits. */
let holder: pg.Client;
let watcher: pg.Client;

before(async () => {
  cluster = await startCluster({
    discord: {
      // The test holds a write for a moment; /server settings answers after it (Discord's 3 s are not the point).
      callbackDeadlineMs: 60_000,
      guilds: [
        {
          id: GUILD,
          name: 'Racers',
          ownerId: OWNER.id,
          roles: [{ id: ADMIN_ROLE, name: 'Admins', permissions: String(1 << 5) }], // Manage Server
          channels: [{ id: GENERAL, name: 'general', type: 0 }],
          members: [
            { user: ADMIN, roles: [ADMIN_ROLE] },
            { user: MEMBER, roles: [] },
            { user: COUNTER, roles: [] },
          ],
        },
      ],
    },
  });
  holder = new pg.Client({ connectionString: cluster.env['STORE_URL'] });
  watcher = new pg.Client({ connectionString: cluster.env['STORE_URL'] });
  await holder.connect();
  await watcher.connect();
});

after(async () => {
  await holder?.end().catch(() => undefined);
  await watcher?.end().catch(() => undefined);
  await cluster?.close();
});

/** The next interaction goes to this process only (0: bot a, 1: bot b, by the order they identified). */
const deliverTo = (bot: ClusterBot) => cluster.discord.deliverNextTo(bot === cluster.a ? 0 : 1);

type Option = { type: number; name: string; value?: string | number | boolean; options?: Option[] };

function command(user: FakeUser, name: string, options: Option[] = []): InteractionHandle {
  return cluster.discord.sendCommand({ name, user, guildId: GUILD, channelId: GENERAL, options });
}

const settings = (user: FakeUser, options: Option[] = []) =>
  command(user, 'server', [{ type: 1, name: 'settings', options }]);
const playlistList = (user: FakeUser) => command(user, 'playlist', [{ type: 1, name: 'list', options: [] }]);

/** The (private) answer once it says something: its text, embeds included. */
async function answer(handle: InteractionHandle): Promise<string> {
  const message: FakeMessage = await handle.waitForOriginal(
    (m) => (m.flags & 128) === 0 && ((m.content ?? '') !== '' || (m.embeds?.length ?? 0) > 0),
    60_000,
  );
  return `${message.content ?? ''}\n${JSON.stringify(message.embeds ?? [])}`;
}

/** The stored value of a record, as the bots' store keeps it (undefined: no record). */
async function stored(collection: string, id: string): Promise<unknown> {
  const { rows } = await watcher.query<{ value: unknown }>(
    'SELECT value FROM records WHERE collection = $1 AND id = $2',
    [collection, id],
  );
  const value = rows[0]?.value;
  return typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
}

/**
 * Holds a record's row in a transaction of the test's own: reads of it go on, every write to it waits until
 * release() (at the latest when the test ends). `waiting(n)` resolves once n statements of the bots wait for a
 * lock on a record.
 */
async function holdRow(t: TestContext, collection: string, id: string) {
  await holder.query('BEGIN');
  let held = true;
  const release = async () => {
    if (!held) return;
    held = false;
    await holder.query('ROLLBACK');
  };
  t.after(release);
  const { rowCount } = await holder.query(
    'SELECT 1 FROM records WHERE collection = $1 AND id = $2 FOR UPDATE',
    [collection, id],
  );
  assert.equal(rowCount, 1, `the ${collection} record ${id} exists to be held`);
  return {
    async waiting(n: number, what: string): Promise<void> {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const { rows } = await watcher.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity
           WHERE datname = current_database() AND wait_event_type = 'Lock'
             AND wait_event IN ('transactionid', 'tuple') AND query ILIKE '%records%'`,
        );
        if ((rows[0]?.n ?? 0) >= n) return;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (${n} waiting writes)`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    release,
  };
}

/** Where each bot's log stands now: `handled` looks at what came after. */
const mark = () => cluster.bots.map((bot) => bot.process.logs().length);

/** How many interactions of `user` (label matching) this bot process handled since `from` (its log lines). */
const handled = (bot: ClusterBot, from: number[], user: FakeUser, label: RegExp) =>
  bot.process
    .logs()
    .slice(from[bot === cluster.a ? 0 : 1])
    .filter(
      (e) =>
        typeof e['outcome'] === 'string' &&
        e['outcome'] !== 'answered_elsewhere' &&
        e['userId'] === user.id &&
        label.test(String(e['interaction'])),
    ).length;

/** Waits for the log lines (written once the answer is sent) of `count` such interactions in this process. */
async function expectHandled(
  bot: ClusterBot,
  from: number[],
  user: FakeUser,
  label: RegExp,
  count: number,
  what: string,
): Promise<void> {
  await waitFor(() => (handled(bot, from, user, label) >= count ? true : undefined), what, 30_000);
  assert.equal(handled(bot, from, user, label), count, what);
}

test('two moderators change different settings at the same moment, in two processes: both changes land and /server settings shows them', async (t) => {
  // Where the race starts: a stored record with a template, Shorts announced.
  const setUp = mark();
  assert.match(
    await answer(settings(OWNER, [{ type: 3, name: 'template', value: 'Before {url}' }])),
    /^Saved\./,
  );
  // Its log line is written (in whichever process) before the race's are looked for.
  await waitFor(
    () => (cluster.bots.some((bot) => handled(bot, setUp, OWNER, /^\/server/) > 0) ? true : undefined),
    'the log line of the first change',
  );

  const held = await holdRow(t, 'settings', GUILD);
  const from = mark();
  deliverTo(cluster.a);
  const fromOwner = settings(OWNER, [{ type: 3, name: 'template', value: 'Raced {title} {url}' }]);
  deliverTo(cluster.b);
  const fromAdmin = settings(ADMIN, [{ type: 5, name: 'announce_shorts', value: false }]);
  await held.waiting(2, 'both changes to have read the record and to wait to write it');
  await held.release();
  assert.match(await answer(fromOwner), /^Saved\./);
  assert.match(await answer(fromAdmin), /^Saved\./);

  await expectHandled(cluster.a, from, OWNER, /^\/server/, 1, "process a handled the owner's change");
  await expectHandled(cluster.b, from, ADMIN, /^\/server/, 1, "process b handled the admin's change");
  assert.equal(
    handled(cluster.b, from, OWNER, /^\/server/) + handled(cluster.a, from, ADMIN, /^\/server/),
    0,
  );

  const shown = await answer(settings(OWNER));
  assert.match(shown, /Template: Raced \{title\} \{url\}/, "the owner's change is shown");
  assert.match(shown, /Shorts: no/, "the admin's change is shown");
  const record = (await stored('settings', GUILD)) as { template?: string; announceShorts?: boolean };
  assert.equal(record.template, 'Raced {title} {url}', "the owner's change is stored");
  assert.equal(record.announceShorts, false, "the admin's change is stored");
});

test('a token refresh in one process never resurrects the grant /unlink deleted meanwhile in the other', async (t) => {
  const { google } = cluster;
  const account = google.addAccount({ email: 'race-member@example.com', channel: { title: 'Race Member' } });
  const channelId = account.channel?.id ?? '';
  await linkMember(cluster.discord, google, MEMBER, account, GUILD);
  assert.ok(await stored('grant', MEMBER.id), 'linked');
  assert.deepEqual(await stored('grant-channel', channelId), [MEMBER.id]);

  // Google no longer takes the member's access token: their next command refreshes it, and Google's answer
  // to the refresh is on its way while /unlink runs in the other process.
  google.expireAccessTokens();
  let answerRefresh = () => {};
  google.fail(
    { method: 'POST', path: /^\/token$/ },
    { holdAnswerUntil: new Promise<void>((resolve) => (answerRefresh = resolve)) },
  );
  t.after(() => {
    answerRefresh();
    google.clearFaults();
  });
  const refreshes = () => google.requests.filter((r) => r.method === 'POST' && r.path === '/token').length;
  const before = refreshes();
  const held = await holdRow(t, 'grant', MEMBER.id);
  const from = mark();
  deliverTo(cluster.b);
  const listing = playlistList(MEMBER);
  await waitFor(
    () => (refreshes() > before ? true : undefined),
    "process b's refresh to reach Google",
    30_000,
  );
  deliverTo(cluster.a);
  const unlink = command(MEMBER, 'unlink');
  // /unlink revoked at Google and deletes the grant; then the refreshed tokens arrive and are to be written.
  await held.waiting(1, "/unlink's delete of the grant");
  answerRefresh();
  await held.waiting(2, 'the refreshed tokens to be written onto the grant');
  await held.release();

  assert.match(await answer(unlink), /Unlinked \*\*Race Member\*\*/);
  // The refreshed token died with the revoked grant: the member is told to link again, not shown playlists.
  assert.match(await answer(listing), /run \/link/);
  await expectHandled(cluster.a, from, MEMBER, /^\/unlink/, 1, 'process a ran /unlink');
  await expectHandled(cluster.b, from, MEMBER, /^\/playlist/, 1, 'process b ran the command that refreshed');

  // The grant stays deleted: the member is told so, in either process, and nothing of it is stored.
  for (const bot of cluster.bots) {
    deliverTo(bot);
    assert.match(
      await answer(playlistList(MEMBER)),
      /You have not linked a YouTube channel yet — run \/link first\./,
      `process ${bot.name} says the member is not linked`,
    );
  }
  assert.equal(await stored('grant', MEMBER.id), undefined, 'no grant is stored');
  assert.equal(await stored('grant-channel', channelId), undefined, 'no channel-index entry is stored');
});

test('the quota count is exact: YouTube calls counted at the same moment in two processes are all counted', async (t) => {
  const { google } = cluster;
  const account = google.addAccount({ email: 'race-counter@example.com', channel: { title: 'Counter' } });
  await linkMember(cluster.discord, google, COUNTER, account, GUILD);
  /** Today's units as /server status shows them to the owner. */
  const unitsShown = async () => {
    const status = await answer(command(OWNER, 'server', [{ type: 1, name: 'status', options: [] }]));
    const units = /(\d[\d,]*) of 10,000 units/.exec(status)?.[1];
    assert.ok(units, `the quota line in ${status}`);
    return Number(units.replaceAll(',', ''));
  };
  const shownBefore = await unitsShown();
  const googleBefore = google.quotaUsed.units;

  const CALLS = 8;
  const held = await holdRow(t, 'quota', pacificDay());
  const from = mark();
  const lists = cluster.bots.flatMap((bot) =>
    Array.from({ length: CALLS / 2 }, () => {
      deliverTo(bot);
      return playlistList(COUNTER);
    }),
  );
  await held.waiting(CALLS, 'every call to have read the count and to wait to write it');
  await held.release();
  for (const text of await Promise.all(lists.map(answer)))
    assert.match(text, /You have no playlists yet/, 'each call was answered by YouTube');
  for (const bot of cluster.bots)
    await expectHandled(
      bot,
      from,
      COUNTER,
      /^\/playlist/,
      CALLS / 2,
      `process ${bot.name} made half of the calls`,
    );

  const spent = google.quotaUsed.units - googleBefore;
  assert.ok(spent >= CALLS, `YouTube counted ${spent} units for ${CALLS} calls`);
  assert.equal((await unitsShown()) - shownBefore, spent, 'the bot counted every unit YouTube counted, once');
});
