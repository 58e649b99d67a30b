// Issue #13 end to end: the last English sentences a member read. A German member whose upload fails
// inside the transfer reads why in German (in the progress message); a Japanese member's "Show my
// upload" reply and the upload page's /status are Japanese; a German admin's template with an http://
// link is refused in German. English members still read English.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FakeDiscord, FakeMessage, FakeUser } from './fakes/discord.ts';
import type { FakeGoogle } from './fakes/google.ts';
import { waitFor } from './fakes/http.ts';
import { startWorld, type World } from './support/app.ts';
import { linkMember } from './support/link.ts';
import { MiB, mp4Bytes } from './support/media.ts';

const GUILD = '800000000000000141';
const CHANNEL = '900000000000000141';
const JANA: FakeUser = { id: '700000000000000141', username: 'jana' };
const HARUKI: FakeUser = { id: '700000000000000142', username: 'haruki' };
const EMMA: FakeUser = { id: '700000000000000143', username: 'emma' };

/** The session-creating POST of YouTube's resumable protocol. */
const CREATE = { method: 'POST', path: /^\/upload\/youtube\/v3\/videos/ };

let discord: FakeDiscord;
let google: FakeGoogle;
let world: World;

before(async () => {
  world = await startWorld([
    {
      id: GUILD,
      name: 'Videos',
      ownerId: JANA.id,
      channels: [{ id: CHANNEL, name: 'videos', type: 0 }],
      preferredLocale: 'en-US',
    },
  ]);
  ({ discord, google } = world);
  await linkMember(
    discord,
    google,
    JANA,
    google.addAccount({ email: 'jana@example.com', channel: { title: 'Jana' } }),
    GUILD,
  );
  await linkMember(
    discord,
    google,
    HARUKI,
    google.addAccount({ email: 'haruki@example.com', channel: { title: 'Haruki' } }),
    GUILD,
  );
  await linkMember(
    discord,
    google,
    EMMA,
    google.addAccount({ email: 'emma@example.com', channel: { title: 'Emma' } }),
    GUILD,
  );
});

after(async () => {
  google.clearFaults();
  await world.stop();
});

function upload(user: FakeUser, locale: string, bytes: Buffer, filename: string) {
  const file = discord.addAttachment({ filename, data: bytes, contentType: 'video/mp4', channelId: CHANNEL });
  return discord.sendCommand({
    name: 'upload',
    user,
    guildId: GUILD,
    channelId: CHANNEL,
    locale,
    attachments: [file],
    options: [{ type: 11, name: 'file', value: file.id }],
  });
}

const finished = (m: FakeMessage) => /✅|❌|🛑/.test(m.content ?? '');

/**
 * The id of the member's failed upload, from the bot's log (the button the bot gives carries it): the
 * result is shown first, then recorded and logged, so the line may come a moment after the message.
 */
function failedJobOf(user: FakeUser, before: number): Promise<string> {
  return waitFor(() => {
    const entry = world.bot.logs
      .slice(before)
      .find((e) => e['msg'] === 'upload finished' && e['owner'] === user.id && e['status'] === 'failed');
    return typeof entry?.['jobId'] === 'string' ? entry['jobId'] : undefined;
  }, 'the failed upload in the log');
}

test('an upload YouTube refuses when it opens the session: the German member reads why in German', async () => {
  const videos = google.videos.size;
  // A reason YouTube names (the channel's daily upload limit), then a plain refusal of the request.
  google.fail(CREATE, { status: 400, reason: 'uploadLimitExceeded' });
  const limited = await upload(JANA, 'de', mp4Bytes(256 * 1024, 1401), 'urlaub.mp4').waitForOriginal(
    finished,
    30_000,
  );
  assert.equal(
    limited.content,
    '❌ **Upload fehlgeschlagen** – `urlaub.mp4`\n' +
      'Dein YouTube-Kanal hat sein tägliches Upload-Limit erreicht. Versuch es morgen noch einmal.',
  );

  google.fail(CREATE, { status: 400, reason: 'badRequest' });
  const refused = await upload(JANA, 'de', mp4Bytes(256 * 1024, 1402), 'herbst.mp4').waitForOriginal(
    finished,
    30_000,
  );
  assert.equal(
    refused.content,
    '❌ **Upload fehlgeschlagen** – `herbst.mp4`\nYouTube hat die Upload-Anfrage abgelehnt.',
  );
  assert.equal(google.videos.size, videos, 'no video');

  // An English member's failure still reads exactly as before.
  google.fail(CREATE, { status: 400, reason: 'badRequest' });
  const english = await upload(EMMA, 'en-US', mp4Bytes(256 * 1024, 1403), 'fall.mp4').waitForOriginal(
    finished,
    30_000,
  );
  assert.equal(english.content, '❌ **Upload failed** — `fall.mp4`\nYouTube rejected the upload request.');
});

test('"Show my upload" answers a Japanese member in Japanese: a failed upload and its reason', async () => {
  const logged = world.bot.logs.length;
  google.fail(CREATE, { status: 400, reason: 'badRequest' });
  const progress = await upload(HARUKI, 'ja', mp4Bytes(256 * 1024, 1411), 'ryokou.mp4').waitForOriginal(
    finished,
    30_000,
  );
  assert.match(progress.content ?? '', /^❌ \*\*アップロードに失敗しました\*\*/);
  const jobId = await failedJobOf(HARUKI, logged);
  const press = (user: FakeUser, locale: string) =>
    discord
      .sendButton({
        customId: `upload:show:${jobId}`,
        user,
        guildId: GUILD,
        channelId: CHANNEL,
        locale,
        message: { id: progress.id, channelId: CHANNEL },
      })
      .response();
  const mine = await press(HARUKI, 'ja');
  assert.equal((mine.data?.flags ?? 0) & 64, 64, 'only the uploader sees it');
  assert.equal(
    mine.data?.content,
    '❌ **アップロードに失敗しました** — `ryokou.mp4`\nYouTubeがアップロードのリクエストを拒否しました。',
  );
  const theirs = await press(JANA, 'de');
  assert.equal(theirs.data?.content, 'Nur das Mitglied, das diesen Upload gestartet hat, kann ihn sehen.');
  const english = await press(EMMA, 'en-GB');
  assert.equal(english.data?.content, 'Only the member who started this upload can see it.');
});

test("the upload page's /status gives the reason in the language of the member who ran /upload", async () => {
  const interaction = discord.sendCommand({
    name: 'upload',
    user: HARUKI,
    guildId: GUILD,
    channelId: CHANNEL,
    locale: 'ja',
    options: [],
  });
  const prompt = await interaction.waitForOriginal((m) => (m.components?.length ?? 0) > 0, 20_000);
  const url = (prompt.components as { components: { url?: string }[] }[])[0]?.components[0]?.url ?? '';
  assert.match(url, /\/u\//);
  // A client that skips the page's own check sends a file that is not a video: the bot refuses it.
  const text = Buffer.alloc(MiB, 'not a video at all\n');
  const tus = { 'tus-resumable': '1.0.0' };
  const created = await fetch(`${url}/files`, {
    method: 'POST',
    headers: {
      ...tus,
      'upload-length': String(text.length),
      'upload-metadata': `filename ${Buffer.from('memo.mp4').toString('base64')}`,
    },
  });
  assert.equal(created.status, 201);
  const refused = await fetch(new URL(created.headers.get('location') ?? '', url), {
    method: 'PATCH',
    headers: { ...tus, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
    body: text,
  });
  assert.equal(refused.status, 415);
  await refused.body?.cancel();
  let status: { state: string; message: string | null } | undefined;
  // The refusal is recorded as the job's end (its outcome) as the PATCH is answered; ask until it is.
  for (let tries = 0; status?.state !== 'failed'; tries++) {
    if (tries > 0) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(tries < 200, 'the upload is recorded as failed');
    status = (await (await fetch(`${url}/status`)).json()) as typeof status;
  }
  assert.equal(
    status.message,
    '`memo.mp4`はYouTubeが受け付ける動画形式ではありません（MP4、MOV、WebM、MKV、AVI、FLV、WMV、3GP、MPEG）。',
  );
});

test('a German admin’s announcement template with an http:// link is refused in German, and not saved', async () => {
  const before = (await world.bot.app.ctx.settings.get(GUILD)).template;
  const settings = (user: FakeUser, locale: string, template: string) =>
    discord
      .sendCommand({
        name: 'server',
        user,
        guildId: GUILD,
        channelId: CHANNEL,
        locale,
        options: [{ type: 1, name: 'settings', options: [{ type: 3, name: 'template', value: template }] }],
      })
      .waitForOriginal((m) => (m.content ?? '') !== '', 20_000);
  const german = await settings(JANA, 'de', 'Neu: {title} {url} – mehr unter http://example.com/blog');
  assert.equal(
    german.content,
    'Die Vorlage verlinkt auf „http://example.com/blog“, und das ist kein https://-Link: Es werden nur https://-Links angenommen.',
  );
  const english = await settings(JANA, 'en-US', 'New: {title} {url} more at http://example.com/blog');
  assert.equal(
    english.content,
    'The template links to "http://example.com/blog", which is not https://: only https:// links are accepted.',
  );
  assert.equal((await world.bot.app.ctx.settings.get(GUILD)).template, before, 'nothing saved');
});

test('an upload page never used: its expiry note reads Japanese for a Japanese member', async () => {
  const interaction = discord.sendCommand({
    name: 'upload',
    user: HARUKI,
    guildId: GUILD,
    channelId: CHANNEL,
    locale: 'ja',
    options: [],
  });
  await interaction.waitForOriginal((m) => (m.components?.length ?? 0) > 0, 20_000);
  // What the bot's timer does once the link's time is over (here: at once, for any age).
  assert.equal(await world.bot.app.ctx.uploads.expireAwaiting(0, Date.now() + 1000), 1);
  const ended = await interaction.waitForOriginal((m) => /🛑/.test(m.content ?? ''), 20_000);
  assert.match(
    ended.content ?? '',
    /\nファイルが選ばれる前にアップロードリンクの有効期限が切れたため、何もアップロードされていません。新しいリンクを受け取るには \/upload をもう一度実行してください。$/,
  );
  assert.doesNotMatch(ended.content ?? '', /expired before a file was chosen/);
});
