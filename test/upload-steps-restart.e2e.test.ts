// Nothing after the upload is lost: the real bot process is SIGKILLed while a step after the bytes
// waits for Google's answer (the change already made at Google), then started again. Every step
// ends done exactly once: one playlist entry, the thumbnail, one announcement or one review card,
// and the final message with the link.
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeDiscord, type FakeMessage, type FakeUser } from './fakes/discord.ts';
import { FakeGoogle, type FakeAccount, type FakeVideo } from './fakes/google.ts';
import { waitFor } from './fakes/http.ts';
import { baseEnv, fakeEnv, freePort, startBot, type BotEnv, type BotProcess } from './support/bot.ts';
import { mp4Bytes, PNG, sha256 } from './support/media.ts';
import { linkServerAsAdmin } from './support/link.ts';

const GUILD = '800000000000000091';
const UPLOADS = '900000000000000091';
const REVIEWS = '900000000000000092';
const ANNOUNCE = '900000000000000093';
const OWNER: FakeUser = { id: '700000000000000091', username: 'owner' };
const MEMBER: FakeUser = { id: '700000000000000092', username: 'member' };

let discord: FakeDiscord;
let google: FakeGoogle;
let env: BotEnv;
let server: FakeAccount;
let bot: BotProcess | undefined;
const bots: BotProcess[] = [];

async function boot(): Promise<BotProcess> {
  const identified = discord.identified();
  const started = startBot(env);
  bots.push(started);
  await started.waitForLog((e) => e['msg'] === 'discord ready', 'the bot to be ready', 30_000);
  await waitFor(() => (discord.identified() > identified ? true : undefined), 'IDENTIFY');
  return started;
}

type Option = { type: number; name: string; value?: string | number | boolean; options?: Option[] };

async function serverCommand(options: Option[]): Promise<FakeMessage> {
  const interaction = discord.sendCommand({
    name: 'server',
    user: OWNER,
    guildId: GUILD,
    channelId: UPLOADS,
    options,
  });
  return interaction.waitForOriginal((m) => (m.content ?? '') !== '', 15_000);
}

before(async () => {
  discord = await FakeDiscord.start({
    guilds: [
      {
        id: GUILD,
        name: 'Steps',
        ownerId: OWNER.id,
        channels: [
          { id: UPLOADS, name: 'uploads', type: 0 },
          { id: REVIEWS, name: 'reviews', type: 0 },
          { id: ANNOUNCE, name: 'announcements', type: 0 },
        ],
        members: [{ user: MEMBER, roles: [] }],
      },
    ],
  });
  const port = await freePort();
  google = await FakeGoogle.start({ redirectUris: [`http://127.0.0.1:${port}/oauth/callback`] });
  env = baseEnv({
    ...fakeEnv(discord, google),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    HTTP_PORT: String(port),
  });
  server = google.addAccount({ email: 'steps@example.com', channel: { title: 'Steps Channel' } });
  google.processing.pollsBeforeDone = 0; // the first processing check finds it done

  bot = await boot();
  await linkServerAsAdmin(discord, google, OWNER, server, GUILD, UPLOADS);
  const saved = await serverCommand([
    {
      type: 1,
      name: 'settings',
      options: [
        { type: 7, name: 'review_channel', value: REVIEWS },
        { type: 7, name: 'announce_channel', value: ANNOUNCE },
      ],
    },
  ]);
  assert.match(saved.content ?? '', /^Saved\./);
});

after(async () => {
  for (const started of bots) await started.stop('SIGKILL');
  await discord.close();
  await google.close();
});

beforeEach(() => google.clearFaults());

function uploadToServer(user: FakeUser, filename: string, data: Buffer, extra: Option[] = []) {
  const file = discord.addAttachment({ filename, data, channelId: UPLOADS });
  const thumb = discord.addAttachment({
    filename: 'thumb.png',
    data: PNG,
    contentType: 'image/png',
    channelId: UPLOADS,
  });
  return discord.sendCommand({
    name: 'upload',
    user,
    guildId: GUILD,
    channelId: UPLOADS,
    attachments: [file, thumb],
    options: [
      { type: 11, name: 'file', value: file.id },
      { type: 11, name: 'thumbnail', value: thumb.id },
      { type: 3, name: 'account', value: 'server' },
      ...extra,
    ],
  });
}

const videoOf = (data: Buffer) => [...google.videos.values()].find((v) => v.sha256 === sha256(data));
const mentions = (channelId: string, videoId: string) =>
  discord.channelMessages(channelId).filter((m) => JSON.stringify(m).includes(videoId));

/** SIGKILLs the bot once `applied` holds (the held request was carried out at Google), then starts it again. */
async function killWhen(applied: () => boolean, what: string): Promise<BotProcess> {
  await waitFor(() => (applied() ? true : undefined), what, 30_000);
  bot?.child.kill('SIGKILL');
  await bot?.exited;
  google.clearFaults();
  bot = await boot();
  return bot;
}

test('SIGKILL while the playlist insert is answered: after the restart one entry, the thumbnail, one announcement, the link', async () => {
  const playlist = google.addPlaylist(server, { title: 'Server picks' });
  // The insert is carried out at once; its answer is held, so the bot is killed waiting for it.
  google.fail({ method: 'POST', path: /^\/youtube\/v3\/playlistItems/ }, { holdAnswerMs: 600_000 });
  const data = mp4Bytes(400 * 1024, 91);
  const interaction = uploadToServer(OWNER, 'picks.mp4', data, [
    { type: 3, name: 'title', value: 'Server pick' },
    { type: 3, name: 'playlist', value: playlist.id },
  ]);
  const entries = () => [...google.playlistItems.values()].filter((i) => i.playlistId === playlist.id);
  const restarted = await killWhen(() => entries().length > 0, 'the playlist insert to be carried out');

  const final = await interaction.waitForOriginal(
    (m) => /is on YouTube|Upload failed/.test(m.content ?? ''),
    60_000,
  );
  const video = videoOf(data) as FakeVideo;
  assert.match(
    final.content ?? '',
    new RegExp(`\\*\\*Server pick\\*\\* is on YouTube: https://youtu\\.be/${video.id}`),
  );
  assert.match(final.content ?? '', /Added to your playlist\./);
  assert.match(final.content ?? '', /Custom thumbnail set\./);
  assert.deepEqual(
    entries().map((e) => e.videoId),
    [video.id],
    'one playlist entry, not two',
  );
  assert.equal(video.thumbnail?.sha256, sha256(PNG));
  await waitFor(
    () => (mentions(ANNOUNCE, video.id).length > 0 ? true : undefined),
    'the announcement',
    30_000,
  );
  await restarted.waitForLog(
    (e) => e['msg'] === 'upload finished' && e['status'] === 'done',
    'the job to be recorded done',
  );
  assert.ok(
    restarted
      .logs()
      .some((e) => e['msg'] === 'step cut off before; running it again' && e['step'] === 'playlist'),
    'the cut-off step was run again after the restart',
  );
  assert.equal(mentions(ANNOUNCE, video.id).length, 1, 'announced once');
  assert.equal([...google.videos.values()].filter((v) => v.sha256 === sha256(data)).length, 1, 'one video');
});

test('SIGKILL while the thumbnail is answered: after the restart one review card and the link', async () => {
  google.fail({ method: 'POST', path: /^\/upload\/youtube\/v3\/thumbnails\/set/ }, { holdAnswerMs: 600_000 });
  const data = mp4Bytes(400 * 1024, 92);
  const interaction = uploadToServer(MEMBER, 'member.mp4', data, [
    { type: 3, name: 'title', value: 'Member clip' },
  ]);
  await killWhen(
    () => videoOf(data)?.thumbnail !== null && videoOf(data) !== undefined,
    'the thumbnail to be set',
  );

  const final = await interaction.waitForOriginal(
    (m) => /is on YouTube|Upload failed/.test(m.content ?? ''),
    60_000,
  );
  const video = videoOf(data) as FakeVideo;
  assert.match(final.content ?? '', new RegExp(`is on YouTube: https://youtu\\.be/${video.id}`));
  assert.match(final.content ?? '', /Custom thumbnail set\./);
  assert.match(final.content ?? '', /stays private until a moderator approves it/);
  const cards = () =>
    discord.channelMessages(REVIEWS).filter((m) => JSON.stringify(m).includes('Member clip'));
  await waitFor(() => (cards().length > 0 ? true : undefined), 'the review card', 30_000);
  await bot?.waitForLog(
    (e) => e['msg'] === 'upload finished' && e['status'] === 'done',
    'the job to be done',
  );
  assert.equal(cards().length, 1, 'one review card');
  assert.equal(video.thumbnail?.sha256, sha256(PNG));
  assert.equal([...google.videos.values()].filter((v) => v.sha256 === sha256(data)).length, 1, 'one video');
});
