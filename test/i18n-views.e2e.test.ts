// Issue #13, views and successful answers: what a German or Japanese member reads after /playlist, /video info,
// /favorite and /server status|settings is in their own language (field names, page buttons, footers included);
// a moderator's review forms are in the moderator's language; the DM about a decision is in the uploader's
// language, or the server's when the review does not know it. Values stay as they are (titles, mentions, links).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FakeDiscord, FakeMessage, FakeUser } from './fakes/discord.ts';
import type { FakeAccount, FakeGoogle } from './fakes/google.ts';
import { waitFor } from './fakes/http.ts';
import { startWorld, type TestApp, type World } from './support/app.ts';
import { linkMember, linkServer } from './support/link.ts';
import { mp4Bytes, sha256 } from './support/media.ts';
import type { ReviewRecord } from '../src/review/reviews.ts';

const GUILD = '800000000000000331';
const GENERAL = '900000000000000331';
const REVIEWS = '900000000000000332';
const HARUKI: FakeUser = { id: '700000000000000331', username: 'haruki' }; // the owner: admin and moderator
const JANA: FakeUser = { id: '700000000000000332', username: 'jana' };

let world: World;
let discord: FakeDiscord;
let google: FakeGoogle;
let bot: TestApp;
let jana: FakeAccount;

before(async () => {
  world = await startWorld([
    {
      id: GUILD,
      name: 'Communauté',
      ownerId: HARUKI.id,
      // The server speaks French: what nobody's own language is known for goes out in French.
      preferredLocale: 'fr',
      channels: [
        { id: GENERAL, name: 'general', type: 0 },
        { id: REVIEWS, name: 'review', type: 0 },
      ],
      members: [{ user: JANA, roles: [] }],
    },
  ]);
  ({ discord, google, bot } = world);
  jana = google.addAccount({ email: 'jana@example.com', channel: { title: 'Janas Kanal' } });
  await linkMember(discord, google, JANA, jana, GUILD);
  await linkServer(
    bot.app,
    google,
    GUILD,
    google.addAccount({ email: 'server@example.com', channel: { title: 'Communauté' } }),
  );
});

after(async () => {
  await world.stop();
});

type Option = { type: number; name: string; value?: string | number | boolean; options?: Option[] };

/** A deferred command's final (private) answer. */
async function answer(user: FakeUser, locale: string, name: string, options: Option[]): Promise<FakeMessage> {
  const interaction = discord.sendCommand({
    name,
    user,
    guildId: GUILD,
    channelId: GENERAL,
    locale,
    options,
  });
  return interaction.waitForOriginal((m) => (m.flags & 128) === 0, 20_000);
}

const field = (message: FakeMessage | { embeds?: unknown[] }, name: string) =>
  ((message.embeds?.[0] as { fields?: { name: string; value: string }[] } | undefined)?.fields ?? []).find(
    (f) => f.name === name,
  )?.value;
const labels = (message: { components?: unknown[] }) =>
  ((message.components ?? []) as { components: { label?: string }[] }[]).flatMap((row) =>
    row.components.map((c) => c.label),
  );

test('/playlist answers a German member in German: the add, the list with its page buttons, the delete question', async () => {
  const clip = google.addVideo(jana, { title: 'Strand_*am*_Abend' });
  for (let i = 1; i <= 10; i++) google.addPlaylist(jana, { title: `Liste ${i}` });
  const trips = google.addPlaylist(jana, { title: 'Reisen' }); // the newest: first in the list

  const added = await answer(JANA, 'de', 'playlist', [
    {
      type: 1,
      name: 'add',
      options: [
        { type: 3, name: 'video', value: clip.id },
        { type: 3, name: 'playlist', value: trips.id },
      ],
    },
  ]);
  // The title is shown as written (its Markdown escaped), inside the German sentence.
  assert.equal(added.content, '**Strand\\_\\*am\\*\\_Abend** steht jetzt in **Reisen** an Position 1.');

  const list = await answer(JANA, 'de', 'playlist', [{ type: 1, name: 'list', options: [] }]);
  const embed = list.embeds[0] as { title?: string; description?: string; footer?: { text: string } };
  assert.equal(embed.title, 'Deine Playlists');
  assert.equal(embed.footer?.text, 'Seite 1 von 2 · 11 Playlists');
  assert.match(
    embed.description ?? '',
    /^\[Reisen\]\(https:\/\/www\.youtube\.com\/playlist\?list=PL[\w-]+\) – 1 Video · öffentlich\n.+ – 0 Videos · öffentlich\n/,
  );
  assert.deepEqual(labels(list), ['◀ Zurück', 'Weiter ▶']);
  assert.doesNotMatch(
    JSON.stringify([embed, list.components]),
    /Your playlists|Page 1|Previous|Next|videos?\b/,
  );

  const asked = await answer(JANA, 'de', 'playlist', [
    { type: 1, name: 'delete', options: [{ type: 3, name: 'playlist', value: trips.id }] },
  ]);
  assert.equal(
    asked.content,
    'Die Playlist **Reisen** (1 Video) löschen? Die Videos bleiben auf YouTube, nur die Playlist verschwindet – das lässt sich nicht rückgängig machen. Die Buttons funktionieren 60 Sekunden lang.',
  );
  assert.deepEqual(labels(asked), ['Playlist löschen', 'Abbrechen']);
  const cancelled = discord.pressButton({
    message: asked,
    label: 'Abbrechen',
    user: JANA,
    guildId: GUILD,
    locale: 'de',
  });
  await cancelled.response();
  await waitFor(
    () =>
      discord.message(asked.id)?.content === 'Abgebrochen – es wurde nichts gelöscht.' ? true : undefined,
    'the German cancellation',
  );
  assert.ok(google.playlists.has(trips.id), 'nothing was deleted');
});

test('/video info and /favorite answer a Japanese member in Japanese; numbers as Japanese writes them', async () => {
  const haruki = google.addAccount({ email: 'haruki@example.com', channel: { title: 'はるきのチャンネル' } });
  await linkMember(discord, google, HARUKI, haruki, GUILD);
  const video = google.addVideo(haruki, { title: '夕焼け', privacyStatus: 'unlisted' });
  // 1,234 likes, from as many channels.
  for (let i = 0; i < 1234; i++) google.ratings.set(`UCfan${i}:${video.id}`, 'like');

  const info = await answer(HARUKI, 'ja', 'video', [
    { type: 1, name: 'info', options: [{ type: 3, name: 'video', value: video.id }] },
  ]);
  assert.equal(info.embeds[0]?.title, '夕焼け');
  assert.equal(field(info, 'チャンネル'), 'はるきのチャンネル（あなたのチャンネル）');
  assert.equal(field(info, '公開範囲'), '限定公開');
  assert.equal(field(info, '処理'), '処理完了 — 視聴できます');
  assert.equal(field(info, '視聴回数'), '0');
  assert.equal(field(info, '高評価'), '1,234');
  assert.equal(field(info, 'リンク'), `https://youtu.be/${video.id}`);
  assert.doesNotMatch(JSON.stringify(info.embeds), /Channel|Privacy|Views|Likes|yours|processed/);

  // The same video for a German member: German words, German digit grouping.
  const german = await answer(JANA, 'de', 'video', [
    { type: 1, name: 'info', options: [{ type: 3, name: 'video', value: video.id }] },
  ]);
  assert.equal(field(german, 'Kanal'), 'はるきのチャンネル');
  assert.equal(field(german, 'Sichtbarkeit'), 'nicht gelistet');
  assert.equal(field(german, 'Likes'), '1.234');
  assert.equal(field(german, 'Aufrufe'), '0');

  const liked = await answer(HARUKI, 'ja', 'favorite', [{ type: 3, name: 'video', value: video.id }]);
  assert.equal(
    liked.content,
    `YouTubeで**夕焼け**を高評価し、お気に入りに追加しました（/favorites で確認できます）。https://youtu.be/${video.id}`,
  );
});

test('/server settings and /server status read Japanese for a Japanese admin; mentions and names stay as they are', async () => {
  const saved = await discord
    .sendCommand({
      name: 'server',
      user: HARUKI,
      guildId: GUILD,
      channelId: GENERAL,
      locale: 'ja',
      options: [
        { type: 1, name: 'settings', options: [{ type: 7, name: 'review_channel', value: REVIEWS }] },
      ],
    })
    .response();
  const content = (saved.data as { content?: string }).content ?? '';
  assert.match(content, /^保存しました。\n/);
  // The review channel is open to @everyone: the warning, in Japanese too.
  assert.match(content, new RegExp(`^保存しました。\n⚠️ このサーバーの全員が <#${REVIEWS}> を見られます。`));
  assert.match(content, new RegExp(`• 審査チャンネル：<#${REVIEWS}>`));
  assert.match(content, /• 既定の公開範囲：\*\*公開\*\* · カテゴリ：\*\*22\*\* · 再生リスト：なし/);
  assert.match(content, /• 公開メッセージの言語：Français（サーバーの言語）/);
  assert.doesNotMatch(content, /Saved|Default privacy|Review channel|not set/);

  const status = await discord
    .sendCommand({
      name: 'server',
      user: HARUKI,
      guildId: GUILD,
      channelId: GENERAL,
      locale: 'ja',
      options: [{ type: 1, name: 'status' }],
    })
    .response();
  const data = status.data as { embeds: { title: string; fields: { name: string; value: string }[] }[] };
  assert.equal(data.embeds[0]?.title, 'サーバーのYouTubeステータス');
  assert.deepEqual(
    data.embeds[0]?.fields.map((f) => f.name),
    ['連携チャンネル', '本日のYouTubeクォータ（すべてのサーバーで共有）', '設定', 'お知らせのテンプレート'],
  );
  assert.equal(field(data, '連携チャンネル'), 'Communauté');
  assert.match(
    field(data, '本日のYouTubeクォータ（すべてのサーバーで共有）') ?? '',
    /^[\d,]+ \/ 10,000ユニット（\d+%）、アップロード \d+ \/ \d+件 — 太平洋時間の日付 \d{4}-\d\d-\d\d$/,
  );
  assert.equal(
    field(data, 'お知らせのテンプレート'),
    '📺 New video from {uploader}: **{title}** {url}',
    'the template as written',
  );
});

/** Jana (German) uploads to the server's channel; the review card comes up in the review channel. */
async function uploadForReview(seed: number, title: string): Promise<{ card: FakeMessage; videoId: string }> {
  const data = mp4Bytes(64 * 1024, seed);
  const file = discord.addAttachment({ filename: `${seed}.mp4`, data, channelId: GENERAL });
  await discord
    .sendCommand({
      name: 'upload',
      user: JANA,
      guildId: GUILD,
      channelId: GENERAL,
      locale: 'de',
      attachments: [file],
      options: [
        { type: 11, name: 'file', value: file.id },
        { type: 3, name: 'title', value: title },
        { type: 3, name: 'account', value: 'server' },
      ],
    })
    .waitForOriginal((m) => /✅|❌/.test(m.content ?? ''), 20_000);
  const video = [...google.videos.values()].find((v) => v.sha256 === sha256(data));
  assert.ok(video, 'uploaded');
  const card = await waitFor(
    () =>
      discord
        .channelMessages(REVIEWS)
        .find((m) => JSON.stringify(m.embeds).includes(video.id) && (m.components?.length ?? 0) > 0),
    'the review card',
    20_000,
  );
  return { card, videoId: video.id };
}

test("a Japanese moderator's rejection form is Japanese; the German uploader's DM is German, with the reason", async () => {
  const { card, videoId } = await uploadForReview(3301, 'Mein Ausflug');
  // The card is public: the server's language (French).
  assert.deepEqual(labels(card), ['Approuver', 'Refuser']);

  // The moderator's own language comes with the press.
  const opened = discord.pressButton({
    message: card,
    label: 'Refuser',
    user: HARUKI,
    guildId: GUILD,
    locale: 'ja',
  });
  const modal = await opened.response();
  assert.equal(modal.type, 9, 'a form asks why');
  const form = modal.data as { title: string; components: { label?: string }[] };
  assert.equal(form.title, 'このアップロードを却下');
  assert.equal(form.components[0]?.label, '理由は？メンバーに伝えられます。');
  assert.doesNotMatch(JSON.stringify(form), /Reject this upload|Why\?/);

  const dms = discord.dmMessages(JANA.id).length;
  await discord.submitModal(opened, { fields: { reason: '音が入っていません' } }).response();
  const dm = await waitFor(() => discord.dmMessages(JANA.id)[dms], 'the DM to the uploader');
  assert.equal(
    dm.content,
    'Dein Upload **Mein Ausflug** auf den Kanal des Servers wurde nicht angenommen und ist entfernt worden. Begründung: 音が入っていません',
  );
  assert.equal(google.videos.has(videoId), false, 'the video was removed');

  // A late press on the decided card (from the card as it was): the moderator is told in Japanese who decided.
  const late = discord.pressButton({
    message: card,
    label: 'Approuver',
    user: HARUKI,
    guildId: GUILD,
    locale: 'ja',
  });
  await late.response();
  const told = await waitFor(() => late.followups()[0], 'the note to the moderator');
  assert.equal(told.content, `このアップロードはすでに <@${HARUKI.id}> さんが却下しました。`);
});

test("a review that does not know its uploader's language tells them in the server's language", async () => {
  const { card, videoId } = await uploadForReview(3302, 'Alter Eintrag');
  // A review opened before the bot kept the uploader's language.
  const reviews = bot.app.ctx.store.collection<ReviewRecord>('review');
  const customId = card.components.flatMap((row) => row.components ?? [])[0]?.custom_id ?? '';
  const id = customId.split(':').pop() ?? '';
  const record = await reviews.get(id);
  assert.ok(record, 'the review is stored under the id its buttons carry');
  assert.equal(record.uploaderLocale, 'de', "the review knows the uploader's language");
  const older: ReviewRecord = { ...record };
  delete (older as { uploaderLocale?: string }).uploaderLocale;
  await reviews.set(id, older);

  const dms = discord.dmMessages(JANA.id).length;
  const approve = discord.pressButton({
    message: card,
    label: 'Approuver',
    user: HARUKI,
    guildId: GUILD,
    locale: 'ja',
  });
  await approve.response();
  const dm = await waitFor(() => discord.dmMessages(JANA.id)[dms], 'the DM to the uploader');
  assert.equal(
    dm.content,
    `✅ Ta vidéo **Alter Eintrag** pour la chaîne du serveur a été approuvée : https://youtu.be/${videoId}`,
  );
});
