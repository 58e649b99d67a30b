// /playlist end to end, in-process: the real discord.js, google-auth-library and @googleapis/youtube against
// the Discord and Google fakes. Assertions read the fake's state (entries, positions, snippets), not only replies.
import { after, before, beforeEach, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FakeDiscord, FakeComponent, FakeMessage, FakeUser } from './fakes/discord.ts';
import type { FakeGoogle, FakeAccount, FakePlaylist, FakeVideo } from './fakes/google.ts';
import { startWorld, type TestApp, type World } from './support/app.ts';
import { linkMember } from './support/link.ts';
import { googleReasonMessage } from '../src/errors.ts';

const GUILD = '800000000000000051';
const CHANNEL = '900000000000000051';
const ALICE: FakeUser = { id: '700000000000000051', username: 'alice' };
const BOB: FakeUser = { id: '700000000000000052', username: 'bob' };
const CAROL: FakeUser = { id: '700000000000000053', username: 'carol' };
const DAVE: FakeUser = { id: '700000000000000054', username: 'dave' };

let discord: FakeDiscord;
let google: FakeGoogle;
let bot: TestApp;
let world: World;
let alice: FakeAccount;
let bob: FakeAccount;
let carol: FakeAccount;
let dave: FakeAccount;

before(async () => {
  world = await startWorld([
    {
      id: GUILD,
      name: 'Playlists',
      ownerId: ALICE.id,
      channels: [{ id: CHANNEL, name: 'videos', type: 0 }],
    },
  ]);
  ({ discord, google, bot } = world);
  alice = google.addAccount({ email: 'alice@example.com', channel: { title: 'Alice Clips' } });
  bob = google.addAccount({ email: 'bob@example.com', channel: { title: 'Bob' } });
  carol = google.addAccount({ email: 'carol@example.com', channel: { title: 'Carol' } });
  dave = google.addAccount({ email: 'dave@example.com', channel: { title: 'Dave' } });
  for (const [user, account] of [
    [ALICE, alice],
    [BOB, bob],
    [CAROL, carol],
    [DAVE, dave],
  ] as const)
    await linkMember(discord, google, user, account, GUILD);
});

after(async () => {
  mock.timers.reset();
  await world.stop();
});

beforeEach(() => {
  google.clearFaults();
});

// ---- helpers ----

type Option = { type: number; name: string; value: string | number; focused?: boolean };
const str = (name: string, value: string): Option => ({ type: 3, name, value });
const int = (name: string, value: number): Option => ({ type: 4, name, value });

function playlist(user: FakeUser, sub: string, options: Option[] = []) {
  return discord.sendCommand({
    name: 'playlist',
    user,
    guildId: GUILD,
    channelId: CHANNEL,
    options: [{ type: 1, name: sub, options }],
  });
}

/** The reply once the deferral was replaced (private, as every /playlist reply is). */
async function run(user: FakeUser, sub: string, options: Option[] = []): Promise<FakeMessage> {
  const interaction = playlist(user, sub, options);
  assert.equal((await interaction.response()).type, 5, 'deferred at once');
  const reply = await interaction.waitForOriginal((m) => (m.flags & 128) === 0, 10_000);
  assert.equal(reply.flags & 64, 64, 'only the member sees it');
  return reply;
}

/** The reply text of a command that must fail with the sentence for a Google reason. */
async function refused(user: FakeUser, sub: string, options: Option[], reason: string): Promise<void> {
  const reply = await run(user, sub, options);
  const sentence = googleReasonMessage(reason);
  assert.ok(sentence, `errors.ts has a sentence for ${reason}`);
  assert.equal(reply.content, sentence, `${sub} → ${reason}`);
  assert.doesNotMatch(reply.content, /youtube\.|<code>|googleapis|Request|\b[45]\d\d\b/, 'no raw API text');
  assert.deepEqual(reply.components, []);
}

const videoIds = (p: FakePlaylist) =>
  (google.playlists.get(p.id) ?? p).itemIds.map((id) => google.playlistItems.get(id)?.videoId);

function seedVideos(account: FakeAccount, ...titles: string[]): FakeVideo[] {
  return titles.map((title) => google.addVideo(account, { title }));
}

const buttons = (m: FakeMessage): FakeComponent[] => m.components.flatMap((row) => row.components ?? []);

function press(user: FakeUser, message: FakeMessage, customId: string) {
  return discord.sendButton({
    customId,
    user,
    guildId: GUILD,
    channelId: CHANNEL,
    message: { id: message.id, channelId: CHANNEL },
  });
}

async function choices(user: FakeUser, sub: string, typed: string, budgetMs = 3000) {
  const started = performance.now();
  const response = await discord
    .sendAutocomplete({
      name: 'playlist',
      user,
      guildId: GUILD,
      channelId: CHANNEL,
      options: [
        { type: 1, name: sub, options: [{ type: 3, name: 'playlist', value: typed, focused: true }] },
      ],
    })
    .response(budgetMs + 2000);
  const elapsed = performance.now() - started;
  assert.equal(response.type, 8);
  assert.ok(elapsed < budgetMs, `answered in ${Math.round(elapsed)} ms, within ${budgetMs} ms`);
  return (response.data as { choices: { name: string; value: string }[] }).choices;
}

const apiRequests = (method?: string) =>
  google.requests.filter(
    (r) => r.path.startsWith('/youtube/v3/') && (method === undefined || r.method === method),
  ).length;

// ---- tests ----

test('add: a bare id and every common URL form, by id, link or list= link; at the end or at a 1-based position', async () => {
  const v = seedVideos(alice, 'One', 'Two', 'Three', 'Four', 'Five', 'Six', 'Seven', 'Eight', 'Nine');
  const trips = google.addPlaylist(alice, { title: 'Road trips' });
  const id = (i: number) => v[i]?.id ?? '';
  const add = async (video: string, list: string, position?: number) =>
    (
      await run(ALICE, 'add', [
        str('video', video),
        str('playlist', list),
        ...(position === undefined ? [] : [int('position', position)]),
      ])
    ).content;

  assert.equal(await add(id(0), trips.id), 'Added **One** to **Road trips** at position 1.');
  assert.equal(
    await add(`https://youtu.be/${id(1)}?si=abc`, `https://www.youtube.com/playlist?list=${trips.id}`),
    'Added **Two** to **Road trips** at position 2.',
  );
  assert.equal(
    await add(
      `https://www.youtube.com/watch?v=${id(2)}&t=42s`,
      `https://www.youtube.com/watch?v=${id(0)}&list=${trips.id}&index=2`,
      1,
    ),
    'Added **Three** to **Road trips** at position 1.',
  );
  assert.equal(
    await add(
      `https://youtube.com/shorts/${id(3)}?feature=share`,
      `<https://youtube.com/playlist?list=${trips.id}>`,
      2,
    ),
    'Added **Four** to **Road trips** at position 2.',
  );
  assert.deepEqual(videoIds(trips), [id(2), id(3), id(0), id(1)]);

  await add(`https://m.youtube.com/watch?v=${id(4)}`, trips.id);
  await add(`https://www.youtube.com/embed/${id(5)}`, `m.youtube.com/playlist?list=${trips.id}`);
  await add(`https://www.youtube.com/live/${id(6)}`, `https://music.youtube.com/playlist?list=${trips.id}`);
  await add(`https://music.youtube.com/watch?v=${id(7)}&feature=share`, trips.id, 7);
  assert.equal(
    await add(`<www.youtube-nocookie.com/embed/${id(8)}>`, trips.id, 9),
    'Added **Nine** to **Road trips** at position 9.',
  );
  assert.deepEqual(videoIds(trips), [id(2), id(3), id(0), id(1), id(4), id(5), id(7), id(6), id(8)]);
});

test('remove finds the entry by video id; a video not in the playlist is one sentence and nothing changes', async () => {
  const [a, b, c] = seedVideos(alice, 'Alpha', 'Bravo', 'Charlie');
  assert.ok(a && b && c);
  const list = google.addPlaylist(alice, { title: 'Phonetic', videoIds: [a.id, b.id, c.id] });

  const done = await run(ALICE, 'remove', [
    str('video', `https://www.youtube.com/watch?v=${b.id}`),
    str('playlist', list.id),
  ]);
  assert.equal(done.content, 'Removed **Bravo** from **Phonetic**.');
  assert.deepEqual(videoIds(list), [a.id, c.id]);
  assert.equal(
    [...google.playlistItems.values()].filter((i) => i.playlistId === list.id).length,
    2,
    'the entry is gone from YouTube, not only from the order',
  );

  await refused(ALICE, 'remove', [str('video', b.id), str('playlist', list.id)], 'playlistItemNotFound');
  assert.deepEqual(videoIds(list), [a.id, c.id]);

  const twice = google.addPlaylist(alice, { title: 'Twice', videoIds: [a.id, b.id, a.id] });
  const both = await run(ALICE, 'remove', [str('video', `youtu.be/${a.id}`), str('playlist', twice.id)]);
  assert.equal(both.content, 'Removed **Alpha** from **Twice** (it was there 2 times).');
  assert.deepEqual(videoIds(twice), [b.id]);
});

test('move puts the entry at its new 1-based position; outside the playlist or absent is one sentence', async () => {
  const [a, b, c, d] = seedVideos(alice, 'A', 'B', 'C', 'D');
  assert.ok(a && b && c && d);
  const list = google.addPlaylist(alice, { title: 'Letters', videoIds: [a.id, b.id, c.id, d.id] });

  const first = await run(ALICE, 'move', [
    str('video', `https://youtu.be/${d.id}`),
    str('playlist', list.id),
    int('position', 1),
  ]);
  assert.equal(first.content, 'Moved **D** in **Letters** from position 4 to 1.');
  assert.deepEqual(videoIds(list), [d.id, a.id, b.id, c.id]);

  await run(ALICE, 'move', [
    str('video', a.id),
    str('playlist', `https://www.youtube.com/playlist?list=${list.id}`),
    int('position', 4),
  ]);
  assert.deepEqual(videoIds(list), [d.id, b.id, c.id, a.id]);

  await refused(
    ALICE,
    'move',
    [str('video', b.id), str('playlist', list.id), int('position', 9)],
    'invalidPlaylistItemPosition',
  );
  const [stranger] = seedVideos(alice, 'Not in it');
  assert.ok(stranger);
  await refused(
    ALICE,
    'move',
    [str('video', stranger.id), str('playlist', list.id), int('position', 1)],
    'playlistItemNotFound',
  );
  assert.deepEqual(videoIds(list), [d.id, b.id, c.id, a.id], 'nothing moved');
});

test('a position in a playlist YouTube sorts by date is manualSortRequired; without one YouTube places it', async () => {
  const [a, b, c] = seedVideos(alice, 'Old', 'Older', 'New');
  assert.ok(a && b && c);
  const newest = google.addPlaylist(alice, {
    title: 'Latest first',
    videoIds: [a.id, b.id],
    sort: 'dateAddedNewest',
  });

  await refused(
    ALICE,
    'add',
    [str('video', c.id), str('playlist', newest.id), int('position', 2)],
    'manualSortRequired',
  );
  await refused(
    ALICE,
    'move',
    [str('video', b.id), str('playlist', newest.id), int('position', 1)],
    'manualSortRequired',
  );
  assert.deepEqual(videoIds(newest), [a.id, b.id], 'nothing changed');

  const placed = await run(ALICE, 'add', [str('video', c.id), str('playlist', newest.id)]);
  assert.equal(placed.content, 'Added **New** to **Latest first** at position 1.');
  assert.deepEqual(videoIds(newest), [c.id, a.id, b.id]);

  // Switched in "Studio" after creation: the same refusal.
  const manual = google.addPlaylist(alice, { title: 'Was manual', videoIds: [a.id] });
  google.setPlaylistSort(manual.id, 'dateAddedOldest');
  await refused(
    ALICE,
    'add',
    [str('video', b.id), str('playlist', manual.id), int('position', 1)],
    'manualSortRequired',
  );
  await run(ALICE, 'add', [str('video', b.id), str('playlist', manual.id)]);
  assert.deepEqual(videoIds(manual), [a.id, b.id]);
});

test('create: title, description and privacy reach YouTube; invalid fields are one sentence and create nothing', async () => {
  const mine = () => [...google.playlists.values()].filter((p) => p.ownerChannelId === alice.channel?.id);
  const before = mine().length;

  const reply = await run(ALICE, 'create', [
    str('title', 'Summer 2026'),
    str('description', 'Beach days'),
    str('privacy', 'unlisted'),
  ]);
  const created = mine().find((p) => p.snippet.title === 'Summer 2026');
  assert.ok(created, 'the playlist exists on YouTube');
  assert.equal(created.snippet.description, 'Beach days');
  assert.equal(created.status.privacyStatus, 'unlisted');
  assert.deepEqual(created.itemIds, []);
  assert.equal(
    reply.content,
    `Created the playlist **Summer 2026** (unlisted): <https://www.youtube.com/playlist?list=${created.id}>`,
  );

  await run(ALICE, 'create', [str('title', 'Plain')]);
  const plain = mine().find((p) => p.snippet.title === 'Plain');
  assert.equal(plain?.status.privacyStatus, 'public', "YouTube's default privacy");
  assert.equal(plain.snippet.description, '');

  await refused(ALICE, 'create', [str('title', 'Best <b>clips</b>')], 'invalidPlaylistSnippet');
  await refused(ALICE, 'create', [str('title', '   ')], 'playlistTitleRequired');
  google.fail(
    { method: 'POST', path: /^\/youtube\/v3\/playlists$/ },
    { status: 400, reason: 'invalidPlaylistSnippet' },
  );
  await refused(ALICE, 'create', [str('title', 'Fine on our side')], 'invalidPlaylistSnippet');
  assert.equal(mine().length, before + 2, 'only the two valid playlists were created');
});

test('edit is read-modify-write: fields not given survive; nothing given is one sentence and no write', async () => {
  const list = google.addPlaylist(alice, {
    title: 'Old name',
    description: 'Keep me',
    privacyStatus: 'public',
  });
  list.snippet.tags = ['keep', 'these'];
  list.snippet.defaultLanguage = 'en';

  const renamed = await run(ALICE, 'edit', [
    str('playlist', `https://www.youtube.com/playlist?list=${list.id}`),
    str('title', 'New name'),
  ]);
  assert.equal(renamed.content, 'Updated **New name**: renamed from **Old name**.');
  assert.deepEqual(
    { ...google.playlists.get(list.id)?.snippet },
    { title: 'New name', description: 'Keep me', tags: ['keep', 'these'], defaultLanguage: 'en' },
  );
  assert.equal(google.playlists.get(list.id)?.status.privacyStatus, 'public');

  const hidden = await run(ALICE, 'edit', [str('playlist', list.id), str('privacy', 'private')]);
  assert.equal(hidden.content, 'Updated **New name**: privacy now private.');
  assert.equal(google.playlists.get(list.id)?.status.privacyStatus, 'private');
  assert.equal(google.playlists.get(list.id)?.snippet.description, 'Keep me');

  await run(ALICE, 'edit', [
    str('playlist', list.id),
    str('description', 'Fresh words'),
    str('privacy', 'unlisted'),
  ]);
  assert.deepEqual(
    { ...google.playlists.get(list.id)?.snippet },
    { title: 'New name', description: 'Fresh words', tags: ['keep', 'these'], defaultLanguage: 'en' },
  );
  assert.equal(google.playlists.get(list.id)?.status.privacyStatus, 'unlisted');

  const writes = apiRequests('PUT');
  const nothing = await run(ALICE, 'edit', [str('playlist', list.id)]);
  assert.match(nothing.content, /^Tell me what to change: a new title, description or privacy/);
  assert.equal(apiRequests('PUT'), writes, 'no write was sent');

  await refused(
    ALICE,
    'edit',
    [str('playlist', list.id), str('title', 'Bad <title>')],
    'invalidPlaylistSnippet',
  );
  assert.equal(google.playlists.get(list.id)?.snippet.title, 'New name');

  const theirs = google.addPlaylist(bob, { title: "Bob's public list" });
  await refused(ALICE, 'edit', [str('playlist', theirs.id), str('title', 'Mine now')], 'playlistForbidden');
  assert.equal(google.playlists.get(theirs.id)?.snippet.title, "Bob's public list");
  await refused(
    ALICE,
    'edit',
    [str('playlist', 'PLdoesnotexist0000000000000000000'), str('title', 'x')],
    'playlistNotFound',
  );
});

test('delete asks first: someone else is refused, Cancel and expired buttons keep it, Delete deletes it', async () => {
  const [a, b] = seedVideos(alice, 'Keep A', 'Keep B');
  assert.ok(a && b);
  const doomed = google.addPlaylist(alice, { title: 'Doomed', videoIds: [a.id, b.id] });
  const ask = async () => {
    const reply = await run(ALICE, 'delete', [
      str('playlist', `https://www.youtube.com/playlist?list=${doomed.id}`),
    ]);
    assert.match(
      reply.content,
      /^Delete the playlist \*\*Doomed\*\* \(2 videos\)\? The videos stay on YouTube/,
    );
    const [yes, no] = buttons(reply);
    assert.equal(yes?.label, 'Delete playlist');
    assert.equal(no?.label, 'Cancel');
    assert.match(yes?.custom_id ?? '', new RegExp(`^playlist:confirm:yes:deletem:${doomed.id}:${ALICE.id}:`));
    assert.ok((yes?.custom_id ?? '').length <= 100);
    return { reply, yes: yes?.custom_id ?? '', no: no?.custom_id ?? '' };
  };
  const stillThere = () => {
    assert.ok(google.playlists.has(doomed.id), 'the playlist is still on YouTube');
    assert.deepEqual(videoIds(doomed), [a.id, b.id]);
  };

  // Pressed by someone else.
  const first = await ask();
  const other = await press(BOB, first.reply, first.yes).response();
  assert.equal(other.type, 4);
  assert.equal(
    other.data?.content,
    'Only the member who asked to delete this playlist can press these buttons.',
  );
  assert.equal((other.data?.flags ?? 0) & 64, 64);
  stillThere();

  // Cancelled.
  const cancel = press(ALICE, first.reply, first.no);
  assert.equal((await cancel.response()).type, 7, 'the confirmation itself is updated');
  const cancelled = await cancel.waitForOriginal((m) => m.content.startsWith('Cancelled'));
  assert.equal(cancelled.content, 'Cancelled — nothing was deleted.');
  assert.deepEqual(cancelled.components, []);
  stillThere();

  // Expired: pressed 61 seconds later.
  const second = await ask();
  mock.timers.enable({ apis: ['Date'], now: Date.now() + 61_000 });
  try {
    const late = press(ALICE, second.reply, second.yes);
    const expired = await late.waitForOriginal((m) => m.content.startsWith('These buttons'));
    assert.match(expired.content, /^These buttons expired — nothing was deleted\./);
    assert.deepEqual(expired.components, []);
  } finally {
    mock.timers.reset();
  }
  stillThere();

  // The cached playlists offer it until it is gone.
  assert.ok((await choices(ALICE, 'delete', 'doom')).some((c) => c.value === doomed.id));

  // Pressed in time by the member who asked.
  const third = await ask();
  const yes = press(ALICE, third.reply, third.yes);
  const deleted = await yes.waitForOriginal((m) => m.content.startsWith('Deleted'), 10_000);
  assert.equal(
    deleted.content,
    'Deleted the playlist **Doomed** (2 videos). The videos are still on YouTube.',
  );
  assert.deepEqual(deleted.components, []);
  assert.equal(google.playlists.has(doomed.id), false);
  assert.equal([...google.playlistItems.values()].filter((i) => i.playlistId === doomed.id).length, 0);
  assert.ok(google.videos.has(a.id) && google.videos.has(b.id), 'the videos stay');
  assert.ok(
    !(await choices(ALICE, 'delete', 'doom')).some((c) => c.value === doomed.id),
    'the cache was dropped',
  );

  // A playlist of another channel never gets a Delete button.
  const theirs = google.addPlaylist(bob, { title: 'Not yours' });
  await refused(ALICE, 'delete', [str('playlist', theirs.id)], 'playlistForbidden');
  assert.ok(google.playlists.has(theirs.id));
});

test('list: title, item count, privacy and link, 10 a page, paged with YouTube page tokens', async () => {
  const [v] = seedVideos(dave, 'Dave video');
  assert.ok(v);
  for (let i = 1; i <= 23; i++)
    google.addPlaylist(dave, {
      title: `Mix ${String(i).padStart(2, '0')}`,
      privacyStatus: i % 3 === 0 ? 'private' : 'public',
      videoIds: Array.from({ length: i % 4 }, () => v.id),
    });
  // YouTube lists newest first.
  const expected = (from: number, to: number) => {
    const lines: string[] = [];
    for (let i = from; i >= to; i--) {
      const p = [...google.playlists.values()].find(
        (x) => x.snippet.title === `Mix ${String(i).padStart(2, '0')}`,
      );
      assert.ok(p);
      const n = i % 4;
      lines.push(
        `[Mix ${String(i).padStart(2, '0')}](https://www.youtube.com/playlist?list=${p.id}) — ${n} video${n === 1 ? '' : 's'} · ${p.status.privacyStatus}`,
      );
    }
    return lines.join('\n');
  };

  const first = await run(DAVE, 'list');
  assert.equal(first.embeds[0]?.title, 'Your playlists');
  assert.equal(first.embeds[0]?.description, expected(23, 14));
  assert.equal(first.embeds[0]?.footer?.text, 'Page 1 of 3 · 23 playlists');
  let [prev, next] = buttons(first);
  assert.equal(prev?.disabled, true, 'no previous page');
  assert.equal(next?.disabled, false);

  const turn = async (message: FakeMessage, button: FakeComponent | undefined, page: string) => {
    const interaction = press(DAVE, message, button?.custom_id ?? '');
    assert.equal((await interaction.response()).type, 6, 'acknowledged as an update of the same message');
    return interaction.waitForOriginal((m) => m.embeds[0]?.footer?.text?.startsWith(page) ?? false);
  };
  const second = await turn(first, next, 'Page 2 of 3');
  assert.equal(second.id, first.id);
  assert.equal(second.embeds[0]?.description, expected(13, 4));
  next = buttons(second)[1];
  const third = await turn(second, next, 'Page 3 of 3');
  assert.equal(third.embeds[0]?.description, expected(3, 1));
  [prev, next] = buttons(third);
  assert.equal(next?.disabled, true, 'no next page');
  const back = await turn(third, prev, 'Page 2 of 3');
  assert.equal(back.embeds[0]?.description, expected(13, 4));

  const empty = await run(CAROL, 'list');
  assert.equal(empty.content, 'You have no playlists yet. Create one with /playlist create.');
});

test('show: entries with 1-based positions, titles and links, paged; private playlists of others are refused', async () => {
  const videos = seedVideos(alice, ...Array.from({ length: 12 }, (_, i) => `Clip ${i + 1}`));
  const reel = google.addPlaylist(alice, { title: 'Reel', videoIds: videos.map((v) => v.id) });
  const line = (i: number) => `**${i}.** [Clip ${i}](https://youtu.be/${videos[i - 1]?.id})`;

  const first = await run(ALICE, 'show', [
    str('playlist', `https://www.youtube.com/watch?v=${videos[0]?.id}&list=${reel.id}`),
  ]);
  assert.equal(first.embeds[0]?.title, 'Reel');
  assert.equal(first.embeds[0]?.url, `https://www.youtube.com/playlist?list=${reel.id}`);
  assert.equal(first.embeds[0]?.description, Array.from({ length: 10 }, (_, i) => line(i + 1)).join('\n'));
  assert.equal(first.embeds[0]?.footer?.text, 'Page 1 of 2 · 12 videos');
  const next = buttons(first)[1];
  assert.match(next?.custom_id ?? '', new RegExp(`^playlist:page:n:show:${reel.id}:1:`));
  const turned = press(ALICE, first, next?.custom_id ?? '');
  const second = await turned.waitForOriginal((m) => m.embeds[0]?.footer?.text === 'Page 2 of 2 · 12 videos');
  assert.equal(second.embeds[0]?.description, [line(11), line(12)].join('\n'));

  // Move then show: positions are YouTube's.
  await run(ALICE, 'move', [
    str('video', videos[11]?.id ?? ''),
    str('playlist', reel.id),
    int('position', 1),
  ]);
  const moved = await run(ALICE, 'show', [str('playlist', reel.id)]);
  assert.match(
    moved.embeds[0]?.description ?? '',
    new RegExp(
      `^\\*\\*1\\.\\*\\* \\[Clip 12\\]\\(https://youtu\\.be/${videos[11]?.id}\\)\n\\*\\*2\\.\\*\\* \\[Clip 1\\]`,
    ),
  );

  const empty = google.addPlaylist(alice, { title: 'Empty one' });
  assert.equal(
    (await run(ALICE, 'show', [str('playlist', empty.id)])).content,
    '**Empty one** has no videos yet. Add one with /playlist add.',
  );

  const secret = google.addPlaylist(bob, { title: 'Secret', privacyStatus: 'private' });
  await refused(ALICE, 'show', [str('playlist', secret.id)], 'playlistItemsNotAccessible');
});

test("autocomplete: the member's playlists by title, at most 25, filtered; from the cache when YouTube is slow", async () => {
  for (let i = 1; i <= 30; i++) google.addPlaylist(carol, { title: `Carol set ${i}` });
  const all = await choices(CAROL, 'show', '');
  assert.equal(all.length, 25, 'Discord takes at most 25');
  const twenties = await choices(CAROL, 'add', 'SET 2');
  assert.deepEqual(
    twenties.map((c) => c.name).sort(),
    ['Carol set 2', ...Array.from({ length: 10 }, (_, i) => `Carol set ${20 + i}`)].sort(),
  );
  assert.ok(
    twenties.every((c) => google.playlists.get(c.value)?.snippet.title === c.name),
    'values are playlist ids',
  );

  // A minute later the cache is stale and YouTube takes 2.5 s: the answer comes from the cache in time.
  const lists = apiRequests('GET');
  google.fail({ method: 'GET', path: /^\/youtube\/v3\/playlists$/ }, { delayMs: 2500 });
  mock.timers.enable({ apis: ['Date'], now: Date.now() + 61_000 });
  try {
    const stale = await choices(CAROL, 'edit', 'set 3', 2900);
    assert.deepEqual(stale.map((c) => c.name).sort(), ['Carol set 3', 'Carol set 30'].sort());
  } finally {
    mock.timers.reset();
  }
  assert.ok(apiRequests('GET') > lists, 'it did ask YouTube, to refresh the cache');
  await new Promise((resolve) => setTimeout(resolve, 800)); // let the slow refresh land
});

test('every YouTube error is one sentence: quota, forbidden, missing video or playlist, not accessible', async () => {
  const [v] = seedVideos(alice, 'Errors video');
  assert.ok(v);
  const list = google.addPlaylist(alice, { title: 'Errors' });

  const used = google.quotaLimit.units;
  google.quotaLimit.units = google.quotaUsed.units;
  try {
    await refused(ALICE, 'add', [str('video', v.id), str('playlist', list.id)], 'quotaExceeded');
    await refused(ALICE, 'list', [], 'quotaExceeded');
  } finally {
    google.quotaLimit.units = used;
  }

  google.fail(
    { method: 'POST', path: /^\/youtube\/v3\/playlistItems$/ },
    { status: 403, reason: 'forbidden' },
  );
  const inserts = () =>
    google.requests.filter((r) => r.method === 'POST' && r.path === '/youtube/v3/playlistItems').length;
  const sent = inserts();
  await refused(ALICE, 'add', [str('video', v.id), str('playlist', list.id)], 'forbidden');
  assert.equal(inserts(), sent + 1, 'a refusal is not sent again (it would cost another 50 units)');
  await refused(ALICE, 'add', [str('video', 'AAAAAAAAAAA'), str('playlist', list.id)], 'videoNotFound');
  await refused(
    ALICE,
    'add',
    [str('video', v.id), str('playlist', 'PLnosuchplaylist000000000000000000')],
    'playlistNotFound',
  );
  await refused(
    ALICE,
    'remove',
    [str('video', v.id), str('playlist', 'PLnosuchplaylist000000000000000000')],
    'playlistNotFound',
  );
  await refused(ALICE, 'show', [str('playlist', 'PLnosuchplaylist000000000000000000')], 'playlistNotFound');
  await refused(ALICE, 'delete', [str('playlist', 'PLnosuchplaylist000000000000000000')], 'playlistNotFound');
  assert.deepEqual(videoIds(list), [], 'nothing was added');

  const theirs = google.addPlaylist(bob, { title: "Bob's", videoIds: [v.id] });
  await refused(ALICE, 'add', [str('video', v.id), str('playlist', theirs.id)], 'playlistItemsNotAccessible');
  await refused(
    ALICE,
    'remove',
    [str('video', v.id), str('playlist', theirs.id)],
    'playlistItemsNotAccessible',
  );
  assert.deepEqual(videoIds(theirs), [v.id], "Bob's playlist is untouched");

  const uploads = `UU${alice.channel?.id.slice(2)}`;
  await refused(ALICE, 'add', [str('video', v.id), str('playlist', uploads)], 'playlistOperationUnsupported');
});

test('an expired Google grant is one sentence that points at /link', async () => {
  const [v] = seedVideos(carol, 'Carol video');
  assert.ok(v);
  const list = google.addPlaylist(carol, { title: 'Carol list' });
  google.revokeAll(carol); // its refresh tokens now give invalid_grant, its access tokens 401
  for (const sub of ['add', 'list'] as const) {
    const reply = await run(CAROL, sub, sub === 'add' ? [str('video', v.id), str('playlist', list.id)] : []);
    assert.equal(reply.content, 'Your Google link expired — run /link to connect again.');
  }
  assert.deepEqual(videoIds(list), []);
});

test('anything but an id or link is one sentence with an example, and YouTube is not asked', async () => {
  const before = apiRequests();
  const badVideo = await run(ALICE, 'add', [
    str('video', 'my cat video'),
    str('playlist', 'PLabcdefghijklmnop'),
  ]);
  assert.equal(
    badVideo.content,
    'I could not find a YouTube video in "my cat video". Give a video id like dQw4w9WgXcQ or a link like https://youtu.be/dQw4w9WgXcQ.',
  );
  const badPlaylist = await run(ALICE, 'show', [str('playlist', 'Holiday clips')]);
  assert.match(
    badPlaylist.content,
    /^I could not find a YouTube playlist in "Holiday clips"\. Give a playlist picked from the list, its id \(PL…\), or a link like https:\/\/www\.youtube\.com\/playlist\?list=PL…\.$/,
  );
  const notYouTube = await run(ALICE, 'remove', [
    str('video', 'https://vimeo.com/123456789'),
    str('playlist', 'PLabcdefghijklmnop'),
  ]);
  assert.match(notYouTube.content, /^I could not find a YouTube video/);
  const otherSite = await run(ALICE, 'delete', [
    str('playlist', 'https://evil.example/playlist?list=PLabcdefghijklmnop'),
  ]);
  assert.match(otherSite.content, /^I could not find a YouTube playlist/);
  assert.equal(apiRequests(), before, 'no request reached YouTube');
});

test("show: YouTube's ~190-character page tokens stay in the store, the custom_id carries a short key; a press after 15 minutes is one sentence", async () => {
  const videos = seedVideos(bob, ...Array.from({ length: 25 }, (_, i) => `Long ${i + 1}`));
  const long = google.addPlaylist(bob, { title: 'Long list', videoIds: videos.map((v) => v.id) });
  const tokens = bot.app.ctx.store.collection<string>('page-token');
  const keyOf = (button: FakeComponent | undefined) => (button?.custom_id ?? '').split(':').pop() ?? '';

  const first = await run(BOB, 'show', [str('playlist', long.id)]);
  assert.equal(first.embeds[0]?.footer?.text, 'Page 1 of 3 · 25 videos');
  const next = buttons(first)[1];
  assert.ok((next?.custom_id ?? '').length <= 100, 'a custom_id Discord accepts');
  const token = await tokens.get(keyOf(next));
  assert.ok(token && token.length >= 190, `the stored token is YouTube's (${token?.length} characters)`);
  assert.ok(
    !(next?.custom_id ?? '').includes(token.slice(0, 20)),
    'the token itself is not in the custom_id',
  );

  const pressed = press(BOB, first, next?.custom_id ?? '');
  assert.equal((await pressed.response()).type, 6);
  const second = await pressed.waitForOriginal(
    (m) => m.embeds[0]?.footer?.text === 'Page 2 of 3 · 25 videos',
  );
  assert.match(second.embeds[0]?.description ?? '', /^\*\*11\.\*\* \[Long 11\]/);
  const [prev] = buttons(second);
  assert.ok(((await tokens.get(keyOf(prev))) ?? '').length >= 190, 'prevPageToken kept the same way');
  const back = press(BOB, second, prev?.custom_id ?? '');
  const again = await back.waitForOriginal((m) => m.embeds[0]?.footer?.text === 'Page 1 of 3 · 25 videos');
  assert.match(again.embeds[0]?.description ?? '', /^\*\*1\.\*\* \[Long 1\]/);

  // Pressed 16 minutes later: the key has expired with Discord's interaction lifetime.
  const shown = buttons(again)[1];
  const edits = discord.message(again.id)?.edits;
  mock.timers.enable({ apis: ['Date'], now: Date.now() + 16 * 60_000 });
  try {
    const late = await press(BOB, again, shown?.custom_id ?? '').response();
    assert.equal(late.type, 4);
    assert.equal(late.data?.content, 'These buttons expired — run the command again.');
    assert.equal((late.data?.flags ?? 0) & 64, 64);
  } finally {
    mock.timers.reset();
  }
  assert.equal(discord.message(again.id)?.edits, edits, 'the list stays as it was');
});

test('list: page tokens longer than a custom_id turn pages both ways', async () => {
  const ERIN: FakeUser = { id: '700000000000000055', username: 'erin' };
  const erin = google.addAccount({ email: 'erin@example.com', channel: { title: 'Erin' } });
  await linkMember(discord, google, ERIN, erin, GUILD);
  for (let i = 1; i <= 12; i++) google.addPlaylist(erin, { title: `Set ${i}` });
  const first = await run(ERIN, 'list');
  assert.equal(first.embeds[0]?.footer?.text, 'Page 1 of 2 · 12 playlists');
  const next = buttons(first)[1];
  const key = (next?.custom_id ?? '').split(':').pop() ?? '';
  const token = await bot.app.ctx.store.collection<string>('page-token').get(key);
  assert.ok(token && token.length > 100, 'a token no custom_id could carry');
  const turned = press(ERIN, first, next?.custom_id ?? '');
  const second = await turned.waitForOriginal(
    (m) => m.embeds[0]?.footer?.text?.startsWith('Page 2') ?? false,
  );
  const back = press(ERIN, second, buttons(second)[0]?.custom_id ?? '');
  await back.waitForOriginal((m) => m.embeds[0]?.footer?.text?.startsWith('Page 1') ?? false);
});
