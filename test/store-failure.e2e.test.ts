// A store that fails is an error, never "nothing there". The bot runs in-process on its real SQLite store, with a
// hook before each statement that throws what SQLite throws on a disk error while a switch is on
// (test/support/faulty-store.ts).
// While it fails: /healthz says so, a command answers one clear sentence, no index shrinks, nothing is announced
// twice. After it comes back: every unfinished upload resumes and what was missed is announced, once.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { FakeDiscord, type FakeUser } from './fakes/discord.ts';
import { FakeGoogle, type FakeAccount } from './fakes/google.ts';
import { waitFor } from './fakes/http.ts';
import { startTestApp, type TestApp } from './support/app.ts';
import { freePort } from './support/bot.ts';
import { linkMember, linkServer } from './support/link.ts';
import { mp4Bytes, sha256 } from './support/media.ts';
import { everything, readsOf, storeSwitch } from './support/faulty-store.ts';

const GUILD = '800000000000000071';
const UPLOADS = '900000000000000071';
const ANNOUNCE = '910000000000000071';
const REVIEWS = '920000000000000071';
const OWNER: FakeUser = { id: '700000000000000070', username: 'owner' };
const ALICE: FakeUser = { id: '700000000000000071', username: 'alice' };
const BOB: FakeUser = { id: '700000000000000072', username: 'bob' };

const STORE_DOWN =
  /^The bot's storage is not answering right now, so I could not finish this — please try again in a minute \(reference (E[A-Z2-9]{7})\)\.$/;
const KEY = randomBytes(32).toString('hex');
const POLL_MS = 100;

const control = storeSwitch();
let discord: FakeDiscord;
let google: FakeGoogle;
let bot: TestApp;
let env: Record<string, string>;
/** The server's own channel, as last linked by a test. */
let serverAccount: FakeAccount | undefined;

const start = (storeUrl?: string) =>
  startTestApp(discord, google, {
    env,
    key: KEY,
    ...(storeUrl ? { storeUrl } : {}),
    announce: { pollIntervalMs: POLL_MS },
    store: { beforeStatement: control.hook, retryMs: 100 },
    tuning: { storeRetry: { baseDelayMs: 50, maxDelayMs: 200 } },
  });

before(async () => {
  discord = await FakeDiscord.start({
    guilds: [
      {
        id: GUILD,
        name: 'Outages',
        ownerId: OWNER.id,
        channels: [
          { id: UPLOADS, name: 'uploads', type: 0 },
          { id: ANNOUNCE, name: 'announcements', type: 0 },
          { id: REVIEWS, name: 'reviews', type: 0 },
        ],
      },
    ],
  });
  const port = await freePort();
  google = await FakeGoogle.start({ redirectUris: [`http://127.0.0.1:${port}/oauth/callback`] });
  env = { PUBLIC_URL: `http://127.0.0.1:${port}`, HTTP_PORT: String(port) };
  bot = await start();
  await linkMember(
    discord,
    google,
    ALICE,
    google.addAccount({ email: 'alice@example.com', channel: { title: 'Alice' } }),
    GUILD,
  );
  await linkMember(
    discord,
    google,
    BOB,
    google.addAccount({ email: 'bob@example.com', channel: { title: 'Bob' } }),
    GUILD,
  );
});

// A test that fails midway leaves the store working for the next one.
afterEach(() => {
  control.fault = undefined;
  google.upload.throttleBytesPerSec = null;
  google.upload.finalizeMs = 0;
});

after(async () => {
  await bot.stop();
  await discord.close();
  await google.close();
});

function upload(user: FakeUser, title: string, data: Buffer) {
  const file = discord.addAttachment({ filename: `${title}.mp4`, data, channelId: UPLOADS });
  return discord.sendCommand({
    name: 'upload',
    user,
    guildId: GUILD,
    channelId: UPLOADS,
    attachments: [file],
    options: [
      { type: 11, name: 'file', value: file.id },
      { type: 3, name: 'title', value: title },
    ],
  });
}

const healthz = async () => {
  const response = await fetch(`${env['PUBLIC_URL']}/healthz`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

test('while the store fails: /healthz answers 503 store: down, a command answers one sentence and logs the error', async () => {
  assert.deepEqual(await healthz(), {
    status: 200,
    body: { status: 'ok', gateway: 'ready', store: 'ok' },
  });

  control.fault = everything;
  assert.deepEqual(await healthz(), {
    status: 503,
    body: { status: 'degraded', gateway: 'ready', store: 'down' },
  });
  const interaction = upload(ALICE, 'During the outage', mp4Bytes(100_000, 1));
  const reply = await interaction.waitForOriginal((m) => !/^$/.test(m.content ?? ''), 10_000);
  const reference = STORE_DOWN.exec(reply.content ?? '')?.[1];
  assert.ok(reference, `one clear sentence, not "${reply.content ?? ''}"`);
  control.fault = undefined;

  const line = bot.logs.find((l) => l['referenceId'] === reference);
  assert.ok(line, 'the log has a line with the reference the member saw');
  assert.equal(line['kind'], 'store');
  assert.equal(line['level'], 50, 'logged as an error');
  assert.match(JSON.stringify(line['err']), /SQLITE_IOERR/, 'the log line names the cause');
  const text = JSON.stringify(bot.logs);
  for (const secret of [discord.botToken, interaction.token, KEY])
    assert.ok(!text.includes(secret), 'no secret in the log');

  assert.deepEqual(await healthz(), {
    status: 200,
    body: { status: 'ok', gateway: 'ready', store: 'ok' },
  });
  assert.equal(
    [...google.videos.values()].filter((v) => v.snippet.title === 'During the outage').length,
    0,
    'nothing was uploaded',
  );
});

test("a server's first poll that fails (its settings cannot be read) is in its status", async () => {
  // Nothing was recorded for this server yet: no poll of it ever got as far as its channel.
  assert.equal(bot.app.ctx.announcer.status(GUILD).lastPollAt, undefined);
  const failed = () =>
    bot.logs.filter((l) => l['msg'] === 'announcement poll failed' && l['guildId'] === GUILD).length;
  const before = failed();
  control.fault = readsOf('settings');
  await waitFor(() => (failed() > before ? true : undefined), 'a poll that fails');
  assert.equal(
    bot.app.ctx.announcer.status(GUILD).lastError,
    "The bot's storage did not answer a read of settings.",
  );
  control.fault = undefined;
  await waitFor(
    () => (bot.app.ctx.announcer.status(GUILD).lastError === undefined ? true : undefined),
    'the next good poll clears it',
  );
});

test('a claim that cannot be read is not announced; after recovery every video is announced exactly once', async () => {
  const channel = google.addAccount({ email: 'server@example.com', channel: { title: 'Server TV' } });
  serverAccount = channel;
  await linkServer(bot.app, google, GUILD, channel);
  await bot.app.ctx.settings.update(GUILD, { announceChannelId: ANNOUNCE });
  const polls = async (n: number) => {
    for (let i = 0; i < n; i++) {
      const last = bot.app.ctx.announcer.status(GUILD).lastPollAt ?? -1;
      await waitFor(
        () => ((bot.app.ctx.announcer.status(GUILD).lastPollAt ?? -1) > last ? true : undefined),
        'a poll of the server channel',
      );
    }
    await bot.app.ctx.announcer.runOnce().catch(() => undefined);
  };
  const announced = () => discord.channelMessages(ANNOUNCE).map((m) => m.embeds[0]?.url);
  await polls(2);
  const first = google.addVideo(channel, { title: 'Before the outage' });
  await waitFor(() => (announced().length > 0 ? true : undefined), 'the first announcement');
  assert.deepEqual(announced(), [`https://youtu.be/${first.id}`]);

  control.fault = readsOf('announce-claim');
  const second = google.addVideo(channel, { title: 'During the outage' });
  // A late report of the first video (an approval, a restart in between) while its claim cannot be read.
  const late = await bot.app.ctx.announcer
    .uploadFinished({
      guildId: GUILD,
      account: 'guild:' + GUILD,
      memberId: undefined,
      videoId: first.id,
      privacy: 'public',
      publishAt: undefined,
    })
    .then(
      () => undefined,
      (error: unknown) => error,
    );
  await polls(3);
  assert.ok(control.failures > 0, 'the claims were asked for');
  assert.deepEqual(announced(), [`https://youtu.be/${first.id}`], 'nothing posted without its claim');
  assert.equal((late as Error | undefined)?.name, 'StoreError', 'the late report failed instead of passing');

  // Then the whole store goes: the polls keep running (and failing) without giving up.
  control.fault = everything;
  const failures = control.failures;
  await waitFor(() => (control.failures > failures + 5 ? true : undefined), 'polls during the outage');
  assert.equal(announced().length, 1);

  control.fault = undefined;
  await waitFor(() => (announced().length > 1 ? true : undefined), 'the video missed during the outage');
  await polls(3);
  assert.deepEqual(
    announced(),
    [`https://youtu.be/${first.id}`, `https://youtu.be/${second.id}`],
    'each video exactly once',
  );
});

test('a save while the upload index cannot be read shrinks nothing: after the store is back every upload resumes', async () => {
  // Alice's first upload runs slowly; her next two wait behind it (one at a time per member).
  google.upload.throttleBytesPerSec = 20_000;
  const files = ['First', 'Second', 'Third'].map((title, i) => ({
    title,
    // Larger than loopback's socket buffers, so the first is still on its way at the restart.
    data: mp4Bytes(6 * 1024 * 1024 + i * 1000, 10 + i),
  }));
  const interactions = [];
  for (const [i, f] of files.entries()) {
    const interaction = upload(ALICE, f.title, f.data);
    await interaction.waitForOriginal(
      (m) => (i === 0 ? /Uploading|Finishing/ : /Queued/).test(m.content ?? ''),
      15_000,
    );
    interactions.push(interaction);
  }

  // Bob's upload is saved while the index cannot be read: today's save would rewrite the index as [Bob's].
  control.fault = readsOf('upload-index');
  const bob = upload(BOB, 'Bobs', mp4Bytes(100_000, 20));
  await bob.waitForOriginal((m) => /storage|Uploading|Queued/.test(m.content ?? ''), 15_000);

  // The bot restarts during the outage: the uploads cannot be listed yet, and it keeps trying.
  const { storeUrl } = bot;
  await bot.stop();
  const failures = control.failures;
  bot = await start(storeUrl);
  await waitFor(
    () => (control.failures > failures ? true : undefined),
    'the restarted bot to read the index',
  );
  google.upload.throttleBytesPerSec = null;
  control.fault = undefined;

  for (const [i, interaction] of interactions.entries()) {
    const final = await interaction.waitForOriginal(
      (m) => /is on YouTube|failed/.test(m.content ?? ''),
      60_000,
    );
    assert.match(final.content ?? '', new RegExp(`\\*\\*${files[i]?.title ?? ''}\\*\\* is on YouTube`));
  }
  const mine = [...google.videos.values()].filter((v) => files.some((f) => f.title === v.snippet.title));
  assert.deepEqual(
    mine.map((v) => v.sha256).sort(),
    files.map((f) => sha256(f.data)).sort(),
    'all three uploads, every byte',
  );
  assert.match(bob.original()?.content ?? '', STORE_DOWN, 'Bob was told his upload did not go through');
  assert.equal(
    [...google.videos.values()].filter((v) => v.snippet.title === 'Bobs').length,
    0,
    "Bob's refused upload was not made behind his back",
  );
  assert.ok(
    bot.logs.some((l) => l['msg'] === 'unfinished uploads could not be read from the store; trying again'),
    'the failed resume at start is in the log',
  );
});

test('an /unlink whose read of the Google link fails keeps the link, instead of forgetting it unrevoked', async () => {
  let reads = 0;
  // The first read (which channel) answers, the second (the tokens, to revoke them at Google) fails.
  control.fault = (op, key) => op === 'get' && key.endsWith(`:grant:${BOB.id}`) && ++reads === 2;
  const interaction = discord.sendCommand({ name: 'unlink', user: BOB, guildId: GUILD });
  const reply = await interaction.waitForOriginal((m) => (m.content ?? '') !== '', 10_000);
  control.fault = undefined;
  assert.match(reply.content ?? '', STORE_DOWN);
  assert.ok(await bot.app.ctx.oauth.linked(BOB.id), 'Bob is still linked, and his grant still works');
});

test('a store outage as the upload completes: the member reads that the bot waits for its storage, then the result; one video, nothing crashed', async () => {
  // YouTube holds its answer after the last byte until the test lets it go.
  google.upload.finalizeMs = 120_000;
  const data = mp4Bytes(300_000, 30);
  const interaction = upload(ALICE, 'Through the outage', data);
  await interaction.waitForOriginal((m) => /Finishing on YouTube/.test(m.content ?? ''), 20_000);
  // The whole store goes down while YouTube creates the video: every save of the job fails now.
  control.fault = everything;
  google.upload.finalizeMs = 0;
  await interaction.waitForOriginal((m) => /Waiting for the bot's storage/.test(m.content ?? ''), 20_000);
  const ours = () => [...google.videos.values()].filter((v) => v.snippet.title === 'Through the outage');
  await waitFor(() => (ours().length === 1 ? true : undefined), 'the video on YouTube');
  const failures = control.failures;
  await waitFor(() => (control.failures > failures + 2 ? true : undefined), 'the saves tried again');
  assert.doesNotMatch(interaction.original()?.content ?? '', /is on YouTube|failed|Uploading/);

  control.fault = undefined;
  const final = await interaction.waitForOriginal(
    (m) => /is on YouTube|failed/.test(m.content ?? ''),
    30_000,
  );
  assert.match(final.content ?? '', /\*\*Through the outage\*\* is on YouTube/);
  assert.deepEqual(
    ours().map((v) => v.sha256),
    [sha256(data)],
    'one video, every byte',
  );
  assert.ok(!bot.logs.some((l) => l['msg'] === 'upload runner crashed'), 'the runner rode the outage out');
  const jobId = bot.logs.find(
    (l) => l['msg'] === 'upload complete' && l['jobId'] !== undefined && l['videoId'] === ours()[0]?.id,
  )?.['jobId'];
  // The result is shown before the last step is recorded: the record follows a moment later.
  let record = await bot.app.ctx.uploads.get(String(jobId));
  for (let i = 0; i < 100 && !record?.steps?.every((s) => s.state === 'done'); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    record = await bot.app.ctx.uploads.get(String(jobId));
  }
  assert.equal(record?.status, 'done', 'the record caught up once the store answered');
  assert.ok(record.steps?.every((s) => s.state === 'done'));
});

test('a review card whose record could not take it is not posted twice: the step waits for the store, runs again, and Discord returns the same card', async () => {
  const channel = google.addAccount({ email: 'reviewed@example.com', channel: { title: 'Reviewed TV' } });
  serverAccount = channel;
  await linkServer(bot.app, google, GUILD, channel);
  await bot.app.ctx.settings.update(GUILD, { reviewChannelId: REVIEWS });
  // The review's second write — the one that records its posted card — fails.
  let writes = 0;
  control.fault = (op, key) => op === 'set' && key.includes(':review:') && ++writes === 2;
  const data = mp4Bytes(100_000, 40);
  const file = discord.addAttachment({ filename: 'for-review.mp4', data, channelId: UPLOADS });
  const interaction = discord.sendCommand({
    name: 'upload',
    user: BOB,
    guildId: GUILD,
    channelId: UPLOADS,
    attachments: [file],
    options: [
      { type: 11, name: 'file', value: file.id },
      { type: 3, name: 'title', value: 'For review' },
      { type: 3, name: 'account', value: 'server' },
    ],
  });
  const final = await interaction.waitForOriginal(
    (m) => /is on YouTube|failed/.test(m.content ?? ''),
    30_000,
  );
  assert.match(final.content ?? '', /stays private until a moderator approves it/);
  const cards = () => discord.channelMessages(REVIEWS).filter((m) => m.embeds[0]?.title === 'For review');
  assert.ok(writes >= 2, 'the write of the card failed');
  assert.equal(cards().length, 1, 'one card');
  const jobId = bot.logs.find(
    (l) => l['msg'] === 'upload complete' && l['jobId'] !== undefined && l['owner'] === BOB.id,
  )?.['jobId'];
  const review = await bot.app.ctx.reviews.get(String(jobId));
  assert.equal(
    review?.card?.messageId,
    cards()[0]?.id,
    'the record names the card, so a decision updates it',
  );
});

test('an announcement check that fails because of the store is tried again without using up its attempts', async () => {
  const DAN: FakeUser = { id: '700000000000000073', username: 'dan' };
  const account = google.addAccount({ email: 'dan@example.com', channel: { title: 'Dan' } });
  await linkMember(discord, google, DAN, account, GUILD);
  await bot.app.ctx.settings.update(GUILD, { announceChannelId: ANNOUNCE, announceMembers: true });
  const video = google.addVideo(account, { title: 'Checked through the outage' });
  // Reads of Dan's Google link fail after the report read it once: the check can neither ask YouTube nor
  // find Dan's channel feed.
  let reads = 0;
  control.fault = (op, key) => op === 'get' && key.endsWith(`:grant:${DAN.id}`) && ++reads > 1;
  await bot.app.ctx.announcer.uploadFinished({
    guildId: GUILD,
    account: DAN.id,
    memberId: DAN.id,
    videoId: video.id,
    privacy: 'public',
    publishAt: undefined,
  });
  const failed = () =>
    bot.logs.filter((l) => l['msg'] === 'announcement check failed' && l['videoId'] === video.id);
  // Far more checks than the 30 attempts a video that is not visible yet gets.
  // Given up, the check is forgotten: its stored record goes.
  const stored = () => bot.app.ctx.store.collection('announce-pending').get(`${GUILD}:${video.id}`);
  while (failed().length <= 40 && (await stored()) !== undefined)
    await new Promise((resolve) => setTimeout(resolve, 50));
  assert.ok((await stored()) !== undefined, 'the check is still there: the outage used up no attempts');
  control.fault = undefined;
  await waitFor(
    () =>
      discord.channelMessages(ANNOUNCE).some((m) => m.embeds[0]?.url === `https://youtu.be/${video.id}`)
        ? true
        : undefined,
    'the announcement once the store answers',
    20_000,
  );
});

test('a new video the feed shows but whose check the store stopped: the status blames the store, not YouTube', async () => {
  // The server channel was linked and announcements chosen by an earlier test.
  const owner = `guild:${GUILD}`;
  const account = serverAccount;
  assert.ok(account, 'the server channel is linked');
  const video = google.addVideo(account, { title: 'Confirmed through the outage' });
  // The read of the server's Google link that videos.list needs fails: it comes right after the poller asked
  // whether a bot upload's check waits for this video.
  let armed = false;
  control.fault = (op, key) => {
    if (op !== 'get') return false;
    if (key.endsWith(`:announce-pending:${GUILD}:${video.id}`)) armed = true;
    else if (armed && key.endsWith(`:grant:${owner}`)) {
      armed = false;
      return true;
    }
    return false;
  };
  const failures = control.failures;
  await waitFor(() => (control.failures > failures ? true : undefined), 'a lookup stopped by the store');
  await bot.app.ctx.announcer.runOnce();
  const lastError = bot.app.ctx.announcer.status(GUILD).lastError;
  assert.doesNotMatch(lastError ?? '', /YouTube/);
  assert.equal(lastError, "The bot's storage did not answer a read of grant.");
  control.fault = undefined;
  await waitFor(
    () =>
      discord.channelMessages(ANNOUNCE).some((m) => m.embeds[0]?.url === `https://youtu.be/${video.id}`)
        ? true
        : undefined,
    'the announcement once the store answers',
  );
});

test('a post Discord accepted whose record could not be saved is not reported as failed, and not sent again', async () => {
  const FRAN: FakeUser = { id: '700000000000000074', username: 'fran' };
  const account = google.addAccount({ email: 'fran@example.com', channel: { title: 'Fran' } });
  await linkMember(discord, google, FRAN, account, GUILD);
  await bot.app.ctx.settings.update(GUILD, { announceChannelId: ANNOUNCE, announceMembers: true });
  const video = google.addVideo(account, { title: 'Posted, then the store hiccups' });
  const claimKey = `:announce-claim:${GUILD}:${video.id}`;
  // The first write of the claim ("being posted") goes through; the next one ("announced") fails once.
  let writes = 0;
  control.fault = (op, key) => op === 'set' && key.endsWith(claimKey) && ++writes === 2;
  await bot.app.ctx.announcer.uploadFinished({
    guildId: GUILD,
    account: FRAN.id,
    memberId: FRAN.id,
    videoId: video.id,
    privacy: 'public',
    publishAt: undefined,
  });
  const posted = () =>
    discord.channelMessages(ANNOUNCE).filter((m) => m.embeds[0]?.url === `https://youtu.be/${video.id}`);
  const message = await waitFor(() => posted()[0], 'the announcement');
  const claims = bot.app.ctx.store.collection<{ outcome: string; messageId?: string }>('announce-claim');
  // Saved as announced once the store answers.
  const deadline = Date.now() + 10_000;
  while ((await claims.get(`${GUILD}:${video.id}`))?.outcome !== 'announced' && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(writes > 2, true, 'the save was tried again');
  assert.equal((await claims.get(`${GUILD}:${video.id}`))?.messageId, message.id);
  assert.equal(bot.app.ctx.announcer.status(GUILD).postError, undefined, 'not reported as not posted');
  control.fault = undefined;
  for (let i = 0; i < 3; i++) await bot.app.ctx.announcer.runOnce();
  assert.equal(posted().length, 1, 'posted once');
});
