// The server's own channel: who may act as it (Manage Server or the moderator role, checked at run
// time whatever Discord's defaults allow), its settings, and the review queue for members' uploads.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FakeDiscord, FakeMessage, FakeUser } from './fakes/discord.ts';
import type { FakeGoogle, FakeAccount } from './fakes/google.ts';
import { waitFor } from './fakes/http.ts';
import { startWorld, type TestApp, type World } from './support/app.ts';
import { linkMember, linkServer, openLinkPage, pressContinue, TestBrowser } from './support/link.ts';
import { mp4Bytes, sha256 } from './support/media.ts';

const GUILD = '800000000000000061';
const GENERAL = '900000000000000061';
const REVIEWS = '900000000000000062';
const MOD_ROLE = '600000000000000061';
const ADMIN_ROLE = '600000000000000062';
const OWNER: FakeUser = { id: '700000000000000060', username: 'owner' };
const ADMIN: FakeUser = { id: '700000000000000061', username: 'admin' };
const MOD: FakeUser = { id: '700000000000000062', username: 'mod' };
const MOD2: FakeUser = { id: '700000000000000064', username: 'mod2' };
const MEMBER: FakeUser = { id: '700000000000000063', username: 'member' };

let discord: FakeDiscord;
let google: FakeGoogle;
let bot: TestApp;
let world: World;
const HIDDEN_REVIEWS = '900000000000000299';
const BOT_ID = '600000000000000299';
const VIEW_CHANNEL = 1n << 10n;
let serverAccount: FakeAccount;

before(async () => {
  world = await startWorld(
    [
      {
        id: GUILD,
        name: 'Community',
        ownerId: OWNER.id,
        roles: [
          { id: MOD_ROLE, name: 'Moderators', permissions: '0' },
          { id: ADMIN_ROLE, name: 'Admins', permissions: String(1 << 5) }, // Manage Server
        ],
        channels: [
          { id: GENERAL, name: 'general', type: 0 },
          { id: REVIEWS, name: 'reviews', type: 0 },
          {
            id: HIDDEN_REVIEWS,
            name: 'mod-reviews',
            type: 0,
            // Hidden from @everyone; the moderators and the bot may read (and the bot write).
            permissionOverwrites: [
              { id: GUILD, type: 0, allow: '0', deny: String(VIEW_CHANNEL) },
              { id: MOD_ROLE, type: 0, allow: String(VIEW_CHANNEL), deny: '0' },
              { id: BOT_ID, type: 1, allow: String(VIEW_CHANNEL), deny: '0' },
            ],
          },
        ],
        members: [
          { user: ADMIN, roles: [ADMIN_ROLE] },
          { user: MOD, roles: [MOD_ROLE] },
          { user: MOD2, roles: [MOD_ROLE] },
          { user: MEMBER, roles: [] },
        ],
      },
    ],
    { applicationId: BOT_ID },
  );
  ({ discord, google, bot } = world);
  serverAccount = google.addAccount({
    email: 'community@example.com',
    channel: { title: 'Community Channel' },
  });
  await linkMember(
    discord,
    google,
    MEMBER,
    google.addAccount({ email: 'm@example.com', channel: { title: 'Member' } }),
    GUILD,
  );
});

after(async () => {
  await world.stop();
});

type Option = { type: number; name: string; value?: string | number | boolean; options?: Option[] };
const sub = (name: string, ...options: Option[]): Option => ({ type: 1, name, options });

async function run(
  user: FakeUser,
  options: Option[],
  extra: { attachments?: ReturnType<FakeDiscord['addAttachment']>[] } = {},
) {
  const interaction = discord.sendCommand({
    name: 'server',
    user,
    guildId: GUILD,
    channelId: GENERAL,
    options,
    ...extra,
  });
  const response = await interaction.response();
  if (response.type === 5)
    return (await interaction.waitForOriginal((m) => (m.content ?? '') !== '')).content ?? '';
  const data = response.data as {
    content?: string;
    embeds?: { fields?: { name: string; value: string }[] }[];
  };
  return data.content ?? JSON.stringify(data.embeds);
}

test('only Manage Server links the server channel, even when Discord lets others run the command', async () => {
  // default_member_permissions hides /server from members, but admins can change that in Discord;
  // the fake delivers the command anyway, as Discord would after such an override.
  const refused = await run(MEMBER, [sub('link')]);
  assert.equal(refused, 'Only members with the Manage Server permission can do this.');
  assert.equal(await run(MOD, [sub('link')]), 'Only members with the Manage Server permission can do this.');

  const link = discord.sendCommand({ name: 'server', user: ADMIN, guildId: GUILD, options: [sub('link')] });
  const data = (await link.response()).data as {
    content: string;
    components: { components: { url: string }[] }[];
  };
  assert.match(data.content, /the Google account and YouTube channel the server will use/);
  google.consent.account = serverAccount;
  const url = data.components[0]?.components[0]?.url ?? '';
  const browser = new TestBrowser();
  const page = await openLinkPage(browser, url);
  const done = await browser.follow(await pressContinue(browser, url, page.token), url);
  assert.equal(done.response.status, 200);
  const edited = await link.waitForOriginal((m) => /now linked/.test(m.content ?? ''));
  assert.match(edited.content ?? '', /The server is now linked to \*\*Community Channel\*\*/);
  const registered = (await import('../src/discord/loader.ts')).loadCommands().find(1, 'server');
  assert.equal(
    (registered?.data as { default_member_permissions?: string }).default_member_permissions,
    String(1 << 5),
  );
});

test('settings round trip: set, show, clear; an unknown placeholder is refused; members cannot change them', async () => {
  const saved = await run(ADMIN, [
    sub(
      'settings',
      { type: 3, name: 'default_privacy', value: 'unlisted' },
      { type: 8, name: 'moderator_role', value: MOD_ROLE },
      { type: 7, name: 'review_channel', value: REVIEWS },
      { type: 7, name: 'announce_channel', value: GENERAL },
      { type: 3, name: 'template', value: 'New: {title} by {uploader} {url}' },
      { type: 5, name: 'announce_shorts', value: false },
    ),
  ]);
  assert.match(saved, /^Saved\./);
  const shown = await run(MOD, [sub('settings')]);
  assert.match(shown, /Default privacy: \*\*unlisted\*\*/);
  assert.match(shown, new RegExp(`Moderator role: <@&${MOD_ROLE}>`));
  assert.match(shown, new RegExp(`Review channel: <#${REVIEWS}>`));
  assert.match(shown, /Shorts: no/);
  assert.match(shown, /Template: New: \{title\} by \{uploader\} \{url\}/);
  assert.equal((await bot.app.ctx.settings.get(GUILD)).reviewChannelId, REVIEWS, 'stored');

  assert.match(
    await run(ADMIN, [sub('settings', { type: 3, name: 'template', value: 'Hi {name}' })]),
    /uses \{name\}, which I do not know/,
  );
  assert.equal(
    await run(MEMBER, [sub('settings', { type: 3, name: 'default_privacy', value: 'public' })]),
    'Only members with the Manage Server permission can do this.',
  );
  assert.match(await run(MEMBER, [sub('settings')]), /Only members with Manage Server or the <@&\d+> role/);
  await run(ADMIN, [sub('settings', { type: 3, name: 'clear', value: 'template' })]);
  assert.match((await bot.app.ctx.settings.get(GUILD)).template, /\{title\}/);
});

test('a review channel everyone can see is saved with a plain warning (cards show private videos); a hidden one without', async () => {
  const open = await run(ADMIN, [sub('settings', { type: 7, name: 'review_channel', value: REVIEWS })]);
  assert.match(
    open,
    /^Saved\.\n⚠️ Everyone in this server can see <#\d+>: review cards there show each waiting upload's title, link and thumbnail while the video is still private/,
  );
  assert.equal((await bot.app.ctx.settings.get(GUILD)).reviewChannelId, REVIEWS, 'saved all the same');

  const hidden = await run(ADMIN, [
    sub('settings', { type: 7, name: 'review_channel', value: HIDDEN_REVIEWS }),
  ]);
  assert.match(hidden, /^Saved\./);
  assert.doesNotMatch(hidden, /Everyone in this server can see/);
  assert.equal((await bot.app.ctx.settings.get(GUILD)).reviewChannelId, HIDDEN_REVIEWS);
  await run(ADMIN, [sub('settings', { type: 7, name: 'review_channel', value: REVIEWS })]);
});

test('/server status shows the linked channel, the settings and the shared quota', async () => {
  const status = await run(MOD, [sub('status')]);
  assert.match(status, /Community Channel/);
  assert.match(status, /units .* uploads — Pacific day \d{4}-\d{2}-\d{2}/);
  assert.match(await run(MEMBER, [sub('status')]), /Only members with Manage Server or the/);
});

function uploadAsServer(user: FakeUser, filename: string, data: Buffer, privacy = 'public') {
  const file = discord.addAttachment({ filename, data, channelId: GENERAL });
  return discord.sendCommand({
    name: 'upload',
    user,
    guildId: GUILD,
    channelId: GENERAL,
    attachments: [file],
    options: [
      { type: 11, name: 'file', value: file.id },
      { type: 3, name: 'privacy', value: privacy },
      { type: 3, name: 'account', value: 'server' },
    ],
  });
}
const finished = (m: FakeMessage) => /is on YouTube|Upload failed/.test(m.content ?? '');
const serverVideos = () =>
  [...google.videos.values()].filter((v) => v.ownerChannelId === serverAccount.channel?.id);

test('a moderator uploads to the server channel directly, with the privacy asked', async () => {
  const data = mp4Bytes(200 * 1024, 61);
  const final = await uploadAsServer(MOD, 'mod.mp4', data, 'public').waitForOriginal(finished, 20_000);
  assert.match(final.content ?? '', /privacy: public/);
  const video = serverVideos().find((v) => v.sha256 === sha256(data));
  assert.equal(video?.status.privacyStatus, 'public');
});

async function reviewCard(title: string) {
  return waitFor(
    () =>
      discord
        .channelMessages(REVIEWS)
        .find((m) => JSON.stringify(m.embeds).includes(title) && (m.components?.length ?? 0) > 0),
    'the review card',
    20_000,
  );
}
const buttonId = (card: FakeMessage, label: string) =>
  (card.components as { components: { custom_id: string; label: string }[] }[])[0]?.components.find(
    (b) => b.label === label,
  )?.custom_id ?? '';

test("a member's upload to the server channel waits private for review; approval applies the privacy once", async () => {
  const data = mp4Bytes(200 * 1024, 62);
  const upload = uploadAsServer(MEMBER, 'member_clip.mp4', data, 'public');
  const final = await upload.waitForOriginal(finished, 20_000);
  assert.match(final.content ?? '', /stays private until a moderator approves it/);
  const video = serverVideos().find((v) => v.sha256 === sha256(data));
  assert.equal(video?.status.privacyStatus, 'private', 'private while waiting');

  const card = await reviewCard('member clip');
  assert.match(JSON.stringify(card.embeds), new RegExp(`<@${MEMBER.id}>`));
  const approve = buttonId(card, 'Approve');

  const byMember = discord.sendButton({
    customId: approve,
    user: MEMBER,
    guildId: GUILD,
    channelId: REVIEWS,
    message: { id: card.id, channelId: REVIEWS },
  });
  assert.match(
    ((await byMember.response()).data as { content: string }).content,
    /Only members with Manage Server or the/,
  );
  assert.equal(video.status.privacyStatus, 'private');

  // Two moderators press at once: one decision.
  const first = discord.sendButton({
    customId: approve,
    user: MOD,
    guildId: GUILD,
    channelId: REVIEWS,
    message: { id: card.id, channelId: REVIEWS },
  });
  const second = discord.sendButton({
    customId: approve,
    user: MOD2,
    guildId: GUILD,
    channelId: REVIEWS,
    message: { id: card.id, channelId: REVIEWS },
  });
  await Promise.all([first.response(), second.response()]);
  const decided = await waitFor(() => {
    const message = discord.message(card.id);
    return /Approved by/.test(JSON.stringify(message?.embeds ?? [])) ? message : undefined;
  }, 'the card to show the decision');
  assert.deepEqual(decided.components, [], 'the buttons are gone');
  assert.equal(google.videos.get(video.id)?.status.privacyStatus, 'public', 'the requested privacy applied');
  const already = await waitFor(
    () =>
      [...first.followups(), ...second.followups()].find((m) => /already approved by/.test(m.content ?? '')),
    'the second moderator to learn who decided',
  );
  assert.ok(already);
  const updates = google.requests.filter((r) => r.method === 'PUT' && r.path === '/youtube/v3/videos');
  assert.equal(updates.length, 1, 'the privacy was changed once');
  await waitFor(
    () => discord.dmMessages(MEMBER.id).find((m) => /was approved/.test(m.content ?? '')),
    'the DM to the uploader',
  );
});

test('rejection asks the moderator why, deletes the video and tells the member the reason', async () => {
  const data = mp4Bytes(150 * 1024, 63);
  await uploadAsServer(MEMBER, 'rejected_clip.mp4', data).waitForOriginal(finished, 20_000);
  const video = serverVideos().find((v) => v.sha256 === sha256(data));
  assert.ok(video);
  const card = await reviewCard('rejected clip');
  const press = discord.sendButton({
    customId: buttonId(card, 'Reject'),
    user: MOD,
    guildId: GUILD,
    channelId: REVIEWS,
    message: { id: card.id, channelId: REVIEWS },
  });
  const modal = await press.response();
  assert.equal(modal.type, 9, 'a modal asks why');
  const submit = discord.sendModalSubmit({
    customId: (modal.data as { custom_id: string }).custom_id,
    fields: { reason: 'Off-topic for this server' },
    user: MOD,
    guildId: GUILD,
    channelId: REVIEWS,
    message: { id: card.id, channelId: REVIEWS },
  });
  await submit.response();
  await waitFor(() => (google.videos.has(video.id) ? undefined : true), 'the video to be deleted');
  const dm = await waitFor(
    () => discord.dmMessages(MEMBER.id).find((m) => /not accepted/.test(m.content ?? '')),
    'the DM',
  );
  assert.match(dm.content ?? '', /Reason: Off-topic for this server/);
  assert.match(
    JSON.stringify(discord.message(card.id)?.embeds ?? []),
    /Rejected by <@700000000000000062>: Off-topic/,
  );
});

test('a member who is not a moderator cannot act as the server elsewhere', async () => {
  const interaction = discord.sendCommand({
    name: 'playlist',
    user: MEMBER,
    guildId: GUILD,
    channelId: GENERAL,
    options: [sub('list', { type: 3, name: 'account', value: 'server' })],
  });
  const response = await interaction.response();
  const content =
    response.type === 5
      ? ((await interaction.waitForOriginal((m) => (m.content ?? '') !== '')).content ?? '')
      : ((response.data as { content: string }).content ?? '');
  assert.match(
    content,
    /Only members with Manage Server or the <@&\d+> role can act as the server's channel/,
  );
});

test("moderators manage the server channel's playlists and videos with account: server", async () => {
  const create = discord.sendCommand({
    name: 'playlist',
    user: MOD,
    guildId: GUILD,
    channelId: GENERAL,
    options: [
      sub(
        'create',
        { type: 3, name: 'title', value: 'Community picks' },
        { type: 3, name: 'account', value: 'server' },
      ),
    ],
  });
  await create.waitForOriginal((m) => /Community picks/.test(m.content ?? ''));
  const playlist = [...google.playlists.values()].find((p) => p.snippet.title === 'Community picks');
  assert.equal(playlist?.ownerChannelId, serverAccount.channel?.id, "created on the server's channel");

  const doomed = google.addVideo(serverAccount, { title: 'Old stream' });
  const ask = discord.sendCommand({
    name: 'delete',
    user: MOD,
    guildId: GUILD,
    channelId: GENERAL,
    options: [
      { type: 3, name: 'video', value: `https://youtu.be/${doomed.id}` },
      { type: 3, name: 'account', value: 'server' },
    ],
  });
  const confirm = await ask.waitForOriginal((m) => (m.components?.length ?? 0) > 0);
  const yes = (
    confirm.components as { components: { custom_id: string; label: string }[] }[]
  )[0]?.components.find((b) => b.label === 'Delete');
  const press = discord.sendButton({
    customId: yes?.custom_id ?? '',
    user: MOD,
    guildId: GUILD,
    channelId: GENERAL,
    message: { id: confirm.id, channelId: GENERAL },
  });
  await press.response();
  await waitFor(
    () => (google.videos.has(doomed.id) ? undefined : true),
    "the server channel's video to be deleted",
  );
});

test("a member's own upload takes the server's default privacy when none is given", async () => {
  const data = mp4Bytes(120 * 1024, 64);
  const file = discord.addAttachment({ filename: 'defaults.mp4', data, channelId: GENERAL });
  const final = await discord
    .sendCommand({
      name: 'upload',
      user: MEMBER,
      guildId: GUILD,
      channelId: GENERAL,
      attachments: [file],
      options: [{ type: 11, name: 'file', value: file.id }],
    })
    .waitForOriginal(finished, 20_000);
  assert.match(final.content ?? '', /privacy: unlisted/);
  const video = [...google.videos.values()].find((v) => v.sha256 === sha256(data));
  assert.equal(video?.status.privacyStatus, 'unlisted', 'the server set unlisted in the settings test');
});

// ---- review decisions YouTube refuses, other servers, an unreachable review channel ----

const reviewIdOf = (card: FakeMessage) => buttonId(card, 'Approve').split(':').pop() ?? '';
const pressOnCard = (card: FakeMessage, customId: string, user: FakeUser = MOD) =>
  discord.sendButton({
    customId,
    user,
    guildId: GUILD,
    channelId: REVIEWS,
    message: { id: card.id, channelId: REVIEWS },
  });

test('an approval YouTube refuses keeps the card, its buttons and the review; only the moderator hears; pressing again works', async () => {
  google.clearFaults();
  const data = mp4Bytes(110 * 1024, 65);
  await uploadAsServer(MEMBER, 'refused_approval.mp4', data, 'public').waitForOriginal(finished, 20_000);
  const video = serverVideos().find((v) => v.sha256 === sha256(data));
  assert.ok(video);
  const card = await reviewCard('refused approval');
  const before = discord.message(card.id);
  assert.ok(before);
  const dms = discord.dmMessages(MEMBER.id).length;

  google.fail({ method: 'PUT', path: /^\/youtube\/v3\/videos$/ }, { status: 403, reason: 'quotaExceeded' });
  const first = pressOnCard(card, buttonId(card, 'Approve'));
  assert.equal((await first.response()).type, 6);
  const told = await waitFor(() => first.followups()[0], "the moderator's note");
  assert.equal(told.flags & 64, 64, 'only the moderator sees it');
  assert.match(told.content ?? '', /Approving did not go through.*quota/s);
  assert.match(told.content ?? '', /press Approve again/);
  const after = discord.message(card.id);
  assert.equal(after?.edits, before.edits, 'the card was not edited');
  assert.deepEqual(after?.components, before.components, 'the card keeps its buttons');
  assert.equal((await bot.app.ctx.reviews.get(reviewIdOf(card)))?.status, 'pending');
  assert.equal(google.videos.get(video.id)?.status.privacyStatus, 'private');
  assert.equal(discord.dmMessages(MEMBER.id).length, dms, 'the uploader is told nothing yet');

  const second = pressOnCard(card, buttonId(card, 'Approve'), MOD2);
  await second.response();
  await waitFor(
    () =>
      /Approved by <@700000000000000064>/.test(JSON.stringify(discord.message(card.id)?.embeds))
        ? true
        : undefined,
    'the card to show the decision',
  );
  assert.deepEqual(discord.message(card.id)?.components, [], 'now the buttons are gone');
  assert.equal(google.videos.get(video.id)?.status.privacyStatus, 'public');
  const record = await bot.app.ctx.reviews.get(reviewIdOf(card));
  assert.equal(record?.status, 'approved');
  assert.equal(record?.decidedBy, MOD2.id);
  await waitFor(
    () => discord.dmMessages(MEMBER.id).find((m) => /refused approval.*was approved/.test(m.content ?? '')),
    'the DM to the uploader',
  );
});

test('a rejection YouTube refuses keeps the video and the card; the next rejection deletes it', async () => {
  google.clearFaults();
  const data = mp4Bytes(100 * 1024, 66);
  await uploadAsServer(MEMBER, 'refused_rejection.mp4', data).waitForOriginal(finished, 20_000);
  const video = serverVideos().find((v) => v.sha256 === sha256(data));
  assert.ok(video);
  const card = await reviewCard('refused rejection');
  const before = discord.message(card.id);
  assert.ok(before);
  const dms = discord.dmMessages(MEMBER.id).length;
  const reject = async () => {
    const modal = await pressOnCard(card, buttonId(card, 'Reject')).response();
    assert.equal(modal.type, 9);
    return discord.sendModalSubmit({
      customId: (modal.data as { custom_id: string }).custom_id,
      fields: { reason: 'Wrong server' },
      user: MOD,
      guildId: GUILD,
      channelId: REVIEWS,
      message: { id: card.id, channelId: REVIEWS },
    });
  };

  google.fail(
    { method: 'DELETE', path: /^\/youtube\/v3\/videos$/ },
    { status: 403, reason: 'quotaExceeded' },
  );
  const first = await reject();
  assert.equal((await first.response()).type, 6);
  const told = await waitFor(() => first.followups()[0], "the moderator's note");
  assert.equal(told.flags & 64, 64);
  assert.match(told.content ?? '', /Rejecting did not go through.*press Reject again/s);
  assert.ok(google.videos.has(video.id), 'the video is still there');
  assert.deepEqual(discord.message(card.id)?.components, before.components, 'the card keeps its buttons');
  assert.equal(discord.message(card.id)?.edits, before.edits);
  assert.equal((await bot.app.ctx.reviews.get(reviewIdOf(card)))?.status, 'pending');
  assert.equal(discord.dmMessages(MEMBER.id).length, dms, 'the uploader is told nothing yet');

  await (await reject()).response();
  await waitFor(() => (google.videos.has(video.id) ? undefined : true), 'the video to be deleted');
  await waitFor(
    () => (/Rejected by/.test(JSON.stringify(discord.message(card.id)?.embeds)) ? true : undefined),
    'the card to show the rejection',
  );
  assert.deepEqual(discord.message(card.id)?.components, []);
  assert.equal((await bot.app.ctx.reviews.get(reviewIdOf(card)))?.status, 'rejected');
  await waitFor(
    () => discord.dmMessages(MEMBER.id).find((m) => /Reason: Wrong server/.test(m.content ?? '')),
    'the DM',
  );
});

test('a review is decided only from its own server', async () => {
  const data = mp4Bytes(90 * 1024, 67);
  await uploadAsServer(MEMBER, 'other_server.mp4', data).waitForOriginal(finished, 20_000);
  const card = await reviewCard('other server');
  const id = reviewIdOf(card);
  const updates = google.requests.filter((r) => r.method === 'PUT').length;
  assert.deepEqual(await bot.app.ctx.reviews.decide('800000000000000099', id, MOD.id, true), {
    kind: 'unknown',
  });
  assert.deepEqual(await bot.app.ctx.reviews.decide(null, id, MOD.id, true), { kind: 'unknown' });
  assert.equal(google.requests.filter((r) => r.method === 'PUT').length, updates, 'YouTube was not asked');
  assert.equal((await bot.app.ctx.reviews.get(id))?.status, 'pending');
  assert.equal((await bot.app.ctx.reviews.decide(GUILD, id, MOD.id, true)).kind, 'approved');
});

test('when the review card cannot be posted, the uploader learns by DM that the video stays private; no review is left open', async () => {
  const dms = discord.dmMessages(MEMBER.id).length;
  discord.failNext(
    { method: 'POST', pathPattern: new RegExp(`^/channels/${REVIEWS}/messages$`) },
    { status: 403, body: { message: 'Missing Permissions', code: 50013 } },
  );
  const data = mp4Bytes(80 * 1024, 68);
  const upload = uploadAsServer(MEMBER, 'no_card.mp4', data);
  await upload.waitForOriginal(finished, 20_000);
  const dm = await waitFor(
    () =>
      discord
        .dmMessages(MEMBER.id)
        .slice(dms)
        .find((m) => /could not be put up for review/.test(m.content ?? '')),
    'the DM to the uploader',
  );
  assert.match(dm.content ?? '', /\*\*no card\*\*/);
  assert.match(dm.content ?? '', /stays private/);
  const video = serverVideos().find((v) => v.sha256 === sha256(data));
  assert.equal(video?.status.privacyStatus, 'private');
  assert.equal(
    discord.channelMessages(REVIEWS).filter((m) => JSON.stringify(m.embeds).includes('no card')).length,
    0,
    'no card',
  );
  const logged = await waitFor(
    () =>
      bot.logs.find(
        (l) => l['videoId'] === video.id && /review card could not be posted/.test(String(l['msg'])),
      ),
    'the log line',
  );
  assert.equal(logged['level'], 50);
  assert.equal(logged['channelId'], REVIEWS);
  const id = String(logged['reviewId']);
  assert.equal(await bot.app.ctx.reviews.get(id), undefined, 'no review waits for a card nobody can press');
  assert.equal(await bot.app.ctx.store.collection('review-pending').get(id), undefined);
  assert.deepEqual(await bot.app.ctx.reviews.decide(GUILD, id, MOD.id, true), { kind: 'unknown' });
  assert.equal(google.videos.get(video.id)?.status.privacyStatus, 'private');
});

// ---- Discord's limits: 1,024 characters an embed field, 6,000 an embed, 2,000 a message ----

test('/server status and /server settings answer with very long values: shortened, and they say so', async () => {
  const longTitle = `Channel ${'with a very long name '.repeat(100)}`.slice(0, 2000);
  await linkServer(
    bot.app,
    google,
    GUILD,
    google.addAccount({ email: 'long@example.com', channel: { title: longTitle } }),
  );
  // A template of 2,000 characters (stored before the option's own limit, or by another version).
  const template = `{title} {url} ${'x'.repeat(1985)}`;
  await bot.app.ctx.settings.update(GUILD, {
    template,
    announceChannelId: GENERAL,
    moderatorRoleId: MOD_ROLE,
  });

  const status = discord.sendCommand({
    name: 'server',
    user: MOD,
    guildId: GUILD,
    channelId: GENERAL,
    options: [sub('status')],
  });
  const answer = await status.response();
  assert.equal(answer.type, 4, 'answered');
  const embed = (
    answer.data as {
      embeds?: { title?: string; fields?: { name: string; value: string }[]; footer?: { text: string } }[];
    }
  ).embeds?.[0];
  assert.ok(embed, 'with the status embed');
  const fields = embed.fields ?? [];
  assert.ok(fields.every((f) => [...f.value].length <= 1024 && [...f.name].length <= 256));
  const total = [
    embed.title ?? '',
    embed.footer?.text ?? '',
    ...fields.flatMap((f) => [f.name, f.value]),
  ].reduce((n, t) => n + [...t].length, 0);
  assert.ok(total <= 6000, `the embed stays within 6,000 characters (${total})`);
  assert.match(JSON.stringify(embed), /Channel with a very long name/);
  assert.match(JSON.stringify(embed), /\{title\} \{url\} xxx/);
  assert.match(JSON.stringify(embed), /shortened/i, 'it says so');

  const shown = await run(MOD, [sub('settings')]);
  assert.ok([...shown].length <= 2000);
  assert.match(shown, /Template: \{title\} \{url\} xxx/);
  assert.match(shown, /shortened/i);
  const saved = await run(ADMIN, [sub('settings', { type: 5, name: 'announce_members', value: true })]);
  assert.match(saved, /^Saved\./);
  assert.match(saved, /members' own uploads: yes/);
  assert.ok([...saved].length <= 2000);
  assert.equal((await bot.app.ctx.settings.get(GUILD)).template, template, 'the stored template is whole');
});
