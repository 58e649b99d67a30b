// Google revokes a whole grant: when one Google account is linked both as a member's own channel and
// as the server's channel, /unlink or /server unlink of either ends both. The bot warns first,
// privately, naming the other link; Cancel changes nothing; Confirm ends both, here and at Google.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FakeDiscord, FakeMessage, FakeUser, InteractionHandle } from './fakes/discord.ts';
import type { FakeAccount, FakeGoogle } from './fakes/google.ts';
import { startWorld, type TestApp, type World } from './support/app.ts';
import { linkMember, linkServer } from './support/link.ts';
import { serverOwner } from '../src/store/settings.ts';
import { videoService } from '../src/google/videos.ts';

const GUILD = '800000000000000071';
const GENERAL = '900000000000000071';
const ADMIN_ROLE = '600000000000000071';
const OWNER: FakeUser = { id: '700000000000000070', username: 'owner' };
const ADMIN: FakeUser = { id: '700000000000000071', username: 'admin' };
const MEMBER: FakeUser = { id: '700000000000000072', username: 'member' };

let world: World;
let discord: FakeDiscord;
let google: FakeGoogle;
let bot: TestApp;

before(async () => {
  world = await startWorld([
    {
      id: GUILD,
      name: 'Unlinkers',
      ownerId: OWNER.id,
      roles: [{ id: ADMIN_ROLE, name: 'Admins', permissions: String(1 << 5) }], // Manage Server
      channels: [{ id: GENERAL, name: 'general', type: 0 }],
      members: [
        { user: ADMIN, roles: [ADMIN_ROLE] },
        { user: MEMBER, roles: [] },
      ],
    },
  ]);
  ({ discord, google, bot } = world);
});

after(async () => {
  await world.stop();
});

type Option = { type: number; name: string; options?: Option[] };

function send(user: FakeUser, name: 'unlink' | 'server', options: Option[] = []): InteractionHandle {
  return discord.sendCommand({ name, user, guildId: GUILD, channelId: GENERAL, options });
}

/** The private reply once it says something. */
async function answer(handle: InteractionHandle): Promise<FakeMessage> {
  const response = await handle.response();
  assert.equal((response.data?.flags ?? 0) & 64, 64, 'answered privately');
  return handle.waitForOriginal((m) => (m.flags & 128) === 0 && m.content !== '', 10_000);
}

function press(message: FakeMessage, label: string, user: FakeUser): InteractionHandle {
  const button = message.components.flatMap((row) => row.components ?? []).find((b) => b.label === label);
  assert.ok(button?.custom_id, `a ${label} button`);
  return discord.sendButton({
    customId: button.custom_id,
    user,
    guildId: GUILD,
    channelId: GENERAL,
    message: { id: message.id, channelId: GENERAL, flags: message.flags },
  });
}

/** Whether an owner's Google link still works at Google (a real API call with its tokens). */
async function works(owner: string): Promise<boolean> {
  try {
    await videoService(bot.app.ctx).liked(owner);
    return true;
  } catch {
    return false;
  }
}

const linked = (owner: string) => bot.app.ctx.oauth.linked(owner);

async function linkBoth(user: FakeUser, account: FakeAccount): Promise<void> {
  await linkMember(discord, google, user, account, GUILD);
  await linkServer(bot.app, google, GUILD, account);
  assert.ok((await linked(user.id)) && (await linked(serverOwner(GUILD))));
}

async function serverStatus(): Promise<string> {
  const handle = send(ADMIN, 'server', [{ type: 1, name: 'status' }]);
  const response = await handle.response();
  return JSON.stringify(response.data);
}

test('the Google fake ends every grant of an account when one of its tokens is revoked, as Google does', async () => {
  const account = google.addAccount({ email: 'fake-check@example.com' });
  const first = google.mintTokens(account, ['https://www.googleapis.com/auth/youtube']);
  const second = google.mintTokens(account, ['https://www.googleapis.com/auth/youtube']);
  const revoked = await fetch(google.revokeUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: first.refresh_token }),
  });
  assert.equal(revoked.status, 200);
  const refresh = await fetch(google.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: second.refresh_token,
      client_id: google.clientId,
      client_secret: google.clientSecret,
    }),
  });
  assert.equal(refresh.status, 400);
  assert.equal(((await refresh.json()) as { error: string }).error, 'invalid_grant');
});

test('/unlink of an account that is also the server channel warns first; Cancel changes nothing', async () => {
  const account = google.addAccount({ email: 'both@example.com', channel: { title: 'Shared Studio' } });
  await linkBoth(ADMIN, account);

  const warning = await answer(send(ADMIN, 'unlink'));
  assert.match(warning.content, /\*\*Shared Studio\*\* is also linked as this server's channel/);
  assert.match(warning.content, /ends that link too/);
  assert.deepEqual(
    warning.components.flatMap((r) => r.components ?? []).map((b) => b.label),
    ['Unlink both', 'Cancel'],
  );
  assert.ok(await works(ADMIN.id), 'nothing revoked by the warning');

  const other = await press(warning, 'Unlink both', MEMBER).response();
  assert.match(JSON.stringify(other.data), /Only the member who ran \/unlink can answer this/);

  const cancel = press(warning, 'Cancel', ADMIN);
  const cancelled = await cancel.waitForOriginal((m) => m.content === 'Nothing was unlinked.');
  assert.deepEqual(cancelled.components, []);
  assert.ok(await linked(ADMIN.id), 'the member link is kept');
  assert.ok(await linked(serverOwner(GUILD)), 'the server link is kept');
  assert.ok((await works(ADMIN.id)) && (await works(serverOwner(GUILD))), 'both still work at Google');
});

test('Confirm ends both links: revoked at Google, both records gone, the server status says unlinked', async () => {
  const warning = await answer(send(ADMIN, 'unlink'));
  const confirm = press(warning, 'Unlink both', ADMIN);
  const done = await confirm.waitForOriginal((m) => /^Unlinked/.test(m.content), 10_000);
  assert.match(
    done.content,
    /^Unlinked \*\*Shared Studio\*\*\. Google confirmed the bot's access is revoked\./,
  );
  assert.match(done.content, /also linked as this server's channel .*: that link ended too/);
  assert.deepEqual(done.components, []);
  assert.equal(await linked(ADMIN.id), undefined);
  assert.equal(await linked(serverOwner(GUILD)), undefined);
  assert.match(await serverStatus(), /None — run `\/server link`/);
});

test("/server unlink names the member whose own link ends too; a member's next command says to /link", async () => {
  const account = google.addAccount({ email: 'member-brand@example.com', channel: { title: 'Brand' } });
  await linkBoth(MEMBER, account);

  const warning = await answer(send(ADMIN, 'server', [{ type: 1, name: 'unlink' }]));
  assert.match(
    warning.content,
    new RegExp(`\\*\\*Brand\\*\\* is also linked as <@${MEMBER.id}>'s own channel`),
  );
  assert.deepEqual(warning.mentions, [], 'named, never pinged');

  const done = press(warning, 'Unlink both', ADMIN);
  const result = await done.waitForOriginal((m) => /^Unlinked/.test(m.content), 10_000);
  assert.match(result.content, /^Unlinked \*\*Brand\*\* from the server\./);
  assert.match(result.content, new RegExp(`<@${MEMBER.id}>'s own channel .*: that link ended too`));
  assert.equal(await linked(MEMBER.id), undefined);
  assert.equal(await linked(serverOwner(GUILD)), undefined);
  const favorites = await answer(discord.sendCommand({ name: 'favorites', user: MEMBER, guildId: GUILD }));
  assert.match(favorites.content, /run \/link/);
});

test('a link of its own is unlinked at once, and switching a member to another channel keeps the server link alive', async () => {
  const shared = google.addAccount({ email: 'switch@example.com', channel: { title: 'Switch' } });
  await linkBoth(ADMIN, shared);
  // The admin moves their own link to another account: the old grant must not be revoked, since the
  // server still uses that Google account.
  await linkMember(discord, google, ADMIN, google.addAccount({ email: 'own@example.com' }), GUILD);
  assert.ok(await works(serverOwner(GUILD)), "the server's link still works at Google");

  const alone = await answer(send(ADMIN, 'server', [{ type: 1, name: 'unlink' }]));
  assert.equal(
    alone.content,
    "Unlinked **Switch** from the server. Google confirmed the bot's access is revoked.",
  );
  assert.deepEqual(alone.components, []);
  assert.ok(await works(ADMIN.id), "the admin's own, different account is untouched");
});
