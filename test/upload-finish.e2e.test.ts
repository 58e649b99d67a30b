// The end of an upload, in-process: Cancel tells the truth once YouTube has the whole file (it is
// hidden while YouTube finishes; a press that still comes, or one that aborts just as YouTube
// completes, reports the video with its link and a Delete button only the uploader can use), and
// following YouTube's processing holds no upload slot (UPLOAD_CONCURRENCY 1 here).
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FakeAttachment, FakeDiscord, FakeMessage, FakeUser } from './fakes/discord.ts';
import type { FakeAccount, FakeGoogle } from './fakes/google.ts';
import { startWorld, type World } from './support/app.ts';
import { waitFor } from './fakes/http.ts';
import { linkMember } from './support/link.ts';
import { mp4Bytes, sha256 } from './support/media.ts';

const GUILD = '800000000000000081';
const CHANNEL = '900000000000000081';
const ALICE: FakeUser = { id: '700000000000000081', username: 'alice' };
const BOB: FakeUser = { id: '700000000000000082', username: 'bob' };

let world: World;
let discord: FakeDiscord;
let google: FakeGoogle;
let alice: FakeAccount;

before(async () => {
  world = await startWorld(
    [{ id: GUILD, name: 'Finish', ownerId: ALICE.id, channels: [{ id: CHANNEL, name: 'videos', type: 0 }] }],
    { tuning: { global: 1 } },
  );
  ({ discord, google } = world);
  alice = google.addAccount({ email: 'alice@example.com', channel: { title: 'Alice' } });
  await linkMember(discord, google, ALICE, alice, GUILD);
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
  google.upload.finalizeMs = 0;
  google.processing.pollsBeforeDone = 2;
});

function upload(user: FakeUser, file: FakeAttachment, options: object[] = []) {
  return discord.sendCommand({
    name: 'upload',
    user,
    guildId: GUILD,
    channelId: CHANNEL,
    attachments: [file],
    options: [{ type: 11, name: 'file', value: file.id }, ...options],
  });
}

type Rows = { components: { custom_id?: string; label?: string }[] }[];
const buttons = (m: { components?: unknown } | undefined) =>
  ((m?.components ?? []) as Rows).flatMap((row) => row.components);

/** The Cancel button's custom_id as the bot last sent it for this file (from the progress edits). */
function cancelIdSent(filename: string): string {
  const ids = discord.calls
    .filter((c) => JSON.stringify(c.body ?? '').includes(filename))
    .flatMap((c) => buttons(c.body as { components?: unknown }).map((b) => b.custom_id ?? ''))
    .filter((id) => id.startsWith('upload:cancel:'));
  const id = ids[ids.length - 1];
  assert.ok(id, 'the progress showed a Cancel button at first');
  return id;
}

const videosOf = (account: FakeAccount, data: Buffer) =>
  [...google.videos.values()].filter(
    (v) => v.ownerChannelId === account.channel?.id && v.sha256 === sha256(data),
  );
const done = (m: FakeMessage) => /is on YouTube|Upload failed|Cancelled/.test(m.content ?? '');

/** Presses Delete on the too-late answer: others are refused, the uploader confirms, the video goes. */
async function deleteThroughButton(answer: FakeMessage, videoId: string): Promise<void> {
  const deleteId = buttons(answer).find((b) => b.label === 'Delete video')?.custom_id ?? '';
  assert.match(deleteId, /^upload:delete:/);
  const message = { id: answer.id, channelId: CHANNEL, flags: 64 };
  const stranger = discord.sendButton({
    customId: deleteId,
    user: BOB,
    guildId: GUILD,
    channelId: CHANNEL,
    message,
  });
  const refused = (await stranger.response()).data;
  assert.match(refused?.content ?? '', /Only the member who uploaded this video can delete it/);
  assert.ok(google.videos.has(videoId), 'nothing deleted by a stranger');

  const own = discord.sendButton({
    customId: deleteId,
    user: ALICE,
    guildId: GUILD,
    channelId: CHANNEL,
    message,
  });
  const confirm = (await own.response()).data;
  assert.equal((confirm?.flags ?? 0) & 64, 64, 'the confirmation is private');
  assert.match(confirm?.content ?? '', new RegExp(`Delete https://youtu\\.be/${videoId} from YouTube\\?`));
  const yes = buttons(confirm).find((b) => b.label === 'Delete')?.custom_id ?? '';
  const pressed = discord.sendButton({
    customId: yes,
    user: ALICE,
    guildId: GUILD,
    channelId: CHANNEL,
    message: { id: own.original()?.id ?? 'confirm', channelId: CHANNEL, flags: 64 },
  });
  await pressed.waitForOriginal((m) => /Deleted/.test(m.content ?? ''), 10_000);
  assert.ok(!google.videos.has(videoId), 'deleted on YouTube');
}

test('once every byte is sent Cancel is gone ("Finishing on YouTube…"); a press that still comes is told too late, with the link and a Delete button', async () => {
  google.upload.finalizeMs = 120_000; // YouTube finishes until the test lets it go
  const data = mp4Bytes(300 * 1024, 81);
  const file = discord.addAttachment({ filename: 'late.mp4', data, channelId: CHANNEL });
  const interaction = upload(ALICE, file);
  const finishing = await interaction.waitForOriginal(
    (m) => /Finishing on YouTube/.test(m.content ?? ''),
    15_000,
  );
  assert.deepEqual(buttons(finishing), [], 'no Cancel button while YouTube finishes');

  // A member whose client still shows the old button presses it.
  const press = discord.sendButton({
    customId: cancelIdSent('late.mp4'),
    user: ALICE,
    guildId: GUILD,
    channelId: CHANNEL,
    message: { id: finishing.id, channelId: CHANNEL },
  });
  assert.equal((await press.response()).type, 6);
  google.upload.finalizeMs = 0;
  const answer = await waitFor(() => press.followups()[0], 'the answer to the press', 20_000);
  const [video] = videosOf(alice, data);
  assert.ok(video, 'YouTube made the video');
  assert.equal((answer.flags ?? 0) & 64, 64, 'privately');
  assert.match(
    answer.content ?? '',
    new RegExp(
      `^Too late to cancel: YouTube already had the whole file, so the video exists: https://youtu\\.be/${video.id}`,
    ),
  );

  const final = await interaction.waitForOriginal(done, 20_000);
  assert.match(final.content ?? '', new RegExp(`is on YouTube: https://youtu\\.be/${video.id}`));
  assert.match(final.content ?? '', /Cancel came too late/);
  assert.doesNotMatch(final.content ?? '', /Cancelled/);
  assert.equal(videosOf(alice, data).length, 1, 'one video');
  await deleteThroughButton(answer, video.id);
});

test('a cancel that aborts just as YouTube completes asks the session: reported uploaded with its link and Delete, and its steps run', async () => {
  const data = mp4Bytes(600 * 1024, 82);
  const playlist = google.addPlaylist(alice, { title: 'Raced' });
  const upPath = /^\/upload\/youtube\/v3\/videos\?.*upload_id=/;
  // The PUT delivers every byte (YouTube makes the video) but the connection drops before the answer;
  // the status query that follows is told to come back in a minute: the bot waits, Cancel showing.
  google.fail({ method: 'PUT', path: upPath }, { dropAfterBytes: data.length });
  google.fail({ method: 'PUT', path: upPath }, { status: 503, headers: { 'retry-after': '60' } });
  const file = discord.addAttachment({ filename: 'raced.mp4', data, channelId: CHANNEL });
  const interaction = upload(ALICE, file, [{ type: 3, name: 'playlist', value: playlist.id }]);
  const retrying = await interaction.waitForOriginal(
    (m) => /Connection trouble/.test(m.content ?? '') && buttons(m).length > 0,
    15_000,
  );
  const video = await waitFor(() => videosOf(alice, data)[0], 'YouTube to make the video');

  const press = discord.sendButton({
    customId: buttons(retrying)[0]?.custom_id ?? '',
    user: ALICE,
    guildId: GUILD,
    channelId: CHANNEL,
    message: { id: retrying.id, channelId: CHANNEL },
  });
  assert.equal((await press.response()).type, 6);
  const final = await interaction.waitForOriginal(done, 20_000);
  assert.match(final.content ?? '', new RegExp(`is on YouTube: https://youtu\\.be/${video.id}`));
  assert.match(final.content ?? '', /Added to your playlist\./);
  assert.doesNotMatch(final.content ?? '', /Cancelled/);
  const answer = await waitFor(() => press.followups()[0], 'the answer to the press', 20_000);
  assert.match(answer.content ?? '', new RegExp(`so the video exists: https://youtu\\.be/${video.id}`));
  assert.ok(buttons(answer).some((b) => b.label === 'Delete video'));

  assert.deepEqual(
    [...google.playlistItems.values()].filter((i) => i.playlistId === playlist.id).map((i) => i.videoId),
    [video.id],
    'the steps after the upload ran, once',
  );
  assert.equal(videosOf(alice, data).length, 1);
});

test('following YouTube processing holds no slot: with one slot, the next upload starts meanwhile', async () => {
  google.processing.pollsBeforeDone = 1_000_000; // the first video stays "processing"
  const first = upload(
    ALICE,
    discord.addAttachment({ filename: 'slow.mp4', data: mp4Bytes(200 * 1024, 83) }),
  );
  await first.waitForOriginal((m) => /YouTube is processing/.test(m.content ?? ''), 15_000);
  const secondData = mp4Bytes(200 * 1024, 84);
  const second = upload(BOB, discord.addAttachment({ filename: 'next.mp4', data: secondData }));
  await second.waitForOriginal((m) => /YouTube is processing/.test(m.content ?? ''), 15_000);
  assert.match(first.original()?.content ?? '', /YouTube is processing/, 'the first is still being followed');
  assert.equal([...google.videos.values()].filter((v) => v.sha256 === sha256(secondData)).length, 1);
});
