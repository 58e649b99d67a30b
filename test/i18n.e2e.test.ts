// Issue #13 end to end: a German and a Japanese member run /help, /upload without a linked channel and
// a successful upload, and read their own language; an English member still reads English.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FakeDiscord, FakeMessage, FakeUser } from './fakes/discord.ts';
import type { FakeGoogle } from './fakes/google.ts';
import { startWorld, type World } from './support/app.ts';
import { linkMember, openLinkPage, TestBrowser } from './support/link.ts';
import { MiB, mp4Bytes, sha256 } from './support/media.ts';

const GUILD = '800000000000000131';
const CHANNEL = '900000000000000131';
const JANA: FakeUser = { id: '700000000000000131', username: 'jana' };
const HARUKI: FakeUser = { id: '700000000000000132', username: 'haruki' };
const EMMA: FakeUser = { id: '700000000000000133', username: 'emma' };

let discord: FakeDiscord;
let google: FakeGoogle;
let world: World;

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
  ({ discord, google } = world);
});

after(async () => {
  await world.stop();
});

function help(user: FakeUser, locale: string) {
  return discord.sendCommand({ name: 'help', user, guildId: GUILD, channelId: CHANNEL, locale });
}

async function helpText(user: FakeUser, locale: string): Promise<string> {
  const response = await help(user, locale).response();
  return (response.data as { embeds: { description: string }[] }).embeds[0]?.description ?? '';
}

function upload(user: FakeUser, locale: string, bytes: Buffer, filename: string) {
  const file = discord.addAttachment({ filename, data: bytes, contentType: 'video/mp4', channelId: CHANNEL });
  return {
    file,
    interaction: discord.sendCommand({
      name: 'upload',
      user,
      guildId: GUILD,
      channelId: CHANNEL,
      locale,
      attachments: [file],
      options: [{ type: 11, name: 'file', value: file.id }],
    }),
  };
}

const finished = (m: FakeMessage) => /✅|❌|🛑/.test(m.content ?? '');

test('/help speaks German to a German member, Japanese to a Japanese one, English to the rest', async () => {
  const german = await helpText(JANA, 'de');
  assert.match(german, /bring deine Discord-Videos auf YouTube, ohne Discord zu verlassen/);
  assert.match(german, /• `\/upload` – Lade ein Video auf deinen YouTube-Kanal hoch/);
  assert.match(german, /• \*\*Upload to YouTube\*\* – Rechtsklick auf eine Nachricht → Apps/);
  assert.doesNotMatch(german, /Upload a video to your YouTube channel/);

  const japanese = await helpText(HARUKI, 'ja');
  assert.match(japanese, /Discordを離れずに、Discordの動画をYouTubeへ。/);
  assert.match(japanese, /• `\/playlist add` — 再生リストに動画を追加します/);

  const english = await helpText(EMMA, 'en-GB');
  assert.match(english, /put your Discord videos on YouTube without leaving Discord/);
  assert.match(english, /• `\/upload` — Upload a video to your YouTube channel/);
  // Brazilian Portuguese, for a language the bot falls back from: Korean reads English.
  assert.match(await helpText(EMMA, 'pt-BR'), /coloque seus vídeos do Discord no YouTube/);
  assert.match(await helpText(EMMA, 'ko'), /put your Discord videos on YouTube/);
});

test("/upload without a linked channel is refused in the member's language, and nothing is uploaded", async () => {
  const videos = google.videos.size;
  const german = upload(JANA, 'de', mp4Bytes(64 * 1024, 1301), 'urlaub.mp4').interaction;
  const germanReply = await german.waitForOriginal((m) => (m.content ?? '') !== '', 20_000);
  assert.equal(germanReply.content, 'Du hast noch keinen YouTube-Kanal verknüpft – führe zuerst /link aus.');

  const japanese = upload(HARUKI, 'ja', mp4Bytes(64 * 1024, 1302), 'ryokou.mp4').interaction;
  const japaneseReply = await japanese.waitForOriginal((m) => (m.content ?? '') !== '', 20_000);
  assert.equal(
    japaneseReply.content,
    'まだYouTubeチャンネルを連携していません。先に /link を実行してください。',
  );
  assert.equal(google.videos.size, videos, 'no video');
});

test('/link answers a German member in German, with a German button', async () => {
  const interaction = discord.sendCommand({ name: 'link', user: EMMA, guildId: GUILD, locale: 'de' });
  const data = (await interaction.response()).data as {
    content: string;
    components: { components: { label: string }[] }[];
  };
  assert.match(data.content, /^Öffne den Button unten, wähle dein Google-Konto und deinen YouTube-Kanal/);
  assert.equal(data.components[0]?.components[0]?.label, 'YouTube verknüpfen');
});

test('the link page speaks the language of the member who ran /link: Japanese, lang="ja"', async () => {
  const interaction = discord.sendCommand({ name: 'link', user: EMMA, guildId: GUILD, locale: 'ja' });
  const data = (await interaction.response()).data as { components: { components: { url: string }[] }[] };
  const url = data.components[0]?.components[0]?.url ?? '';
  const page = await openLinkPage(new TestBrowser(), url);
  assert.equal(page.response.status, 200);
  assert.match(page.html, /<html lang="ja">/);
  assert.match(page.html, /<h1>あなたですか？<\/h1>/);
  assert.match(page.html, /このDiscordアカウントがサーバー「Videos」で\/link を実行しました。/);
  assert.match(page.html, /<button type="submit">Googleに進む<\/button>/);
  assert.doesNotMatch(page.html, /Is this you\?|Continue to Google/);
});

test("a page whose member is unknown (an expired link) speaks the browser's language (Accept-Language)", async () => {
  const expired = `${world.bot.app.ctx.config.publicUrl}/link/${'A'.repeat(43)}`;
  const french = await fetch(expired, { headers: { 'accept-language': 'fr-CA,fr;q=0.9,en;q=0.5' } });
  assert.equal(french.status, 400);
  const html = await french.text();
  assert.match(html, /<html lang="fr">/);
  assert.match(html, /<h1>Ce lien a expiré<\/h1>/);
  const korean = await (await fetch(expired, { headers: { 'accept-language': 'ko-KR' } })).text();
  assert.match(korean, /<h1>This link has expired<\/h1>/);
});

test('a successful upload shows its progress and result in German and in Japanese', async () => {
  await linkMember(
    discord,
    google,
    JANA,
    google.addAccount({ email: 'jana@example.com', channel: { title: 'Jana' } }),
    GUILD,
  );
  // The /link reply is updated in Japanese once the browser part is over.
  await linkMember(
    discord,
    google,
    HARUKI,
    google.addAccount({ email: 'haruki@example.com', channel: { title: 'Haruki' } }),
    GUILD,
    { locale: 'ja', done: /^\*\*Haruki\*\*と連携しました。\/upload が使えるようになりました。$/ },
  );

  // Slowed down, so the progress shows while the bytes flow; sped up again once it did. Larger than what
  // loopback socket buffers take in at once (4–6 MiB here): a smaller file is all "sent" at once and
  // goes straight to "Finishing".
  const germanBytes = mp4Bytes(9 * MiB + 4321, 1311);
  google.upload.throttleBytesPerSec = MiB;
  const german = upload(JANA, 'de', germanBytes, 'urlaub.mp4').interaction;
  let progress: FakeMessage;
  try {
    progress = await german.waitForOriginal(
      (m) => /📤 \*\*Wird hochgeladen\*\*/.test(m.content ?? ''),
      30_000,
    );
  } finally {
    google.upload.throttleBytesPerSec = null;
  }
  // "`urlaub.mp4` → YouTube", then the bar with "… % · 5,5 MiB von 9,0 MiB" (German decimals), then the speed.
  assert.match(
    progress.content ?? '',
    /^📤 \*\*Wird hochgeladen\*\* `urlaub\.mp4` → YouTube\n`[█░]{20}` \d+ % · [\d,]+ (B|KiB|MiB) von 9,0 MiB\n/,
  );
  assert.match(
    progress.content ?? '',
    /\n(Geschwindigkeit wird gemessen …|[\d,]+ (B|KiB|MiB)\/s · noch etwa .+)$/,
  );
  assert.equal(progress.components?.[0]?.components?.[0]?.label, 'Upload abbrechen');
  const germanDone = await german.waitForOriginal(finished, 30_000);
  assert.match(
    germanDone.content ?? '',
    /^✅ \*\*urlaub\*\* ist auf YouTube: https:\/\/youtu\.be\/\S+ · Sichtbarkeit: öffentlich$/m,
  );
  const germanVideo = [...google.videos.values()].find((v) => v.sha256 === sha256(germanBytes));
  assert.ok(germanVideo, "the German member's video is on YouTube, every byte intact");

  const japaneseBytes = mp4Bytes(2 * MiB + 1234, 1312);
  const japanese = upload(HARUKI, 'ja', japaneseBytes, 'ryokou.mp4').interaction;
  const japaneseDone = await japanese.waitForOriginal(finished, 30_000);
  assert.match(
    japaneseDone.content ?? '',
    /^✅ \*\*ryokou\*\*をYouTubeに公開しました：https:\/\/youtu\.be\/\S+ · 公開範囲：公開$/m,
  );
  assert.ok([...google.videos.values()].some((v) => v.sha256 === sha256(japaneseBytes)));
});

test('a member without Manage Server is refused /server link in their language, with no link button', async () => {
  const interaction = discord.sendCommand({
    name: 'server',
    user: JANA,
    guildId: GUILD,
    channelId: CHANNEL,
    locale: 'de',
    options: [{ type: 1, name: 'link', options: [] }],
  });
  const response = await interaction.response();
  const reply =
    response.type === 5
      ? await interaction.waitForOriginal((m) => (m.content ?? '') !== '', 20_000)
      : (response.data as { content?: string; components?: unknown[] });
  assert.equal(reply.content, 'Das können nur Mitglieder mit der Berechtigung „Server verwalten“.');
  assert.equal(JSON.stringify(reply.components ?? []).includes('accounts'), false, 'no sign-in link');
});

test('/upload without a file answers a Japanese member in Japanese: the prompt and both buttons', async () => {
  const interaction = discord.sendCommand({
    name: 'upload',
    user: HARUKI,
    guildId: GUILD,
    channelId: CHANNEL,
    locale: 'ja',
    options: [{ type: 3, name: 'title', value: '京都の旅' }],
  });
  const prompt = await interaction.waitForOriginal((m) => (m.components ?? []).length > 0, 20_000);
  assert.match(
    prompt.content ?? '',
    /^ブラウザからサイズを問わず動画をアップロードする準備ができました — タイトル：\*\*京都の旅\*\*、公開範囲：公開。/,
  );
  assert.match(prompt.content ?? '', /\*\*動画を選ぶ\*\*を開いて/);
  assert.doesNotMatch(prompt.content ?? '', /Ready to upload|Choose the video/);
  const labels = (prompt.components?.[0]?.components ?? []).map((c) => c.label);
  assert.equal(labels[0], '動画を選ぶ');
  assert.match(labels[1] ?? '', /^ここに添付（[\d.]+ MiB?まで）$/);
});

test('/delete asks a German member in German, with German buttons, and deletes nothing by asking', async () => {
  const video = [...google.videos.values()].find((v) => v.snippet.title === 'urlaub');
  assert.ok(video, "the German member's upload of the earlier test");
  const interaction = discord.sendCommand({
    name: 'delete',
    user: JANA,
    guildId: GUILD,
    channelId: CHANNEL,
    locale: 'de',
    options: [{ type: 3, name: 'video', value: video.id }],
  });
  const ask = await interaction.waitForOriginal((m) => (m.components ?? []).length > 0, 20_000);
  assert.equal(
    ask.content,
    'Dieses Video von YouTube löschen? Das lässt sich nicht rückgängig machen. Die Buttons funktionieren 60 Sekunden lang und nur für dich.',
  );
  assert.deepEqual(
    (ask.components?.[0]?.components ?? []).map((c) => c.label),
    ['Löschen', 'Abbrechen'],
  );
  assert.ok(google.videos.has(video.id), 'the video is still there');
});
