// /upload without a file: the private upload page in headless Chromium (real tus-js-client, the
// page's strict CSP) relays the file to the Google fake's resumable session. The bot is a real child
// process, so it can be SIGKILLed mid-transfer.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { FakeDiscord, type FakeUser } from './fakes/discord.ts';
import { FakeGoogle } from './fakes/google.ts';
import { waitFor } from './fakes/http.ts';
import { baseEnv, fakeEnv, freePort, ROOT, startBot, type BotEnv, type BotProcess } from './support/bot.ts';
import { linkMember } from './support/link.ts';
import { MiB, mp4Bytes, sha256 } from './support/media.ts';

const CHROMIUM = '/usr/bin/chromium';
const GUILD = '800000000000000111';
const CHANNEL = '900000000000000111';
const ALICE: FakeUser = { id: '700000000000000111', username: 'alice', global_name: 'Alice Page' };
const BOB: FakeUser = { id: '700000000000000112', username: 'bob', global_name: 'Bob Page' };
const skip =
  !existsSync(CHROMIUM) && process.env['CI'] !== 'true'
    ? `needs ${CHROMIUM}: apt-get install chromium`
    : false;

let discord: FakeDiscord;
let google: FakeGoogle;
let env: BotEnv;
let bot: BotProcess;
let browser: Browser;
let dir: string;
const accounts: Record<string, ReturnType<FakeGoogle['addAccount']>> = {};

async function boot(): Promise<BotProcess> {
  const identified = discord.identified();
  const started = startBot(env);
  await started.waitForLog((e) => e['msg'] === 'discord ready', 'the bot to be ready');
  await waitFor(() => (discord.identified() > identified ? true : undefined), 'IDENTIFY');
  return started;
}

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'tb-page-'));
  discord = await FakeDiscord.start({
    guilds: [
      { id: GUILD, name: 'Pages', ownerId: ALICE.id, channels: [{ id: CHANNEL, name: 'videos', type: 0 }] },
    ],
  });
  const port = await freePort();
  google = await FakeGoogle.start({ redirectUris: [`http://127.0.0.1:${port}/oauth/callback`] });
  env = baseEnv({
    ...fakeEnv(discord, google),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    HTTP_PORT: String(port),
    UPLOAD_DAILY_PER_MEMBER: '1000',
    UPLOAD_MAX_BYTES: String(1024 * MiB),
    // Long enough to open a page, short enough to see one expire.
    UPLOAD_LINK_TTL_SECONDS: '40',
  });
  bot = await boot();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-sync',
    ],
  });
  accounts['alice'] = google.addAccount({ email: 'alice@example.com', channel: { title: 'Alice Channel' } });
  accounts['bob'] = google.addAccount({ email: 'bob@example.com', channel: { title: 'Bob Channel' } });
  await linkMember(discord, google, ALICE, accounts['alice'], GUILD);
  await linkMember(discord, google, BOB, accounts['bob'], GUILD);
});

after(async () => {
  if (skip) return;
  await browser.close();
  await bot.stop('SIGKILL');
  await discord.close();
  await google.close();
  rmSync(dir, { recursive: true, force: true });
});

/** /upload without a file: the private reply's link to the page. */
async function askForPage(user: FakeUser, options: { type: number; name: string; value: unknown }[] = []) {
  const interaction = discord.sendCommand({
    name: 'upload',
    user,
    guildId: GUILD,
    channelId: CHANNEL,
    options,
  });
  const reply = await interaction.waitForOriginal((m) => (m.components?.length ?? 0) > 0);
  const button = (reply.components as { components: { url?: string; label?: string }[] }[])[0]?.components[0];
  assert.equal(button?.label, 'Choose the video');
  return { interaction, url: button?.url ?? '', content: reply.content ?? '' };
}

/** "Upload to YouTube" on a message of Alice's without a video: the interaction's first answer. */
async function uploadToYouTubeOn(id: string, content: string) {
  const message = {
    id,
    channel_id: CHANNEL,
    author: ALICE,
    content,
    attachments: [],
    embeds: [],
    timestamp: new Date().toISOString(),
    type: 0,
  };
  return discord
    .sendCommand({
      type: 3,
      name: 'Upload to YouTube',
      user: ALICE,
      guildId: GUILD,
      channelId: CHANNEL,
      targetId: message.id,
      resolved: { messages: { [message.id]: message } },
    })
    .response();
}

function writeFile(name: string, data: Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, data);
  return path;
}

async function openPage(url: string): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 390, height: 760 } });
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(url);
  return { page, problems };
}

const videosOf = (account: { channel: { id: string } | null }) =>
  [...google.videos.values()].filter((v) => v.ownerChannelId === account.channel?.id);
const sessionsOf = (account: { id: string }) =>
  [...google.sessions.values()].filter((s) => s.accountId === account.id);

test('a file chosen on the page arrives intact as one video with its metadata', { skip }, async () => {
  const alice = accounts['alice']!;
  const data = mp4Bytes(300 * MiB + 12345, 111);
  const path = writeFile('holiday clip.mp4', data);
  const { interaction, url, content } = await askForPage(ALICE, [
    { type: 3, name: 'description', value: 'From the page' },
    { type: 3, name: 'privacy', value: 'unlisted' },
  ]);
  assert.match(content, /title: the file name, privacy: unlisted/);
  const { page, problems } = await openPage(url);
  assert.match(await page.locator('main').innerText(), /For Alice Page\s*@alice/);
  assert.match(await page.locator('main').innerText(), /From the page/);
  await page.setInputFiles('#file', path);
  await page.locator('#message a').waitFor({ timeout: 300_000 });
  const link = await page.locator('#message a').innerText();
  const videos = videosOf(alice);
  assert.equal(videos.length, 1, 'one video');
  const video = videos[0]!;
  assert.equal(link, `https://youtu.be/${video.id}`);
  assert.equal(video.sha256, sha256(data), 'every byte intact');
  assert.equal(video.snippet.title, 'holiday clip');
  assert.equal(video.snippet.description, 'From the page');
  assert.equal(sessionsOf(alice).length, 1, 'one session');
  const done = await interaction.waitForOriginal((m) => /is on YouTube/.test(m.content ?? ''), 60_000);
  assert.match(done.content ?? '', new RegExp(`youtu\\.be/${video.id}`));
  mkdirSync(join(ROOT, 'test-output'), { recursive: true });
  await page.screenshot({ path: join(ROOT, 'test-output', 'upload-page-done.png'), fullPage: true });
  // The page asks for its upload before creating it (a 404 by design), and Chromium asks for a favicon.
  assert.deepEqual(
    problems.filter((p) => !/status of 404/.test(p)),
    [],
    'no console errors, no CSP violations',
  );
  // The link is spent.
  const again = await fetch(url);
  assert.equal(again.status, 410);
  assert.match(await again.text(), /already used/);
  await page.close();
  rmSync(path);
});

/** waitFor for checks that must await (the page's text). */
async function until<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const TUS = { 'tus-resumable': '1.0.0' };

/** Creates the link's upload the way tus-js-client does; returns its URL. */
async function create(url: string, size: number, filename = 'raw.mp4'): Promise<Response> {
  return fetch(`${url}/files`, {
    method: 'POST',
    headers: {
      ...TUS,
      'upload-length': String(size),
      'upload-metadata': `filename ${Buffer.from(filename).toString('base64')}`,
    },
  });
}

function patch(uploadUrl: string, offset: number, body: Buffer): Promise<Response> {
  return fetch(uploadUrl, {
    method: 'PATCH',
    headers: { ...TUS, 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream' },
    body,
  });
}

test(
  'a file that is not a video is refused on the page, and by the bot before any YouTube session',
  { skip },
  async () => {
    const bob = accounts['bob']!;
    const text = Buffer.alloc(2 * MiB, 'not a video at all\n');
    const { url } = await askForPage(BOB);
    const { page } = await openPage(url);
    await page.setInputFiles('#file', writeFile('notes.mp4', text));
    await until(
      async () =>
        (await page.locator('#message').innerText()).includes('is not a video') ? true : undefined,
      'the page refuses',
    );
    await page.close();
    // A client that skips the page's check: the bot sniffs the first bytes itself.
    const created = await create(url, text.length, 'notes.mp4');
    assert.equal(created.status, 201);
    const uploadUrl = new URL(created.headers.get('location') ?? '', url).href;
    const refused = await patch(uploadUrl, 0, text);
    assert.equal(refused.status, 415);
    assert.match(await refused.text(), /is not a video YouTube accepts/);
    assert.equal(sessionsOf(bob).length, 0, 'no YouTube session was created');
    assert.equal(videosOf(bob).length, 0);
  },
);

test(
  'requests that lie, and another member’s upload id, are refused and change nothing',
  { skip },
  async (t) => {
    const alice = accounts['alice']!;
    const bob = accounts['bob']!;
    const { url: aliceUrl } = await askForPage(ALICE);
    const { url: bobUrl } = await askForPage(BOB);
    const before = { alice: sessionsOf(alice).length, bob: sessionsOf(bob).length };
    // Over UPLOAD_MAX_BYTES (set to 1 GiB for this bot).
    assert.equal((await create(aliceUrl, 2 * 1024 * MiB)).status, 413);
    const created = await create(aliceUrl, 4 * MiB);
    assert.equal(created.status, 201);
    const aliceUpload = new URL(created.headers.get('location') ?? '', aliceUrl).href;
    const aliceId = aliceUpload.split('/').pop() ?? '';
    // Whatever happens below, Alice's upload must not keep her only upload slot from later tests.
    t.after(() => fetch(aliceUpload, { method: 'DELETE', headers: TUS }).then(() => undefined));
    // Bob's link with Alice's upload id: unknown there, whoever's it is.
    const foreign = `${bobUrl}/files/${aliceId}`;
    for (const method of ['HEAD', 'PATCH', 'DELETE']) {
      const res = await fetch(foreign, {
        method,
        headers: { ...TUS, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
        ...(method === 'PATCH' ? { body: mp4Bytes(256 * 1024) } : {}),
      });
      assert.equal(res.status, 404, `${method} on another member's upload`);
    }
    // A wrong offset, more bytes than declared, a chunk YouTube would refuse.
    assert.equal((await patch(aliceUpload, 1024, mp4Bytes(256 * 1024))).status, 409);
    assert.equal((await patch(aliceUpload, 0, mp4Bytes(5 * MiB))).status, 413);
    assert.equal((await patch(aliceUpload, 0, mp4Bytes(300 * 1024))).status, 400);
    const head = await fetch(aliceUpload, { method: 'HEAD', headers: TUS });
    assert.equal(head.headers.get('upload-offset'), '0', 'nothing was taken');
    assert.equal(sessionsOf(alice).length, before.alice, 'no YouTube session for the lies');
    assert.equal(sessionsOf(bob).length, before.bob);
    // A second upload under the same link is refused: one link, one upload.
    assert.equal((await create(aliceUrl, 4 * MiB, 'other.mp4')).status, 409);
    // Terminated by its owner's page: the link is spent.
    assert.equal((await fetch(aliceUpload, { method: 'DELETE', headers: TUS })).status, 204);
    assert.equal((await fetch(aliceUrl)).status, 410);
  },
);

test('a link never used expires: the page says so (410) and the reply is updated', { skip }, async () => {
  const { interaction, url } = await askForPage(BOB);
  const edited = await interaction.waitForOriginal((m) => /expired|not used/i.test(m.content ?? ''), 90_000);
  assert.match(edited.content ?? '', /Run \/upload again/);
  const res = await fetch(url);
  assert.equal(res.status, 410);
  const text = await res.text();
  assert.match(text, /expired/);
  assert.doesNotMatch(text, /bob|Bob Page/, 'the page names nobody');
  const unknown = await fetch(url.replace(/[A-Za-z0-9_-]{43}$/, 'A'.repeat(43)));
  assert.equal(unknown.status, 404);
  assert.doesNotMatch(await unknown.text(), /bob|alice/i);
});

const PUT = { method: 'PUT', path: /\/upload\/youtube\/v3\/videos/ };

/** Starts a page upload of `data` for Alice; resolves once YouTube acknowledged at least `atLeast` bytes. */
async function startPageUpload(name: string, data: Buffer, atLeast: number) {
  const alice = accounts['alice']!;
  const path = writeFile(name, data);
  const { interaction, url } = await askForPage(ALICE);
  const { page, problems } = await openPage(url);
  await page.setInputFiles('#file', path);
  const session = await waitFor(
    () => sessionsOf(alice).find((s) => s.received >= atLeast && !s.done),
    `YouTube to acknowledge ${atLeast} bytes`,
    120_000,
  );
  return { interaction, url, page, problems, path, session };
}

/**
 * Starts a page upload on the default (the whole file in one request) and returns once the page has sent
 * `percent` of it: YouTube counts a request's bytes only when it ends, so the page's bar says how far it is.
 */
async function startWholeFileUpload(name: string, data: Buffer, percent: number) {
  const path = writeFile(name, data);
  const { interaction, url } = await askForPage(ALICE);
  const { page } = await openPage(url);
  let patches = 0;
  page.on('request', (r) => {
    if (r.method() === 'PATCH') patches += 1;
  });
  await page.setInputFiles('#file', path);
  await until(
    async () => (Number(await page.locator('#bar').getAttribute('value')) >= percent ? true : undefined),
    `the page to send ${percent} %`,
    120_000,
  );
  // Past the first 64 MiB and still one request: not in chunks.
  assert.ok(percent * data.length > 100 * 64 * MiB);
  assert.equal(patches, 1, 'the whole file in one request');
  return { interaction, page, path };
}

async function expectOneIntactVideo(page: Page, data: Buffer, sessionsBefore: number, videosBefore: number) {
  const alice = accounts['alice']!;
  await page.locator('#message a').waitFor({ timeout: 300_000 });
  const videos = videosOf(alice);
  assert.equal(videos.length, videosBefore + 1, 'exactly one new video');
  const video = videos.at(-1)!;
  assert.equal(await page.locator('#message a').innerText(), `https://youtu.be/${video.id}`);
  assert.equal(video.sha256, sha256(data), 'every byte intact');
  assert.equal(sessionsOf(alice).length, sessionsBefore + 1, 'one YouTube session');
}

test(
  'a page reload mid-transfer, the same file chosen again, continues where YouTube stopped',
  { skip },
  async () => {
    const alice = accounts['alice']!;
    const counts = [sessionsOf(alice).length, videosOf(alice).length] as const;
    google.upload.throttleBytesPerSec = 24 * MiB;
    try {
      const data = mp4Bytes(150 * MiB, 222);
      const { page, path } = await startWholeFileUpload('reload.mp4', data, 50);
      await page.reload();
      assert.match(
        await page.locator('#resume-note').innerText(),
        /choose the same file again \(reload\.mp4\)/,
      );
      await page.setInputFiles('#file', path);
      google.upload.throttleBytesPerSec = null;
      await expectOneIntactVideo(page, data, ...counts);
      // Not from zero: YouTube was sent the file about once (what a cut-off PUT had in flight and
      // YouTube did not keep is below its 256 KiB unit); a restart would have sent some 75 MiB again.
      const session = sessionsOf(alice).at(-1)!;
      const sent = google.requests
        .filter((r) => r.method === 'PUT' && r.query.get('upload_id') === session.id)
        .reduce((sum, r) => sum + r.bytes, 0);
      assert.ok(sent - data.length < 16 * MiB, `${sent - data.length} bytes sent twice`);
      await page.close();
      rmSync(path);
    } finally {
      google.upload.throttleBytesPerSec = null;
    }
  },
);

test(
  'YouTube keeps less of a chunk than it was sent (308 with a shorter Range): the page resends from there',
  { skip },
  async () => {
    const alice = accounts['alice']!;
    const counts = [sessionsOf(alice).length, videosOf(alice).length] as const;
    const kept = 1 * MiB;
    try {
      // One chunk of 3 MiB + 7 bytes; YouTube answers its PUT 308 with `Range: bytes=0-1048575`.
      google.fail(PUT, { keepBytes: kept });
      const data = mp4Bytes(3 * MiB + 7, 888);
      const path = writeFile('kept less.mp4', data);
      const { url } = await askForPage(ALICE);
      const { page } = await openPage(url);
      await page.setInputFiles('#file', path);
      await expectOneIntactVideo(page, data, ...counts);
      const session = sessionsOf(alice).at(-1)!;
      const puts = google.requests.filter(
        (r) => r.method === 'PUT' && r.query.get('upload_id') === session.id,
      );
      assert.ok(
        puts.some((r) => r.status === 308 && r.bytes === data.length),
        'the whole chunk was sent and answered 308',
      );
      // The rest was sent from YouTube's offset, not from zero and not from the page's own count.
      assert.equal(puts.at(-1)?.bytes, data.length - kept, 'the next PUT starts where YouTube stopped');
      assert.equal(
        puts.reduce((sum, r) => sum + r.bytes, 0),
        2 * data.length - kept,
        'only what YouTube did not keep was sent again',
      );
      await page.close();
      rmSync(path);
    } finally {
      google.clearFaults();
    }
  },
);

test(
  'by default the page sends the whole file in one request; a drop on YouTube’s side resumes from YouTube’s byte',
  { skip },
  async () => {
    const alice = accounts['alice']!;
    const counts = [sessionsOf(alice).length, videosOf(alice).length] as const;
    const cut = 30 * MiB;
    try {
      // YouTube's connection drops 30 MiB into the first PUT; YouTube keeps those 30 MiB.
      google.fail({ ...PUT, contentRange: /^bytes 0-/ }, { dropAfterBytes: cut });
      const data = mp4Bytes(100 * MiB + 7, 1010);
      const path = writeFile('whole.mp4', data);
      const { url } = await askForPage(ALICE);
      const { page } = await openPage(url);
      await page.setInputFiles('#file', path);
      await expectOneIntactVideo(page, data, ...counts);
      const session = sessionsOf(alice).at(-1)!;
      const puts = google.requests.filter(
        (r) => r.method === 'PUT' && r.query.get('upload_id') === session.id && r.bytes > 0,
      );
      // Two PUTs carried bytes: the one cut off, then the rest of the file from YouTube's byte in one
      // request (with 64 MiB chunks there would be three or more).
      assert.deepEqual(
        puts.map((r) => [r.status, r.bytes]),
        [
          [0, cut],
          [200, data.length - cut],
        ],
      );
      await page.close();
      rmSync(path);
    } finally {
      google.clearFaults();
    }
  },
);

test(
  'SIGKILL of the bot mid-transfer, restart: the page continues by itself to one intact video',
  { skip },
  async () => {
    const alice = accounts['alice']!;
    const counts = [sessionsOf(alice).length, videosOf(alice).length] as const;
    google.upload.throttleBytesPerSec = 24 * MiB;
    try {
      const data = mp4Bytes(150 * MiB, 444);
      const { interaction, page, path } = await startWholeFileUpload('killed.mp4', data, 50);
      await bot.stop('SIGKILL');
      bot = await boot();
      google.upload.throttleBytesPerSec = null;
      await expectOneIntactVideo(page, data, ...counts);
      // The same Discord message finishes it.
      await interaction.waitForOriginal((m) => /is on YouTube/.test(m.content ?? ''), 60_000);
      await page.close();
      rmSync(path);
    } finally {
      google.upload.throttleBytesPerSec = null;
    }
  },
);

test(
  '"Upload to YouTube" on a message without a video: the form, then the page takes the file',
  { skip },
  async () => {
    const alice = accounts['alice']!;
    const opened = await uploadToYouTubeOn('990000000000000111', 'I filmed the match, it is 2 GB');
    assert.equal(opened.type, 9, 'a modal');
    const modal = opened.data as { custom_id: string };
    const submit = discord.sendModalSubmit({
      customId: modal.custom_id,
      fields: { title: '', description: 'The whole match' },
      user: ALICE,
      guildId: GUILD,
      channelId: CHANNEL,
    });
    const reply = await submit.waitForOriginal((m) => (m.components?.length ?? 0) > 0);
    const button = (reply.components as { components: { url?: string; label?: string }[] }[])[0]
      ?.components[0];
    assert.equal(button?.label, 'Choose the video');
    const data = mp4Bytes(3 * MiB + 7, 555);
    const path = writeFile('the match.mov', data);
    const { page } = await openPage(button?.url ?? '');
    await page.setInputFiles('#file', path);
    await page.locator('#message a').waitFor({ timeout: 120_000 });
    const video = videosOf(alice).find((v) => v.sha256 === sha256(data));
    assert.equal(video?.snippet.title, 'the match');
    assert.equal(video?.snippet.description, 'The whole match');
    await page.close();
    rmSync(path);
  },
);

test(
  '"Upload to YouTube" without a video: a file sent with the form goes up as an attachment',
  { skip },
  async () => {
    const alice = accounts['alice']!;
    const opened = await uploadToYouTubeOn('990000000000000112', 'short clip coming');
    const modal = opened.data as { custom_id: string; components: unknown[] };
    assert.match(JSON.stringify(modal.components), /"type":19/, 'the form offers a file upload');
    const data = mp4Bytes(2 * MiB, 777);
    const file = discord.addAttachment({ filename: 'from the form.mp4', data, channelId: CHANNEL });
    const submit = discord.sendModalSubmit({
      customId: modal.custom_id,
      fields: { title: '', description: 'Sent with the form' },
      files: { video: [file] },
      user: ALICE,
      guildId: GUILD,
      channelId: CHANNEL,
    });
    const done = await submit.waitForOriginal((m) => /is on YouTube/.test(m.content ?? ''), 60_000);
    const video = videosOf(alice).find((v) => v.sha256 === sha256(data));
    assert.ok(video, 'the file sent with the form is on YouTube');
    assert.equal(video.snippet.title, 'from the form');
    assert.match(done.content ?? '', new RegExp(video.id));
  },
);

/**
 * The tests below are about chunks (UPLOAD_PAGE_CHUNK_MIB=64, for a proxy that limits request bodies):
 * the bot is restarted with that setting once, for the rest of the file.
 */
async function chunked(): Promise<void> {
  if (env['UPLOAD_PAGE_CHUNK_MIB'] === '64') return;
  await bot.stop('SIGKILL');
  env = { ...env, UPLOAD_PAGE_CHUNK_MIB: '64' };
  bot = await boot();
}

test(
  'UPLOAD_PAGE_CHUNK_MIB=64: YouTube-side faults during a page upload: a dropped connection, 503s; one intact video',
  { skip },
  async () => {
    await chunked();
    const alice = accounts['alice']!;
    const counts = [sessionsOf(alice).length, videosOf(alice).length] as const;
    google.upload.throttleBytesPerSec = 24 * MiB;
    try {
      const data = mp4Bytes(150 * MiB, 333);
      const { page, path, session } = await startPageUpload('faults.mp4', data, 1);
      // The connection to YouTube drops 10 MiB into a chunk: YouTube keeps less than was sent.
      google.fail(PUT, { dropAfterBytes: 10 * MiB });
      await waitFor(() => (session.received >= 64 * MiB ? true : undefined), 'the first chunk', 120_000);
      // Then YouTube answers 503 a few times (data PUTs and status queries alike).
      google.fail(PUT, { status: 503 }, 3);
      google.upload.throttleBytesPerSec = null;
      await expectOneIntactVideo(page, data, ...counts);
      const dropped = google.requests.filter((r) => r.method === 'PUT' && r.status === 0).length;
      assert.ok(dropped >= 1, 'a PUT was cut off');
      assert.ok(
        google.requests.some((r) => r.method === 'PUT' && r.status === 503),
        'YouTube answered 503',
      );
      await page.close();
      rmSync(path);
    } finally {
      google.clearFaults();
      google.upload.throttleBytesPerSec = null;
    }
  },
);

test(
  'UPLOAD_PAGE_CHUNK_MIB=64: YouTube keeps less of a chunk in the MIDDLE of the file: the page is told YouTube’s offset and resends from there',
  { skip },
  async () => {
    await chunked();
    const alice = accounts['alice']!;
    const counts = [sessionsOf(alice).length, videosOf(alice).length] as const;
    const chunk = 64 * MiB;
    const kept = 1 * MiB;
    try {
      // The second of three chunks: YouTube takes all 64 MiB of it, keeps 1 MiB, answers 308 with that Range.
      google.fail({ ...PUT, contentRange: new RegExp(`^bytes ${chunk}-`) }, { keepBytes: kept });
      const data = mp4Bytes(2 * chunk + 12 * MiB + 7, 999);
      const path = writeFile('kept less midway.mp4', data);
      const { url } = await askForPage(ALICE);
      const { page } = await openPage(url);
      // What the bot told the page after each chunk (tus Upload-Offset of each PATCH's answer).
      const answers: { status: number; offset: number }[] = [];
      page.on('response', (r) => {
        if (r.request().method() !== 'PATCH') return;
        answers.push({ status: r.status(), offset: Number(r.headers()['upload-offset'] ?? NaN) });
      });
      await page.setInputFiles('#file', path);
      await waitFor(
        () => (answers.some((a) => a.offset === data.length) ? true : undefined),
        'the answer to the last chunk',
        300_000,
      );
      // The page was told what YouTube kept (64 MiB + 1 MiB), never the bot's own count (128 MiB), and
      // went on from there. (A busy machine may add a 503 "try again" before a chunk: not an offset.)
      assert.deepEqual(
        answers.filter((a) => a.status === 204).map((a) => a.offset),
        [chunk, chunk + kept, 2 * chunk + kept, data.length],
      );
      assert.ok(
        answers.every((a) => a.status === 204 || a.status >= 500),
        `no chunk refused: ${JSON.stringify(answers)}`,
      );
      await expectOneIntactVideo(page, data, ...counts);
      const session = sessionsOf(alice).at(-1)!;
      const puts = google.requests.filter(
        (r) => r.method === 'PUT' && r.query.get('upload_id') === session.id,
      );
      assert.deepEqual(
        puts.map((r) => [r.status, r.bytes]),
        [
          [308, chunk],
          [308, chunk],
          [308, chunk],
          [200, data.length - 2 * chunk - kept],
        ],
        'each PUT starts where YouTube stopped; only what YouTube did not keep is sent again',
      );
      await page.close();
      rmSync(path);
    } finally {
      google.clearFaults();
    }
  },
);

test(
  'UPLOAD_PAGE_CHUNK_MIB=64: Pause and Resume on the page, then Cancel: nothing is published',
  { skip },
  async () => {
    await chunked();
    const alice = accounts['alice']!;
    const videos = videosOf(alice).length;
    google.upload.throttleBytesPerSec = 16 * MiB;
    try {
      const data = mp4Bytes(150 * MiB, 666);
      const { interaction, url, page, path, session } = await startPageUpload('paused.mp4', data, 1);
      await page.getByRole('button', { name: 'Pause' }).click();
      await until(
        async () => ((await page.locator('#message').innerText()).includes('Paused') ? true : undefined),
        'the page to say it paused',
      );
      await page.getByRole('button', { name: 'Resume' }).click();
      await waitFor(() => (session.received >= 64 * MiB ? true : undefined), 'the upload to go on', 120_000);
      await page.getByRole('button', { name: 'Cancel' }).click();
      await until(
        async () => ((await page.locator('#message').innerText()).includes('Cancelled') ? true : undefined),
        'the page to say it was cancelled',
      );
      const reply = await interaction.waitForOriginal((m) => /Cancelled/.test(m.content ?? ''), 60_000);
      assert.match(reply.content ?? '', /was not published/);
      assert.equal(videosOf(alice).length, videos, 'no video');
      assert.equal((await fetch(url)).status, 410, 'the link is spent');
      await page.close();
      rmSync(path);
    } finally {
      google.upload.throttleBytesPerSec = null;
    }
  },
);
