// /upload end to end, in-process (timings shortened): the real discord.js, google-auth-library,
// @googleapis/youtube and undici against the Discord and Google fakes.
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FakeDiscord, FakeAttachment, FakeMessage, FakeUser } from './fakes/discord.ts';
import type { FakeGoogle, FakeAccount } from './fakes/google.ts';
import { startWorld, type TestApp, type World } from './support/app.ts';
import { waitFor } from './fakes/http.ts';
import { linkMember } from './support/link.ts';
import { MiB, mp4Bytes, PNG, sha256 } from './support/media.ts';

const GUILD = '800000000000000031';
const CHANNEL = '900000000000000031';
const ALICE: FakeUser = { id: '700000000000000031', username: 'alice' };
const BOB: FakeUser = { id: '700000000000000032', username: 'bob' };
const STRANGER: FakeUser = { id: '700000000000000033', username: 'stranger' };

let discord: FakeDiscord;
let google: FakeGoogle;
let bot: TestApp;
let world: World;
let aliceAccount: FakeAccount;

before(async () => {
  // One upload at a time per member (the default), so the queue test sees a position.
  world = await startWorld([
    {
      id: GUILD,
      name: 'Uploads',
      ownerId: ALICE.id,
      channels: [{ id: CHANNEL, name: 'videos', type: 0 }],
      preferredLocale: 'en-GB',
    },
  ]);
  ({ discord, google, bot } = world);
  aliceAccount = google.addAccount({ email: 'alice@example.com', channel: { title: 'Alice Uploads' } });
  await linkMember(discord, google, ALICE, aliceAccount, GUILD);
  await linkMember(
    discord,
    google,
    BOB,
    google.addAccount({ email: 'bob@example.com', channel: { title: 'Bob' } }),
    GUILD,
  );
});

after(async () => {
  await world.stop();
});

beforeEach(() => {
  google.clearFaults();
  google.upload.throttleBytesPerSec = null;
});

type Option = { type: number; name: string; value: string | number | boolean };

function upload(user: FakeUser, file: FakeAttachment, options: Option[] = [], extra: FakeAttachment[] = []) {
  return discord.sendCommand({
    name: 'upload',
    user,
    guildId: GUILD,
    channelId: CHANNEL,
    attachments: [file, ...extra],
    options: [{ type: 11, name: 'file', value: file.id }, ...options],
  });
}

const videosOf = (account: FakeAccount) =>
  [...google.videos.values()].filter((v) => v.ownerChannelId === account.channel?.id);

const finished = (m: FakeMessage) => /is on YouTube|Upload failed|Cancelled/.test(m.content ?? '');

test('an upload with every option: bytes intact, metadata, playlist and thumbnail applied, private kept', async () => {
  const data = mp4Bytes(3 * MiB + 12_345);
  const file = discord.addAttachment({
    filename: 'surf_trip.mp4',
    data,
    contentType: 'video/mp4',
    channelId: CHANNEL,
  });
  const thumb = discord.addAttachment({
    filename: 'thumb.png',
    data: PNG,
    contentType: 'image/png',
    channelId: CHANNEL,
  });
  const playlist = google.addPlaylist(aliceAccount, { title: 'Trips' });
  const before = videosOf(aliceAccount).length;
  const interaction = upload(
    ALICE,
    file,
    [
      { type: 3, name: 'title', value: 'Surfing in Santa Cruz' },
      { type: 3, name: 'description', value: 'Had fun surfing in Santa Cruz' },
      { type: 3, name: 'tags', value: 'surfing, Santa Cruz' },
      { type: 3, name: 'category', value: '17' },
      { type: 3, name: 'privacy', value: 'private' },
      { type: 3, name: 'playlist', value: playlist.id },
      { type: 5, name: 'made_for_kids', value: false },
      { type: 3, name: 'publish_at', value: '2030-01-01T10:00:00Z' },
      { type: 5, name: 'notify_subscribers', value: false },
      { type: 11, name: 'thumbnail', value: thumb.id },
    ],
    [thumb],
  );
  const response = await interaction.response();
  assert.equal(response.type, 5, 'acknowledged at once with a deferral');
  assert.equal(((response.data as { flags?: number } | undefined)?.flags ?? 0) & 64, 64, 'privately');

  const final = await interaction.waitForOriginal(finished, 20_000);
  const videos = videosOf(aliceAccount);
  assert.equal(videos.length, before + 1, 'exactly one video');
  const video = videos[videos.length - 1];
  assert.ok(video);
  assert.equal(video.sha256, sha256(data), 'every byte intact');
  assert.equal(video.size, data.length);
  assert.equal(video.uploadType, 'resumable');
  assert.equal(video.contentType, 'video/mp4');
  assert.equal(video.notifySubscribers, false);
  assert.deepEqual(
    { ...video.snippet },
    {
      title: 'Surfing in Santa Cruz',
      description: 'Had fun surfing in Santa Cruz',
      tags: ['surfing', 'Santa Cruz'],
      categoryId: '17',
    },
  );
  assert.equal(video.status.privacyStatus, 'private');
  assert.equal(video.status.publishAt, '2030-01-01T10:00:00.000Z');
  assert.equal(video.status.selfDeclaredMadeForKids, false);
  assert.equal(video.thumbnail?.sha256, sha256(PNG));
  const entries = [...google.playlistItems.values()].filter((i) => i.playlistId === playlist.id);
  assert.deepEqual(
    entries.map((e) => e.videoId),
    [video.id],
  );

  assert.match(
    final.content ?? '',
    new RegExp(
      `\\*\\*Surfing in Santa Cruz\\*\\* is on YouTube: https://youtu\\.be/${video.id} · privacy: private`,
    ),
  );
  assert.match(final.content ?? '', /Added to your playlist\./);
  assert.match(final.content ?? '', /Custom thumbnail set\./);
  assert.deepEqual(final.components, [], 'no Cancel button once done');
});

test('defaults: title from the file name, category 22, public; progress shows a bar and a Cancel button', async () => {
  // Large enough that loopback socket buffers do not swallow it at once.
  google.upload.throttleBytesPerSec = MiB; // seconds of "Uploading", even on a busy machine
  const data = mp4Bytes(9 * MiB, 7); // under the member's 10 MiB attachment limit
  const file = discord.addAttachment({ filename: 'my_first-vlog.mov', data, contentType: 'video/quicktime' });
  const interaction = upload(ALICE, file);
  const progress = await interaction.waitForOriginal(
    (m) =>
      /Uploading/.test(m.content ?? '') &&
      /[1-9]\d*%/.test(m.content ?? '') &&
      /\/s · about/.test(m.content ?? ''),
    10_000,
  );
  assert.match(
    progress.content ?? '',
    /`[█░]{20}` [1-9]\d*% · [\d.]+ MiB of 9\.0 MiB\n[\d.]+ (KiB|MiB)\/s · about \d+ s left/,
  );
  const button = (progress.components as { components: { custom_id: string; label: string }[] }[])[0]
    ?.components[0];
  assert.equal(button?.label, 'Cancel upload');
  const final = await interaction.waitForOriginal(finished, 20_000);
  const video = videosOf(aliceAccount).find((v) => v.sha256 === sha256(data));
  assert.ok(video, 'uploaded intact');
  assert.deepEqual({ ...video.snippet }, { title: 'my first vlog', description: '', categoryId: '22' });
  assert.equal(video.status.privacyStatus, 'public');
  assert.equal(video.notifySubscribers, true);
  assert.match(final.content ?? '', /privacy: public/);
});

test('each bad input is one private sentence and no byte moves to YouTube', async () => {
  const sessions = google.sessions.size;
  const expect = async (interaction: ReturnType<typeof upload>, pattern: RegExp) => {
    const reply = await interaction.waitForOriginal((m) => (m.content ?? '') !== '', 10_000);
    assert.match(reply.content ?? '', pattern);
    assert.deepEqual(reply.components, []);
  };
  const text = discord.addAttachment({
    filename: 'notes.mp4',
    data: Buffer.from('just text pretending'),
    contentType: 'video/mp4',
  });
  await expect(upload(ALICE, text), /`notes\.mp4` is not a video YouTube accepts/);

  const video = discord.addAttachment({ filename: 'ok.mp4', data: mp4Bytes(64 * 1024) });
  const cdnCalls = discord.calls.filter((c) => c.service === 'cdn').length;
  const foreign = {
    ...video,
    url: 'http://127.0.0.1:9/attachments/1/2/evil.mp4',
    proxy_url: 'http://127.0.0.1:9/x',
  };
  await expect(upload(ALICE, foreign), /not a Discord attachment I can fetch/);
  assert.equal(
    discord.calls.filter((c) => c.service === 'cdn').length,
    cdnCalls,
    'the foreign host was never fetched',
  );

  await expect(
    upload(ALICE, video, [{ type: 3, name: 'title', value: 'x'.repeat(101) }]),
    /101 characters long; YouTube allows at most 100/,
  );
  await expect(
    upload(ALICE, video, [{ type: 3, name: 'publish_at', value: '2020-01-01T00:00:00Z' }]),
    /publish_at must be in the future/,
  );
  await expect(upload(STRANGER, video), /have not linked a YouTube channel yet — run \/link/);
  const huge = discord.addAttachment({ filename: 'huge.mp4', data: mp4Bytes(11 * MiB, 3) });
  await expect(upload(ALICE, huge), /The file is 11\.0 MiB, over the limit of 10\.0 MiB\./);
  const empty = discord.addAttachment({ filename: 'empty.mp4', data: Buffer.alloc(0) });
  await expect(upload(ALICE, empty), /is empty/);
  assert.equal(google.sessions.size, sessions, 'no upload session was created');
});

test('socket drops and 503s mid-upload: resumed from what YouTube kept, one intact video', async () => {
  const data = mp4Bytes(4 * MiB, 11);
  const file = discord.addAttachment({ filename: 'drops.mp4', data });
  google.fail({ method: 'PUT', path: /upload\/youtube\/v3\/videos/ }, { dropAfterBytes: 1_500_000 });
  google.fail({ method: 'PUT', path: /upload\/youtube\/v3\/videos/ }, { status: 503 }, 2);
  const before = videosOf(aliceAccount).length;
  const final = await upload(ALICE, file).waitForOriginal(finished, 30_000);
  assert.match(final.content ?? '', /is on YouTube/);
  assert.equal(videosOf(aliceAccount).length, before + 1);
  assert.ok(videosOf(aliceAccount).some((v) => v.sha256 === sha256(data)));
  const done = bot.logs.find(
    (l) => l['msg'] === 'upload complete' && l['resentBytes'] !== undefined && (l['retries'] as number) >= 2,
  );
  assert.ok(done, 'the retries were counted');
  // What Google did not keep is sent again: the bytes in flight at the drop, never the whole file.
  const resent = done['resentBytes'] as number;
  assert.ok(resent > 0 && resent < data.length - 1_000_000, `resent ${resent} bytes`);
});

test('a lost session (404) starts again with a new one; still exactly one video', async () => {
  const data = mp4Bytes(MiB, 12);
  const file = discord.addAttachment({ filename: 'lost.mp4', data });
  google.fail({ method: 'PUT', path: /upload\/youtube\/v3\/videos/ }, { status: 404 });
  const before = videosOf(aliceAccount).length;
  const final = await upload(ALICE, file).waitForOriginal(finished, 20_000);
  assert.match(final.content ?? '', /is on YouTube/);
  assert.equal(videosOf(aliceAccount).length, before + 1);
  assert.ok(videosOf(aliceAccount).some((v) => v.sha256 === sha256(data)));
});

test('an expired token mid-upload is refreshed once and the upload continues', async () => {
  const data = mp4Bytes(MiB, 13);
  const file = discord.addAttachment({ filename: 'token.mp4', data });
  const refreshes = () => google.requests.filter((r) => r.path === '/token').length;
  const before = refreshes();
  google.expireAccessTokens();
  google.fail({ method: 'PUT', path: /upload\/youtube\/v3\/videos/ }, { status: 401 });
  const final = await upload(ALICE, file).waitForOriginal(finished, 20_000);
  assert.match(final.content ?? '', /is on YouTube/);
  assert.ok(refreshes() > before, 'the token was refreshed');
  assert.ok(videosOf(aliceAccount).some((v) => v.sha256 === sha256(data)));
});

test('quota exhausted: a plain explanation, no retry storm, no video', async () => {
  const data = mp4Bytes(256 * 1024, 14);
  const file = discord.addAttachment({ filename: 'quota.mp4', data });
  const limit = google.quotaLimit.inserts;
  google.quotaLimit.inserts = google.quotaUsed.inserts;
  try {
    const posts = () =>
      google.requests.filter((r) => r.method === 'POST' && r.path.startsWith('/upload/')).length;
    const before = posts();
    const final = await upload(ALICE, file).waitForOriginal(finished, 10_000);
    assert.match(final.content ?? '', /Upload failed/);
    assert.match(final.content ?? '', /quota/i);
    assert.equal(posts(), before + 1, 'asked once, not retried');
    assert.ok(!videosOf(aliceAccount).some((v) => v.sha256 === sha256(data)));
  } finally {
    google.quotaLimit.inserts = limit;
  }
});

test('cancel: only the uploader can press it; the upload stops and nothing is published', async () => {
  // Slow, and larger than what loopback socket buffers swallow at once: the bot is still sending
  // when the buttons are pressed (once every byte is handed over, Cancel is hidden).
  google.upload.throttleBytesPerSec = 256 * 1024;
  const data = mp4Bytes(9 * MiB, 15);
  const file = discord.addAttachment({ filename: 'cancel.mp4', data });
  const interaction = upload(ALICE, file);
  const progress = await interaction.waitForOriginal((m) => /Uploading/.test(m.content ?? ''), 10_000);
  const customId =
    (progress.components as { components: { custom_id: string }[] }[])[0]?.components[0]?.custom_id ?? '';
  assert.match(customId, /^upload:cancel:/);

  const other = discord.sendButton({
    customId,
    user: BOB,
    guildId: GUILD,
    channelId: CHANNEL,
    message: { id: progress.id, channelId: CHANNEL },
  });
  assert.equal((await other.response()).type, 6, 'acknowledged at once');
  const refused = await waitFor(() => other.followups()[0], 'the refusal');
  assert.equal(refused.content, 'Only the member who started this upload can cancel it.');
  assert.equal((refused.flags ?? 0) & 64, 64, 'privately');
  assert.match(interaction.original()?.content ?? '', /Uploading/, 'the upload goes on');

  const own = discord.sendButton({
    customId,
    user: ALICE,
    guildId: GUILD,
    channelId: CHANNEL,
    message: { id: progress.id, channelId: CHANNEL },
  });
  assert.equal((await own.response()).type, 6, 'the press is acknowledged as an update');
  const final = await interaction.waitForOriginal(finished, 10_000);
  assert.match(final.content ?? '', /Cancelled/);
  assert.ok(!videosOf(aliceAccount).some((v) => v.sha256 === sha256(data)), 'no video');
});

test('a second upload by the same member waits in line with its position shown', async () => {
  google.upload.throttleBytesPerSec = 4 * MiB;
  const first = discord.addAttachment({ filename: 'one.mp4', data: mp4Bytes(2 * MiB, 16) });
  const second = discord.addAttachment({ filename: 'two.mp4', data: mp4Bytes(MiB, 17) });
  const a = upload(BOB, first);
  await a.waitForOriginal((m) => /Uploading|Starting/.test(m.content ?? ''), 10_000);
  const b = upload(BOB, second);
  const queued = await b.waitForOriginal((m) => /Queued/.test(m.content ?? ''), 10_000);
  assert.match(queued.content ?? '', /position 1 in line/);
  await a.waitForOriginal(finished, 20_000);
  const final = await b.waitForOriginal(finished, 20_000);
  assert.match(final.content ?? '', /is on YouTube/);
});

test('an unverified project keeps the video private: the member is told why', async () => {
  google.unverifiedProject = true;
  try {
    const data = mp4Bytes(300 * 1024, 41);
    const file = discord.addAttachment({ filename: 'locked.mp4', data });
    const final = await upload(ALICE, file, [
      { type: 3, name: 'privacy', value: 'unlisted' },
    ]).waitForOriginal(finished, 20_000);
    assert.match(final.content ?? '', /privacy: private/);
    assert.match(final.content ?? '', /YouTube made this video private although you asked for unlisted/);
    assert.match(final.content ?? '', /not audited/);
  } finally {
    google.unverifiedProject = false;
  }
});

test('a video YouTube rejects in processing ends with the reason', async () => {
  google.processing.outcome = 'rejected';
  google.processing.reason = 'duplicate';
  try {
    const file = discord.addAttachment({ filename: 'dup.mp4', data: mp4Bytes(200 * 1024, 42) });
    const final = await upload(ALICE, file).waitForOriginal(finished, 20_000);
    assert.match(final.content ?? '', /Upload failed/);
    assert.match(final.content ?? '', /YouTube rejected the video \(reason: duplicate\)/);
  } finally {
    google.processing.outcome = 'succeeded';
    google.processing.reason = null;
  }
});

test('a playlist that fails after the upload does not lose the video', async () => {
  const data = mp4Bytes(200 * 1024, 43);
  const file = discord.addAttachment({ filename: 'keep.mp4', data });
  const final = await upload(ALICE, file, [
    { type: 3, name: 'playlist', value: 'PLdoesnotexist0000000000000000000' },
  ]).waitForOriginal(finished, 20_000);
  assert.match(final.content ?? '', /is on YouTube/);
  assert.match(
    final.content ?? '',
    /The video is up, but adding it to the playlist failed: That playlist does not exist/,
  );
  assert.ok(videosOf(aliceAccount).some((v) => v.sha256 === sha256(data)));
});

test("category and playlist autocomplete offer the assignable categories and the member's playlists", async () => {
  const file = discord.addAttachment({ filename: 'auto.mp4', data: mp4Bytes(1024, 44) });
  const ask = async (name: string, value: string) => {
    const response = await discord
      .sendAutocomplete({
        name: 'upload',
        user: ALICE,
        guildId: GUILD,
        channelId: CHANNEL,
        attachments: [file],
        options: [
          { type: 11, name: 'file', value: file.id },
          { type: 3, name, value, focused: true },
        ],
      })
      .response();
    assert.equal(response.type, 8);
    return (response.data as { choices: { name: string; value: string }[] }).choices;
  };
  const sports = await ask('category', 'spo');
  assert.deepEqual(sports, [{ name: 'Sports (17)', value: '17' }]);
  const all = await ask('category', '');
  assert.ok(all.some((c) => c.value === '22'));
  assert.ok(all.length <= 25);
  assert.ok(!all.some((c) => c.value === '18'), 'non-assignable categories are left out');

  google.addPlaylist(aliceAccount, { title: 'Holiday clips' });
  const playlists = await ask('playlist', 'holi');
  assert.deepEqual(
    playlists.map((p) => p.name),
    ['Holiday clips'],
  );
});

test('"Upload to YouTube" on a message: its author fills a modal and the video goes up', async () => {
  const data = mp4Bytes(512 * 1024, 45);
  const file = discord.addAttachment({ filename: 'clip_from_chat.webm', data, channelId: CHANNEL });
  const message = {
    id: '990000000000000001',
    channel_id: CHANNEL,
    author: ALICE,
    content: 'look at this',
    attachments: [file],
    embeds: [],
    timestamp: new Date().toISOString(),
    type: 0,
  };
  const run = (user: FakeUser) =>
    discord.sendCommand({
      type: 3,
      name: 'Upload to YouTube',
      user,
      guildId: GUILD,
      channelId: CHANNEL,
      targetId: message.id,
      resolved: { messages: { [message.id]: message } },
    });

  const other = await run(BOB).response();
  assert.equal(
    (other.data as { content: string }).content,
    'Only the author of that message can upload its video.',
  );

  const opened = await run(ALICE).response();
  assert.equal(opened.type, 9, 'a modal');
  const modal = opened.data as { custom_id: string; title: string; components: unknown[] };
  assert.match(modal.custom_id, /^Upload to YouTube:/);
  assert.match(
    JSON.stringify(modal.components),
    /clip from chat/,
    'the title is prefilled from the file name',
  );

  const submit = discord.sendModalSubmit({
    customId: modal.custom_id,
    fields: { title: 'Best clip', description: 'From our chat' },
    user: ALICE,
    guildId: GUILD,
    channelId: CHANNEL,
  });
  assert.equal((await submit.response()).type, 5);
  const final = await submit.waitForOriginal(finished, 20_000);
  assert.match(final.content ?? '', /\*\*Best clip\*\* is on YouTube/);
  const video = videosOf(aliceAccount).find((v) => v.sha256 === sha256(data));
  assert.equal(video?.snippet.description, 'From our chat');

  const again = discord.sendModalSubmit({
    customId: modal.custom_id,
    fields: { title: 'x', description: '' },
    user: ALICE,
    guildId: GUILD,
    channelId: CHANNEL,
  });
  await again.response();
  assert.match(
    (await again.waitForOriginal((m) => (m.content ?? '') !== '')).content ?? '',
    /This form has expired/,
  );
});
