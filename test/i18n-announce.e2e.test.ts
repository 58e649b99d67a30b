// Issue #13: public messages follow the server's language. A German server's announcements are German
// (its guild_locale) until /server settings language picks Japanese; a template the server wrote stays
// as written, only the embed's fixed parts follow the language.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeDiscord, type FakeUser } from './fakes/discord.ts';
import { FakeGoogle, type FakeAccount } from './fakes/google.ts';
import { waitFor } from './fakes/http.ts';
import { startTestApp, type TestApp } from './support/app.ts';
import { freePort } from './support/bot.ts';
import { linkServer } from './support/link.ts';

const OWNER: FakeUser = { id: '700000000000000141', username: 'inhaberin' };
const GUILD = '800000000000000141';
const GENERAL = '900000000000000141';
const NEWS = '910000000000000141';

let discord: FakeDiscord;
let google: FakeGoogle;
let bot: TestApp;
let studio: FakeAccount;

before(async () => {
  discord = await FakeDiscord.start({
    guilds: [
      {
        id: GUILD,
        name: 'Videoküche',
        ownerId: OWNER.id,
        preferredLocale: 'de',
        channels: [
          { id: GENERAL, name: 'allgemein', type: 0 },
          { id: NEWS, name: 'neuigkeiten', type: 0 },
        ],
      },
    ],
  });
  const port = await freePort();
  google = await FakeGoogle.start({ redirectUris: [`http://127.0.0.1:${port}/oauth/callback`] });
  bot = await startTestApp(discord, google, {
    env: { PUBLIC_URL: `http://127.0.0.1:${port}`, HTTP_PORT: String(port) },
    announce: { pollIntervalMs: 100 },
  });
  studio = google.addAccount({ email: 'kueche@example.com', channel: { title: 'Videoküche' } });
  await linkServer(bot.app, google, GUILD, studio);
});

after(async () => {
  await bot.stop();
  await discord.close();
  await google.close();
});

type Option = { type: number; name: string; value?: string | number | boolean; options?: Option[] };

/** `/server settings …` by the server's owner, in English (the admin's own language does not matter here). */
async function settings(...options: Option[]): Promise<string> {
  const interaction = discord.sendCommand({
    name: 'server',
    user: OWNER,
    guildId: GUILD,
    channelId: GENERAL,
    locale: 'en-US',
    options: [{ type: 1, name: 'settings', options }],
  });
  const response = await interaction.response();
  return (response.data as { content?: string }).content ?? '';
}

async function announced(title: string) {
  const video = google.addVideo(studio, { title });
  const message = await waitFor(
    () => discord.channelMessages(NEWS).find((m) => m.embeds[0]?.title === title),
    `the announcement of ${title}`,
    20_000,
  );
  return { video, message };
}

test("announcements speak the server's language: its guild_locale first, then the one /server settings chooses", async () => {
  const saved = await settings({ type: 7, name: 'announce_channel', value: NEWS });
  assert.match(saved, /^Saved\./);
  assert.match(saved, /• Language of public messages: Deutsch \(the server's language\)/);
  // The first poll only notes what is there; a video published after it is announced.
  await waitFor(() => bot.app.ctx.announcer.status(GUILD).lastPollAt, 'a first poll');

  const first = await announced('Apfelstrudel in 10 Minuten');
  assert.equal(
    first.message.content,
    `📺 Neues Video von Videoküche: **Apfelstrudel in 10 Minuten** https://youtu.be/${first.video.id}`,
  );
  assert.deepEqual(first.message.embeds[0]?.fields, [
    { name: 'Hochgeladen von', value: 'Videoküche', inline: true },
  ]);
  assert.equal(first.message.embeds[0]?.footer?.text, 'YouTube');

  assert.match(
    await settings({ type: 3, name: 'language', value: 'ja' }),
    /Language of public messages: 日本語\n/,
  );
  const second = await announced('抹茶のロールケーキ');
  assert.equal(
    second.message.content,
    `📺 Videokücheさんの新しい動画：**抹茶のロールケーキ** https://youtu.be/${second.video.id}`,
  );
  assert.equal(second.message.embeds[0]?.fields?.[0]?.name, 'アップロード');

  // A template the server wrote stays as written; only the embed's fixed parts follow the language.
  await settings({ type: 3, name: 'template', value: 'Frisch aus der Küche: {title} {url}' });
  const third = await announced('Brezeln backen');
  assert.equal(
    third.message.content,
    `Frisch aus der Küche: Brezeln backen https://youtu.be/${third.video.id}`,
  );
  assert.equal(third.message.embeds[0]?.fields?.[0]?.name, 'アップロード');

  // Back to the server's own language.
  await settings(
    { type: 3, name: 'language', value: 'server_default' },
    { type: 3, name: 'clear', value: 'template' },
  );
  const fourth = await announced('Käsespätzle');
  assert.match(fourth.message.content ?? '', /^📺 Neues Video von Videoküche: \*\*Käsespätzle\*\*/);
});
