// Only https: links are accepted where the bot fetches or links anything a member typed: a video or
// playlist reference, and the announcement template the bot posts for the server.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FakeDiscord, FakeUser } from './fakes/discord.ts';
import type { FakeGoogle } from './fakes/google.ts';
import { startWorld, type TestApp, type World } from './support/app.ts';
import { linkMember } from './support/link.ts';

const GUILD = '800000000000000081';
const GENERAL = '900000000000000081';
const ADMIN_ROLE = '600000000000000081';
const OWNER: FakeUser = { id: '700000000000000080', username: 'owner' };
const ADMIN: FakeUser = { id: '700000000000000081', username: 'admin' };

let world: World;
let discord: FakeDiscord;
let google: FakeGoogle;
let bot: TestApp;
let videoId: string;

before(async () => {
  world = await startWorld([
    {
      id: GUILD,
      name: 'Links',
      ownerId: OWNER.id,
      roles: [{ id: ADMIN_ROLE, name: 'Admins', permissions: String(1 << 5) }],
      channels: [{ id: GENERAL, name: 'general', type: 0 }],
      members: [{ user: ADMIN, roles: [ADMIN_ROLE] }],
    },
  ]);
  ({ discord, google, bot } = world);
  const account = google.addAccount({ email: 'admin@example.com' });
  await linkMember(discord, google, ADMIN, account, GUILD);
  videoId = google.addVideo(google.addAccount({ email: 'creator@example.com' }), { title: 'Clip' }).id;
});

after(async () => {
  await world.stop();
});

type Option = { type: number; name: string; value?: string; options?: Option[] };

async function say(name: string, options: Option[]): Promise<string> {
  const handle = discord.sendCommand({ name, user: ADMIN, guildId: GUILD, channelId: GENERAL, options });
  const response = await handle.response();
  if (response.type === 5)
    return (await handle.waitForOriginal((m) => (m.flags & 128) === 0 && m.content !== '', 10_000)).content;
  return (response.data as { content?: string }).content ?? '';
}

test('an http: video link typed by a member is refused, and nothing is asked of YouTube', async () => {
  const before = google.requests.length;
  const reply = await say('favorite', [{ type: 3, name: 'video', value: `http://youtu.be/${videoId}` }]);
  assert.match(reply, /^"http:\/\/youtu\.be\/.*" is not an https:\/\/ link, and I accept only those: give /);
  assert.ok(!google.requests.slice(before).some((r) => /videos\/rate/.test(r.path)), 'no rating was sent');
  // The same video as an https: link works.
  const ok = await say('favorite', [{ type: 3, name: 'video', value: `https://youtu.be/${videoId}` }]);
  assert.doesNotMatch(ok, /https:\/\/ link/);
});

test('an announcement template linking to http: is refused and the setting is unchanged', async () => {
  const before = (await bot.app.ctx.settings.get(GUILD)).template;
  const reply = await say('server', [
    {
      type: 1,
      name: 'settings',
      options: [
        { type: 3, name: 'template', value: 'New: {title} {url} — prizes at http://evil.example/win' },
      ],
    },
  ]);
  assert.equal(
    reply,
    'The template links to "http://evil.example/win", which is not https://: only https:// links are accepted.',
  );
  assert.equal((await bot.app.ctx.settings.get(GUILD)).template, before);
});
