// Two real bot processes on one real PostgreSQL, both on the same Discord shard (so every interaction
// reaches both, as during a zero-downtime deploy): an interaction is answered once, an upload runs in
// exactly one process, a process killed mid-transfer is taken over by the other from the byte YouTube
// kept, and SIGTERM hands the upload over at once.
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import type { FakeUser, InteractionHandle } from './fakes/discord.ts';
import { waitFor } from './fakes/http.ts';
import { startCluster, type Cluster, type ClusterBot } from './support/cluster.ts';
import { linkMember } from './support/link.ts';
import { MiB, mp4Bytes, sha256 } from './support/media.ts';

const GUILD = '800000000000000071';
const CHANNEL = '900000000000000071';
const ALICE: FakeUser = { id: '700000000000000071', username: 'alice' };
const BOB: FakeUser = { id: '700000000000000072', username: 'bob' };
const CAROL: FakeUser = { id: '700000000000000073', username: 'carol' };
const METRICS_TOKEN = 'cluster-metrics-token-0123456789';

let cluster: Cluster;

before(async () => {
  cluster = await startCluster({
    discord: {
      guilds: [
        {
          id: GUILD,
          name: 'Two processes',
          ownerId: ALICE.id,
          channels: [{ id: CHANNEL, name: 'videos', type: 0 }],
        },
      ],
    },
    env: { UPLOAD_DAILY_PER_MEMBER: '100', UPLOAD_DAILY_PER_SERVER: '100', METRICS_TOKEN },
  });
});

after(async () => {
  await cluster?.close();
});

beforeEach(async () => {
  // Each test starts with both processes running and YouTube at full speed.
  await cluster.ensureRunning();
  cluster.google.upload.throttleBytesPerSec = null;
});

/** The job records as the store holds them (what every process reads). */
async function storedJobs(): Promise<
  { id: string; owner: string; status: string; lease?: { owner: string } }[]
> {
  const client = new pg.Client({ connectionString: cluster.env['STORE_URL'] });
  await client.connect();
  try {
    const { rows } = await client.query<{ value: string }>(
      "SELECT value FROM records WHERE collection = 'upload'",
    );
    return rows.map((r) => JSON.parse(r.value) as { id: string; owner: string; status: string });
  } finally {
    await client.end();
  }
}

/** One sample of a bot's GET /metrics (a metric without labels), e.g. `tubebridge_leases_held`. */
async function metric(bot: ClusterBot, name: string): Promise<number> {
  const response = await fetch(`${bot.publicUrl}/metrics`, {
    headers: { authorization: `Bearer ${METRICS_TOKEN}` },
  });
  assert.equal(response.status, 200);
  const line = (await response.text()).split('\n').find((l) => l.startsWith(`${name} `));
  assert.ok(line, `${name} in /metrics`);
  return Number(line.slice(name.length + 1));
}

/** Polls an asynchronous check until it gives a value. */
async function until<T>(check: () => Promise<T | undefined>, what: string, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The bot whose process holds the job's lease (its store processId carries the pid). */
async function runnerOf(jobOwner: string): Promise<ClusterBot> {
  return until(
    async () => {
      const job = (await storedJobs()).find((j) => j.owner === jobOwner && j.status === 'running');
      const pid = job?.lease?.owner.split(':').at(-2);
      return cluster.bots.find((b) => String(b.process.child.pid) === pid);
    },
    `the process running ${jobOwner}'s upload`,
    30_000,
  );
}

/** Waits until the progress message shows at least `percent` % sent. */
const atLeast = (handle: InteractionHandle, percent: number) =>
  handle.waitForOriginal((m) => Number(/` (\d+)% ·/.exec(m.content ?? '')?.[1] ?? -1) >= percent, 60_000);

function upload(user: FakeUser, filename: string, data: Buffer): InteractionHandle {
  const file = cluster.discord.addAttachment({ filename, data, channelId: CHANNEL });
  return cluster.discord.sendCommand({
    name: 'upload',
    user,
    guildId: GUILD,
    channelId: CHANNEL,
    attachments: [file],
    options: [{ type: 11, name: 'file', value: file.id }],
  });
}

const callbacksOf = (handle: InteractionHandle) =>
  cluster.discord.calls.filter(
    (c) => c.method === 'POST' && c.path.startsWith(`/interactions/${handle.id}/`),
  );

const videosOf = (channelId: string | undefined) =>
  [...cluster.google.videos.values()].filter((v) => v.ownerChannelId === channelId);

test('an /upload and a button press that reach both processes are answered once: one job, one video', async () => {
  const { discord, google } = cluster;
  const account = google.addAccount({ email: 'alice@example.com', channel: { title: 'Alice Two' } });
  await linkMember(discord, google, ALICE, account, GUILD);

  google.upload.throttleBytesPerSec = 2 * MiB;
  const data = mp4Bytes(6 * MiB, 71);
  const interaction = upload(ALICE, 'once.mp4', data);
  const progress = await interaction.waitForOriginal((m) => /Uploading/.test(m.content ?? ''), 30_000);
  assert.deepEqual(interaction.deliveries(), { live: 2, resumable: 0 }, 'both processes got the command');
  const final = await interaction.waitForOriginal(
    (m) => /is on YouTube|failed/i.test(m.content ?? ''),
    60_000,
  );
  google.upload.throttleBytesPerSec = null;
  assert.match(final.content ?? '', /\*\*once\*\* is on YouTube/);
  assert.equal(callbacksOf(interaction).length, 1, 'one answer to Discord');
  assert.equal(interaction.lateCallbacks(), 0, 'the other process did not even try');
  assert.equal((await storedJobs()).filter((j) => j.owner === ALICE.id).length, 1, 'one job');
  const videos = videosOf(account.channel?.id);
  assert.equal(videos.length, 1, 'one video');
  assert.equal(videos[0]?.sha256, sha256(data));
  assert.equal([...google.sessions.values()].filter((s) => s.accountId === account.id).length, 1);
  assert.ok(progress);

  // A button on the result (Show my upload / Delete…) or any press: answered by exactly one process.
  const press = discord.sendCommand({ name: 'help', user: ALICE, guildId: GUILD, channelId: CHANNEL });
  await press.response(15_000);
  await waitFor(
    () =>
      cluster.bots.every((b) =>
        b.process
          .logs()
          .some(
            (e) =>
              e['interactionId'] === press.id ||
              (e['msg'] === 'interaction' && e['outcome'] === 'ok' && e['interaction'] === '/help'),
          ),
      )
        ? true
        : undefined,
    'both processes to have seen /help',
    15_000,
  );
  assert.equal(callbacksOf(press).length, 1);
  assert.equal(press.lateCallbacks(), 0);
  const answered = cluster.bots.filter((b) =>
    b.process.logs().some((e) => e['msg'] === 'interaction' && e['interaction'] === '/help'),
  );
  assert.equal(answered.length, 1, 'one process answered /help, the other left it');
});

test('a Cancel pressed in whichever process: the upload is cancelled once, no video', async () => {
  const { discord, google } = cluster;
  const account = google.addAccount({ email: 'carol@example.com', channel: { title: 'Carol Two' } });
  await linkMember(discord, google, CAROL, account, GUILD);
  google.upload.throttleBytesPerSec = MiB;
  // Which process wins the press is Discord's (and the store's) choice: a few presses cover both the
  // process running the upload and the other one (which asks the runner through the store).
  for (let n = 0; n < 3; n++) {
    const interaction = upload(CAROL, `cancel${n}.mp4`, mp4Bytes(9 * MiB, 73 + n));
    const progress = await interaction.waitForOriginal(
      (m) => /Uploading/.test(m.content ?? '') && m.components.length > 0,
      30_000,
    );
    const press = discord.pressButton({ message: progress, label: /Cancel/, user: CAROL, guildId: GUILD });
    await press.response(15_000);
    const final = await interaction.waitForOriginal((m) => /\*\*Cancelled\*\*/.test(m.content ?? ''), 60_000);
    assert.match(final.content ?? '', /Cancelled/);
    assert.deepEqual(press.deliveries(), { live: 2, resumable: 0 });
    assert.equal(callbacksOf(press).length, 1, 'the press answered once');
    assert.equal(press.lateCallbacks(), 0);
  }
  google.upload.throttleBytesPerSec = null;
  assert.equal(videosOf(account.channel?.id).length, 0, 'no video');
  const jobs = (await storedJobs()).filter((j) => j.owner === CAROL.id);
  assert.deepEqual(
    jobs.map((j) => j.status),
    ['cancelled', 'cancelled', 'cancelled'],
  );
});

test('SIGKILL the process running an upload: the other takes it over from the byte YouTube kept', async () => {
  const { discord, google } = cluster;
  const account = google.addAccount({ email: 'bob@example.com', channel: { title: 'Bob Two' } });
  await linkMember(discord, google, BOB, account, GUILD);
  google.upload.throttleBytesPerSec = MiB;
  const data = mp4Bytes(10 * MiB, 72);
  const interaction = upload(BOB, 'takeover.mp4', data);
  await interaction.waitForOriginal((m) => /Uploading/.test(m.content ?? ''), 30_000);
  const runner = await runnerOf(BOB.id);
  const other = runner === cluster.a ? cluster.b : cluster.a;
  assert.equal(await metric(runner, 'tubebridge_leases_held'), 1, "the runner's /metrics shows its lease");
  const takenBefore = await metric(other, 'tubebridge_leases_taken_over_total');
  await atLeast(interaction, 20);
  await cluster.kill(runner);
  const killedAt = Date.now();
  const editsAtKill = interaction.original()?.edits ?? 0;
  const session = await waitFor(
    () => [...google.sessions.values()].find((s) => s.accountId === account.id && s.received > 0),
    'YouTube to keep what arrived before the kill',
  );
  const kept = session.received;
  assert.ok(kept > 0 && kept < data.length, `YouTube kept ${kept} bytes`);
  google.upload.throttleBytesPerSec = 4 * MiB;

  const resumed = await other.process.waitForLog(
    (e) => e['msg'] === 'resuming upload' && e['owner'] === BOB.id && e['takenOver'] === true,
    'the other process to take the upload over',
    60_000,
  );
  assert.ok(Date.now() - killedAt < 60_000, 'taken over within 60 s');
  // Not by waiting out the 30 s lease: PostgreSQL freed the killed process's presence lock at once.
  assert.ok(
    Number(resumed['leaseLeftMs']) > 0,
    `taken over before the dead process's lease ran out (${String(resumed['leaseLeftMs'])} ms left)`,
  );
  assert.equal(
    await metric(other, 'tubebridge_leases_taken_over_total'),
    takenBefore + 1,
    "the survivor's /metrics counts the take-over",
  );
  const final = await interaction.waitForOriginal(
    (m) => /is on YouTube|failed/i.test(m.content ?? ''),
    90_000,
  );
  google.upload.throttleBytesPerSec = null;
  assert.match(final.content ?? '', /\*\*takeover\*\* is on YouTube/);
  assert.ok(final.edits > editsAtKill, 'the same progress message continued after the kill');
  const videos = videosOf(account.channel?.id);
  assert.equal(videos.length, 1, 'exactly one video');
  assert.equal(videos[0]?.sha256, sha256(data), 'every byte intact');
  assert.equal(
    [...google.sessions.values()].filter((s) => s.accountId === account.id).length,
    1,
    'the same YouTube session, continued',
  );
  await cluster.restart(runner);
});

test('SIGTERM hands a running upload over at once: the other continues long before the lease runs out', async () => {
  const { discord, google } = cluster;
  const dave: FakeUser = { id: '700000000000000074', username: 'dave' };
  const account = google.addAccount({ email: 'dave@example.com', channel: { title: 'Dave Two' } });
  await linkMember(discord, google, dave, account, GUILD);
  google.upload.throttleBytesPerSec = MiB;
  const data = mp4Bytes(10 * MiB, 74);
  const interaction = upload(dave, 'handover.mp4', data);
  await interaction.waitForOriginal((m) => /Uploading/.test(m.content ?? ''), 30_000);
  const runner = await runnerOf(dave.id);
  const other = runner === cluster.a ? cluster.b : cluster.a;
  await atLeast(interaction, 10);
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([
    cluster.terminate(runner),
    new Promise<'still running'>((resolve) => (timer = setTimeout(() => resolve('still running'), 10_000))),
  ]);
  clearTimeout(timer);
  assert.equal(code, 0, 'a clean exit within 10 seconds');
  assert.ok(
    runner.process.logs().some((e) => e['msg'] === 'upload handed back'),
    'the upload was handed back',
  );
  // Handed back without a lease: taken long before a 30-second lease would have run out.
  await other.process.waitForLog(
    (e) => e['msg'] === 'resuming upload' && e['owner'] === dave.id && e['takenOver'] === false,
    'the other process to continue the upload',
    20_000,
  );
  google.upload.throttleBytesPerSec = null;
  const final = await interaction.waitForOriginal(
    (m) => /is on YouTube|failed/i.test(m.content ?? ''),
    60_000,
  );
  assert.match(final.content ?? '', /\*\*handover\*\* is on YouTube/);
  const videos = videosOf(account.channel?.id);
  assert.equal(videos.length, 1, 'exactly one video');
  assert.equal(videos[0]?.sha256, sha256(data), 'every byte intact');
  await cluster.restart(runner);
});

const PAGE_CHUNK = 4 * MiB;
const TUS = { 'tus-resumable': '1.0.0' };

/**
 * A member's /upload without a file, and the upload page's tus upload created at `bot` (a page sends
 * wherever its link's host routes it; with a load balancer in front, to any process).
 */
async function pageUpload(user: FakeUser, bot: ClusterBot, filename: string, size: number, seed: number) {
  const ask = cluster.discord.sendCommand({
    name: 'upload',
    user,
    guildId: GUILD,
    channelId: CHANNEL,
    options: [],
  });
  const reply = await ask.waitForOriginal((m) => m.components.length > 0, 20_000);
  const link = reply.components.flatMap((row) => row.components ?? []).find((c) => c.url)?.url ?? '';
  const path = new URL(link).pathname;
  const data = mp4Bytes(size, seed);
  const created = await fetch(`${bot.publicUrl}${path}/files`, {
    method: 'POST',
    headers: {
      ...TUS,
      'upload-length': String(data.length),
      'upload-metadata': `filename ${Buffer.from(filename).toString('base64')}`,
    },
  });
  assert.equal(created.status, 201);
  const uploadPath = new URL(created.headers.get('location') ?? '', `${bot.publicUrl}${path}/`).pathname;
  /** One PATCH of the chunk at `offset`. */
  const patch = async (offset: number, to = bot) => {
    const res = await fetch(`${to.publicUrl}${uploadPath}`, {
      method: 'PATCH',
      headers: { ...TUS, 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream' },
      body: data.subarray(offset, offset + PAGE_CHUNK),
    });
    return { status: res.status, text: await res.text(), offset: Number(res.headers.get('upload-offset')) };
  };
  /** Sends the chunk, again while the bot says to try again (503), as tus-js-client does. */
  const send = (offset: number, to = bot): Promise<number> =>
    until(
      async () => {
        const res = await patch(offset, to);
        if (res.status === 503) return undefined;
        assert.equal(res.status, 204, `PATCH at ${offset} to bot ${to.name}: ${res.text}`);
        return res.offset;
      },
      `bot ${to.name} to take the chunk at ${offset}`,
      90_000,
    );
  return { ask, data, patch, send };
}

test('a page upload: its lease follows the bytes to the process the page sends them to', async () => {
  const { discord, google } = cluster;
  const erin: FakeUser = { id: '700000000000000075', username: 'erin' };
  const account = google.addAccount({ email: 'erin@example.com', channel: { title: 'Erin Two' } });
  await linkMember(discord, google, erin, account, GUILD);
  const upload = await pageUpload(erin, cluster.a, 'follow.mp4', 3 * PAGE_CHUNK, 75);
  assert.equal(await upload.send(0), PAGE_CHUNK);

  // The process relaying it stops: the upload is handed back at the byte YouTube kept…
  assert.equal(await cluster.terminate(cluster.a), 0);
  // …and the page's next chunk, sent to the other process (a load balancer's choice), takes it there.
  assert.equal(await upload.send(PAGE_CHUNK, cluster.b), 2 * PAGE_CHUNK);
  assert.ok(
    cluster.b.process.logs().some((e) => e['msg'] === 'resuming upload' && e['owner'] === erin.id),
    'the process the bytes came to took the upload',
  );
  assert.equal(await upload.send(2 * PAGE_CHUNK, cluster.b), 3 * PAGE_CHUNK);
  const final = await upload.ask.waitForOriginal(
    (m) => /is on YouTube|failed/i.test(m.content ?? ''),
    60_000,
  );
  assert.match(final.content ?? '', /\*\*follow\*\* is on YouTube/);
  const videos = videosOf(account.channel?.id);
  assert.equal(videos.length, 1, 'exactly one video');
  assert.equal(videos[0]?.sha256, sha256(upload.data), 'every byte intact');
  assert.equal([...google.sessions.values()].filter((s) => s.accountId === account.id).length, 1);
});

test("a member's upload slot is counted across processes: a second upload waits while the first sends in the other", async () => {
  const { discord, google } = cluster;
  const frank: FakeUser = { id: '700000000000000076', username: 'frank' };
  const account = google.addAccount({ email: 'frank@example.com', channel: { title: 'Frank Two' } });
  await linkMember(discord, google, frank, account, GUILD);
  // Two page uploads (UPLOAD_CONCURRENCY_PER_MEMBER is 1): the page of the first sends to one process,
  // the page of the second to the other, so each runs where its bytes arrive.
  const first = await pageUpload(frank, cluster.a, 'first.mp4', 2 * PAGE_CHUNK, 76);
  assert.equal(await first.send(0), PAGE_CHUNK, 'the first upload takes the member’s slot');
  const second = await pageUpload(frank, cluster.b, 'second.mp4', 2 * PAGE_CHUNK, 77);
  const refused = await second.patch(0);
  assert.equal(refused.status, 503, 'the second waits: the member’s one slot is taken in the other process');
  assert.match(refused.text, /waits for a free slot/);
  assert.equal(await first.send(PAGE_CHUNK), 2 * PAGE_CHUNK);
  // The first is in: its slot is free, and the second goes on where its page sends it.
  assert.equal(await second.send(0), PAGE_CHUNK);
  assert.equal(await second.send(PAGE_CHUNK), 2 * PAGE_CHUNK);
  for (const upload of [first, second])
    await upload.ask.waitForOriginal((m) => /is on YouTube/.test(m.content ?? ''), 60_000);
  const videos = videosOf(account.channel?.id);
  assert.equal(videos.length, 2);
  assert.deepEqual(new Set(videos.map((v) => v.sha256)), new Set([sha256(first.data), sha256(second.data)]));
});

test('SIGKILL while YouTube processes the video: the other process follows the processing on, once', async () => {
  const { discord, google } = cluster;
  const grace: FakeUser = { id: '700000000000000077', username: 'grace' };
  const account = google.addAccount({ email: 'grace@example.com', channel: { title: 'Grace Two' } });
  await linkMember(discord, google, grace, account, GUILD);
  // YouTube takes a while: the follow-up polls (2 s, 4 s, 8 s…) several times before it is done.
  const plan = google.processing.pollsBeforeDone;
  google.processing.pollsBeforeDone = 4;
  try {
    const data = mp4Bytes(MiB, 78);
    const interaction = upload(grace, 'processing.mp4', data);
    await interaction.waitForOriginal((m) => /YouTube is processing/.test(m.content ?? ''), 60_000);
    const runner = await until(
      async () => {
        const job = (await storedJobs()).find((j) => j.owner === grace.id && j.status === 'processing');
        const pid = job?.lease?.owner.split(':').at(-2);
        return cluster.bots.find((b) => String(b.process.child.pid) === pid);
      },
      "the process following grace's upload",
      30_000,
    );
    const other = runner === cluster.a ? cluster.b : cluster.a;
    const video = videosOf(account.channel?.id)[0];
    assert.ok(video, 'the video exists');
    const pollsBefore = google.videos.get(video.id)?.processingPolls ?? 0;
    await cluster.kill(runner);
    const resumed = await other.process.waitForLog(
      (e) =>
        e['msg'] === 'resuming upload' &&
        e['owner'] === grace.id &&
        e['status'] === 'processing' &&
        e['takenOver'] === true,
      'the other process to follow the processing on',
      60_000,
    );
    assert.ok(Number(resumed['leaseLeftMs']) > 0, 'taken over before the dead process’s lease ran out');
    const final = await interaction.waitForOriginal(
      (m) => /is on YouTube|failed/i.test(m.content ?? ''),
      90_000,
    );
    assert.match(final.content ?? '', /\*\*processing\*\* is on YouTube/);
    assert.equal(videosOf(account.channel?.id).length, 1, 'one video');
    assert.equal(
      google.videos.get(video.id)?.processing.outcome,
      'succeeded',
      'followed until YouTube finished processing',
    );
    assert.ok((google.videos.get(video.id)?.processingPolls ?? 0) > pollsBefore, 'the survivor polled on');
  } finally {
    google.processing.pollsBeforeDone = plan;
  }
});
