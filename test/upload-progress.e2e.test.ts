// Where progress is shown when an upload outlives its interaction token (15 minutes in Discord;
// shortened here through the app's tuning), and when Discord says the token is already dead.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeDiscord, type FakeUser } from './fakes/discord.ts';
import { FakeGoogle, type FakeAccount } from './fakes/google.ts';
import { waitFor } from './fakes/http.ts';
import { startTestApp, type TestApp } from './support/app.ts';
import { freePort } from './support/bot.ts';
import { linkMember } from './support/link.ts';
import { MiB, mp4Bytes, sha256 } from './support/media.ts';

const GUILD = '800000000000000041';
const CHANNEL = '900000000000000041';
const ALICE: FakeUser = { id: '700000000000000041', username: 'alice' };

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
    options: [{ type: 11, name: 'file', value: file.id }],
  });
}

const webhookEdits = (token: string) =>
  discord.calls.filter(
    (c) =>
      c.service === 'rest' &&
      c.method === 'PATCH' &&
      c.path.includes(`/webhooks/${discord.applicationId}/${token}/`),
  );

test('before the token expires, progress moves to a channel message the bot edits with its own token', async () => {
  await withApp(400, async () => {
    google.upload.throttleBytesPerSec = MiB;
    const data = mp4Bytes(2 * MiB, 21);
    const interaction = upload('long.mp4', data);
    const pointer = await interaction.waitForOriginal(
      (m) => /Progress continues here/.test(m.content ?? ''),
      10_000,
    );
    const link = /https:\/\/discord\.com\/channels\/(\d+)\/(\d+)\/(\d+)/.exec(pointer.content ?? '');
    assert.ok(link, pointer.content);
    assert.equal(link[1], GUILD);
    assert.equal(link[2], CHANNEL);
    const editsAtMove = webhookEdits(interaction.token).length;

    google.upload.throttleBytesPerSec = null;
    const moved = await waitFor(
      () => {
        const message = discord.channelMessages(CHANNEL).find((m) => m.id === link[3]);
        return message && /is on YouTube/.test(message.content ?? '') ? message : undefined;
      },
      'the channel message to show the result',
      20_000,
    );
    assert.match(moved.content ?? '', new RegExp(`^<@${ALICE.id}>'s upload — `));
    assert.ok((moved.edits ?? 0) >= 1, 'edited in place, not re-posted');
    assert.equal(
      webhookEdits(interaction.token).length,
      editsAtMove,
      'the interaction token is no longer used',
    );
    assert.ok([...google.videos.values()].some((v) => v.sha256 === sha256(data)));
  });
});

test('when the bot cannot post in the channel, progress continues in a DM', async () => {
  await withApp(300, async () => {
    discord.setChannelPermissionDenied(CHANNEL, true);
    try {
      google.upload.throttleBytesPerSec = MiB;
      const data = mp4Bytes(MiB + 4096, 22);
      const interaction = upload('dm.mp4', data);
      const pointer = await interaction.waitForOriginal(
        (m) => /Progress continues in your DMs/.test(m.content ?? ''),
        10_000,
      );
      assert.match(pointer.content ?? '', /discord\.com\/channels\/@me\//);
      google.upload.throttleBytesPerSec = null;
      const dm = await waitFor(
        () => discord.dmMessages(ALICE.id).find((m) => /is on YouTube/.test(m.content ?? '')),
        'the DM to show the result',
        20_000,
      );
      assert.doesNotMatch(dm.content ?? '', /<@/, 'no mention needed in a DM');
    } finally {
      discord.setChannelPermissionDenied(CHANNEL, false);
    }
  });
});

test('when Discord says the token is dead, the bot stops using it at once and moves the progress', async () => {
  await withApp(14 * 60 * 1000, async () => {
    google.upload.throttleBytesPerSec = MiB;
    const data = mp4Bytes(2 * MiB, 23);
    const earlier = new Set(discord.channelMessages(CHANNEL).map((m) => m.id));
    const interaction = upload('dead.mp4', data);
    await interaction.waitForOriginal((m) => /Uploading/.test(m.content ?? ''), 10_000);
    discord.advanceTime(15 * 60 * 1000 + 1000); // the fake's token lifetime has passed
    const moved = await waitFor(
      () =>
        discord
          .channelMessages(CHANNEL)
          .find((m) => !earlier.has(m.id) && m.content?.includes("'s upload — ") && !m.webhook_id),
      'a channel message',
      10_000,
    );
    google.upload.throttleBytesPerSec = null;
    await waitFor(
      () => (/is on YouTube/.test(discord.message(moved.id)?.content ?? '') ? true : undefined),
      'the result in the channel message',
      20_000,
    );
    const refused = webhookEdits(interaction.token).filter((c) => c.status === 401);
    assert.equal(refused.length, 1, 'exactly one request with the dead token');
  });
});
