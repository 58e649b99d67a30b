// /video edit|info, /favorite, /unfavorite, /favorites and /delete end to end, in-process: the real
// discord.js, google-auth-library and @googleapis/youtube against the Discord and Google fakes.
// Assertions read the fakes' state (ratings, stored videos, snippets), not only the replies.
import { after, before, beforeEach, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import type { APIEmbed } from 'discord-api-types/v10';
import type { FakeDiscord, FakeMessage, FakeUser, InteractionHandle } from './fakes/discord.ts';
import type { FakeGoogle, FakeAccount, FakeVideo } from './fakes/google.ts';
import { startWorld, type TestApp, type World } from './support/app.ts';
import { linkMember } from './support/link.ts';
import { confirmTiming } from '../commands/delete.ts';

const GUILD = '800000000000000041';
const CHANNEL = '900000000000000041';
const ALICE: FakeUser = { id: '700000000000000041', username: 'alice' };
const BOB: FakeUser = { id: '700000000000000042', username: 'bob' };
const CAROL: FakeUser = { id: '700000000000000043', username: 'carol' };
const STRANGER: FakeUser = { id: '700000000000000044', username: 'stranger' };

let discord: FakeDiscord;
let google: FakeGoogle;
let bot: TestApp;
let world: World;
let alice: FakeAccount;
let bob: FakeAccount;
let carol: FakeAccount;

before(async () => {
  world = await startWorld([
    {
      id: GUILD,
      name: 'Videos',
      ownerId: ALICE.id,
      channels: [{ id: CHANNEL, name: 'videos', type: 0 }],
      preferredLocale: 'en-US',
    },
  ]);
  ({ discord, google, bot } = world);
  alice = google.addAccount({ email: 'alice@example.com', channel: { title: 'Alice Films' } });
  bob = google.addAccount({ email: 'bob@example.com', channel: { title: 'Bob Builds' } });
  carol = google.addAccount({ email: 'carol@example.com', channel: { title: 'Carol Cooks' } });
  await linkMember(discord, google, ALICE, alice, GUILD);
  await linkMember(discord, google, BOB, bob, GUILD);
  await linkMember(discord, google, CAROL, carol, GUILD);
});

after(async () => {
  await world.stop();
});

beforeEach(() => {
  google.clearFaults();
});

// ---- helpers ----

type Option = { type: number; name: string; value?: string; options?: Option[]; focused?: boolean };
const text = (name: string, value: string): Option => ({ type: 3, name, value });
const sub = (name: string, ...options: Option[]): Option => ({ type: 1, name, options });

function run(name: string, user: FakeUser, options: Option[] = []): InteractionHandle {
  return discord.sendCommand({ name, user, guildId: GUILD, channelId: CHANNEL, options });
}

/** The reply once the deferral has been edited (flag 128 = still "thinking…"). */
async function answer(handle: InteractionHandle): Promise<FakeMessage> {
  const response = await handle.response();
  assert.equal(response.type, 5, 'deferred at once');
  assert.equal((response.data?.flags ?? 0) & 64, 64, 'privately');
  return handle.waitForOriginal((m) => (m.flags & 128) === 0, 10_000);
}

async function say(name: string, user: FakeUser, options: Option[] = []): Promise<string> {
  return (await answer(run(name, user, options))).content;
}

function buttons(message: FakeMessage) {
  return message.components.flatMap((row) => row.components ?? []);
}

function press(message: FakeMessage, label: string, user: FakeUser): InteractionHandle {
  const button = buttons(message).find((b) => b.label === label);
  assert.ok(button?.custom_id, `a ${label} button`);
  return discord.sendButton({
    customId: button.custom_id,
    user,
    guildId: GUILD,
    channelId: CHANNEL,
    message: { id: message.id, channelId: CHANNEL },
  });
}

const calls = (method: string, path: string) =>
  google.requests.filter((r) => r.method === method && r.path === path).length;
const rate = () => calls('POST', '/youtube/v3/videos/rate');
const updates = () => calls('PUT', '/youtube/v3/videos');
const deletes = () => calls('DELETE', '/youtube/v3/videos');
const channelOf = (account: FakeAccount) => account.channel?.id ?? '';
const ratingOf = (account: FakeAccount, video: FakeVideo) =>
  google.ratings.get(`${channelOf(account)}:${video.id}`);

/** Nothing raw from Google (HTML, API wording) and no "something went wrong" reaches the member. */
function assertClean(content: string): void {
  assert.doesNotMatch(
    content,
    /<code>|<a href|Request had|googleapis|The request |Error:|reference to the server admins/,
  );
}

// ---- video references ----

test('every common URL form and the bare id reach the same video; anything else gets an example', async () => {
  const video = google.addVideo(bob, { title: 'Forms of a link' });
  const id = video.id;
  for (const form of [
    id,
    `https://youtu.be/${id}`,
    `https://youtu.be/${id}?si=abc&t=12`,
    `https://www.youtube.com/watch?v=${id}`,
    `https://www.youtube.com/watch?feature=shared&v=${id}&t=42s&list=PLabcdefghijklmnop`,
    `https://youtube.com/shorts/${id}?feature=share`,
    `https://www.youtube.com/live/${id}?si=x`,
    `https://www.youtube.com/embed/${id}?start=3`,
    `https://m.youtube.com/watch?v=${id}`,
    `https://music.youtube.com/watch?v=${id}&feature=share`,
    `<https://youtu.be/${id}>`,
  ]) {
    const reply = await answer(run('video', ALICE, [sub('info', text('video', form))]));
    assert.equal(reply.embeds[0]?.url, `https://youtu.be/${id}`, form);
    assert.equal(reply.embeds[0]?.title, 'Forms of a link', form);
  }

  const before = google.requests.length;
  for (const [name, options] of [
    ['video', [sub('info', text('video', 'https://vimeo.com/12345'))]],
    ['video', [sub('edit', text('video', 'not a video'), text('title', 'x'))]],
    ['favorite', [text('video', 'https://www.youtube.com/@somechannel')]],
    ['unfavorite', [text('video', 'abc')]],
    ['delete', [text('video', `https://evil.example/watch?v=${id}`)]],
  ] as const) {
    const content = await say(name, ALICE, [...options]);
    assert.match(
      content,
      /^I could not find a YouTube video in ".*"\. Give a video id like dQw4w9WgXcQ or a link like https:\/\/youtu\.be\/dQw4w9WgXcQ\.$/,
      name,
    );
  }
  assert.equal(google.requests.length, before, 'nothing was asked of YouTube');
});

// ---- favorites ----

test('/favorite likes the video (a shorts link); a second time says so kindly without rating again', async () => {
  const video = google.addVideo(bob, { title: 'A short worth liking' });
  const liked = await say('favorite', ALICE, [text('video', `https://youtube.com/shorts/${video.id}`)]);
  assert.equal(ratingOf(alice, video), 'like', 'YouTube has the like');
  assert.match(liked, /^Liked \*\*A short worth liking\*\* on YouTube/);
  assert.match(liked, new RegExp(`https://youtu\\.be/${video.id}`));

  const rates = rate();
  const again = await say('favorite', ALICE, [text('video', video.id)]);
  assert.match(again, /^You already like \*\*A short worth liking\*\*/);
  assert.equal(rate(), rates, 'no second videos.rate (50 units saved)');
  assert.equal(ratingOf(alice, video), 'like');
});

test('/unfavorite clears the like (a music. link); without a like it changes nothing', async () => {
  const video = google.addVideo(bob, { title: 'Unliked soon' });
  google.ratings.set(`${channelOf(alice)}:${video.id}`, 'like');
  const removed = await say('unfavorite', ALICE, [
    text('video', `https://music.youtube.com/watch?v=${video.id}&feature=share`),
  ]);
  assert.match(removed, /^Removed your like from \*\*Unliked soon\*\*/);
  assert.equal(ratingOf(alice, video), undefined, 'the rating is gone at YouTube');

  const rates = rate();
  const nothing = await say('unfavorite', ALICE, [text('video', video.id)]);
  assert.match(nothing, /^You had not liked \*\*Unliked soon\*\*, so there was nothing to remove/);
  assert.equal(rate(), rates);

  google.ratings.set(`${channelOf(alice)}:${video.id}`, 'dislike');
  await say('unfavorite', ALICE, [text('video', video.id)]);
  assert.equal(ratingOf(alice, video), 'dislike', 'a dislike is not a favorite: left alone');
  google.ratings.delete(`${channelOf(alice)}:${video.id}`);
});

test('the help text says favorites are YouTube likes now', async () => {
  const help = discord.sendCommand({ name: 'help', user: ALICE, guildId: GUILD, channelId: CHANNEL });
  const data = (await help.response()).data as { embeds?: { description?: string }[] } | undefined;
  const content = data?.embeds?.[0]?.description ?? '';
  assert.match(content, /`\/favorite` — Like a video on YouTube — YouTube has no favorites list any more/);
  assert.match(content, /`\/unfavorite` — .*likes/);
  assert.match(content, /`\/favorites` — .*liked/);
  assert.match(content, /`\/video edit` — /);
  assert.match(content, /`\/video info` — /);
  assert.match(content, /`\/delete` — /);
});

test('/favorites pages through the liked videos 10 at a time; only the invoker can turn pages', async () => {
  const dave = google.addAccount({ email: 'dave@example.com', channel: { title: 'Dave' } });
  const DAVE: FakeUser = { id: '700000000000000045', username: 'dave' };
  await linkMember(discord, google, DAVE, dave, GUILD);
  const empty = await say('favorites', DAVE);
  assert.match(empty, /You have not liked any videos yet/);

  const seeded: FakeVideo[] = [];
  for (let i = 1; i <= 23; i++) {
    const v = google.addVideo(bob, { title: `Clip ${i}` });
    seeded.push(v);
    google.ratings.set(`${channelOf(dave)}:${v.id}`, 'like'); // liked in order: Clip 23 is the newest
  }
  const first = await answer(run('favorites', DAVE));
  const lines = first.content.split('\n');
  assert.match(lines[0] ?? '', /page 1 of 3, 23 in all/);
  assert.equal(lines.length, 11);
  assert.equal(lines[1], `1. **Clip 23** — <https://youtu.be/${seeded[22]?.id}>`);
  assert.equal(lines[10], `10. **Clip 14** — <https://youtu.be/${seeded[13]?.id}>`);
  assert.deepEqual(
    buttons(first).map((b) => [b.label, b.disabled]),
    [
      ['◀ Previous', true],
      ['Next ▶', false],
    ],
  );

  // Someone else's press is refused privately and the list stays as it was.
  const edits = discord.message(first.id)?.edits;
  const other = await press(first, 'Next ▶', ALICE).response();
  assert.equal(other.type, 4);
  assert.equal((other.data?.flags ?? 0) & 64, 64);
  assert.match(other.data?.content ?? '', /Only the member who ran \/favorites can turn its pages/);
  assert.equal(discord.message(first.id)?.edits, edits, 'the list was not touched');

  const turn = async (from: FakeMessage, label: string, expect: RegExp) => {
    const handle = press(from, label, DAVE);
    assert.equal((await handle.response()).type, 6, 'acknowledged as an update');
    return handle.waitForOriginal((m) => expect.test(m.content), 10_000);
  };
  const second = await turn(first, 'Next ▶', /page 2 of 3/);
  assert.match(
    second.content,
    new RegExp(`\\n11\\. \\*\\*Clip 13\\*\\* — <https://youtu\\.be/${seeded[12]?.id}>`),
  );
  assert.match(second.content, /\n20\. \*\*Clip 4\*\*/);
  const third = await turn(second, 'Next ▶', /page 3 of 3/);
  assert.equal(third.content.split('\n').length, 4, 'three on the last page');
  assert.match(third.content, /\n23\. \*\*Clip 1\*\*/);
  assert.deepEqual(
    buttons(third).map((b) => [b.label, b.disabled]),
    [
      ['◀ Previous', false],
      ['Next ▶', true],
    ],
  );
  const back = await turn(third, '◀ Previous', /page 2 of 3/);
  assert.match(back.content, /\n11\. \*\*Clip 13\*\*/);
});

test('/favorites: page tokens longer than a custom_id stay in the store; a press after 15 minutes is one sentence', async () => {
  const erin = google.addAccount({ email: 'erin@example.com', channel: { title: 'Erin' } });
  const ERIN: FakeUser = { id: '700000000000000046', username: 'erin' };
  await linkMember(discord, google, ERIN, erin, GUILD);
  for (let i = 1; i <= 12; i++)
    google.ratings.set(`${channelOf(erin)}:${google.addVideo(bob, { title: `Liked ${i}` }).id}`, 'like');
  const tokens = bot.app.ctx.store.collection<string>('page-token');
  const first = await answer(run('favorites', ERIN));
  const next = buttons(first).find((b) => b.label === 'Next ▶');
  assert.ok(next?.custom_id && next.custom_id.length <= 100);
  const token = await tokens.get(next.custom_id.split(':').pop() ?? '');
  assert.ok(
    token && token.length > 100,
    `YouTube's token is kept in the store (${token?.length} characters)`,
  );

  const turned = press(first, 'Next ▶', ERIN);
  assert.equal((await turned.response()).type, 6);
  const second = await turned.waitForOriginal((m) => /page 2 of 2/.test(m.content), 10_000);
  assert.match(second.content, /\n11\. \*\*Liked 2\*\*/);

  const edits = discord.message(second.id)?.edits;
  mock.timers.enable({ apis: ['Date'], now: Date.now() + 16 * 60_000 });
  try {
    const late = await press(second, '◀ Previous', ERIN).response();
    assert.equal(late.type, 4);
    assert.equal(late.data?.content, 'These buttons expired — run the command again.');
    assert.equal((late.data?.flags ?? 0) & 64, 64);
  } finally {
    mock.timers.reset();
  }
  assert.equal(discord.message(second.id)?.edits, edits, 'the list stays as it was');
});

// ---- delete ----

async function confirmation(user: FakeUser, reference: string): Promise<FakeMessage> {
  const reply = await answer(run('delete', user, [text('video', reference)]));
  assert.deepEqual(
    buttons(reply).map((b) => b.label),
    ['Delete', 'Cancel'],
  );
  return reply;
}

test('/delete shows title and thumbnail privately; only the press on Delete deletes', async () => {
  const video = google.addVideo(alice, { title: 'Old trailer' });
  const before = deletes();
  const reply = await confirmation(ALICE, `https://www.youtube.com/live/${video.id}`);
  assert.equal((reply.flags & 64) !== 0, true, 'ephemeral');
  assert.equal(reply.embeds[0]?.title, 'Old trailer');
  assert.equal(reply.embeds[0]?.url, `https://youtu.be/${video.id}`);
  assert.equal(reply.embeds[0]?.image?.url, `https://i.ytimg.com/vi/${video.id}/hqdefault.jpg`);
  assert.ok(google.videos.has(video.id), 'the command alone deletes nothing');
  assert.equal(deletes(), before);

  const handle = press(reply, 'Delete', ALICE);
  const done = await handle.waitForOriginal((m) => /Deleted/.test(m.content), 10_000);
  assert.equal(done.content, 'Deleted **Old trailer**.');
  assert.deepEqual(done.components, [], 'the buttons are gone');
  assert.deepEqual(done.embeds, []);
  assert.equal(google.videos.has(video.id), false, 'YouTube no longer has the video');
  assert.equal(deletes(), before + 1);
});

test('/delete: Cancel deletes nothing', async () => {
  const video = google.addVideo(alice, { title: 'Keeper' });
  const reply = await confirmation(ALICE, `https://youtu.be/${video.id}`);
  const cancel = await press(reply, 'Cancel', ALICE).response();
  assert.equal(cancel.type, 7, 'the confirmation is updated in place');
  assert.equal(cancel.data?.content, 'Nothing was deleted.');
  assert.deepEqual(cancel.data?.components, []);
  assert.ok(google.videos.has(video.id));
});

test('/delete: a press by someone else is refused privately and the confirmation still works', async () => {
  const video = google.addVideo(alice, { title: 'Contested' });
  const reply = await confirmation(ALICE, video.id);
  const edits = discord.message(reply.id)?.edits;
  const other = await press(reply, 'Delete', BOB).response();
  assert.equal(other.type, 4);
  assert.equal((other.data?.flags ?? 0) & 64, 64, 'only Bob sees the refusal');
  assert.match(other.data?.content ?? '', /Only the member who ran \/delete can answer this/);
  assert.equal(discord.message(reply.id)?.edits, edits, 'the confirmation was not touched');
  assert.ok(google.videos.has(video.id), 'Bob deleted nothing');

  const own = press(reply, 'Delete', ALICE);
  await own.waitForOriginal((m) => m.content === 'Deleted **Contested**.', 10_000);
  assert.equal(google.videos.has(video.id), false);
});

test('/delete: a press after 60 seconds says the buttons expired and deletes nothing', async () => {
  const video = google.addVideo(alice, { title: 'Too late' });
  const reply = await confirmation(ALICE, video.id);
  discord.advanceTime(61_000); // Discord's clock: the press arrives 61 s after the command
  const before = deletes();
  const late = await press(reply, 'Delete', ALICE).response();
  assert.equal(late.type, 7);
  assert.equal(late.data?.content, 'These buttons expired — nothing was deleted. Run /delete again.');
  assert.deepEqual(late.data?.components, []);
  assert.ok(google.videos.has(video.id));
  assert.equal(deletes(), before, 'videos.delete was never called');
});

test('/delete: an unanswered confirmation is edited to say it expired', async () => {
  const video = google.addVideo(alice, { title: 'Ignored' });
  confirmTiming.expireEditMs = 300;
  try {
    const handle = run('delete', ALICE, [text('video', video.id)]);
    await answer(handle);
    const expired = await handle.waitForOriginal((m) => /expired/.test(m.content), 10_000);
    assert.equal(expired.content, 'These buttons expired — nothing was deleted. Run /delete again.');
    assert.deepEqual(expired.components, []);
    assert.deepEqual(expired.embeds, []);
  } finally {
    confirmTiming.expireEditMs = 60_000;
  }
  assert.ok(google.videos.has(video.id));
});

test("/delete refuses someone else's video and a missing one before showing any button", async () => {
  const bobs = google.addVideo(bob, { title: 'Not yours' });
  const refused = await answer(run('delete', ALICE, [text('video', bobs.id)]));
  assert.equal(
    refused.content,
    '"Not yours" is on the channel "Bob Builds", not on your linked channel, so you cannot delete it.',
  );
  assert.deepEqual(refused.components, []);
  assert.ok(google.videos.has(bobs.id));

  const gone = await answer(run('delete', ALICE, [text('video', 'AAAAAAAAAAA')]));
  assert.equal(gone.content, 'That video no longer exists (it may already be deleted).');
  assert.deepEqual(gone.components, []);
});

test('/delete: a video deleted between the confirmation and the press gets a clear answer', async () => {
  const video = google.addVideo(alice, { title: 'Vanishing' });
  const reply = await confirmation(ALICE, video.id);
  google.videos.delete(video.id); // e.g. deleted in YouTube Studio meanwhile
  const handle = press(reply, 'Delete', ALICE);
  const done = await handle.waitForOriginal((m) => /no longer exists/.test(m.content), 10_000);
  assert.equal(
    done.content,
    'That video no longer exists (it may already be deleted). Nothing was deleted now.',
  );
  assert.deepEqual(done.components, []);

  // The same when YouTube only notices at the delete itself.
  const other = google.addVideo(alice, { title: 'Racing' });
  const second = await confirmation(ALICE, other.id);
  google.fail(
    { method: 'DELETE', path: /^\/youtube\/v3\/videos$/ },
    { status: 404, reason: 'videoNotFound' },
  );
  const raced = press(second, 'Delete', ALICE);
  const answerText = await raced.waitForOriginal((m) => /no longer exists/.test(m.content), 10_000);
  assertClean(answerText.content);
});

// ---- edit ----

test('/video edit of the title keeps description, tags, category and status (read-modify-write)', async () => {
  const video = google.addVideo(alice, {
    title: 'Draft title',
    description: 'A long description that must survive',
    tags: ['cooking', 'pasta night'],
    categoryId: '26',
    privacyStatus: 'unlisted',
  });
  video.status.embeddable = false;
  video.status.selfDeclaredMadeForKids = false;
  const before = updates();
  const content = await say('video', ALICE, [
    sub(
      'edit',
      text('video', `https://www.youtube.com/watch?v=${video.id}&t=42s`),
      text('title', 'Final title'),
    ),
  ]);
  assert.match(content, /^Updated the title of \*\*Final title\*\* \(privacy: unlisted\)/);
  assert.equal(updates(), before + 1);
  const put = google.requests.filter((r) => r.method === 'PUT' && r.path === '/youtube/v3/videos').at(-1);
  assert.deepEqual(put?.query.getAll('part'), ['snippet'], 'only the part holding the change is written');
  const stored = google.videos.get(video.id);
  assert.deepEqual(
    { ...stored?.snippet },
    {
      title: 'Final title',
      description: 'A long description that must survive',
      tags: ['cooking', 'pasta night'],
      categoryId: '26',
    },
  );
  assert.equal(stored?.status.privacyStatus, 'unlisted');
  assert.equal(stored?.status.embeddable, false, 'status untouched');
  assert.equal(stored?.status.selfDeclaredMadeForKids, false);
});

test('/video edit privacy keeps the snippet and every status field; several fields at once', async () => {
  const video = google.addVideo(alice, {
    title: 'Status test',
    description: 'desc',
    tags: ['a'],
    categoryId: '24',
    privacyStatus: 'private',
  });
  video.status.embeddable = false;
  video.status.license = 'creativeCommon';
  video.status.selfDeclaredMadeForKids = true;
  await say('video', ALICE, [
    sub('edit', text('video', `https://m.youtube.com/watch?v=${video.id}`), text('privacy', 'public')),
  ]);
  let stored = google.videos.get(video.id);
  assert.equal(stored?.status.privacyStatus, 'public');
  assert.equal(stored?.status.embeddable, false);
  assert.equal(stored?.status.license, 'creativeCommon');
  assert.equal(stored?.status.selfDeclaredMadeForKids, true);
  assert.deepEqual(
    { ...stored?.snippet },
    { title: 'Status test', description: 'desc', tags: ['a'], categoryId: '24' },
  );

  const content = await say('video', ALICE, [
    sub(
      'edit',
      text('video', `https://www.youtube.com/embed/${video.id}`),
      text('description', 'New words'),
      text('tags', 'surfing, Santa Cruz'),
      text('category', '17'),
      text('privacy', 'unlisted'),
    ),
  ]);
  assert.match(content, /^Updated the description, tags, category and privacy of \*\*Status test\*\*/);
  stored = google.videos.get(video.id);
  assert.deepEqual(
    { ...stored?.snippet },
    { title: 'Status test', description: 'New words', tags: ['surfing', 'Santa Cruz'], categoryId: '17' },
  );
  assert.equal(stored?.status.privacyStatus, 'unlisted');
  assert.equal(stored?.status.license, 'creativeCommon');

  await say('video', ALICE, [
    sub('edit', text('video', video.id), text('tags', '-'), text('description', '-')),
  ]);
  stored = google.videos.get(video.id);
  assert.deepEqual({ ...stored?.snippet }, { title: 'Status test', description: '', categoryId: '17' });

  const writes = updates();
  const same = await say('video', ALICE, [sub('edit', text('video', video.id), text('privacy', 'unlisted'))]);
  assert.match(same, /already has those details, so nothing changed/);
  assert.equal(updates(), writes, 'nothing to write, nothing written');
});

test('/video edit: a scheduled private video made public drops its schedule; the private lock is explained', async () => {
  const scheduled = google.addVideo(alice, { title: 'Scheduled', privacyStatus: 'private' });
  scheduled.status.publishAt = '2099-01-01T00:00:00.000Z';
  const content = await say('video', ALICE, [
    sub('edit', text('video', scheduled.id), text('privacy', 'public')),
  ]);
  assertClean(content);
  assert.equal(google.videos.get(scheduled.id)?.status.privacyStatus, 'public');
  assert.equal(google.videos.get(scheduled.id)?.status.publishAt, undefined);

  const locked = google.addVideo(alice, { title: 'Locked', privacyStatus: 'private' });
  locked.lockedPrivate = true;
  const note = await say('video', ALICE, [sub('edit', text('video', locked.id), text('privacy', 'public'))]);
  assert.match(note, /privacy: private/);
  assert.match(
    note,
    /YouTube kept it private: videos uploaded through an API project that YouTube has not audited/,
  );
  assert.equal(google.videos.get(locked.id)?.status.privacyStatus, 'private');
});

test('/video edit: no field, bad input and a video of someone else each get one sentence and no write', async () => {
  const mine = google.addVideo(alice, { title: 'Mine' });
  const bobs = google.addVideo(bob, { title: 'Bobs' });
  const writes = updates();
  assert.equal(
    await say('video', ALICE, [sub('edit', text('video', mine.id))]),
    'Say what to change: a new title, description, tags, category or privacy (any of them, the rest stays as it is).',
  );
  assert.equal(
    await say('video', ALICE, [sub('edit', text('video', mine.id), text('title', 'a <b> title'))]),
    'YouTube does not allow the characters < and > in a title.',
  );
  assert.match(
    await say('video', ALICE, [
      sub('edit', text('video', mine.id), text('tags', 'x'.repeat(300) + ',' + 'y'.repeat(250))),
    ]),
    /The tags add up to 551 characters .* the limit is 500\./,
  );
  assert.match(
    await say('video', ALICE, [sub('edit', text('video', mine.id), text('description', 'é'.repeat(2501)))]),
    /The description is 5002 bytes long; YouTube allows at most 5000/,
  );
  assert.equal(
    await say('video', ALICE, [sub('edit', text('video', mine.id), text('category', 'Sports'))]),
    'Pick a category from the list (for example 22, People & Blogs).',
  );
  assert.equal(
    await say('video', ALICE, [sub('edit', text('video', bobs.id), text('title', 'Hijacked'))]),
    '"Bobs" is on the channel "Bob Builds", not on your linked channel, so you cannot edit it.',
  );
  assert.equal(updates(), writes, 'no videos.update was sent');
  assert.equal(google.videos.get(bobs.id)?.snippet.title, 'Bobs');
  assert.equal(google.videos.get(mine.id)?.snippet.title, 'Mine');
});

test('/video edit: category autocomplete lists assignable categories', async () => {
  const response = await discord
    .sendAutocomplete({
      name: 'video',
      user: ALICE,
      guildId: GUILD,
      channelId: CHANNEL,
      options: [
        {
          type: 1,
          name: 'edit',
          options: [
            { type: 3, name: 'video', value: 'dQw4w9WgXcQ' },
            { type: 3, name: 'category', value: 'spo', focused: true },
          ],
        },
      ],
    })
    .response();
  assert.equal(response.type, 8);
  assert.deepEqual(response.data?.choices, [{ name: 'Sports (17)', value: '17' }]);
});

// ---- info ----

test('/video info: own video with processing state; another channel public video without it', async () => {
  const mine = google.addVideo(alice, { title: 'My upload', privacyStatus: 'unlisted' });
  google.ratings.set(`${channelOf(bob)}:${mine.id}`, 'like');
  google.ratings.set(`${channelOf(carol)}:${mine.id}`, 'like');
  const own = (await answer(run('video', ALICE, [sub('info', text('video', `youtu.be/${mine.id}`))])))
    .embeds[0];
  assert.equal(own?.title, 'My upload');
  assert.equal(own?.thumbnail?.url, `https://i.ytimg.com/vi/${mine.id}/hqdefault.jpg`);
  const field = (embed: APIEmbed | undefined, name: string) =>
    embed?.fields?.find((f) => f.name === name)?.value;
  assert.equal(field(own, 'Channel'), 'Alice Films (yours)');
  assert.equal(field(own, 'Privacy'), 'unlisted');
  assert.equal(field(own, 'Processing'), 'processed — ready to watch');
  assert.equal(field(own, 'Views'), '0');
  assert.equal(field(own, 'Likes'), '2');
  assert.equal(field(own, 'Link'), `https://youtu.be/${mine.id}`);

  const busy = google.addVideo(alice, { title: 'Still processing' });
  google.setProcessing(busy.id, { pollsBeforeDone: 100 });
  const processing = (await answer(run('video', ALICE, [sub('info', text('video', busy.id))]))).embeds[0];
  assert.match(field(processing, 'Processing') ?? '', /^processing \(\d+%\)$/);

  const theirs = google.addVideo(bob, { title: 'Bob public' });
  const other = (await answer(run('video', ALICE, [sub('info', text('video', theirs.id))]))).embeds[0];
  assert.equal(field(other, 'Channel'), 'Bob Builds');
  assert.equal(field(other, 'Privacy'), 'public');
  assert.equal(field(other, 'Processing'), undefined, 'processing details are for the owner alone');

  const hidden = google.addVideo(bob, { title: 'Bob private', privacyStatus: 'private' });
  assert.equal(
    await say('video', ALICE, [sub('info', text('video', hidden.id))]),
    'That video does not exist, or it is private to someone else.',
  );
});

// ---- errors ----

test('quota exhausted: one sentence, and the rating is not set', async () => {
  const video = google.addVideo(bob, { title: 'Quota' });
  const limit = google.quotaLimit.units;
  google.quotaLimit.units = google.quotaUsed.units;
  try {
    const content = await say('favorite', ALICE, [text('video', video.id)]);
    assert.equal(
      content,
      "The bot has used up today's YouTube API quota, which every server shares. It resets at midnight Pacific time — please try again then.",
    );
  } finally {
    google.quotaLimit.units = limit;
  }
  assert.equal(ratingOf(alice, video), undefined);
});

test('forbidden, videoNotFound and invalid fields from YouTube each map to one sentence; nothing changes', async () => {
  const video = google.addVideo(alice, { title: 'Guarded', categoryId: '22' });

  // A 403 is final: one request, no token refresh and no resend (each would cost quota again).
  const tokenCalls = google.requests.filter((r) => r.path === '/token').length;
  google.fail({ method: 'PUT', path: /^\/youtube\/v3\/videos$/ }, { status: 403, reason: 'forbidden' });
  const forbidden = await say('video', ALICE, [sub('edit', text('video', video.id), text('title', 'Nope'))]);
  assert.equal(forbidden, 'YouTube refused: your account is not allowed to do that.');
  assert.equal(google.videos.get(video.id)?.snippet.title, 'Guarded');
  assert.equal(
    google.requests.filter((r) => r.path === '/token').length,
    tokenCalls,
    'no refresh after a 403',
  );

  // The fake, as YouTube, refuses a category that cannot be assigned (18, Short Movies).
  const category = await say('video', ALICE, [sub('edit', text('video', video.id), text('category', '18'))]);
  assert.equal(category, 'YouTube does not accept that category for uploads. Pick another category.');
  assert.equal(google.videos.get(video.id)?.snippet.categoryId, '22');

  google.fail({ method: 'PUT', path: /^\/youtube\/v3\/videos$/ }, { status: 400, reason: 'invalidTitle' });
  const title = await say('video', ALICE, [sub('edit', text('video', video.id), text('title', 'Fine here'))]);
  assert.equal(title, 'YouTube rejected the title: it must have 1 to 100 characters and no < or >.');
  google.fail(
    { method: 'PUT', path: /^\/youtube\/v3\/videos$/ },
    { status: 400, reason: 'invalidDescription' },
  );
  const description = await say('video', ALICE, [
    sub('edit', text('video', video.id), text('description', 'ok')),
  ]);
  assert.match(description, /^YouTube rejected the description/);
  google.fail({ method: 'PUT', path: /^\/youtube\/v3\/videos$/ }, { status: 400, reason: 'invalidTags' });
  const tags = await say('video', ALICE, [sub('edit', text('video', video.id), text('tags', 'ok'))]);
  assert.match(tags, /^YouTube rejected the tags/);
  assert.deepEqual(
    { ...google.videos.get(video.id)?.snippet },
    { title: 'Guarded', description: '', categoryId: '22' },
  );

  // videoNotFound from YouTube itself (the rate call), and from a lookup that finds nothing.
  const target = google.addVideo(bob, { title: 'Racing like' });
  google.fail(
    { method: 'POST', path: /^\/youtube\/v3\/videos\/rate$/ },
    { status: 404, reason: 'videoNotFound' },
  );
  const notFound = await say('favorite', ALICE, [text('video', target.id)]);
  assert.equal(notFound, 'That video does not exist, or it is private to someone else.');
  assert.equal(ratingOf(alice, target), undefined);
  assert.equal(
    await say('favorite', ALICE, [text('video', 'ZZZZZZZZZZZ')]),
    'That video does not exist, or it is private to someone else.',
  );
  for (const content of [forbidden, category, title, description, tags, notFound]) assertClean(content);
});

test('an unlinked member is sent to /link; an expired grant says to link again', async () => {
  assert.equal(
    await say('favorites', STRANGER),
    'You have not linked a YouTube channel yet — run /link first.',
  );
  const video = google.addVideo(carol, { title: 'Carol video' });
  google.revokeAll(carol);
  const expired = await say('video', CAROL, [sub('edit', text('video', video.id), text('title', 'Changed'))]);
  assert.match(expired, /^Your Google link expired — run \/link to connect again\.$/);
  assert.equal(google.videos.get(video.id)?.snippet.title, 'Carol video');
  assert.match(
    await say('delete', CAROL, [text('video', video.id)]),
    /Your Google link expired — run \/link/,
  );
  assert.ok(google.videos.has(video.id));
});
