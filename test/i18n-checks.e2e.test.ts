// Issue #13: the sentences that checks and services produce reach a German or Japanese member in their
// language — an attachment refused (not a video, over their limit), a link /favorite cannot read, the
// /unlink warning with its buttons and answers, and the notes under an upload's result (a playlist step
// that failed or worked). A record saved before notes had keys still shows its English note.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FakeDiscord, FakeMessage, FakeUser, InteractionHandle } from './fakes/discord.ts';
import type { FakeAccount, FakeGoogle } from './fakes/google.ts';
import { startWorld, type TestApp, type World } from './support/app.ts';
import { linkMember, linkServer } from './support/link.ts';
import { MiB, mp4Bytes, sha256 } from './support/media.ts';
import { waitFor } from './fakes/http.ts';
import { serverOwner } from '../src/store/settings.ts';
import { renderProgress } from '../src/uploads/progress.ts';
import { note } from '../src/uploads/notes.ts';

const GUILD = '800000000000000171';
const CHANNEL = '900000000000000171';
const JANA: FakeUser = { id: '700000000000000171', username: 'jana' };
const HARUKI: FakeUser = { id: '700000000000000172', username: 'haruki' };
const EMMA: FakeUser = { id: '700000000000000173', username: 'emma' };

let discord: FakeDiscord;
let google: FakeGoogle;
let bot: TestApp;
let world: World;
let janaAccount: FakeAccount;
let harukiAccount: FakeAccount;

before(async () => {
  world = await startWorld([
    {
      id: GUILD,
      name: 'Videos',
      ownerId: EMMA.id,
      channels: [{ id: CHANNEL, name: 'videos', type: 0 }],
      preferredLocale: 'en-US',
    },
  ]);
  ({ discord, google, bot } = world);
  janaAccount = google.addAccount({ email: 'jana@example.com', channel: { title: 'Jana Studio' } });
  harukiAccount = google.addAccount({ email: 'haruki@example.com', channel: { title: 'Haruki' } });
  await linkMember(discord, google, JANA, janaAccount, GUILD);
  await linkMember(discord, google, HARUKI, harukiAccount, GUILD);
});

after(async () => {
  await world.stop();
});

type Option = { type: number; name: string; value: string };

function upload(
  user: FakeUser,
  locale: string,
  file: { filename: string; data: Buffer },
  options: Option[] = [],
  attachmentSizeLimit?: number,
): InteractionHandle {
  const attachment = discord.addAttachment({ ...file, contentType: 'video/mp4', channelId: CHANNEL });
  return discord.sendCommand({
    name: 'upload',
    user,
    guildId: GUILD,
    channelId: CHANNEL,
    locale,
    attachments: [attachment],
    options: [{ type: 11, name: 'file', value: attachment.id }, ...options],
    ...(attachmentSizeLimit ? { attachmentSizeLimit } : {}),
  });
}

/** The private reply once it says something. */
const said = (handle: InteractionHandle) =>
  handle.waitForOriginal((m) => (m.content ?? '') !== '', 20_000).then((m) => m.content ?? '');

const finished = (m: FakeMessage) => /✅|❌|🛑/.test(m.content ?? '');

test("an attachment that is not a video, or over the member's limit, is refused in their language; nothing is uploaded", async () => {
  const sessions = google.sessions.size;
  const text = { filename: 'notizen.mp4', data: Buffer.from('nur Text, der sich als Video ausgibt') };
  assert.equal(
    await said(upload(JANA, 'de', text)),
    '`notizen.mp4` ist kein Video, das YouTube annimmt (MP4, MOV, WebM, MKV, AVI, FLV, WMV, 3GP, MPEG).',
  );
  assert.equal(
    await said(upload(HARUKI, 'ja', { ...text, filename: 'memo.mp4' })),
    '`memo.mp4`はYouTubeが受け付ける動画ではありません（MP4、MOV、WebM、MKV、AVI、FLV、WMV、3GP、MPEG）。',
  );
  // Sizes in the member's number format: "1,5 MiB" in German.
  const big = { filename: 'gross.mp4', data: mp4Bytes(1.5 * MiB, 1711) };
  assert.equal(
    await said(upload(JANA, 'de', big, [], MiB)),
    'Die Datei ist 1,5 MiB groß und liegt damit über dem Limit von 1,0 MiB.',
  );
  assert.equal(google.sessions.size, sessions, 'no upload session was opened');
});

test("a file sent with Discord's form is checked in the member's language too", async () => {
  const sessions = google.sessions.size;
  const ask = discord.sendCommand({
    name: 'upload',
    user: HARUKI,
    guildId: GUILD,
    channelId: CHANNEL,
    locale: 'ja',
  });
  const prompt = await ask.waitForOriginal((m) => (m.components ?? []).length > 0, 20_000);
  const attach = prompt.components
    .flatMap((row) => row.components ?? [])
    .find((b) => /^ここに添付/.test(b.label ?? ''));
  assert.ok(attach?.custom_id, 'an Attach here button, in Japanese');
  const press = discord.sendButton({
    customId: attach.custom_id,
    message: { id: prompt.id },
    user: HARUKI,
    guildId: GUILD,
    channelId: CHANNEL,
    locale: 'ja',
  });
  await press.response();
  const sent = discord.submitModal(press, {
    files: { video: [{ filename: 'memo.mp4', data: Buffer.from('ただのテキストです') }] },
  });
  const answer = await sent.response(20_000);
  const refusal =
    answer.type === 4
      ? (answer.data?.content ?? '')
      : await waitFor(() => sent.followups()[0]?.content, 'a private sentence', 20_000);
  assert.equal(
    refusal,
    '`memo.mp4`はYouTubeが受け付ける動画ではありません（MP4、MOV、WebM、MKV、AVI、FLV、WMV、3GP、MPEG）。',
  );
  assert.equal(google.sessions.size, sessions, 'no upload session was opened');
});

test('a link /favorite cannot read is refused in German and Japanese, each with an example that works', async () => {
  const favorite = (user: FakeUser, locale: string, value: string) =>
    said(
      discord.sendCommand({
        name: 'favorite',
        user,
        guildId: GUILD,
        channelId: CHANNEL,
        locale,
        options: [{ type: 3, name: 'video', value }],
      }),
    );
  assert.equal(
    await favorite(JANA, 'de', 'Katzenvideo von gestern'),
    'Ich konnte in „Katzenvideo von gestern“ kein YouTube-Video finden. Gib eine Video-ID wie dQw4w9WgXcQ oder einen Link wie https://youtu.be/dQw4w9WgXcQ an.',
  );
  assert.equal(
    await favorite(HARUKI, 'ja', 'http://youtu.be/dQw4w9WgXcQ'),
    '「http://youtu.be/dQw4w9WgXcQ」は https:// のリンクではありません。https:// のリンクしか受け付けません。dQw4w9WgXcQ のような動画IDか、https://youtu.be/dQw4w9WgXcQ のようなリンクを指定してください。',
  );
  assert.equal(google.ratings?.size ?? 0, 0, 'nothing was liked');
});

function unlink(user: FakeUser, locale: string): InteractionHandle {
  return discord.sendCommand({ name: 'unlink', user, guildId: GUILD, channelId: CHANNEL, locale });
}

function press(message: FakeMessage, label: string, user: FakeUser, locale: string): InteractionHandle {
  const button = message.components.flatMap((row) => row.components ?? []).find((b) => b.label === label);
  assert.ok(button?.custom_id, `a ${label} button`);
  return discord.sendButton({
    customId: button.custom_id,
    user,
    guildId: GUILD,
    channelId: CHANNEL,
    locale,
    message: { id: message.id, channelId: CHANNEL, flags: message.flags },
  });
}

const labels = (message: FakeMessage) =>
  message.components.flatMap((row) => row.components ?? []).map((b) => b.label);

test('the /unlink warning, its buttons and its answers speak German to a German member, Japanese to a Japanese one', async () => {
  // Jana's Google account is also the server's channel: unlinking one would end both.
  await linkServer(bot.app, google, GUILD, janaAccount);
  const warning = await unlink(JANA, 'de').waitForOriginal((m) => m.components.length > 0, 20_000);
  assert.equal(
    warning.content,
    '**Jana Studio** ist auch als Kanal dieses Servers (`/server link`) verknüpft. Google widerruft die ganze Anmeldung: Hebst du die Verknüpfung hier auf, endet auch die andere, und sie müsste neu eingerichtet werden. Beide aufheben? Die Buttons funktionieren 60 Sekunden lang und nur für dich.',
  );
  assert.deepEqual(labels(warning), ['Beide aufheben', 'Abbrechen']);

  const other = await press(warning, 'Beide aufheben', HARUKI, 'ja').response();
  assert.equal(
    (other.data as { content?: string }).content,
    '/unlink を実行したメンバーだけが応答できます。何も解除されていません。',
  );
  const cancelled = await press(warning, 'Abbrechen', JANA, 'de').waitForOriginal(
    (m) => m.components.length === 0,
    20_000,
  );
  assert.equal(cancelled.content, 'Die Verknüpfung bleibt bestehen.');
  assert.ok(await bot.app.ctx.oauth.linked(JANA.id), 'still linked');

  const again = await unlink(JANA, 'de').waitForOriginal((m) => m.components.length > 0, 20_000);
  const done = await press(again, 'Beide aufheben', JANA, 'de').waitForOriginal(
    (m) => m.components.length === 0,
    20_000,
  );
  assert.equal(
    done.content,
    'Die Verknüpfung mit **Jana Studio** ist aufgehoben. Google hat bestätigt, dass der Zugriff des Bots widerrufen ist. Dasselbe Google-Konto war auch als Kanal dieses Servers (`/server link`) verknüpft – auch das ist damit aufgehoben.',
  );
  assert.equal(await bot.app.ctx.oauth.linked(serverOwner(GUILD)), undefined, 'the server link ended too');
  assert.equal(
    await said(unlink(JANA, 'de')),
    'Du hast keinen YouTube-Kanal verknüpft, es gab also nichts aufzuheben.',
  );

  await linkServer(bot.app, google, GUILD, harukiAccount);
  const japanese = await unlink(HARUKI, 'ja').waitForOriginal((m) => m.components.length > 0, 20_000);
  assert.match(
    japanese.content,
    /^\*\*Haruki\*\*はこのサーバーのチャンネル（`\/server link`）としても連携されています。/,
  );
  assert.deepEqual(labels(japanese), ['両方とも解除', 'キャンセル']);
  const japaneseDone = await press(japanese, '両方とも解除', HARUKI, 'ja').waitForOriginal(
    (m) => m.components.length === 0,
    20_000,
  );
  assert.equal(
    japaneseDone.content,
    '**Haruki**の連携を解除しました。ボットのアクセスが取り消されたことをGoogleが確認しました。同じGoogleアカウントがこのサーバーのチャンネル（`/server link`）としても連携されていたため、そちらの連携も解除されました。',
  );
  // Linked again for the uploads below.
  await linkMember(discord, google, JANA, janaAccount, GUILD);
  await linkMember(discord, google, HARUKI, harukiAccount, GUILD);
});

test('/server unlink tells a German admin when Google did not confirm the revocation, and then that nothing is linked', async () => {
  const studio = google.addAccount({ email: 'studio@example.com', channel: { title: 'Studio' } });
  await linkServer(bot.app, google, GUILD, studio);
  const serverUnlink = () =>
    discord.sendCommand({
      name: 'server',
      user: EMMA,
      guildId: GUILD,
      channelId: CHANNEL,
      locale: 'de',
      options: [{ type: 1, name: 'unlink', options: [] }],
    });
  google.fail({ method: 'POST', path: /^\/revoke/ }, { status: 503 }, 10);
  try {
    assert.equal(
      await said(serverUnlink()),
      'Die Verknüpfung des Servers mit **Studio** ist hier aufgehoben, aber Google hat den Widerruf nicht bestätigt: Entferne den Zugriff des Bots unter https://myaccount.google.com/permissions.',
    );
  } finally {
    google.clearFaults();
  }
  assert.equal(await said(serverUnlink()), 'Der Server hat keinen verknüpften YouTube-Kanal.');
});

test("the notes under an upload's result are in the member's language: a playlist step that failed, one that worked", async () => {
  const bytes = mp4Bytes(200 * 1024, 1712);
  const german = await upload(JANA, 'de', { filename: 'urlaub.mp4', data: bytes }, [
    { type: 3, name: 'playlist', value: 'PLdoesnotexist0000000000000000000' },
  ]).waitForOriginal(finished, 30_000);
  assert.match(german.content ?? '', /^✅ \*\*urlaub\*\* ist auf YouTube: /);
  assert.match(
    german.content ?? '',
    /\nDas Video ist hochgeladen, aber es ließ sich nicht zur Playlist hinzufügen: Diese Playlist gibt es nicht, oder sie ist privat und gehört jemand anderem\.$/,
  );
  assert.doesNotMatch(german.content ?? '', /The video is up|That playlist/);
  assert.ok(
    [...google.videos.values()].some((v) => v.sha256 === sha256(bytes)),
    'the video is up',
  );

  const playlist = google.addPlaylist(harukiAccount, { title: '旅行' });
  const japanese = await upload(HARUKI, 'ja', { filename: 'ryokou.mp4', data: mp4Bytes(200 * 1024, 1713) }, [
    { type: 3, name: 'playlist', value: playlist.id },
  ]).waitForOriginal(finished, 30_000);
  assert.match(japanese.content ?? '', /\n再生リストに追加しました。$/);
});

test('a note saved in English before notes had keys still shows, next to a note drawn in German', () => {
  const text = renderProgress({
    phase: 'done',
    filename: 'alt.mp4',
    title: 'alt',
    total: 1,
    sent: 1,
    bytesPerSecond: undefined,
    videoUrl: 'https://youtu.be/aaaaaaaaaaa',
    privacy: 'public',
    locale: 'de',
    notes: ['Added to your playlist.', note('progress.note.thumbnailSet')],
  });
  assert.match(text, /\nAdded to your playlist\.\nEigene Miniaturansicht festgelegt\.$/);
});
