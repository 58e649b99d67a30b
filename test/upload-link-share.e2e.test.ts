// An upload link never used gives the member's daily share back: no YouTube session was ever asked
// for it, so it must not cost one of the member's uploads of the day (UPLOAD_DAILY_PER_MEMBER).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeDiscord, type FakeUser } from './fakes/discord.ts';
import { FakeGoogle, type FakeAccount } from './fakes/google.ts';
import { startTestApp, type TestApp } from './support/app.ts';
import { freePort } from './support/bot.ts';
import { linkMember } from './support/link.ts';
import { waitFor } from './fakes/http.ts';

const GUILD = '800000000000000121';
const CHANNEL = '900000000000000121';
const CAROL: FakeUser = { id: '700000000000000121', username: 'carol' };

let discord: FakeDiscord;
let google: FakeGoogle;
let bot: TestApp;
let account: FakeAccount;

before(async () => {
  discord = await FakeDiscord.start({
    guilds: [
      { id: GUILD, name: 'Links', ownerId: CAROL.id, channels: [{ id: CHANNEL, name: 'videos', type: 0 }] },
    ],
  });
  const port = await freePort();
  google = await FakeGoogle.start({ redirectUris: [`http://127.0.0.1:${port}/oauth/callback`] });
  bot = await startTestApp(discord, google, {
    env: {
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      HTTP_PORT: String(port),
      UPLOAD_DAILY_PER_MEMBER: '1',
      // The shortest link life the config allows: the unused link expires within the test.
      UPLOAD_LINK_TTL_SECONDS: '10',
    },
  });
  account = google.addAccount({ email: 'carol@example.com', channel: { title: 'Carol' } });
  await linkMember(discord, google, CAROL, account, GUILD);
});

after(async () => {
  await bot.stop();
  await discord.close();
  await google.close();
});

/** /upload without a file: the first thing Carol reads (a link to the page, or a refusal). */
async function askForPage() {
  const interaction = discord.sendCommand({
    name: 'upload',
    user: CAROL,
    guildId: GUILD,
    channelId: CHANNEL,
    options: [],
  });
  const reply = await interaction.waitForOriginal((m) => (m.content ?? '') !== '', 20_000);
  const button = (reply.components as { components: { label?: string }[] }[] | undefined)?.[0]?.components[0];
  return { interaction, content: reply.content ?? '', label: button?.label };
}

test('an upload link that expires unused gives its daily upload back', async () => {
  const first = await askForPage();
  assert.equal(first.label, 'Choose the video', 'the first link of the day');
  // Her one upload of the day is counted while the link waits: a second is refused.
  const refused = await askForPage();
  assert.match(refused.content, /^You have started 1 upload today/);
  assert.equal(refused.label, undefined, 'no link');
  await first.interaction.waitForOriginal((m) => /link expired/i.test(m.content ?? ''), 60_000);
  // The message comes first, then the record and the share given back; the end is logged after both.
  await waitFor(
    () =>
      bot.logs.some((l) => l['msg'] === 'upload finished' && l['status'] === 'cancelled') ? true : undefined,
    'the expired upload to be ended and its share given back',
    20_000,
  );
  // Nothing reached YouTube, so the upload is hers again: a new link.
  const again = await askForPage();
  assert.equal(again.label, 'Choose the video', `a new link after the expiry, not: ${again.content}`);
  assert.equal(google.sessions.size, 0, 'no YouTube session was ever asked for');
});
