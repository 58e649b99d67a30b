// Log lines of an upload name its own job and member: an upload started by another member's command
// (its slot freed by that member's upload) must not log that member's interaction as its own.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FakeDiscord, FakeMessage, FakeUser } from './fakes/discord.ts';
import type { FakeGoogle } from './fakes/google.ts';
import { startWorld, type TestApp, type World } from './support/app.ts';
import { linkMember } from './support/link.ts';
import { MiB, mp4Bytes } from './support/media.ts';

const GUILD = '800000000000000041';
const CHANNEL = '900000000000000041';
const ALICE: FakeUser = { id: '700000000000000041', username: 'alice' };
const BOB: FakeUser = { id: '700000000000000042', username: 'bob' };

let discord: FakeDiscord;
let google: FakeGoogle;
let bot: TestApp;
let world: World;

before(async () => {
  // One upload slot for the whole bot: Bob's upload waits for Alice's, and starts when hers ends.
  world = await startWorld(
    [{ id: GUILD, name: 'Logs', ownerId: ALICE.id, channels: [{ id: CHANNEL, name: 'videos', type: 0 }] }],
    { tuning: { global: 1 } },
  );
  ({ discord, google, bot } = world);
  for (const member of [ALICE, BOB])
    await linkMember(
      discord,
      google,
      member,
      google.addAccount({ email: `${member.username}@example.com`, channel: { title: member.username } }),
      GUILD,
    );
});

after(async () => {
  await world.stop();
});

const finished = (m: FakeMessage) => /is on YouTube|Upload failed|Cancelled/.test(m.content ?? '');

test("an upload that starts when another member's upload frees the slot logs its own member, not theirs", async () => {
  google.upload.throttleBytesPerSec = 4 * MiB;
  const send = (user: FakeUser, name: string, seed: number) => {
    const file = discord.addAttachment({ filename: name, data: mp4Bytes(MiB, seed) });
    return discord.sendCommand({
      name: 'upload',
      user,
      guildId: GUILD,
      channelId: CHANNEL,
      attachments: [file],
      options: [{ type: 11, name: 'file', value: file.id }],
    });
  };
  const alices = send(ALICE, 'alice.mp4', 41);
  await alices.waitForOriginal((m) => /Uploading|Starting/.test(m.content ?? ''), 10_000);
  const bobs = send(BOB, 'bob.mp4', 42);
  await bobs.waitForOriginal((m) => /Queued/.test(m.content ?? ''), 10_000);
  google.upload.throttleBytesPerSec = null;
  assert.match((await alices.waitForOriginal(finished, 20_000)).content ?? '', /is on YouTube/);
  assert.match((await bobs.waitForOriginal(finished, 20_000)).content ?? '', /is on YouTube/);

  const done = bot.logs.find((e) => e['msg'] === 'upload complete' && e['owner'] === BOB.id);
  assert.ok(done, "Bob's upload logged its completion");
  const bobsJob = done['jobId'];
  const lines = bot.logs.filter((e) => e['jobId'] === bobsJob);
  assert.ok(
    lines.some((e) => e['msg'] === 'upload starting'),
    "the transfer's own lines name the job they belong to",
  );
  const wrong = lines.filter((e) => e['userId'] !== undefined && e['userId'] !== BOB.id);
  assert.deepEqual(
    wrong.map((e) => `${String(e['msg'])}: userId ${String(e['userId'])}`),
    [],
    "no line of Bob's upload names Alice's interaction",
  );
});
