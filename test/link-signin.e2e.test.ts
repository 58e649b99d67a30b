// With DISCORD_CLIENT_SECRET the link page's Continue first signs the browser in with Discord (the
// fake's OAuth2: identify, state, PKCE), and only the member who ran /link (or /server link) goes on
// to Google. The real bot process, the Discord and Google fakes, a cookie-keeping "browser".
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeDiscord, type FakeUser } from './fakes/discord.ts';
import { FakeGoogle } from './fakes/google.ts';
import { baseEnv, fakeEnv, freePort, startBot, type BotProcess } from './support/bot.ts';
import { openLinkPage, pressContinue, TestBrowser } from './support/link.ts';

const ADMIN: FakeUser = { id: '700000000000000031', username: 'admin', global_name: 'The Admin' };
const MALLORY: FakeUser = { id: '700000000000000032', username: 'mallory', global_name: 'Mallory' };
const VICTIM: FakeUser = { id: '700000000000000033', username: 'victim', global_name: 'Vic' };
const MOD: FakeUser = { id: '700000000000000034', username: 'mod', global_name: 'Mod' };
const GUILD = {
  id: '800000000000000031',
  name: 'Creator Hub',
  ownerId: ADMIN.id,
  members: [
    { user: ADMIN, roles: [] },
    { user: MALLORY, roles: [] },
    { user: VICTIM, roles: [] },
    { user: MOD, roles: [] },
  ],
};

let discord: FakeDiscord;
let google: FakeGoogle;
let bot: BotProcess;
let publicUrl: string;

before(async () => {
  discord = await FakeDiscord.start({ guilds: [GUILD] });
  const port = await freePort();
  publicUrl = `http://127.0.0.1:${port}`;
  google = await FakeGoogle.start({ redirectUris: [`${publicUrl}/oauth/callback`] });
  discord.oauth.redirectUris.add(`${publicUrl}/oauth/discord/callback`);
  bot = startBot(
    baseEnv({
      ...fakeEnv(discord, google),
      PUBLIC_URL: publicUrl,
      HTTP_PORT: String(port),
      DISCORD_CLIENT_SECRET: discord.oauth.clientSecret,
    }),
  );
  await bot.waitForLog((e) => e['msg'] === 'discord ready', 'the bot to be ready');
});

after(async () => {
  await bot.stop('SIGKILL');
  await discord.close();
  await google.close();
});

type Option = { type: number; name: string };

async function run(user: FakeUser, name: 'link' | 'server') {
  const options: Option[] | undefined = name === 'server' ? [{ type: 1, name: 'link' }] : undefined;
  const interaction = discord.sendCommand({ name, user, guildId: GUILD.id, ...(options ? { options } : {}) });
  const data = (await interaction.response()).data as {
    content: string;
    components: { components: { url: string }[] }[];
  };
  return { interaction, content: data.content, url: data.components[0]?.components[0]?.url ?? '' };
}

/** Opens the link in a browser signed in to Discord as `signedIn` and presses Continue. */
async function openAs(url: string, signedIn: FakeUser) {
  discord.oauth.consent.user = signedIn;
  const browser = new TestBrowser();
  const page = await openLinkPage(browser, url);
  assert.equal(page.response.status, 200);
  const next = await pressContinue(browser, url, page.token);
  assert.equal(next.status, 303);
  const end = await browser.follow(next, url);
  return { page, next, ...end, html: await end.response.text() };
}

const tokenCalls = () => google.requests.filter((r) => r.path === '/token').length;

test('another Discord account signing in is refused: nothing linked, the link is spent, the reply says so', async () => {
  const link = await run(MALLORY, 'link');
  const consents = google.authRequests.length;
  const exchanges = tokenCalls();
  const google0 = google.addAccount({ email: 'vic@example.com', channel: { title: 'Vic Vlogs' } });
  google.consent.account = google0;
  const seen = await openAs(link.url, VICTIM);

  assert.match(seen.page.html, /Mallory<small>@mallory<\/small>/);
  assert.match(seen.page.html, /Sign in with Discord to continue/);
  const discordOrigin = new URL(discord.apiUrl).origin;
  assert.match(
    seen.page.response.headers.get('content-security-policy') ?? '',
    new RegExp(`form-action 'self' ${new URL(google.authUrl).origin} ${discordOrigin};`),
  );
  const authorize = new URL(seen.next.headers.get('location') ?? '');
  assert.equal(`${authorize.origin}${authorize.pathname}`, `${discordOrigin}/oauth2/authorize`);
  assert.equal(authorize.searchParams.get('client_id'), discord.applicationId);
  assert.equal(authorize.searchParams.get('scope'), 'identify');
  assert.equal(authorize.searchParams.get('response_type'), 'code');
  assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
  assert.match(authorize.searchParams.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/);
  assert.match(authorize.searchParams.get('state') ?? '', /^[A-Za-z0-9_-]{43}$/);
  assert.equal(authorize.searchParams.get('redirect_uri'), `${publicUrl}/oauth/discord/callback`);

  assert.equal(seen.response.status, 403);
  assert.match(seen.html, /This link belongs to another Discord account/);
  assert.match(seen.html, /made for Mallory \(@mallory\), but you signed in to Discord as @victim/);
  assert.match(seen.html, /Nothing was linked/);
  assert.equal(google.authRequests.length, consents, 'never sent to Google');
  assert.equal(tokenCalls(), exchanges, 'no Google token exchange');
  const exchange = discord.calls.find((c) => c.method === 'POST' && c.path === '/oauth2/token');
  assert.match(
    String((exchange?.body as Record<string, unknown>)['code_verifier']),
    /^[A-Za-z0-9_-]{43,128}$/,
  );
  assert.equal(discord.oauth.liveTokens(), 0, 'the Discord token was revoked once read');

  const edited = await link.interaction.waitForOriginal((m) =>
    /different Discord account/.test(m.content ?? ''),
  );
  assert.match(edited.content ?? '', /nothing was linked/);
  assert.doesNotMatch(edited.content ?? '', /victim/i, 'the reply does not name who opened it');
  assert.equal((await openLinkPage(new TestBrowser(), link.url)).response.status, 400, 'the link is spent');
  assert.doesNotMatch((await run(MALLORY, 'link')).content, /linked to/);
});

test('the member who ran /link signs in with Discord and links; the page names the channel and the account', async () => {
  google.consent.account = google.addAccount({
    email: 'vic2@example.com',
    channel: { title: 'Vic Travels' },
  });
  const link = await run(VICTIM, 'link');
  const done = await openAs(link.url, VICTIM);
  assert.equal(done.response.status, 200, done.html);
  assert.match(done.html, /Your YouTube channel is linked/);
  assert.match(done.html, /Vic Travels/);
  assert.match(done.html, /Discord account Vic \(@victim\)/);
  assert.ok(
    done.passed.some((u) => u.startsWith(google.authUrl)),
    'Google came after the Discord sign-in',
  );
  const edited = await link.interaction.waitForOriginal((m) => /Linked to/.test(m.content ?? ''));
  assert.equal(edited.content, 'Linked to **Vic Travels**. You can now use /upload.');
});

test('/server link: a moderator other than the admin who ran it is refused; the admin links the server', async () => {
  const first = await run(ADMIN, 'server');
  const refused = await openAs(first.url, MOD);
  assert.match(refused.page.html, /ran \/server link in the server “Creator Hub”/);
  assert.equal(refused.response.status, 403);
  assert.match(refused.html, /belongs to another Discord account/);
  await first.interaction.waitForOriginal((m) => /different Discord account/.test(m.content ?? ''));
  assert.match((await run(ADMIN, 'server')).content, /choose the Google account/, 'the server is not linked');

  google.consent.account = google.addAccount({ email: 'hub@example.com', channel: { title: 'Hub Channel' } });
  const second = await run(ADMIN, 'server');
  const done = await openAs(second.url, ADMIN);
  assert.equal(done.response.status, 200, done.html);
  assert.match(done.html, /The server&#39;s YouTube channel is linked/);
  assert.match(done.html, /Hub Channel/);
  assert.match(done.html, /server “Creator Hub”, linked by the Discord account The Admin \(@admin\)/);
  const edited = await second.interaction.waitForOriginal((m) => /now linked/.test(m.content ?? ''));
  assert.match(edited.content ?? '', /The server is now linked to \*\*Hub Channel\*\*/);
});

test('cancelling on Discord’s page, or Discord failing to confirm, links nothing and says so', async () => {
  discord.oauth.consent.mode = 'deny';
  try {
    const link = await run(MOD, 'link');
    const seen = await openAs(link.url, MOD);
    assert.equal(seen.response.status, 403);
    assert.match(seen.html, /The Discord sign-in did not complete/);
    await link.interaction.waitForOriginal((m) =>
      /Discord sign-in on the link page did not complete/.test(m.content ?? ''),
    );
  } finally {
    discord.oauth.consent.mode = 'auto';
  }
  discord.failNext({ method: 'POST', pathPattern: /^\/oauth2\/token$/ }, { status: 500 });
  const link = await run(MOD, 'link');
  const seen = await openAs(link.url, MOD);
  assert.equal(seen.response.status, 403);
  assert.match(seen.html, /did not complete/);
  assert.doesNotMatch((await run(MOD, 'link')).content, /linked to/);
});

test('no Discord sign-in secret reaches a log line', () => {
  const log = bot.lines.join('\n');
  const secrets = [discord.oauth.clientSecret];
  for (const call of discord.calls) {
    if (call.path === '/oauth2/token' && call.method === 'POST') {
      const form = (call.body ?? {}) as Record<string, string>;
      secrets.push(form['code'] ?? '', form['code_verifier'] ?? '');
    }
    if (call.path === '/oauth2/authorize') secrets.push(call.query.get('state') ?? '');
  }
  assert.ok(secrets.filter((s) => s.length > 20).length >= 8, 'the test saw the secrets');
  for (const secret of secrets.filter((s) => s.length > 20)) {
    assert.ok(!log.includes(secret), `a secret appears in the log: ${secret.slice(0, 6)}…`);
  }
});
