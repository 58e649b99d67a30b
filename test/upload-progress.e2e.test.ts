// Where progress is shown when an upload outlives its interaction token (15 minutes in Discord;
// shortened here through the app's tuning), and when Discord says the token is already dead: the
// member's DM, never a public channel message with the video's title, link or privacy.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeDiscord, type FakeMessage, type FakeUser, type InteractionHandle } from './fakes/discord.ts';
import { FakeGoogle, type FakeAccount } from './fakes/google.ts';
import { waitFor } from './fakes/http.ts';
import { startTestApp, type TestApp } from './support/app.ts';
import { freePort } from './support/bot.ts';
import { linkMember } from './support/link.ts';
import { MiB, mp4Bytes, sha256 } from './support/media.ts';

const GUILD = '800000000000000041';
const CHANNEL = '900000000000000041';
const ALICE: FakeUser = { id: '700000000000000041', username: 'alice' };
const BOB: FakeUser = { id: '700000000000000042', username: 'bob' };
const TITLE = 'Secret Cabin Tour';

let discord: FakeDiscord;
let google: FakeGoogle;
let account: FakeAccount;
let port: number;

before(async () => {
  discord = await FakeDiscord.start({
    guilds: [
      {
        id: GUILD,
        name: 'Long uploads',
        ownerId: ALICE.id,
        channels: [{ id: CHANNEL, name: 'videos', type: 0 }],
      },
    ],
  });
  port = await freePort();
  google = await FakeGoogle.start({ redirectUris: [`http://127.0.0.1:${port}/oauth/callback`] });
  account = google.addAccount({ email: 'alice@example.com', channel: { title: 'Alice Long' } });
});

after(async () => {
  await discord.close();
  await google.close();
});

async function withApp(replyLifetimeMs: number, run: (bot: TestApp) => Promise<void>): Promise<void> {
  const bot = await startTestApp(discord, google, {
    tuning: { replyLifetimeMs, progressIntervalMs: 100 },
    env: { PUBLIC_URL: `http://127.0.0.1:${port}`, HTTP_PORT: String(port) },
  });
  try {
    await linkMember(discord, google, ALICE, account, GUILD);
    await run(bot);
  } finally {
    google.upload.throttleBytesPerSec = null;
    discord.setDmsClosed(ALICE.id, false);
    await bot.stop();
  }
}

function upload(filename: string, data: Buffer) {
  const file = discord.addAttachment({ filename, data, channelId: CHANNEL });
  return discord.sendCommand({
    name: 'upload',
    user: ALICE,
    guildId: GUILD,
    channelId: CHANNEL,
    attachments: [file],
    options: [
      { type: 11, name: 'file', value: file.id },
      { type: 3, name: 'title', value: TITLE },
      { type: 3, name: 'privacy', value: 'unlisted' },
    ],
  });
}

const webhookEdits = (token: string) =>
  discord.calls.filter(
    (c) =>
      c.service === 'rest' &&
      c.method === 'PATCH' &&
      c.path.includes(`/webhooks/${discord.applicationId}/${token}/`),
  );

/** The bot's messages in the public channel since `earlier` (a set of ids), edits included. */
const newChannelMessages = (earlier: Set<string>) =>
  discord.channelMessages(CHANNEL).filter((m) => !earlier.has(m.id));

/** Nothing that identifies the video — title, file name, link, privacy — in any of these messages. */
function assertNothingAboutTheVideo(messages: FakeMessage[], filename: string): void {
  for (const m of messages) {
    const seen = JSON.stringify({ content: m.content, embeds: m.embeds, components: m.components });
    for (const secret of [TITLE, filename, 'youtu', 'unlisted', 'privacy'])
      assert.ok(!seen.includes(secret), `a channel message shows "${secret}": ${seen}`);
  }
}

/** Every body the bot sent to the public channel (posts and edits), so an edit later undone still counts. */
const channelBodies = () =>
  discord.calls.filter(
    (c) => c.service === 'rest' && c.path.startsWith(`/channels/${CHANNEL}/messages`) && c.body !== undefined,
  );

const videoUploaded = (data: Buffer) => [...google.videos.values()].some((v) => v.sha256 === sha256(data));

const buttonOf = (m: FakeMessage | undefined, prefix: string) =>
  (m?.components as { components?: { custom_id?: string }[] }[] | undefined)
    ?.flatMap((row) => row.components ?? [])
    .find((b) => b.custom_id?.startsWith(prefix))?.custom_id;

test('after the reply lifetime the progress continues in the member’s DM; nothing about the video reaches the channel', async () => {
  await withApp(400, async () => {
    google.upload.throttleBytesPerSec = MiB;
    const data = mp4Bytes(2 * MiB, 21);
    const earlier = new Set(discord.channelMessages(CHANNEL).map((m) => m.id));
    const bodiesBefore = channelBodies().length;
    const interaction = upload('cabin_long.mp4', data);
    const pointer = await interaction.waitForOriginal(
      (m) => /Progress continues in your DMs/.test(m.content ?? ''),
      10_000,
    );
    const link = /https:\/\/discord\.com\/channels\/@me\/(\d+)\/(\d+)/.exec(pointer.content ?? '');
    assert.ok(link, pointer.content);
    const editsAtMove = webhookEdits(interaction.token).length;

    google.upload.throttleBytesPerSec = null;
    const dm = await waitFor(
      () => {
        const message = discord.dmMessages(ALICE.id).find((m) => m.id === link[2]);
        return message && /is on YouTube/.test(message.content ?? '') ? message : undefined;
      },
      'the DM to show the result',
      20_000,
    );
    assert.match(dm.content ?? '', new RegExp(TITLE));
    assert.match(dm.content ?? '', /youtu\.be\//);
    assert.doesNotMatch(dm.content ?? '', /<@/, 'no mention needed in a DM');
    assert.ok((dm.edits ?? 0) >= 1, 'edited in place, not re-posted');
    assert.equal(
      webhookEdits(interaction.token).length,
      editsAtMove,
      'the interaction token is no longer used',
    );
    assert.ok(videoUploaded(data));
    assert.deepEqual(newChannelMessages(earlier), [], 'no channel message at all');
    assert.equal(channelBodies().length, bodiesBefore, 'nothing was sent to the channel');
  });
});

test('with DMs closed: one channel notice, without title or link, mentions only the member; the result stays private', async () => {
  await withApp(400, async () => {
    discord.setDmsClosed(ALICE.id, true);
    google.upload.throttleBytesPerSec = MiB;
    const data = mp4Bytes(2 * MiB, 22);
    const earlier = new Set(discord.channelMessages(CHANNEL).map((m) => m.id));
    const dmsBefore = discord.dmMessages(ALICE.id).length;
    const bodiesBefore = channelBodies().length;
    const interaction = upload('cabin_closed.mp4', data);
    const pointer = await interaction.waitForOriginal(
      (m) => /cannot send you a DM/.test(m.content ?? ''),
      10_000,
    );
    assert.ok(buttonOf(pointer, 'upload:show:'), 'the private reply offers the Show button too');
    const notice = await waitFor(() => newChannelMessages(earlier)[0], 'the channel notice', 10_000);
    assert.match(
      notice.content ?? '',
      new RegExp(`^<@${ALICE.id}>, your upload continues — open your DMs to see it`),
    );
    const posted = channelBodies().slice(bodiesBefore);
    assert.equal(posted.filter((c) => c.method === 'POST').length, 1, 'one notice');
    assert.deepEqual((posted[0]?.body as { allowed_mentions?: unknown }).allowed_mentions, {
      parse: [],
      users: [ALICE.id],
    });

    google.upload.throttleBytesPerSec = null;
    await waitFor(
      () =>
        videoUploaded(data) && /finished/.test(discord.message(notice.id)?.content ?? '') ? true : undefined,
      'the notice to say the upload finished',
      20_000,
    );
    const messages = newChannelMessages(earlier);
    assert.equal(messages.length, 1, 'exactly one channel message');
    assert.match(messages[0]?.content ?? '', new RegExp(`^<@${ALICE.id}>, your upload has finished`));
    assertNothingAboutTheVideo(messages, 'cabin_closed.mp4');
    for (const call of channelBodies().slice(bodiesBefore))
      for (const secret of [TITLE, 'youtu', 'unlisted'])
        assert.ok(
          !JSON.stringify(call.body).includes(secret),
          `sent to the channel: ${JSON.stringify(call.body)}`,
        );
    assert.equal(discord.dmMessages(ALICE.id).length, dmsBefore, 'the DMs were closed');

    // The result, privately: the notice's button answers only the uploader, ephemerally.
    const show = buttonOf(messages[0], 'upload:show:');
    assert.ok(show);
    const press = (user: FakeUser) =>
      discord.sendButton({
        customId: show,
        user,
        guildId: GUILD,
        channelId: CHANNEL,
        message: { id: notice.id, channelId: CHANNEL },
      });
    const mine = await press(ALICE).response();
    assert.equal(mine.type, 4);
    assert.equal((mine.data?.flags ?? 0) & 64, 64, 'ephemeral');
    assert.match(mine.data?.content ?? '', new RegExp(`${TITLE}.*youtu\\.be/`, 's'));
    const theirs = await press(BOB).response();
    assert.equal((theirs.data?.flags ?? 0) & 64, 64);
    assert.equal(theirs.data?.content, 'Only the member who started this upload can see it.');
  });
});

test('DMs opened after the notice: the result goes to the DM and the notice says so, still without a link', async () => {
  await withApp(400, async () => {
    discord.setDmsClosed(ALICE.id, true);
    google.upload.throttleBytesPerSec = MiB;
    const data = mp4Bytes(2 * MiB, 24);
    const earlier = new Set(discord.channelMessages(CHANNEL).map((m) => m.id));
    upload('cabin_reopen.mp4', data);
    const notice = await waitFor(() => newChannelMessages(earlier)[0], 'the channel notice', 10_000);
    discord.setDmsClosed(ALICE.id, false);
    google.upload.throttleBytesPerSec = null;
    const dm = await waitFor(
      () => discord.dmMessages(ALICE.id).find((m) => /is on YouTube/.test(m.content ?? '')),
      'the result in the DM',
      20_000,
    );
    assert.match(dm.content ?? '', new RegExp(TITLE));
    const edited = await waitFor(
      () =>
        /finished/.test(discord.message(notice.id)?.content ?? '') ? discord.message(notice.id) : undefined,
      'the notice to be updated',
    );
    assert.match(edited.content ?? '', /the result is in your DMs/);
    assert.equal(newChannelMessages(earlier).length, 1);
    assertNothingAboutTheVideo(newChannelMessages(earlier), 'cabin_reopen.mp4');
  });
});

test('Cancel works from the DM', async () => {
  // The reply hands over at once, so the DM (and its Cancel button) exists for the whole upload.
  await withApp(1, async () => {
    google.upload.throttleBytesPerSec = 512 * 1024;
    const data = mp4Bytes(4 * MiB, 25);
    const dmsBefore = new Set(discord.dmMessages(ALICE.id).map((m) => m.id));
    const interaction: InteractionHandle = upload('cabin_cancel.mp4', data);
    await interaction.waitForOriginal((m) => /Progress continues in your DMs/.test(m.content ?? ''), 10_000);
    const dm = await waitFor(
      () => discord.dmMessages(ALICE.id).find((m) => !dmsBefore.has(m.id) && buttonOf(m, 'upload:cancel:')),
      'the DM with its Cancel button',
    );
    const press = discord.sendButton({
      customId: buttonOf(dm, 'upload:cancel:') ?? '',
      user: ALICE,
      guildId: null,
      channelId: dm.channel_id,
      message: { id: dm.id, channelId: dm.channel_id },
    });
    assert.equal((await press.response()).type, 6, 'acknowledged as an update');
    await waitFor(
      () => (/Cancelled/.test(discord.message(dm.id)?.content ?? '') ? true : undefined),
      'the DM to say it was cancelled',
      10_000,
    );
    assert.ok(!videoUploaded(data), 'no video');
  });
});

// Last: it moves the fake's clock forward for the rest of the suite.
test('when Discord says the token is dead, the bot stops using it at once and moves the progress to the DM', async () => {
  await withApp(14 * 60 * 1000, async () => {
    google.upload.throttleBytesPerSec = MiB;
    const data = mp4Bytes(6 * MiB, 23); // more than loopback's socket buffers take at once
    const earlier = new Set(discord.channelMessages(CHANNEL).map((m) => m.id));
    const dmsBefore = new Set(discord.dmMessages(ALICE.id).map((m) => m.id));
    const interaction = upload('cabin_dead.mp4', data);
    await interaction.waitForOriginal((m) => /Uploading|Finishing/.test(m.content ?? ''), 10_000);
    discord.advanceTime(15 * 60 * 1000 + 1000); // the fake's token lifetime has passed
    const moved = await waitFor(
      () => discord.dmMessages(ALICE.id).find((m) => !dmsBefore.has(m.id)),
      'a DM',
      10_000,
    );
    google.upload.throttleBytesPerSec = null;
    await waitFor(
      () => (/is on YouTube/.test(discord.message(moved.id)?.content ?? '') ? true : undefined),
      'the result in the DM',
      20_000,
    );
    const refused = webhookEdits(interaction.token).filter((c) => c.status === 401);
    assert.equal(refused.length, 1, 'exactly one request with the dead token');
    assert.deepEqual(newChannelMessages(earlier), []);
  });
});
