// The real flow in headless Chromium: open the address from the /link reply, pass the Google fake's
// consent page with a click, land on the success page. Saves a screenshot under test-output/.
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
const MEMBER = { id: '700000000000000022', username: 'browser-user' };
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
  assert.ok(page.url().startsWith(google.authUrl), `on Google's consent page: ${page.url()}`);
  await page.getByRole('button', { name: /allow/i }).click();
  await page.waitForURL(/\/oauth\/callback/);

  assert.equal(await page.locator('h1').innerText(), 'Your YouTube channel is linked');
  assert.match(await page.locator('main').innerText(), /Browser Channel/);
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

  const dir = join(ROOT, 'test-output');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, 'link-success.png'), fullPage: true });

  const edited = await interaction.waitForOriginal((m) => /Linked to/.test(m.content ?? ''));
  assert.equal(edited.content, 'Linked to **Browser Channel**. You can now use /upload.');
});
