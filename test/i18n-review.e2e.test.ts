// Issue #13: review cards are public messages, so they speak the server's language (its /server settings
// language, else its guild_locale), whoever uploaded and whoever decides; the video's own title stays as given.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FakeDiscord, FakeMessage, FakeUser } from './fakes/discord.ts';
import type { FakeGoogle } from './fakes/google.ts';
import { waitFor } from './fakes/http.ts';
import { startWorld, type TestApp, type World } from './support/app.ts';
import { linkMember, linkServer } from './support/link.ts';
import { mp4Bytes, sha256 } from './support/media.ts';

const GUILD = '800000000000000271';
const GENERAL = '900000000000000271';
const REVIEWS = '900000000000000272';
const MOD_ROLE = '600000000000000271';
const OWNER: FakeUser = { id: '700000000000000270', username: 'inhaber' };
const MOD: FakeUser = { id: '700000000000000272', username: 'moderatorin' };
const MEMBER: FakeUser = { id: '700000000000000273', username: 'mitglied' };

let world: World;
let discord: FakeDiscord;
let google: FakeGoogle;
let bot: TestApp;

before(async () => {
  world = await startWorld([
    {
      id: GUILD,
      name: 'Gemeinschaft',
      ownerId: OWNER.id,
      preferredLocale: 'de',
      roles: [{ id: MOD_ROLE, name: 'Moderation', permissions: '0' }],
      channels: [
        { id: GENERAL, name: 'allgemein', type: 0 },
        { id: REVIEWS, name: 'pruefung', type: 0 },
      ],
      members: [
        { user: MOD, roles: [MOD_ROLE] },
        { user: MEMBER, roles: [] },
      ],
    },
  ]);
  ({ discord, google, bot } = world);
  await linkServer(
    bot.app,
    google,
    GUILD,
    google.addAccount({ email: 'gemeinschaft@example.com', channel: { title: 'Gemeinschaft' } }),
  );
  await linkMember(
    discord,
    google,
    MEMBER,
    google.addAccount({ email: 'mitglied@example.com', channel: { title: 'Mitglied' } }),
    GUILD,
  );
});

after(async () => {
  await world.stop();
});

type Button = { custom_id: string; label: string };
const buttons = (card: FakeMessage | undefined): Button[] =>
  ((card?.components ?? []) as { components: Button[] }[]).flatMap((row) => row.components);
const fieldsOf = (card: FakeMessage | undefined) =>
  Object.fromEntries(
    ((card?.embeds[0]?.fields ?? []) as { name: string; value: string }[]).map((f) => [f.name, f.value]),
  );

test("a German server's review card is German, for an English-speaking member and moderator", async () => {
  // The admin speaks English; the server is German (its guild_locale, as /server settings saw it).
  const saved = await discord
    .sendCommand({
      name: 'server',
      user: OWNER,
      guildId: GUILD,
      channelId: GENERAL,
      locale: 'en-US',
      options: [
        {
          type: 1,
          name: 'settings',
          options: [
            { type: 8, name: 'moderator_role', value: MOD_ROLE },
            { type: 7, name: 'review_channel', value: REVIEWS },
          ],
        },
      ],
    })
    .response();
  assert.match((saved.data as { content?: string }).content ?? '', /Deutsch \(the server's language\)/);

  const data = mp4Bytes(100 * 1024, 271);
  const file = discord.addAttachment({ filename: 'english_title.mp4', data, channelId: GENERAL });
  await discord
    .sendCommand({
      name: 'upload',
      user: MEMBER,
      guildId: GUILD,
      channelId: GENERAL,
      locale: 'en-US',
      attachments: [file],
      options: [
        { type: 11, name: 'file', value: file.id },
        { type: 3, name: 'title', value: 'Sunset over the bay' },
        { type: 3, name: 'tags', value: 'sunset, bay' },
        { type: 3, name: 'account', value: 'server' },
      ],
    })
    .waitForOriginal((m) => /is on YouTube|Upload failed/.test(m.content ?? ''), 20_000);
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
  assert.equal(
    card.content,
    'Ein neuer Upload auf den Serverkanal wartet auf Prüfung (bis zur Freigabe bleibt er privat).',
  );
  assert.equal(card.embeds[0]?.title, 'Sunset over the bay', 'the title stays as the member wrote it');
  assert.deepEqual(fieldsOf(card), {
    'Hochgeladen von': `<@${MEMBER.id}>`,
    Gewünscht: 'öffentlich',
    Playlist: 'keine',
    'Für Kinder': 'keine Angabe',
    Tags: 'sunset, bay',
  });
  assert.deepEqual(
    buttons(card).map((b) => b.label),
    ['Freigeben', 'Ablehnen'],
  );
  assert.doesNotMatch(
    JSON.stringify([card.content, card.embeds[0]?.fields, buttons(card)]),
    /Approve|Reject|Uploaded by/,
  );

  const approve = discord.sendButton({
    customId: buttons(card)[0]?.custom_id ?? '',
    user: MOD,
    guildId: GUILD,
    channelId: REVIEWS,

    message: { id: card.id, channelId: REVIEWS },
  });
  await approve.response();
  const decided = await waitFor(() => {
    const message = discord.message(card.id);
    return message?.content === 'Prüfung abgeschlossen.' ? message : undefined;
  }, 'the card to show the decision in German');
  assert.equal(fieldsOf(decided)['Entscheidung'], `✅ Freigegeben von <@${MOD.id}>`);
  assert.deepEqual(decided.components, [], 'the buttons are gone');
  assert.equal(google.videos.get(video.id)?.status.privacyStatus, 'public');
});
