// Discord's own file upload (a form with a File Upload component) next to the upload page, and the
// page's button on the progress message while the browser sends. The real bot in-process, the real
// discord.js against the Discord fake (which checks the form and the submit as Discord does), the
// Google fake behind it.
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  FakeDiscord,
  type FakeComponent,
  type FakeMessage,
  type FakeUser,
  type InteractionHandle,
} from './fakes/discord.ts';
import { FakeGoogle, type FakeAccount } from './fakes/google.ts';
import { startTestApp, type TestApp } from './support/app.ts';
import { freePort } from './support/bot.ts';
import { waitFor } from './fakes/http.ts';
import { linkMember } from './support/link.ts';
import { MiB, mp4Bytes, sha256 } from './support/media.ts';

const GUILD = '800000000000000141';
const CHANNEL = '900000000000000141';
const DANA: FakeUser = { id: '700000000000000141', username: 'dana' };
const EVE: FakeUser = { id: '700000000000000142', username: 'eve' };

let discord: FakeDiscord;
let google: FakeGoogle;
let bot: TestApp;
let dana: FakeAccount;
let publicUrl: string;

before(async () => {
  discord = await FakeDiscord.start({
    guilds: [
      { id: GUILD, name: 'Forms', ownerId: DANA.id, channels: [{ id: CHANNEL, name: 'videos', type: 0 }] },
    ],
  });
  const port = await freePort();
  publicUrl = `http://127.0.0.1:${port}`;
  google = await FakeGoogle.start({ redirectUris: [`${publicUrl}/oauth/callback`] });
  bot = await startTestApp(discord, google, { env: { PUBLIC_URL: publicUrl, HTTP_PORT: String(port) } });
  dana = google.addAccount({ email: 'dana@example.com', channel: { title: 'Dana' } });
  await linkMember(discord, google, DANA, dana, GUILD);
  await linkMember(
    discord,
    google,
    EVE,
    google.addAccount({ email: 'eve@example.com', channel: { title: 'Eve' } }),
    GUILD,
  );
});

after(async () => {
  await bot.stop();
  await discord.close();
  await google.close();
});

beforeEach(() => {
  google.clearFaults();
  google.upload.throttleBytesPerSec = null;
});

type Option = { type: number; name: string; value: string | number | boolean };

const buttons = (m: FakeMessage | undefined): FakeComponent[] =>
  (m?.components ?? []).flatMap((row) => row.components ?? []);
const finished = (m: FakeMessage) => /is on YouTube|Upload failed|Cancelled/.test(m.content ?? '');
const videosOf = (account: FakeAccount) =>
  [...google.videos.values()].filter((v) => v.ownerChannelId === account.channel?.id);

/** /upload without a file: the private answer with its buttons. */
async function askWithoutFile(user: FakeUser, options: Option[] = []) {
  const interaction = discord.sendCommand({
    name: 'upload',
    user,
    guildId: GUILD,
    channelId: CHANNEL,
    options,
  });
  const reply = await interaction.waitForOriginal((m) => buttons(m).length > 0, 20_000);
  return { interaction, reply };
}

/** Presses "Attach here" on the answer: the handle of the press (its response is the form). */
function pressAttach(reply: FakeMessage, user: FakeUser = DANA) {
  const attach = buttons(reply).find((b) => /^Attach here/.test(b.label ?? ''));
  assert.ok(attach?.custom_id, 'an Attach here button');
  return discord.sendButton({
    customId: attach.custom_id,
    message: { id: reply.id },
    user,
    guildId: GUILD,
    channelId: CHANNEL,
  });
}

/** What the member reads privately when the bot refused: its reply to a press, or a follow-up to a form. */
async function refusal(handle: InteractionHandle): Promise<string> {
  const answer = await handle.response(20_000);
  if (answer.type === 4) {
    assert.equal((answer.data?.flags ?? 0) & 64, 64, 'only the member sees it');
    return answer.data?.content ?? '';
  }
  return waitFor(() => handle.followups()[0]?.content, 'a private sentence', 20_000);
}

test('/upload without a file offers the page and "Attach here"; a video sent with the form goes up once, intact, with the command\'s metadata', async () => {
  const { interaction, reply } = await askWithoutFile(DANA, [
    { type: 3, name: 'description', value: 'Sent with the form' },
    { type: 3, name: 'tags', value: 'forms, phones' },
    { type: 3, name: 'privacy', value: 'unlisted' },
  ]);
  const [page, attach] = buttons(reply);
  assert.equal(page?.label, 'Choose the video');
  assert.match(page?.url ?? '', new RegExp(`^${publicUrl}/u/[A-Za-z0-9_-]{43}$`));
  assert.equal(attach?.label, 'Attach here (up to 10 MiB)', 'the member’s own Discord limit, in words');
  assert.match(reply.content ?? '', /up to 10 MiB \(your Discord upload limit\)/);

  const press = pressAttach(reply);
  const form = await press.response();
  assert.equal(form.type, 9, 'a form');
  assert.match(JSON.stringify(form.data?.components), /"type":19/, 'with a file upload');
  const data = mp4Bytes(2 * MiB, 141);
  const submit = discord.submitModal(press, {
    files: { video: [{ filename: 'from my phone.mp4', data }] },
  });
  assert.equal((await submit.response()).type, 6, 'the answer itself becomes the progress');
  const done = await interaction.waitForOriginal(finished, 60_000);
  assert.match(done.content ?? '', /\*\*from my phone\*\* is on YouTube/);
  assert.deepEqual(buttons(done), [], 'no button left: neither the page nor Attach here');
  const uploaded = videosOf(dana).filter((v) => v.sha256 === sha256(data));
  assert.equal(uploaded.length, 1, 'exactly one video, every byte intact');
  const video = uploaded[0]!;
  assert.equal(video.snippet.title, 'from my phone', 'the title from the file name, as none was given');
  assert.equal(video.snippet.description, 'Sent with the form');
  assert.deepEqual(video.snippet.tags, ['forms', 'phones']);
  assert.equal(video.status.privacyStatus, 'unlisted');
  // The page link is spent: the file came the other way.
  const opened = await fetch(page?.url ?? '');
  assert.equal(opened.status, 410);
  // The form again: the upload has its video already.
  const again = pressAttach(reply);
  assert.match(await refusal(again), /has ended|already has its video/);
});

test('the title typed in the form wins; the title given to /upload is there to keep', async () => {
  const { interaction, reply } = await askWithoutFile(DANA, [
    { type: 3, name: 'title', value: 'Given title' },
  ]);
  const press = pressAttach(reply);
  const form = await press.response();
  assert.match(JSON.stringify(form.data?.components), /"value":"Given title"/, 'prefilled');
  const data = mp4Bytes(MiB, 142);
  discord.submitModal(press, {
    fields: { title: 'Typed title' },
    files: { video: [{ filename: 'clip.mov', data }] },
  });
  await interaction.waitForOriginal(finished, 60_000);
  assert.equal(videosOf(dana).find((v) => v.sha256 === sha256(data))?.snippet.title, 'Typed title');
});

test('a form file that is not a video, over the limit, or two files: one sentence each, nothing reaches YouTube, the page stays', async () => {
  const sessions = google.sessions.size;
  const { interaction, reply } = await askWithoutFile(DANA);

  const press = pressAttach(reply);
  await press.response();
  const text = discord.submitModal(press, {
    files: { video: [{ filename: 'notes.mp4', data: Buffer.from('just text pretending to be a video') }] },
  });
  assert.match(await refusal(text), /`notes\.mp4` is not a video YouTube accepts/);

  // Discord's client does not let a member send more than their limit, nor two files into this form…
  const again = pressAttach(reply);
  await again.response();
  const big = { filename: 'big.mp4', data: mp4Bytes(10 * MiB + 1, 143) };
  assert.throws(
    () => discord.submitModal(again, { files: { video: [big] } }),
    /over the member's upload limit/,
  );
  const small = { filename: 'a.mp4', data: mp4Bytes(64 * 1024, 144) };
  assert.throws(() => discord.submitModal(again, { files: { video: [small, small] } }), /at most 1 file/);
  // …and were such a submit to come anyway, the bot refuses it itself.
  const form = (await again.response()).data?.custom_id ?? '';
  const huge = discord.addAttachment({
    filename: 'huge.mp4',
    data: mp4Bytes(11 * MiB, 145),
    channelId: CHANNEL,
  });
  const over = discord.sendModalSubmit({
    customId: form,
    fields: { title: '' },
    files: { video: [huge] },
    user: DANA,
    guildId: GUILD,
    channelId: CHANNEL,
    message: { id: reply.id },
  });
  assert.match(await refusal(over), /The file is 11\.0 MiB, over the limit of 10\.0 MiB\./);
  const one = discord.addAttachment({ filename: 'one.mp4', data: small.data, channelId: CHANNEL });
  const two = discord.addAttachment({ filename: 'two.mp4', data: small.data, channelId: CHANNEL });
  const pair = discord.sendModalSubmit({
    customId: form,
    fields: { title: '' },
    files: { video: [one, two] },
    user: DANA,
    guildId: GUILD,
    channelId: CHANNEL,
    message: { id: reply.id },
  });
  assert.match(await refusal(pair), /You sent 2 files: send one video at a time/);

  // Another member cannot open Dana's form.
  assert.match(await refusal(pressAttach(reply, EVE)), /Only the member who started this upload/);

  assert.equal(google.sessions.size, sessions, 'no YouTube session was asked for');
  const still = interaction.original();
  assert.deepEqual(
    buttons(still).map((b) => b.label),
    ['Choose the video', 'Attach here (up to 10 MiB)'],
    'the answer keeps both ways',
  );
  assert.equal((await fetch(buttons(still)[0]?.url ?? '')).status, 200, 'the page still opens');
});

test('a member with a larger Discord limit is offered it, in words', async () => {
  const interaction = discord.sendCommand({
    name: 'upload',
    user: DANA,
    guildId: GUILD,
    channelId: CHANNEL,
    options: [],
    attachmentSizeLimit: 500 * MiB,
  });
  const reply = await interaction.waitForOriginal((m) => buttons(m).length > 0, 20_000);
  assert.equal(buttons(reply)[1]?.label, 'Attach here (up to 500 MiB)');
});

test('"Upload to YouTube" on a message without a video, the form left empty: the answer offers the page and "Attach here"', async () => {
  const message = {
    id: '990000000000000141',
    channel_id: CHANNEL,
    author: DANA,
    content: 'a clip follows',
    attachments: [],
    embeds: [],
    timestamp: new Date().toISOString(),
    type: 0,
  };
  const opened = discord.sendCommand({
    type: 3,
    name: 'Upload to YouTube',
    user: DANA,
    guildId: GUILD,
    channelId: CHANNEL,
    targetId: message.id,
    resolved: { messages: { [message.id]: message } },
  });
  assert.equal((await opened.response()).type, 9);
  const first = discord.submitModal(opened, { fields: { description: 'From the message form' } });
  const reply = await first.waitForOriginal((m) => buttons(m).length > 0, 20_000);
  assert.deepEqual(
    buttons(reply).map((b) => b.label),
    ['Choose the video', 'Attach here (up to 10 MiB)'],
  );
  const press = pressAttach(reply);
  await press.response();
  const data = mp4Bytes(MiB, 146);
  discord.submitModal(press, { files: { video: [{ filename: 'message clip.webm', data }] } });
  await first.waitForOriginal(finished, 60_000);
  const video = videosOf(dana).find((v) => v.sha256 === sha256(data));
  assert.equal(video?.snippet.description, 'From the message form');
  assert.equal(video?.snippet.title, 'message clip');
});

const TUS = { 'tus-resumable': '1.0.0' };

/** Sends the whole file to the page's tus endpoint as tus-js-client would (create, then one PATCH). */
async function sendFromBrowser(pageUrl: string, data: Buffer, filename: string): Promise<Response> {
  const created = await fetch(`${pageUrl}/files`, {
    method: 'POST',
    headers: {
      ...TUS,
      'upload-length': String(data.length),
      'upload-metadata': `filename ${Buffer.from(filename).toString('base64')}`,
    },
  });
  assert.equal(created.status, 201);
  return fetch(new URL(created.headers.get('location') ?? '', pageUrl).href, {
    method: 'PATCH',
    headers: { ...TUS, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
    body: data,
  });
}

test('while the browser sends, the progress keeps the page’s button (a closed tab can be reopened); it goes once the upload is done or cancelled', async () => {
  // Seconds of "Uploading", even on a busy machine: the file is larger than what loopback socket buffers
  // take in at once (4–6 MiB here; a smaller one is all "sent" at once and shows "Finishing" instead).
  google.upload.throttleBytesPerSec = MiB;
  const { interaction, reply } = await askWithoutFile(DANA, [
    { type: 3, name: 'title', value: 'Browser clip' },
  ]);
  const pageUrl = buttons(reply)[0]?.url ?? '';
  const data = mp4Bytes(12 * MiB, 147);
  const sent = sendFromBrowser(pageUrl, data, 'browser clip.mp4');
  const progress = await interaction.waitForOriginal(
    (m) => /Uploading.*from your browser/.test(m.content ?? ''),
    30_000,
  );
  assert.deepEqual(
    buttons(progress).map((b) => [b.label, b.url ?? null]),
    [
      ['Cancel upload', null],
      ['Open the upload page', pageUrl],
    ],
  );
  assert.equal((await fetch(pageUrl)).status, 200, 'the page opens again mid-transfer');
  // A form opened before cannot give the upload a second file.
  assert.match(await refusal(pressAttach(reply)), /already gets its file from your browser/);
  assert.equal((await sent).status, 204);
  const done = await interaction.waitForOriginal(finished, 60_000);
  assert.match(done.content ?? '', /\*\*Browser clip\*\* is on YouTube/);
  assert.deepEqual(buttons(done), [], 'the page’s button is gone once the upload is done');
  assert.equal(videosOf(dana).filter((v) => v.sha256 === sha256(data)).length, 1);

  // Cancelled mid-transfer: the button goes with it.
  const second = await askWithoutFile(DANA);
  const secondUrl = buttons(second.reply)[0]?.url ?? '';
  const cut = sendFromBrowser(secondUrl, mp4Bytes(2 * MiB, 148), 'cancel me.mp4').catch(() => undefined);
  const running = await second.interaction.waitForOriginal(
    (m) => buttons(m).some((b) => b.label === 'Open the upload page'),
    30_000,
  );
  const cancel = buttons(running).find((b) => b.label === 'Cancel upload');
  discord.sendButton({
    customId: cancel?.custom_id ?? '',
    message: { id: running.id },
    user: DANA,
    guildId: GUILD,
    channelId: CHANNEL,
  });
  const cancelled = await second.interaction.waitForOriginal(
    (m) => /Cancelled/.test(m.content ?? ''),
    30_000,
  );
  assert.deepEqual(buttons(cancelled), [], 'no page button on a cancelled upload');
  await cut;
});
