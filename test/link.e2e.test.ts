// Account linking end to end: the real bot process, the Discord fake dispatching /link and
// /unlink, the member's "browser" following the links, and the Google fake's consent and tokens.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { FakeDiscord, type FakeUser, type InteractionHandle } from './fakes/discord.ts';
import { FakeGoogle } from './fakes/google.ts';
import { baseEnv, fakeEnv, freePort, startBot, type BotProcess } from './support/bot.ts';
import { openLinkPage, pressContinue, TestBrowser } from './support/link.ts';

const GUILD = { id: '800000000000000011', name: 'Creators', ownerId: '700000000000000011' };
const ALICE: FakeUser = { id: '700000000000000012', username: 'alice', global_name: 'Alice A.' };
const BOB = { id: '700000000000000013', username: 'bob' };
const CAROL = { id: '700000000000000014', username: 'carol' };

let discord: FakeDiscord;
let google: FakeGoogle;
let bot: BotProcess;
let publicUrl: string;
let storeFile: string;
/** Every secret the test saw pass by: none may appear in a log line or in the store file. */
const secrets = new Set<string>();

before(async () => {
  discord = await FakeDiscord.start({ guilds: [GUILD] });
  const port = await freePort();
  publicUrl = `http://127.0.0.1:${port}`;
  google = await FakeGoogle.start({ redirectUris: [`${publicUrl}/oauth/callback`] });
  const env = baseEnv({
    ...fakeEnv(discord, google),
    PUBLIC_URL: publicUrl,
    HTTP_PORT: String(port),
  });
  storeFile = (env['STORE_URL'] ?? '').slice('sqlite://'.length);
  secrets.add(discord.botToken).add(google.clientSecret);
  bot = startBot(env);
  await bot.waitForLog((e) => e['msg'] === 'discord ready', 'the bot to be ready');
});

after(async () => {
  await bot.stop('SIGKILL');
  await discord.close();
  await google.close();
});

interface LinkReply {
  interaction: InteractionHandle;
  content: string;
  url: string;
}

async function runLink(user: FakeUser): Promise<LinkReply> {
  const interaction = discord.sendCommand({ name: 'link', user, guildId: GUILD.id });
  secrets.add(interaction.token);
  const response = await interaction.response();
  assert.equal(response.type, 4);
  const data = response.data as {
    content: string;
    flags?: number;
    components: { components: { style: number; url: string; label: string }[] }[];
  };
  assert.equal((data.flags ?? 0) & 64, 64, '/link answers privately');
  const button = data.components[0]?.components[0];
  assert.ok(button, 'a link button');
  assert.equal(button.style, 5, 'a link-style button');
  assert.ok(button.url.length <= 512, 'Discord refuses link buttons over 512 characters');
  assert.match(button.url, new RegExp(`^${publicUrl}/link/[A-Za-z0-9_-]{43}$`));
  secrets.add(button.url.slice(button.url.lastIndexOf('/') + 1));
  return { interaction, content: data.content, url: button.url };
}

/** Opens the member's button in `browser` and presses Continue: the answer redirects to Google. */
async function toGoogle(url: string, browser = new TestBrowser()): Promise<URL> {
  const page = await openLinkPage(browser, url);
  assert.equal(page.response.status, 200, `the link page answers (got ${page.response.status})`);
  const next = await pressContinue(browser, url, page.token);
  assert.equal(next.status, 303, `Continue redirects (got ${next.status})`);
  const googleUrl = next.headers.get('location') ?? '';
  assert.ok(googleUrl.startsWith(google.authUrl), googleUrl);
  secrets.add(new URL(googleUrl).searchParams.get('state') ?? '');
  return new URL(googleUrl);
}

/** Follows the member's button through the bot's page and Google's consent back to the callback. */
async function browse(
  url: string,
  browser = new TestBrowser(),
): Promise<{ callback: string; response: Response; html: string }> {
  const googleUrl = await toGoogle(url, browser);
  const consent = await fetch(googleUrl, { redirect: 'manual' });
  assert.equal(consent.status, 302);
  const callback = consent.headers.get('location') ?? '';
  const code = new URL(callback).searchParams.get('code');
  if (code) secrets.add(code);
  const response = await browser.fetch(callback);
  return { callback, response, html: await response.text() };
}

test('a full link: private button, PKCE consent, success page naming the channel, reply updated', async () => {
  const account = google.addAccount({ email: 'alice@example.com', channel: { title: 'Alice Makes Films' } });
  google.consent.account = account;
  const link = await runLink(ALICE);
  assert.match(link.content, /choose your Google account/);

  const browser = new TestBrowser();
  const auth = await toGoogle(link.url, browser);
  assert.equal(auth.searchParams.get('access_type'), 'offline');
  assert.equal(auth.searchParams.get('prompt'), 'consent');
  assert.equal(auth.searchParams.get('include_granted_scopes'), 'true');
  assert.equal(auth.searchParams.get('code_challenge_method'), 'S256');
  assert.match(auth.searchParams.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/);
  assert.equal(auth.searchParams.get('scope'), 'https://www.googleapis.com/auth/youtube');
  assert.equal(auth.searchParams.get('redirect_uri'), `${publicUrl}/oauth/callback`);
  // Google gets a new state, bound to this browser: the button's own state was spent on Continue.
  assert.match(auth.searchParams.get('state') ?? '', /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(auth.searchParams.get('state'), link.url.slice(link.url.lastIndexOf('/') + 1));

  const consent = await fetch(auth, { redirect: 'manual' });
  const callback = consent.headers.get('location') ?? '';
  secrets.add(new URL(callback).searchParams.get('code') ?? '');
  const response = await browser.fetch(callback);
  const html = await response.text();
  assert.equal(response.status, 200);
  assert.match(html, /Your YouTube channel is linked/);
  assert.match(html, /Alice Makes Films/);
  assert.match(html, /Discord account Alice A\. \(@alice\)/, 'the success page names the Discord account');
  const code = new URL(callback).searchParams.get('code') ?? '-';
  const state = new URL(callback).searchParams.get('state') ?? '-';
  assert.ok(!html.includes(code) && !html.includes(state), 'the code and state are not echoed');
  assert.match(response.headers.get('content-security-policy') ?? '', /default-src 'none'/);
  assert.equal(response.headers.get('referrer-policy'), 'no-referrer');
  assert.equal(response.headers.get('cache-control'), 'no-store');

  const edited = await link.interaction.waitForOriginal((m) => /Linked to/.test(m.content ?? ''));
  assert.equal(edited.content, 'Linked to **Alice Makes Films**. You can now use /upload.');
  assert.deepEqual(edited.components, [], 'the used button is removed');
});

test('/link while linked names the channel and offers a switch; relinking to another channel replaces and revokes the old grant', async () => {
  const before = await runLink(ALICE);
  assert.match(before.content, /You are linked to \*\*Alice Makes Films\*\*/);
  const switchPage = await openLinkPage(new TestBrowser(), before.url);
  assert.equal(switchPage.response.status, 200, 'opening the page spends nothing');

  const second = google.addAccount({
    email: 'alice.brand@example.com',
    channel: { title: 'Alice Brand Channel' },
  });
  google.consent.account = second;
  const revokesBefore = google.requests.filter((r) => r.path === '/revoke').length;
  const browser = new TestBrowser();
  const auth = await toGoogle(before.url, browser);
  assert.match(auth.searchParams.get('prompt') ?? '', /select_account/);
  const consent = await fetch(auth, { redirect: 'manual' });
  const response = await browser.fetch(consent.headers.get('location') ?? '');
  assert.equal(response.status, 200);
  const edited = await before.interaction.waitForOriginal((m) => /Linked to/.test(m.content ?? ''));
  assert.match(
    edited.content ?? '',
    /Linked to \*\*Alice Brand Channel\*\* \(instead of Alice Makes Films\)/,
  );
  assert.equal(
    google.requests.filter((r) => r.path === '/revoke').length,
    revokesBefore + 1,
    'old grant revoked',
  );

  const after = await runLink(ALICE);
  assert.match(after.content, /You are linked to \*\*Alice Brand Channel\*\*/);
});

test('access denied ends on a clear page, updates the reply and stores nothing', async () => {
  google.addAccount({ email: 'bob@example.com', channel: { title: 'Bob TV' } });
  google.consent.mode = 'deny';
  try {
    const link = await runLink(BOB);
    const tokenCalls = google.requests.filter((r) => r.path === '/token').length;
    const { response, html } = await browse(link.url);
    assert.equal(response.status, 403);
    assert.match(html, /Nothing was linked/);
    assert.equal(google.requests.filter((r) => r.path === '/token').length, tokenCalls, 'no token exchange');
    const edited = await link.interaction.waitForOriginal((m) => /cancelled/.test(m.content ?? ''));
    assert.match(edited.content ?? '', /Run \/link to try again/);
  } finally {
    google.consent.mode = 'auto';
  }
  const again = await runLink(BOB);
  assert.doesNotMatch(again.content, /You are linked/);
});

test('a replayed callback is refused without a second token exchange', async () => {
  const account = google.addAccount({ email: 'carol@example.com', channel: { title: 'Carol Cooks' } });
  google.consent.account = account;
  const link = await runLink(CAROL);
  const { callback, response } = await browse(link.url);
  assert.equal(response.status, 200);
  const tokenCalls = google.requests.filter((r) => r.path === '/token').length;
  const replay = await fetch(callback, { redirect: 'manual' });
  assert.equal(replay.status, 400);
  assert.match(await replay.text(), /already used/);
  assert.equal(google.requests.filter((r) => r.path === '/token').length, tokenCalls);
  const reopen = await fetch(link.url, { redirect: 'manual' });
  assert.equal(reopen.status, 400, 'the short link is dead too');
  assert.match(await reopen.text(), /expired/);
});

test('unknown, tampered and missing states end on a 400 page without a token exchange', async () => {
  const tokenCalls = google.requests.filter((r) => r.path === '/token').length;
  for (const query of ['', '?code=abc', '?code=abc&state=short', `?code=abc&state=${'A'.repeat(43)}`]) {
    const response = await fetch(`${publicUrl}/oauth/callback${query}`);
    assert.equal(response.status, 400, query);
    const html = await response.text();
    assert.match(html, /expired/, query);
    assert.ok(!html.includes('abc'), 'nothing from the query is echoed');
  }
  assert.equal(google.requests.filter((r) => r.path === '/token').length, tokenCalls);
  assert.equal((await fetch(`${publicUrl}/link/${'B'.repeat(43)}`, { redirect: 'manual' })).status, 400);
});

test("one member's state links only that member: another's pending link is untouched", async () => {
  const dave = { id: '700000000000000015', username: 'dave' };
  const erin = { id: '700000000000000016', username: 'erin' };
  const daveAccount = google.addAccount({ email: 'dave@example.com', channel: { title: 'Dave Drives' } });
  const erinAccount = google.addAccount({ email: 'erin@example.com', channel: { title: 'Erin Explains' } });
  const daveLink = await runLink(dave);
  const erinLink = await runLink(erin);
  google.consent.account = erinAccount;
  assert.equal((await browse(erinLink.url)).response.status, 200);
  await erinLink.interaction.waitForOriginal((m) => /Erin Explains/.test(m.content ?? ''));
  assert.ok(!/Linked/.test(daveLink.interaction.original()?.content ?? ''), "dave's reply is unchanged");
  assert.match((await runLink(erin)).content, /linked to \*\*Erin Explains\*\*/);
  assert.doesNotMatch((await runLink(dave)).content, /linked to/, "dave is not linked to erin's channel");
  google.consent.account = daveAccount;
  assert.equal((await browse(daveLink.url)).response.status, 200, "dave's own state still works");
});

test('an account without a YouTube channel gets a page and a reply saying how to create one', async () => {
  const frank = { id: '700000000000000017', username: 'frank' };
  google.consent.account = google.addAccount({ email: 'frank@example.com', channel: null });
  const link = await runLink(frank);
  const { response, html } = await browse(link.url);
  assert.equal(response.status, 403);
  assert.match(html, /no YouTube channel/);
  assert.match(html, /youtube\.com\/create_channel/);
  const edited = await link.interaction.waitForOriginal((m) => /no YouTube channel/.test(m.content ?? ''));
  assert.match(edited.content ?? '', /https:\/\/www\.youtube\.com\/create_channel/);
  assert.doesNotMatch((await runLink(frank)).content, /linked to/);
});

test('a callback without a code, or with a permission unticked, links nothing and says what to do', async () => {
  const gina = { id: '700000000000000018', username: 'gina' };
  google.consent.account = google.addAccount({ email: 'gina@example.com', channel: { title: 'Gina Games' } });
  const first = await runLink(gina);
  const browser = new TestBrowser();
  const state = (await toGoogle(first.url, browser)).searchParams.get('state') ?? '';
  const tokenCalls = google.requests.filter((r) => r.path === '/token').length;
  const noCode = await browser.fetch(`${publicUrl}/oauth/callback?state=${state}`);
  assert.equal(noCode.status, 400);
  assert.match(await noCode.text(), /did not complete the sign-in/);
  assert.equal(google.requests.filter((r) => r.path === '/token').length, tokenCalls, 'no token exchange');
  await first.interaction.waitForOriginal((m) => /did not complete/.test(m.content ?? ''));

  google.consent.withholdScopes = ['https://www.googleapis.com/auth/youtube'];
  try {
    const second = await runLink(gina);
    const { response, html } = await browse(second.url);
    assert.equal(response.status, 403);
    assert.match(html, /A permission was not granted/);
    const edited = await second.interaction.waitForOriginal((m) => /permission/.test(m.content ?? ''));
    assert.match(edited.content ?? '', /leave every box ticked/);
  } finally {
    google.consent.withholdScopes = [];
  }
  assert.doesNotMatch((await runLink(gina)).content, /linked to/);
});

test('the link page names the member, their server and "continue only if this is you"; opening it sends nobody to Google and spends nothing', async () => {
  const henry = { id: '700000000000000021', username: 'henry', global_name: 'Henry H.' };
  const link = await runLink(henry);
  const consents = google.authRequests.length;
  const browser = new TestBrowser();
  const page = await openLinkPage(browser, link.url);
  assert.equal(page.response.status, 200);
  assert.equal(page.response.headers.get('location'), null, 'no redirect');
  assert.match(page.html, /<h1>Is this you\?<\/h1>/);
  assert.match(page.html, /Henry H\.<small>@henry<\/small>/, 'display name and username');
  assert.match(page.html, /ran \/link in the server “Creators”/);
  assert.match(page.html, /Continue only if this is you\./);
  assert.match(page.html, /If someone sent you this link, close this page/);
  assert.match(page.html, /<img src="https:\/\/cdn\.discordapp\.com\/embed\/avatars\/\d\.png" alt="">/);
  assert.match(page.html, /<form method="post" action="\/link\/[A-Za-z0-9_-]{43}">/);
  assert.match(page.html, /<button type="submit">Continue to Google<\/button>/);
  const csp = page.response.headers.get('content-security-policy') ?? '';
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /img-src https:\/\/cdn\.discordapp\.com;/, 'images from Discord’s CDN only');
  assert.match(csp, new RegExp(`form-action 'self' ${new URL(google.authUrl).origin};`));
  assert.equal(page.response.headers.get('referrer-policy'), 'no-referrer');
  assert.equal(page.response.headers.get('cache-control'), 'no-store');
  assert.match(page.response.headers.get('set-cookie') ?? '', /HttpOnly; SameSite=Lax/);

  // Opened again, elsewhere: the same page; nothing went to Google, the reply is unchanged.
  assert.equal((await openLinkPage(new TestBrowser(), link.url)).response.status, 200);
  assert.equal(google.authRequests.length, consents, 'no consent request was made');
  assert.doesNotMatch(link.interaction.original()?.content ?? '', /Linked/);

  const auth = await toGoogle(link.url, browser);
  assert.equal(auth.origin, new URL(google.authUrl).origin);
  assert.equal((await openLinkPage(new TestBrowser(), link.url)).response.status, 400, 'Continue spent it');
});

test('a display name made of HTML is shown as text', async () => {
  const mallory = {
    id: '700000000000000022',
    username: 'mallory',
    global_name: '<img src=x onerror=alert(1)>Mal"lory</main><script>alert(2)</script>',
  };
  const link = await runLink(mallory);
  const { html } = await openLinkPage(new TestBrowser(), link.url);
  assert.ok(!html.includes('<img src=x'), 'no injected image');
  assert.ok(!html.includes('<script>'), 'no injected script');
  assert.ok(
    html.includes(
      '&#60;img src=x onerror=alert(1)&#62;Mal&#34;lory&#60;/main&#62;&#60;script&#62;alert(2)&#60;/script&#62;',
    ),
  );
});

test('a Google address forwarded to someone else links nothing: the callback needs the browser that pressed Continue', async () => {
  const ivan = { id: '700000000000000023', username: 'ivan' };
  const victim = google.addAccount({ email: 'victim@example.com', channel: { title: 'Victim Vlogs' } });
  const link = await runLink(ivan);
  // Ivan presses Continue himself and sends the Google address on.
  const auth = await toGoogle(link.url, new TestBrowser());
  google.consent.account = victim;
  const consent = await fetch(auth, { redirect: 'manual' });
  const callback = consent.headers.get('location') ?? '';
  secrets.add(new URL(callback).searchParams.get('code') ?? '');
  const tokenCalls = google.requests.filter((r) => r.path === '/token').length;
  const response = await new TestBrowser().fetch(callback);
  assert.equal(response.status, 400);
  assert.match(await response.text(), /did not start in this browser/);
  assert.equal(
    google.requests.filter((r) => r.path === '/token').length,
    tokenCalls,
    'the code is never exchanged',
  );
  const edited = await link.interaction.waitForOriginal((m) => /nothing was linked/.test(m.content ?? ''));
  assert.match(edited.content ?? '', /did not finish in the browser that opened your link/);
  assert.doesNotMatch((await runLink(ivan)).content, /linked to/);
});

test('Continue without the page’s cookie or token is refused, and the link stays usable', async () => {
  const judy = { id: '700000000000000024', username: 'judy' };
  const link = await runLink(judy);
  const browser = new TestBrowser();
  const page = await openLinkPage(browser, link.url);
  // Another site's form: the browser sends no SameSite=Lax cookie with a cross-site POST.
  const crossSite = await pressContinue(new TestBrowser(), link.url, page.token);
  assert.equal(crossSite.status, 403);
  assert.match(await crossSite.text(), /open the link again/i);
  // A token for this state from another browser, and no token at all.
  const other = new TestBrowser();
  const otherPage = await openLinkPage(other, link.url);
  assert.equal((await pressContinue(browser, link.url, otherPage.token)).status, 403);
  assert.equal((await pressContinue(browser, link.url, '')).status, 403);
  assert.equal((await pressContinue(browser, link.url, page.token)).status, 303, 'still usable by its page');
});

test('/unlink revokes at Google and forgets; a failed revocation still forgets and says so', async () => {
  const unlink = async (user: FakeUser) => {
    const interaction = discord.sendCommand({ name: 'unlink', user, guildId: GUILD.id });
    const response = await interaction.response();
    assert.equal(response.type, 5, 'deferred: revocation is a network call');
    assert.equal(((response.data as { flags?: number } | undefined)?.flags ?? 0) & 64, 64);
    return interaction.waitForOriginal((m) => (m.content ?? '') !== '');
  };
  const revokes = google.requests.filter((r) => r.path === '/revoke' && r.status === 200).length;
  const first = await unlink(CAROL);
  assert.equal(first.content, "Unlinked **Carol Cooks**. Google confirmed the bot's access is revoked.");
  assert.equal(google.requests.filter((r) => r.path === '/revoke' && r.status === 200).length, revokes + 1);
  assert.match((await unlink(CAROL)).content ?? '', /nothing to unlink/);

  // google-auth-library retries a 5xx revoke itself: make Google fail every try.
  google.fail({ method: 'POST', path: /^\/revoke/ }, { status: 503 }, 4);
  const second = await unlink(ALICE);
  assert.match(second.content ?? '', /Unlinked \*\*Alice Brand Channel\*\* here, but Google did not confirm/);
  assert.match(second.content ?? '', /myaccount\.google\.com\/permissions/);
  assert.doesNotMatch((await runLink(ALICE)).content, /linked to/);
});

test('no secret reaches a log line, and the store file holds no token in plaintext', async () => {
  await bot.waitForLog((e) => e['msg'] === 'google account unlinked', 'the last unlink');
  const log = bot.lines.join('\n');
  // The database file and, when sqlite keeps one, its write-ahead log.
  const raw = [storeFile, `${storeFile}-wal`]
    .filter((f) => existsSync(f))
    .map((f) => readFileSync(f).toString('latin1'))
    .join('');
  assert.ok(secrets.size > 8, 'the test collected the secrets it saw');
  for (const secret of secrets) {
    assert.ok(!log.includes(secret), `a secret appears in the log: ${secret.slice(0, 6)}…`);
  }
  for (const token of google.issuedTokens()) {
    assert.ok(!log.includes(token), 'an issued Google token appears in the log');
    assert.ok(!raw.includes(token), 'an issued Google token is stored in plaintext');
  }
  assert.ok(google.issuedTokens().length >= 8);
});
