// Reviews cannot get stuck or pass unseen: a decision claimed by a process that died is taken again after its
// lease; a schedule that passed while the upload waited is offered as "Publish now" (or a new time); the card
// shows everything the moderator approves.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FakeDiscord, FakeMessage, FakeUser } from './fakes/discord.ts';
import type { FakeAccount, FakeGoogle } from './fakes/google.ts';
import { waitFor } from './fakes/http.ts';
import { startWorld, type TestApp, type World } from './support/app.ts';
import { linkMember, linkServer } from './support/link.ts';
import { mp4Bytes, PNG, sha256 } from './support/media.ts';
import type { ReviewRecord } from '../src/review/reviews.ts';
import { serverOwner } from '../src/store/settings.ts';

const GUILD = '800000000000000261';
const GENERAL = '900000000000000261';
const REVIEWS = '900000000000000262';
const MOD_ROLE = '600000000000000261';
const OWNER: FakeUser = { id: '700000000000000260', username: 'owner' };
const MOD: FakeUser = { id: '700000000000000262', username: 'mod' };
const MEMBER: FakeUser = { id: '700000000000000263', username: 'member' };

let world: World;
let discord: FakeDiscord;
let google: FakeGoogle;
let bot: TestApp;
let serverAccount: FakeAccount;

before(async () => {
  world = await startWorld([
    {
      id: GUILD,
      name: 'Community',
      ownerId: OWNER.id,
      roles: [{ id: MOD_ROLE, name: 'Moderators', permissions: '0' }],
      channels: [
        { id: GENERAL, name: 'general', type: 0 },
        { id: REVIEWS, name: 'reviews', type: 0 },
      ],
      members: [
        { user: MOD, roles: [MOD_ROLE] },
        { user: MEMBER, roles: [] },
      ],
    },
  ]);
  ({ discord, google, bot } = world);
  serverAccount = google.addAccount({ email: 'review-server@example.com', channel: { title: 'Community' } });
  await linkServer(bot.app, google, GUILD, serverAccount);
  await linkMember(
    discord,
    google,
    MEMBER,
    google.addAccount({ email: 'review-member@example.com', channel: { title: 'Member' } }),
    GUILD,
  );
  await bot.app.ctx.settings.update(GUILD, { moderatorRoleId: MOD_ROLE, reviewChannelId: REVIEWS });
});

after(async () => {
  await world.stop();
});

type Option = { type: number; name: string; value: string | boolean };
const finished = (m: FakeMessage) => /is on YouTube|Upload failed/.test(m.content ?? '');

async function uploadForReview(
  filename: string,
  seed: number,
  options: Option[] = [],
  extra: ReturnType<FakeDiscord['addAttachment']>[] = [],
) {
  const data = mp4Bytes(100 * 1024, seed);
  const file = discord.addAttachment({ filename, data, channelId: GENERAL });
  const final = await discord
    .sendCommand({
      name: 'upload',
      user: MEMBER,
      guildId: GUILD,
      channelId: GENERAL,
      attachments: [file, ...extra],
      options: [
        { type: 11, name: 'file', value: file.id },
        { type: 3, name: 'account', value: 'server' },
        ...options,
      ],
    })
    .waitForOriginal(finished, 20_000);
  assert.match(final.content ?? '', /stays private until a moderator approves it/);
  const video = [...google.videos.values()].find((v) => v.sha256 === sha256(data));
  assert.ok(video);
  return video;
}

async function reviewCard(videoId: string): Promise<FakeMessage> {
  return waitFor(
    () =>
      discord
        .channelMessages(REVIEWS)
        .find((m) => JSON.stringify(m.embeds).includes(videoId) && (m.components?.length ?? 0) > 0),
    'the review card',
    20_000,
  );
}
type Button = { custom_id: string; label: string };
const buttons = (card: FakeMessage | undefined): Button[] =>
  ((card?.components ?? []) as { components: Button[] }[]).flatMap((row) => row.components);
const buttonId = (card: FakeMessage | undefined, label: string) =>
  buttons(card).find((b) => b.label === label)?.custom_id ?? '';
const reviewIdOf = (card: FakeMessage) => buttonId(card, 'Approve').split(':').pop() ?? '';
const press = (card: FakeMessage, customId: string) =>
  discord.sendButton({
    customId,
    user: MOD,
    guildId: GUILD,
    channelId: REVIEWS,
    message: { id: card.id, channelId: REVIEWS },
  });
const fieldsOf = (card: FakeMessage | undefined) =>
  Object.fromEntries(
    ((card?.embeds[0]?.fields ?? []) as { name: string; value: string }[]).map((f) => [f.name, f.value]),
  );

test('a decision claimed by a process that died is taken again once its lease is over; a live claim still answers busy', async () => {
  const video = await uploadForReview('crashed_claim.mp4', 261);
  const card = await reviewCard(video.id);
  const id = reviewIdOf(card);
  const { store } = bot.app.ctx;

  // What a process leaves when it dies between claiming a decision and recording it: the pending marker
  // taken, its claim written (with the time it was made), nothing recorded.
  const claimedBy = (at: number) => ({ at, by: MOD.id, approve: false, token: 'gone' });
  await store.collection('review-pending').delete(id);
  await store.collection('review-claim').set(id, claimedBy(Date.now()));

  const busy = press(card, buttonId(card, 'Approve'));
  await busy.response();
  const told = await waitFor(() => busy.followups()[0], 'the note to the moderator');
  assert.match(told.content ?? '', /being applied right now/, 'a live claim is respected');
  assert.equal(google.videos.get(video.id)?.status.privacyStatus, 'private');

  await store.collection('review-claim').set(id, claimedBy(Date.now() - 10 * 60_000));
  const again = press(card, buttonId(card, 'Approve'));
  await again.response();
  await waitFor(
    () => (/Approved by/.test(JSON.stringify(discord.message(card.id)?.embeds)) ? true : undefined),
    'the card to show the decision',
  );
  assert.equal(google.videos.get(video.id)?.status.privacyStatus, 'public');
  assert.equal((await bot.app.ctx.reviews.get(id))?.status, 'approved');
  assert.deepEqual(discord.message(card.id)?.components, [], 'the buttons are gone');
});

test('a scheduled upload whose time passed while it waited is offered as "Publish now", and that publishes it', async () => {
  const publishAt = new Date(google.now() + 3600_000).toISOString();
  const video = await uploadForReview('late_review.mp4', 262, [
    { type: 3, name: 'publish_at', value: publishAt },
  ]);
  const card = await reviewCard(video.id);
  assert.match(JSON.stringify(card.embeds), /scheduled/i);
  google.advanceClock(2 * 3600_000);

  const approve = press(card, buttonId(card, 'Approve'));
  await approve.response();
  const told = await waitFor(() => approve.followups()[0], 'the note to the moderator');
  assert.match(told.content ?? '', /scheduled time .* passed/);
  assert.match(told.content ?? '', /Publish now/);
  const offered = await waitFor(() => {
    const message = discord.message(card.id);
    return buttonId(message, 'Publish now') ? message : undefined;
  }, 'the card to offer Publish now');
  assert.ok(buttonId(offered, 'Reject'), 'Reject stays');
  assert.equal(google.videos.get(video.id)?.status.privacyStatus, 'private', 'nothing changed yet');
  assert.equal((await bot.app.ctx.reviews.get(reviewIdOf(card)))?.status, 'pending');

  const now = press(offered, buttonId(offered, 'Publish now'));
  await now.response();
  await waitFor(
    () => (google.videos.get(video.id)?.status.privacyStatus === 'public' ? true : undefined),
    'the video to be public',
  );
  const decided = await waitFor(() => {
    const message = discord.message(card.id);
    return /Approved by/.test(JSON.stringify(message?.embeds)) ? message : undefined;
  }, 'the card to show the decision');
  assert.match(JSON.stringify(decided.embeds), /published at once/);
  assert.deepEqual(decided.components, []);
  await waitFor(
    () => discord.dmMessages(MEMBER.id).find((m) => /late review.*was approved/.test(m.content ?? '')),
    'the DM to the uploader',
  );
});

test('the review card shows what is approved: title, description, tags, playlist, schedule, made for kids, uploader, thumbnail', async () => {
  const playlist = google.addPlaylist(serverAccount, { title: 'Community picks' });
  const thumb = discord.addAttachment({
    filename: 'thumb.png',
    data: PNG,
    contentType: 'image/png',
    channelId: GENERAL,
  });
  const publishAt = new Date(google.now() + 24 * 3600_000);
  publishAt.setUTCMilliseconds(0);
  const description = `${'A long description. '.repeat(60)}THE END`;
  const video = await uploadForReview(
    'full_card.mp4',
    263,
    [
      { type: 3, name: 'title', value: 'Everything on the card' },
      { type: 3, name: 'description', value: description },
      { type: 3, name: 'tags', value: 'surfing, Santa Cruz' },
      { type: 3, name: 'playlist', value: playlist.id },
      { type: 5, name: 'made_for_kids', value: true },
      { type: 3, name: 'publish_at', value: publishAt.toISOString() },
      { type: 11, name: 'thumbnail', value: thumb.id },
    ],
    [thumb],
  );
  const card = await reviewCard(video.id);
  const embed = card.embeds[0];
  assert.equal(embed?.title, 'Everything on the card');
  assert.equal(embed?.url, `https://youtu.be/${video.id}`);
  const fields = fieldsOf(card);
  assert.equal(fields['Uploaded by'], `<@${MEMBER.id}>`);
  assert.match(fields['Description'] ?? '', /^A long description\. A long/);
  assert.match(fields['Description'] ?? '', /…$/, 'shortened');
  assert.doesNotMatch(fields['Description'] ?? '', /THE END/);
  assert.equal(fields['Tags'], 'surfing, Santa Cruz');
  assert.equal(fields['Playlist'], 'Community picks');
  assert.match(fields['Requested'] ?? '', new RegExp(`Scheduled.*<t:${publishAt.getTime() / 1000}:F>`));
  assert.equal(fields['Made for kids'], 'yes');
  assert.equal(embed?.thumbnail?.url, thumb.url, 'the thumbnail the member gave');
});

test('after a missed schedule, "New time" asks for a time and schedules the video then', async () => {
  const video = await uploadForReview('new_time.mp4', 264, [
    { type: 3, name: 'publish_at', value: new Date(google.now() + 3600_000).toISOString() },
  ]);
  const card = await reviewCard(video.id);
  google.advanceClock(2 * 3600_000);
  await press(card, buttonId(card, 'Approve')).response();
  const offered = await waitFor(() => {
    const message = discord.message(card.id);
    return buttonId(message, 'New time') ? message : undefined;
  }, 'the card to offer a new time');

  const modal = await press(offered, buttonId(offered, 'New time')).response();
  assert.equal(modal.type, 9, 'a modal asks when');
  const submit = (publishAt: string) =>
    discord.sendModalSubmit({
      customId: (modal.data as { custom_id: string }).custom_id,
      fields: { publish_at: publishAt },
      user: MOD,
      guildId: GUILD,
      channelId: REVIEWS,
      message: { id: card.id, channelId: REVIEWS },
    });
  const at = new Date(google.now() + 24 * 3600_000);
  at.setUTCMilliseconds(0);
  await submit(at.toISOString()).response();
  await waitFor(
    () => (google.videos.get(video.id)?.status.publishAt === at.toISOString() ? true : undefined),
    'the video to be scheduled at the new time',
  );
  assert.equal(google.videos.get(video.id)?.status.privacyStatus, 'private', 'private until then');
  const decided = await waitFor(() => {
    const message = discord.message(card.id);
    return /Approved by/.test(JSON.stringify(message?.embeds)) ? message : undefined;
  }, 'the card to show the decision');
  assert.match(JSON.stringify(decided.embeds), new RegExp(`now public at <t:${at.getTime() / 1000}:F>`));
});

test('a decision recorded by a process that died before telling anyone is completed by the next press', async () => {
  const video = await uploadForReview('lost_followups.mp4', 265);
  const card = await reviewCard(video.id);
  const id = reviewIdOf(card);
  const { store } = bot.app.ctx;
  const dms = discord.dmMessages(MEMBER.id).length;

  // What a process leaves when it dies right after recording an approval: YouTube has the change, the record
  // says approved, the follow-ups (card, DM, announcement) are still due.
  video.status.privacyStatus = 'public';
  const record = await bot.app.ctx.reviews.get(id);
  assert.ok(record);
  await store.collection('review-pending').delete(id);
  await store.collection('review-followup').set(id, true);
  await store.collection('review').set(id, { ...record, status: 'approved', decidedBy: MOD.id });

  const late = press(card, buttonId(card, 'Approve'));
  await late.response();
  const told = await waitFor(() => late.followups()[0], 'the note to the moderator');
  assert.match(told.content ?? '', new RegExp(`already approved by <@${MOD.id}>`));
  const decided = await waitFor(() => {
    const message = discord.message(card.id);
    return /Approved by/.test(JSON.stringify(message?.embeds)) ? message : undefined;
  }, 'the card to show the decision');
  assert.deepEqual(decided.components, [], 'the buttons are gone');
  await waitFor(
    () =>
      discord
        .dmMessages(MEMBER.id)
        .slice(dms)
        .find((m) => /lost followups.*was approved/.test(m.content ?? '')),
    'the DM to the uploader',
  );

  // Once: another press changes nothing more.
  const edits = discord.message(card.id)?.edits;
  await press(card, buttonId(card, 'Approve')).response();
  await bot.app.ctx.reviews.decide(GUILD, id, MOD.id, true);
  assert.equal(discord.message(card.id)?.edits, edits);
  assert.equal(discord.dmMessages(MEMBER.id).slice(dms).length, 1);
});

const reviewRecord = (id: string, title: string): ReviewRecord => ({
  id,
  guildId: GUILD,
  account: serverOwner(GUILD),
  uploaderId: MEMBER.id,
  videoId: `vid-${id}`,
  title,
  requestedPrivacy: 'public',
  publishAt: undefined,
  playlistId: undefined,
  card: undefined,
  status: 'pending',
  decidedBy: undefined,
  reason: undefined,
});
const cardsTitled = (title: string) =>
  discord.channelMessages(REVIEWS).filter((m) => m.embeds[0]?.title === title);

test('a review opened twice for the same upload posts one card, and the record keeps that card', async () => {
  const { reviews } = bot.app.ctx;
  await reviews.open(reviewRecord('twice-1', 'Opened twice'), REVIEWS);
  await reviews.open(reviewRecord('twice-1', 'Opened twice'), REVIEWS);
  const cards = cardsTitled('Opened twice');
  assert.equal(cards.length, 1, 'one card');
  assert.equal((await reviews.get('twice-1'))?.card?.messageId, cards[0]?.id, 'the record names it');
});

test('a card Discord created whose record was never saved (a crash in between) is not posted again when the step runs again', async () => {
  const { reviews, store } = bot.app.ctx;
  await reviews.open(reviewRecord('cut-1', 'Cut off after the post'), REVIEWS);
  const [card] = cardsTitled('Cut off after the post');
  assert.ok(card);
  // What the store holds when the process died after Discord created the card, before the record got it.
  await store
    .collection<ReviewRecord>('review')
    .set('cut-1', reviewRecord('cut-1', 'Cut off after the post'));
  await reviews.open(reviewRecord('cut-1', 'Cut off after the post'), REVIEWS);
  assert.deepEqual(
    cardsTitled('Cut off after the post').map((m) => m.id),
    [card.id],
    'Discord returned the first card (same nonce) instead of a second one',
  );
  assert.equal((await reviews.get('cut-1'))?.card?.messageId, card.id);
});
