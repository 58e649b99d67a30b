// A review decision is taken once across processes: two real bot processes on one PostgreSQL store, Alice presses
// Approve in one while Bob submits Reject in the other at the same moment. One decision is applied on YouTube (one
// privacy change or one delete, never both), the card shows it, the uploader hears it once, and the other
// moderator is told who decided.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeDiscord, type FakeMessage, type FakeUser } from './fakes/discord.ts';
import { FakeGoogle } from './fakes/google.ts';
import { waitFor } from './fakes/http.ts';
import { baseEnv, fakeEnv, freePort, startBot, type BotEnv, type BotProcess } from './support/bot.ts';
import { linkMember, linkServerAsAdmin } from './support/link.ts';
import { mp4Bytes, sha256 } from './support/media.ts';
import { startPostgres } from './support/postgres.ts';

const GUILD = '800000000000000121';
const GENERAL = '900000000000000121';
const REVIEWS = '900000000000000122';
const MOD_ROLE = '600000000000000121';
const OWNER: FakeUser = { id: '700000000000000121', username: 'owner' };
const ALICE: FakeUser = { id: '700000000000000122', username: 'alice' };
const BOB: FakeUser = { id: '700000000000000123', username: 'bob' };
const MEMBER: FakeUser = { id: '700000000000000124', username: 'member' };

let discord: FakeDiscord;
let google: FakeGoogle;
let env: BotEnv;
let stopPostgres: (() => Promise<void>) | undefined;
const bots: BotProcess[] = [];

/** Starts one more bot process on the shared store; resolves once its gateway session is up. */
async function boot(): Promise<BotProcess> {
  const identified = discord.identified();
  const bot = startBot(bots.length === 0 ? env : { ...env, HTTP_PORT: '0' });
  bots.push(bot);
  await bot.waitForLog((e) => e['msg'] === 'discord ready', 'the bot to be ready', 60_000);
  await waitFor(() => (discord.identified() > identified ? true : undefined), 'IDENTIFY', 30_000);
  return bot;
}

/** The next interaction goes to this process only (by start order): a press handled there. */
const deliverTo = (process: number) => discord.deliverNextTo(process);

type Option = { type: number; name: string; value?: string | number | boolean; options?: Option[] };

before(async () => {
  const postgres = await startPostgres();
  stopPostgres = () => postgres.stop();
  const storeUrl = await postgres.createDatabase();
  discord = await FakeDiscord.start({
    guilds: [
      {
        id: GUILD,
        name: 'Cluster reviews',
        ownerId: OWNER.id,
        roles: [{ id: MOD_ROLE, name: 'Moderators', permissions: '0' }],
        channels: [
          { id: GENERAL, name: 'general', type: 0 },
          { id: REVIEWS, name: 'reviews', type: 0 },
        ],
        members: [
          { user: ALICE, roles: [MOD_ROLE] },
          { user: BOB, roles: [MOD_ROLE] },
          { user: MEMBER, roles: [] },
        ],
      },
    ],
  });
  const port = await freePort();
  google = await FakeGoogle.start({ redirectUris: [`http://127.0.0.1:${port}/oauth/callback`] });
  google.processing.pollsBeforeDone = 0;
  env = baseEnv({
    ...fakeEnv(discord, google),
    STORE_URL: storeUrl,
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    HTTP_PORT: String(port),
  });

  // One process while the server is set up (links go through its pages), then the second.
  await boot();
  await linkServerAsAdmin(
    discord,
    google,
    OWNER,
    google.addAccount({ email: 'cluster-review-server@example.com', channel: { title: 'Cluster' } }),
    GUILD,
    GENERAL,
  );
  await linkMember(
    discord,
    google,
    MEMBER,
    google.addAccount({ email: 'cluster-review-member@example.com', channel: { title: 'Member' } }),
    GUILD,
  );
  const saved = await discord
    .sendCommand({
      name: 'server',
      user: OWNER,
      guildId: GUILD,
      channelId: GENERAL,
      options: [
        {
          type: 1,
          name: 'settings',
          options: [
            { type: 8, name: 'moderator_role', value: MOD_ROLE },
            { type: 7, name: 'review_channel', value: REVIEWS },
          ],
        },
      ] satisfies Option[],
    })
    .waitForOriginal((m) => (m.content ?? '') !== '', 15_000);
  assert.match(saved.content ?? '', /^Saved\./);
  await boot();
});

after(async () => {
  for (const bot of bots) await bot.stop('SIGKILL');
  await discord?.close();
  await google?.close();
  await stopPostgres?.();
});

type Button = { custom_id: string; label: string };
const buttonId = (card: FakeMessage, label: string) =>
  ((card.components ?? []) as { components: Button[] }[])
    .flatMap((row) => row.components)
    .find((b) => b.label === label)?.custom_id ?? '';

async function uploadForReview(filename: string, seed: number) {
  const data = mp4Bytes(100 * 1024, seed);
  const file = discord.addAttachment({ filename, data, channelId: GENERAL });
  const final = await discord
    .sendCommand({
      name: 'upload',
      user: MEMBER,
      guildId: GUILD,
      channelId: GENERAL,
      attachments: [file],
      options: [
        { type: 11, name: 'file', value: file.id },
        { type: 3, name: 'account', value: 'server' },
      ],
    })
    .waitForOriginal((m) => /is on YouTube|Upload failed|stays private/.test(m.content ?? ''), 60_000);
  assert.match(final.content ?? '', /stays private until a moderator approves it/);
  const video = [...google.videos.values()].find((v) => v.sha256 === sha256(data));
  assert.ok(video, 'the upload reached YouTube');
  const card = await waitFor(
    () =>
      discord
        .channelMessages(REVIEWS)
        .find((m) => JSON.stringify(m.embeds).includes(video.id) && (m.components?.length ?? 0) > 0),
    'the review card',
    30_000,
  );
  return { video, card };
}

test('Approve and Reject pressed at once in two processes: one decision on YouTube, the other moderator told who decided', async () => {
  const { video, card } = await uploadForReview('cluster_race.mp4', 1201);
  const id = buttonId(card, 'Approve').split(':').pop() ?? '';
  const decisionCalls = () =>
    google.requests.filter(
      (r) => r.path.endsWith('/youtube/v3/videos') && (r.method === 'PUT' || r.method === 'DELETE'),
    );
  const before = decisionCalls().length;
  // YouTube takes its time with whichever change comes first: the other press arrives while it is applied.
  google.fail({ method: 'PUT', path: /\/youtube\/v3\/videos$/ }, { delayMs: 1500 });
  google.fail({ method: 'DELETE', path: /\/youtube\/v3\/videos$/ }, { delayMs: 1500 });

  // Alice's press reaches the first process, Bob's reason form the second, at the same moment.
  deliverTo(0);
  const approve = discord.sendButton({
    customId: buttonId(card, 'Approve'),
    user: ALICE,
    guildId: GUILD,
    channelId: REVIEWS,
    message: { id: card.id, channelId: REVIEWS },
  });
  deliverTo(1);
  const reject = discord.sendModalSubmit({
    customId: `upload:reason:${id}`,
    fields: { reason: 'Not for this channel' },
    user: BOB,
    guildId: GUILD,
    channelId: REVIEWS,
    message: { id: card.id, channelId: REVIEWS },
  });
  await Promise.all([approve.response(), reject.response()]);

  const decided = await waitFor(
    () => {
      const message = discord.message(card.id);
      return /(Approved|Rejected) by/.test(JSON.stringify(message?.embeds)) ? message : undefined;
    },
    'the card to show the decision',
    30_000,
  );
  const approved = /Approved by/.test(JSON.stringify(decided.embeds));
  const [winner, loser, loserHandle] = approved ? [ALICE, BOB, reject] : [BOB, ALICE, approve];
  const told = await waitFor(() => loserHandle.followups()[0], 'the note to the other moderator', 30_000);
  google.clearFaults();

  assert.match(JSON.stringify(decided.embeds), new RegExp(`by <@${winner.id}>`));
  assert.deepEqual(decided.components, [], 'the buttons are gone');
  // Told who decided, and what (recorded already, or still being applied).
  assert.match(told.content ?? '', new RegExp(`<@${winner.id}>`), `${loser.username} is told who decided`);
  assert.match(told.content ?? '', approved ? /approve/ : /reject/);

  // Once on YouTube: a privacy change or a delete, never both, never twice.
  const calls = decisionCalls().slice(before);
  assert.deepEqual(
    calls.map((c) => c.method),
    [approved ? 'PUT' : 'DELETE'],
    'the decision is applied once on YouTube',
  );
  if (approved) assert.equal(google.videos.get(video.id)?.status.privacyStatus, 'public');
  else assert.equal(google.videos.has(video.id), false, 'the video is deleted');
  // The uploader hears it once.
  await waitFor(
    () =>
      discord.dmMessages(MEMBER.id).some((m) => /cluster race/.test(m.content ?? '')) ? true : undefined,
    'the DM to the uploader',
  );
  await new Promise((resolve) => setTimeout(resolve, 1000));
  assert.equal(
    discord.dmMessages(MEMBER.id).filter((m) => /cluster race/.test(m.content ?? '')).length,
    1,
    'one DM to the uploader',
  );
});
