// Issue #13, the pages: the upload page (its HTML and every sentence its script shows) speaks the language
// of the member who ran /upload, whatever the browser's; the pages of a link that is unknown, expired or
// used speak the browser's (Accept-Language: nobody is known); the link flow's error pages speak the
// language of the member who ran /link. Headless Chromium runs the page's script under its strict CSP.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { FakeDiscord, type FakeUser } from './fakes/discord.ts';
import { FakeGoogle } from './fakes/google.ts';
import { freePort } from './support/bot.ts';
import { startTestApp, type TestApp } from './support/app.ts';
import { linkMember, openLinkPage, pressContinue, TestBrowser } from './support/link.ts';
import { MiB, mp4Bytes, sha256 } from './support/media.ts';
import { hashToken, type PageLink } from '../src/uploads/page-links.ts';
import type { JobRecord } from '../src/uploads/records.ts';
import type { LinkOutcome } from '../src/google/oauth.ts';
import { LANGUAGES } from '../src/i18n/index.ts';
import { outcomePage, wrongAccount } from '../src/http/link-pages.ts';
import { renderPage } from '../src/http/pages.ts';
import { scriptTexts } from '../src/http/upload-page.ts';

const CHROMIUM = '/usr/bin/chromium';
const GUILD = '800000000000000141';
const CHANNEL = '900000000000000141';
const JANA: FakeUser = { id: '700000000000000141', username: 'jana', global_name: 'Jana K.' };
const EMMA: FakeUser = { id: '700000000000000142', username: 'emma', global_name: 'Emma' };
const LUC: FakeUser = { id: '700000000000000143', username: 'luc', global_name: 'Luc' };
const skip =
  !existsSync(CHROMIUM) && process.env['CI'] !== 'true'
    ? `needs ${CHROMIUM}: apt-get install chromium`
    : false;

let discord: FakeDiscord;
let google: FakeGoogle;
let bot: TestApp;
let browser: Browser;
let dir: string;
let publicUrl: string;
const accounts: Record<string, ReturnType<FakeGoogle['addAccount']>> = {};

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'tb-i18n-pages-'));
  discord = await FakeDiscord.start({
    guilds: [
      { id: GUILD, name: 'Seiten', ownerId: EMMA.id, channels: [{ id: CHANNEL, name: 'videos', type: 0 }] },
    ],
  });
  const port = await freePort();
  publicUrl = `http://127.0.0.1:${port}`;
  google = await FakeGoogle.start({ redirectUris: [`${publicUrl}/oauth/callback`] });
  bot = await startTestApp(discord, google, {
    env: { PUBLIC_URL: publicUrl, HTTP_PORT: String(port), UPLOAD_MAX_BYTES: String(1024 * MiB) },
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-sync',
    ],
  });
  accounts['jana'] = google.addAccount({ email: 'jana@example.com', channel: { title: 'Janas Kanal' } });
  accounts['emma'] = google.addAccount({ email: 'emma@example.com', channel: { title: 'Emma Channel' } });
  await linkMember(discord, google, JANA, accounts['jana'], GUILD, { locale: 'de', done: /Verknüpft mit/ });
  await linkMember(discord, google, EMMA, accounts['emma'], GUILD);
});

after(async () => {
  if (skip) return;
  await browser.close();
  await bot.stop();
  await discord.close();
  await google.close();
  rmSync(dir, { recursive: true, force: true });
});

/** /upload without a file, in `locale`: the address of the reply's page button. */
async function askForPage(user: FakeUser, locale: string): Promise<string> {
  const interaction = discord.sendCommand({
    name: 'upload',
    user,
    guildId: GUILD,
    channelId: CHANNEL,
    locale,
  });
  const reply = await interaction.waitForOriginal((m) => (m.components?.length ?? 0) > 0);
  const button = (reply.components as { components: { url?: string }[] }[])[0]?.components[0];
  assert.ok(button?.url, 'the reply links to the page');
  return button.url;
}

/** A page in a browser whose own language is `locale` (its Accept-Language). */
async function openPage(url: string, locale: string): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ locale, viewport: { width: 390, height: 760 } });
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(url);
  return { page, problems };
}

/** waitFor for checks that must await (the page's text). */
async function until<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const textOf = (page: Page, selector: string) => page.locator(selector).innerText();
const videosOf = (account: { channel: { id: string } | null }) =>
  [...google.videos.values()].filter((v) => v.ownerChannelId === account.channel?.id);

/** The stored job behind a page address (its id is in the page's upload URL). */
async function jobBehind(url: string): Promise<{ id: string; record: JobRecord }> {
  const html = await (await fetch(url)).text();
  const id = /data-upload="\/u\/[A-Za-z0-9_-]{43}\/files\/([A-Za-z0-9_-]+)"/.exec(html)?.[1] ?? '';
  const record = await bot.app.ctx.store.collection<JobRecord>('upload').get(id);
  assert.ok(record, 'the job is stored');
  return { id, record };
}

let germanPageUrl = '';

test(
  "a German member's upload page reads German in an English browser: labels, a refused file, the progress, the done message",
  { skip },
  async () => {
    const jana = accounts['jana']!;
    const url = await askForPage(JANA, 'de');
    germanPageUrl = url;
    const { page, problems } = await openPage(url, 'en-US');
    assert.equal(await page.getAttribute('html', 'lang'), 'de');
    assert.equal(await page.title(), 'Auf YouTube hochladen · TubeBridge');
    const main = await textOf(page, 'main');
    assert.match(main, /Für Jana K\.\s*@jana/);
    assert.match(main, /Titel\s*aus dem Dateinamen/);
    assert.match(main, /Sichtbarkeit\s*öffentlich/);
    assert.match(main, /Wähle das Video aus oder zieh es hierher/);
    assert.match(main, /diese Seite ist nur für dich/);
    assert.doesNotMatch(main, /Upload to YouTube|Title|Privacy|Choose the video|this page is for you/);
    assert.equal(await page.locator('#pause').textContent(), 'Pausieren');
    assert.equal(await page.locator('#cancel').textContent(), 'Abbrechen');

    // The script's own check refuses a file that is not a video, in German.
    await page.setInputFiles('#file', writeFile('notizen.mp4', Buffer.alloc(MiB, 'kein Video\n')));
    await until(
      async () => ((await textOf(page, '#message')).includes('ist kein Video') ? true : undefined),
      'the German refusal',
    );
    assert.equal(
      await textOf(page, '#message'),
      'notizen.mp4 ist kein Video, das YouTube annimmt (MP4, MOV, WebM, MKV, AVI, FLV, WMV, 3GP, MPEG).',
    );

    // The progress line while YouTube reads slowly: German words, German decimal commas.
    google.upload.throttleBytesPerSec = 2 * MiB;
    const data = mp4Bytes(12 * MiB + 5, 1401);
    try {
      await page.setInputFiles('#file', writeFile('urlaub.mp4', data));
      const numbers = await until(async () => {
        const text = await textOf(page, '#numbers');
        return /\d+,\d MiB von 12,0 MiB · \d+,\d MiB\/s · noch etwa \d/.test(text) ? text : undefined;
      }, 'the German progress line with a speed');
      assert.match(numbers, /^\d+\s% · /, 'the percent written the German way');
    } finally {
      google.upload.throttleBytesPerSec = null;
    }
    await page.locator('#message a').waitFor({ timeout: 120_000 });
    const video = videosOf(jana).find((v) => v.sha256 === sha256(data));
    assert.ok(video, 'the video is on YouTube');
    assert.equal(await textOf(page, '#message'), `Fertig! Dein Video: https://youtu.be/${video.id}`);
    assert.equal(await page.locator('#message a').getAttribute('href'), `https://youtu.be/${video.id}`);
    assert.deepEqual(
      problems.filter((p) => !/status of 404/.test(p)),
      [],
      'no console errors, no CSP violations',
    );
    await page.close();
  },
);

function writeFile(name: string, data: Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, data);
  return path;
}

test(
  'an expired upload link opened in a Japanese browser reads Japanese, and names nobody',
  { skip },
  async () => {
    const url = await askForPage(JANA, 'de');
    // The link's hour is over: its record says it expired a minute ago (the job never got a file).
    const links = bot.app.ctx.store.collection<PageLink>('upload-page');
    const key = hashToken(url.slice(url.lastIndexOf('/') + 1));
    const link = await links.get(key);
    assert.ok(link);
    await links.set(key, { ...link, expiresAt: Date.now() - 60_000 });

    const { page } = await openPage(url, 'ja');
    assert.equal(await page.getAttribute('html', 'lang'), 'ja');
    assert.equal(await textOf(page, 'h1'), 'このアップロードリンクは有効期限が切れています');
    const main = await textOf(page, 'main');
    assert.match(main, /アップロードリンクの有効期間は1時間です。Discordで \/upload をもう一度実行/);
    assert.doesNotMatch(main, /jana|Jana|Dateinamen/, 'names nobody, not even in the member’s language');
    await page.close();

    // The same address in an English browser reads as it always did.
    const english = await fetch(url, { headers: { 'accept-language': 'en-US,en;q=0.9' } });
    assert.equal(english.status, 410);
    const html = await english.text();
    assert.match(html, /<html lang="en">/);
    assert.match(html, /<h1>This upload link has expired<\/h1>/);
    assert.match(html, /Upload links work for one hour\. Run \/upload again in Discord to get a new one\./);
  },
);

test('a used and an unknown upload link speak the browser’s language too', { skip }, async () => {
  assert.ok(germanPageUrl, 'the German page was used first');
  const used = await fetch(germanPageUrl, { headers: { 'accept-language': 'fr-CH, fr;q=0.9, en;q=0.8' } });
  assert.equal(used.status, 410);
  const usedHtml = await used.text();
  assert.match(usedHtml, /<html lang="fr">/);
  assert.match(usedHtml, /<h1>Ce lien d’envoi a déjà été utilisé<\/h1>/);
  const unknown = await fetch(germanPageUrl.replace(/[A-Za-z0-9_-]{43}$/, 'A'.repeat(43)), {
    headers: { 'accept-language': 'ja' },
  });
  assert.equal(unknown.status, 404);
  assert.match(await unknown.text(), /<h1>このアップロードリンクは無効です<\/h1>/);
});

test(
  'an upload recorded before pages knew the member’s language speaks the browser’s, else English',
  { skip },
  async () => {
    const url = await askForPage(EMMA, 'en-US');
    const jobs = bot.app.ctx.store.collection<JobRecord>('upload');
    const { id, record } = await jobBehind(url);
    const old: JobRecord = { ...record };
    delete old.locale;
    await jobs.set(id, old);
    const spanish = await fetch(url, { headers: { 'accept-language': 'es-MX,es;q=0.9' } });
    const html = await spanish.text();
    assert.match(html, /<html lang="es-ES">/);
    assert.match(html, /<title>Subir a YouTube · TubeBridge<\/title>/);
    const plain = await (await fetch(url)).text();
    assert.match(plain, /<html lang="en">/);
    assert.match(plain, /<h1>Upload to YouTube<\/h1>/);
    // A member's own language wins over the browser's.
    await jobs.set(id, { ...old, locale: 'pt-BR' });
    const portuguese = await (await fetch(url, { headers: { 'accept-language': 'es-MX' } })).text();
    assert.match(portuguese, /<h1>Enviar para o YouTube<\/h1>/);
  },
);

/** A French member's /link, through the page, to Google's answer; returns the final page. */
async function frenchLink(how: { acceptLanguage: string; sameBrowser?: boolean }) {
  const interaction = discord.sendCommand({ name: 'link', user: LUC, guildId: GUILD, locale: 'fr' });
  const data = (await interaction.response()).data as { components: { components: { url: string }[] }[] };
  const url = data.components[0]?.components[0]?.url ?? '';
  const member = new TestBrowser();
  const headers = { 'accept-language': how.acceptLanguage };
  const linkPage = await openLinkPage(member, url);
  const toGoogle = await pressContinue(member, url, linkPage.token);
  const consent = await member.fetch(new URL(toGoogle.headers.get('location') ?? '', url).href);
  const callback = new URL(consent.headers.get('location') ?? '').href;
  const reader = how.sameBrowser === false ? new TestBrowser() : member;
  const response = await reader.fetch(callback, { headers });
  return { response, html: await response.text() };
}

test('the link flow’s error pages speak the language of the member who ran /link', { skip }, async () => {
  try {
    // Consent refused on Google's page, read in a German browser: French, the member's language.
    google.consent.mode = 'deny';
    const denied = await frenchLink({ acceptLanguage: 'de-DE,de;q=0.9' });
    assert.equal(denied.response.status, 403);
    assert.match(denied.html, /<html lang="fr">/);
    assert.match(denied.html, /<h1>Rien n’a été associé<\/h1>/);
    assert.match(
      denied.html,
      /Tu n’as pas autorisé l’accès sur la page de Google\. Lance \/link sur Discord/,
    );
    assert.match(denied.html, /tu peux fermer cet onglet/);
    assert.doesNotMatch(denied.html, /Nothing was linked|Es wurde nichts/);

    // A permission unticked on the granular consent screen.
    google.consent.mode = 'auto';
    google.consent.account = google.addAccount({ email: 'luc@example.com', channel: { title: 'Luc TV' } });
    google.consent.withholdScopes = ['youtube'];
    const scope = await frenchLink({ acceptLanguage: 'en-US' });
    assert.equal(scope.response.status, 403);
    assert.match(scope.html, /<h1>Une autorisation n’a pas été accordée<\/h1>/);
    google.consent.withholdScopes = [];

    // Google's answer arrives in another browser (a forwarded address): the state does not match it.
    const forwarded = await frenchLink({ acceptLanguage: 'ja', sameBrowser: false });
    assert.equal(forwarded.response.status, 400);
    assert.match(forwarded.html, /<h1>Cette connexion n’a pas commencé dans ce navigateur<\/h1>/);
    assert.match(forwarded.html, /Si quelqu’un t’a envoyé cette adresse, ferme cette page\./);
  } finally {
    google.consent.mode = 'auto';
    google.consent.withholdScopes = [];
  }
  // Nobody is known behind a state that is not one: the browser's language.
  const unknown = await new TestBrowser().fetch(
    `${publicUrl}/oauth/callback?state=${'B'.repeat(43)}&code=x`,
    {
      headers: { 'accept-language': 'ja' },
    },
  );
  assert.equal(unknown.status, 400);
  assert.match(await unknown.text(), /<h1>このリンクは有効期限が切れています<\/h1>/);
});

test('every outcome page of the link flow exists in every language, in the member’s', () => {
  const requester = {
    userId: LUC.id,
    username: 'luc',
    displayName: 'Luc',
    avatarUrl: undefined,
    guildName: 'Seiten',
  };
  const kinds = [
    'denied',
    'no_channel',
    'missing_scope',
    'missing_code',
    'exchange_failed',
    'signin_failed',
    'unconfirmed',
    'wrong_account',
  ] as const;
  for (const language of LANGUAGES) {
    for (const kind of kinds) {
      // Each outcome as the link flow makes it: the member's locale with it (and their record, for some).
      const outcome = (locale: string): LinkOutcome =>
        kind === 'wrong_account'
          ? { kind, owner: LUC.id, requester: { ...requester, locale } }
          : { kind, owner: LUC.id, locale };
      const { content } = outcomePage(outcome(language), 'ja');
      assert.match(renderPage(content), new RegExp(`<html lang="${language}">`), `${language}: ${kind}`);
      if (language !== 'en') assert.notEqual(content.title, outcomePage(outcome('en')).content.title);
    }
    const signedIn = wrongAccount({ ...requester, locale: language }, { username: 'someone-else' }).content;
    assert.match(signedIn.paragraphs[0] ?? '', /@someone-else/);
    assert.match(signedIn.paragraphs[0] ?? '', /Luc \(@luc\)/);
  }
});

test('every sentence the upload page’s script asks for is in the page, in every language', () => {
  const script = readFileSync(join(import.meta.dirname, '../src/http/assets/upload.js'), 'utf8');
  const names = new Set([...script.matchAll(/\btext\('([\w.]+)'/g)].map((m) => m[1] ?? ''));
  for (const refusal of script.matchAll(/\d{3}: '(\w+)'/g)) names.add(refusal[1] ?? '');
  assert.ok(names.size > 15, `the scan finds the script's sentences (${names.size})`);
  for (const language of LANGUAGES) {
    const texts = JSON.parse(scriptTexts(language)) as Record<string, string>;
    for (const name of names) assert.ok(texts[name], `${language}: the script's "${name}"`);
    assert.equal(Object.keys(texts).length, Object.keys(JSON.parse(scriptTexts('en')) as object).length);
  }
  // Safe inside <script>: no "</script>" can close the block, whatever a text holds.
  assert.doesNotMatch(scriptTexts('en'), /</);
});
