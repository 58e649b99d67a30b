// The progress sink on its own, against the Discord fake with the real discord.js REST client: what
// it does with a job from before the DM hand-over, and how rarely it knocks on a closed DM.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client, Routes } from 'discord.js';
import { FakeDiscord, type FakeUser } from './fakes/discord.ts';
import { createStore, type Store } from '../src/store/index.ts';
import { createLogger } from '../src/logger.ts';
import { jobRepository, type JobRecord, type JobRepository } from '../src/uploads/records.ts';
import { discordProgressSink } from '../src/discord/progress-message.ts';
import { Keyring } from '../src/store/seal.ts';

const GUILD = '800000000000000081';
const CHANNEL = '900000000000000081';
const CAROL: FakeUser = { id: '700000000000000081', username: 'carol' };

let discord: FakeDiscord;
let client: Client;
let store: Store;
let jobs: JobRepository;

before(async () => {
  discord = await FakeDiscord.start({
    guilds: [
      {
        id: GUILD,
        name: 'Sink',
        ownerId: CAROL.id,
        channels: [{ id: CHANNEL, name: 'videos', type: 0 }],
        members: [{ user: CAROL, roles: [] }],
      },
    ],
  });
  client = new Client({ intents: [], rest: { api: discord.apiUrl } });
  client.rest.setToken(discord.botToken);
  const logger = createLogger('silent');
  store = await createStore(`sqlite://${mkdtempSync(join(tmpdir(), 'tb-sink-'))}/s.sqlite`, logger);
  jobs = jobRepository(store, new Keyring(randomBytes(32)));
});

after(async () => {
  await client.destroy();
  await store.close();
  await discord.close();
});

function job(progress: JobRecord['progress']): JobRecord {
  return {
    id: randomBytes(6).toString('base64url'),
    owner: CAROL.id,
    account: CAROL.id,
    review: undefined,
    guildId: GUILD,
    channelId: CHANNEL,
    source: { url: 'https://cdn.example/x.mp4', filename: 'hidden_cabin.mp4', size: 1000, mime: 'video/mp4' },
    thumbnail: undefined,
    metadata: {
      snippet: { title: 'Hidden Cabin', description: '', tags: [], categoryId: '22' },
      status: { privacyStatus: 'unlisted', selfDeclaredMadeForKids: false },
    },
    requestedPrivacy: 'unlisted',
    notifySubscribers: true,
    playlistId: undefined,
    status: 'running',
    session: undefined,
    received: 0,
    videoId: undefined,
    progress,
    outcome: undefined,
    createdAt: Date.now(),
    updatedAt: Date.now(),
  };
}

const sinkFor = (record: JobRecord) =>
  discordProgressSink(client, jobs, createLogger('silent'))(record, () => jobs.save(record));

test('a public progress message left by an older version is rewritten without the video, and the progress moves to the DM', async () => {
  const legacy = (await client.rest.post(Routes.channelMessages(CHANNEL), {
    body: { content: `<@${CAROL.id}>'s upload — 📤 Uploading Hidden Cabin (unlisted)` },
  })) as { id: string };
  const record = job({
    reply: undefined,
    channelMessage: { channelId: CHANNEL, messageId: legacy.id, dm: false },
  });
  await sinkFor(record).show('📤 **Uploading** Hidden Cabin', { cancellable: true });

  const notice = discord.message(legacy.id);
  assert.match(notice?.content ?? '', new RegExp(`^<@${CAROL.id}>, your upload continues — open your DMs`));
  assert.doesNotMatch(notice?.content ?? '', /Hidden Cabin|unlisted/);
  assert.equal(record.progress.channelMessage?.dm, true);
  assert.deepEqual(record.progress.notice, { channelId: CHANNEL, messageId: legacy.id });
  const dm = discord.dmMessages(CAROL.id).at(-1);
  assert.match(dm?.content ?? '', /Uploading\*\* Hidden Cabin/);
  assert.equal((await jobs.get(record.id))?.progress.channelMessage?.dm, true, 'saved');
});

test('a closed DM is knocked on once a minute while the upload runs, and again for the result', async () => {
  discord.setDmsClosed(CAROL.id, true);
  try {
    const record = job({ reply: undefined, channelMessage: undefined });
    const sink = sinkFor(record);
    const dmPosts = () =>
      discord.calls.filter(
        (c) =>
          c.method === 'POST' &&
          c.status === 403 &&
          /^\/channels\/\d+\/messages$/.test(c.path) &&
          !c.path.includes(CHANNEL),
      ).length;
    const before = dmPosts();
    for (let i = 0; i < 20; i++) await sink.show(`📤 **Uploading** ${i}%`, { cancellable: true });
    assert.equal(dmPosts() - before, 1, 'one refused DM, not twenty');
    const notices = discord
      .channelMessages(CHANNEL)
      .filter((m) => m.id === record.progress.notice?.messageId);
    assert.equal(notices.length, 1, 'one notice');

    record.status = 'done';
    await sink.show('✅ **Hidden Cabin** is on YouTube: https://youtu.be/abc', { cancellable: false });
    assert.equal(dmPosts() - before, 2, 'the result tries the DM again at once');
    const notice = discord.message(record.progress.notice?.messageId ?? '');
    assert.match(notice?.content ?? '', /your upload has finished — open your DMs to see the result/);
    assert.doesNotMatch(notice?.content ?? '', /Hidden Cabin|youtu/);
  } finally {
    discord.setDmsClosed(CAROL.id, false);
  }
});

test("a browser upload's progress carries the page's button in the DM, never in the public notice", async () => {
  const publicUrl = 'https://bot.example';
  const browser = (): JobRecord => {
    const record = job({ reply: undefined, channelMessage: undefined });
    record.source = { kind: 'browser', url: '', filename: 'hidden_cabin.mp4', size: 1000, mime: 'video/mp4' };
    record.progress.page = jobs.sealToken(record, 'page-token');
    return record;
  };
  const pageSink = (record: JobRecord) =>
    discordProgressSink(client, jobs, createLogger('silent'), publicUrl)(record, () => jobs.save(record));
  const urls = (m: { components: { components?: { url?: string }[] }[] } | undefined) =>
    (m?.components ?? []).flatMap((row) => row.components ?? []).map((b) => b.url);

  const open = browser();
  await pageSink(open).show('📤 **Uploading** from your browser', { cancellable: true });
  assert.ok(urls(discord.dmMessages(CAROL.id).at(-1)).includes(`${publicUrl}/u/page-token`), 'in the DM');

  discord.setDmsClosed(CAROL.id, true);
  try {
    const closed = browser();
    await pageSink(closed).show('📤 **Uploading** from your browser', { cancellable: true });
    const notice = discord.message(closed.progress.notice?.messageId ?? '');
    assert.ok(notice, 'the public notice');
    assert.doesNotMatch(JSON.stringify(notice), /page-token|\/u\//, 'no private link in public');
  } finally {
    discord.setDmsClosed(CAROL.id, false);
  }
});

test("the public notice speaks the server's language (German here), never the uploader's", async () => {
  discord.setDmsClosed(CAROL.id, true);
  try {
    const record = job({ reply: undefined, channelMessage: undefined });
    record.locale = 'en-US';
    const sink = discordProgressSink(client, jobs, createLogger('silent'), undefined, (guildId) =>
      Promise.resolve(guildId === GUILD ? 'de' : undefined),
    )(record, () => jobs.save(record));
    await sink.show('📤 **Uploading** 5%', { cancellable: true });
    const notice = discord.message(record.progress.notice?.messageId ?? '');
    assert.equal(
      notice?.content,
      `<@${CAROL.id}>, dein Upload läuft weiter — schau in deine DMs oder tippe auf **Meinen Upload zeigen** (nur du siehst es).`,
    );
    const labels = ((notice?.components ?? []) as { components: { label: string }[] }[]).flatMap((row) =>
      row.components.map((b) => b.label),
    );
    assert.deepEqual(labels, ['Meinen Upload zeigen']);
  } finally {
    discord.setDmsClosed(CAROL.id, false);
  }
});
