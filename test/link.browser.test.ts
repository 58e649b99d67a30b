// The real flow in headless Chromium: open the address from the /link reply, read the page that names
// the member and press Continue, pass the Google fake's consent page with a click, land on the success
// page. Real Chromium enforces the pages' CSP (style hash, images, where the form may lead). Saves
// screenshots under test-output/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { FakeDiscord } from './fakes/discord.ts';
import { FakeGoogle } from './fakes/google.ts';
import { baseEnv, fakeEnv, freePort, ROOT, startBot, type BotProcess } from './support/bot.ts';

const CHROMIUM = '/usr/bin/chromium';
const GUILD = { id: '800000000000000021', name: 'Browser Test', ownerId: '700000000000000021' };
const MEMBER = { id: '700000000000000022', username: 'browser-user', global_name: 'Browser User' };
// CI installs Chromium (.ci/run); a developer without it is told how to get it instead of failing.
const skip =
  !existsSync(CHROMIUM) && process.env['CI'] !== 'true'
    ? `needs ${CHROMIUM}: apt-get install chromium`
    : false;

let discord: FakeDiscord;
let google: FakeGoogle;
let bot: BotProcess;
let browser: Browser;

before(async () => {
  if (skip) return;
  discord = await FakeDiscord.start({ guilds: [GUILD] });
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  google = await FakeGoogle.start({ redirectUris: [`${publicUrl}/oauth/callback`] });
  google.consent.mode = 'page';
  bot = startBot(
    baseEnv({
      ...fakeEnv(discord, google),
      PUBLIC_URL: publicUrl,
      HTTP_PORT: String(port),
    }),
  );
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  await bot.waitForLog((e) => e['msg'] === 'discord ready', 'the bot to be ready');
});

after(async () => {
  if (skip) return;
  await browser.close();
  await bot.stop('SIGKILL');
  await discord.close();
  await google.close();
});

test('a member links their channel in a real browser', { skip }, async () => {
  google.consent.account = google.addAccount({
    email: 'viewer@example.com',
    channel: { title: 'Browser Channel' },
  });
  const interaction = discord.sendCommand({ name: 'link', user: MEMBER, guildId: GUILD.id });
  const data = (await interaction.response()).data as { components: { components: { url: string }[] }[] };
  const url = data.components[0]?.components[0]?.url ?? '';

  const page = await browser.newPage({ viewport: { width: 390, height: 760 } }); // a phone
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  await page.goto(url);
  assert.equal(page.url(), url, 'the link page stays: nothing redirects before Continue');
  assert.equal(await page.locator('h1').innerText(), 'Is this you?');
  const confirm = await page.locator('main').innerText();
  assert.match(confirm, /Browser User\s*@browser-user/);
  assert.match(confirm, /ran \/link in the server “Browser Test”/);
  assert.match(confirm, /Continue only if this is you\./);
  assert.equal(google.authRequests.length, 0, 'nobody was sent to Google yet');
  const dir = join(ROOT, 'test-output');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, 'link-confirm.png'), fullPage: true });
  await page.getByRole('button', { name: 'Continue to Google' }).click();
  await page.waitForURL((u) => u.toString().startsWith(google.authUrl));
  await page.getByRole('button', { name: /allow/i }).click();
  await page.waitForURL(/\/oauth\/callback/);

  assert.equal(await page.locator('h1').innerText(), 'Your YouTube channel is linked');
  assert.match(await page.locator('main').innerText(), /Browser Channel/);
  assert.match(await page.locator('main').innerText(), /Discord account Browser User \(@browser-user\)/);
  assert.ok(
    !page.url().includes('code=') ||
      !(await page.content()).includes(new URL(page.url()).searchParams.get('code') ?? '-'),
  );
  // The page's own style applied under its strict CSP (a wrong hash would leave it unstyled).
  const radius = await page.evaluate("getComputedStyle(document.querySelector('main')).borderTopLeftRadius");
  assert.equal(radius, '12px');
  // The channel picture lives on Google's servers, out of reach here; anything else is a defect.
  const unexpected = problems.filter((p) => !/ERR_NAME_NOT_RESOLVED|ERR_INTERNET_DISCONNECTED/.test(p));
  assert.deepEqual(unexpected, [], 'no console errors, no CSP violations');
  assert.equal(await page.locator('main img').count(), 1, 'the channel picture is shown');

  await page.screenshot({ path: join(dir, 'link-success.png'), fullPage: true });

  const edited = await interaction.waitForOriginal((m) => /Linked to/.test(m.content ?? ''));
  assert.equal(edited.content, 'Linked to **Browser Channel**. You can now use /upload.');
});

test(
  'with DISCORD_CLIENT_SECRET the member signs in with Discord on the way, in a real browser',
  { skip },
  async () => {
    // A world of its own: a bot that asks for the Discord sign-in, and consent pages to click through.
    const ownDiscord = await FakeDiscord.start({ guilds: [GUILD] });
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    const ownGoogle = await FakeGoogle.start({ redirectUris: [`${publicUrl}/oauth/callback`] });
    ownGoogle.consent.mode = 'page';
    ownDiscord.oauth.redirectUris.add(`${publicUrl}/oauth/discord/callback`);
    ownDiscord.oauth.consent.user = MEMBER;
    ownDiscord.oauth.consent.mode = 'page';
    const ownBot = startBot(
      baseEnv({
        ...fakeEnv(ownDiscord, ownGoogle),
        PUBLIC_URL: publicUrl,
        HTTP_PORT: String(port),
        DISCORD_CLIENT_SECRET: ownDiscord.oauth.clientSecret,
      }),
    );
    const page = await browser.newPage({ viewport: { width: 390, height: 760 } });
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    try {
      await ownBot.waitForLog((e) => e['msg'] === 'discord ready', 'the bot to be ready');
      ownGoogle.consent.account = ownGoogle.addAccount({
        email: 'signed@example.com',
        channel: { title: 'Signed-in Channel' },
      });
      const interaction = ownDiscord.sendCommand({ name: 'link', user: MEMBER, guildId: GUILD.id });
      const data = (await interaction.response()).data as { components: { components: { url: string }[] }[] };
      await page.goto(data.components[0]?.components[0]?.url ?? '');
      assert.match(
        await page.locator('main').innerText(),
        /only Browser User \(@browser-user\) can go on to Google/,
      );
      // The form's answer leads to Discord: the page's CSP must let it.
      await page.getByRole('button', { name: 'Sign in with Discord to continue' }).click();
      await page.waitForURL((u) => u.pathname === '/oauth2/authorize');
      assert.match(await page.locator('#signed-in').innerText(), /@browser-user/);
      await page.getByRole('button', { name: 'Authorize' }).click();
      await page.waitForURL((u) => u.toString().startsWith(ownGoogle.authUrl));
      await page.getByRole('button', { name: /allow/i }).click();
      await page.waitForURL(/\/oauth\/callback/);
      assert.equal(await page.locator('h1').innerText(), 'Your YouTube channel is linked');
      assert.match(await page.locator('main').innerText(), /Signed-in Channel/);
      const unexpected = problems.filter((p) => !/ERR_NAME_NOT_RESOLVED|ERR_INTERNET_DISCONNECTED/.test(p));
      assert.deepEqual(unexpected, [], 'no console errors, no CSP violations');
      const edited = await interaction.waitForOriginal((m) => /Linked to/.test(m.content ?? ''));
      assert.equal(edited.content, 'Linked to **Signed-in Channel**. You can now use /upload.');
    } finally {
      await page.close();
      await ownBot.stop('SIGKILL');
      await ownDiscord.close();
      await ownGoogle.close();
    }
  },
);
