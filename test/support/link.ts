// Links a member the way a person does: /link, open the button's page, Continue, Google's consent
// (and Discord's sign-in when the bot asks for one), the callback — in one "browser" that keeps the
// bot's cookie, as a real one does.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { FakeDiscord, FakeUser } from '../fakes/discord.ts';
import type { FakeAccount, FakeGoogle } from '../fakes/google.ts';
import type { App } from '../../src/app.ts';
import { serverOwner } from '../../src/store/settings.ts';

/** fetch with a cookie jar per origin and no automatic redirects. */
export class TestBrowser {
  private readonly jar = new Map<string, Map<string, string>>();

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const origin = new URL(url).origin;
    const cookies = this.jar.get(origin);
    const headers = new Headers(init.headers);
    if (cookies && cookies.size > 0)
      headers.set('cookie', [...cookies].map(([n, v]) => `${n}=${v}`).join('; '));
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const at = pair.indexOf('=');
      if (at > 0) {
        const jar = this.jar.get(origin) ?? new Map<string, string>();
        jar.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim());
        this.jar.set(origin, jar);
      }
    }
    return response;
  }

  /** Follows redirects (GET) from `response` until a page answers; returns it and the URLs passed. */
  async follow(
    response: Response,
    from: string,
  ): Promise<{ response: Response; url: string; passed: string[] }> {
    const passed: string[] = [];
    let url = from;
    while (response.status >= 301 && response.status <= 308 && response.headers.get('location')) {
      url = new URL(response.headers.get('location') ?? '', url).toString();
      passed.push(url);
      response = await this.fetch(url);
    }
    return { response, url, passed };
  }
}

/** The link page: its HTML and the Continue form's token. */
export async function openLinkPage(
  browser: TestBrowser,
  url: string,
): Promise<{ response: Response; html: string; token: string }> {
  const response = await browser.fetch(url);
  const html = await response.text();
  const token = /name="token" value="([A-Za-z0-9_-]+)"/.exec(html)?.[1] ?? '';
  return { response, html, token };
}

/** Presses Continue on the link page: the answer is a redirect (to Discord's or Google's page). */
export function pressContinue(browser: TestBrowser, url: string, token: string): Promise<Response> {
  return browser.fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }).toString(),
  });
}

export async function linkMember(
  discord: FakeDiscord,
  google: FakeGoogle,
  user: FakeUser,
  account: FakeAccount,
  guildId?: string,
  /** The member's Discord language, and what their /link reply says once linked (in that language). */
  as: { locale?: string; done?: RegExp } = {},
): Promise<void> {
  const interaction = discord.sendCommand({
    name: 'link',
    user,
    ...(guildId ? { guildId } : {}),
    ...(as.locale ? { locale: as.locale } : {}),
  });
  await followLinkButton(interaction, discord, google, user, account, as.done ?? /Linked to/);
}

/** An admin runs /server link and goes through the page, as a person does (the bot in any process). */
export async function linkServerAsAdmin(
  discord: FakeDiscord,
  google: FakeGoogle,
  admin: FakeUser,
  account: FakeAccount,
  guildId: string,
  channelId: string,
): Promise<void> {
  const interaction = discord.sendCommand({
    name: 'server',
    user: admin,
    guildId,
    channelId,
    options: [{ type: 1, name: 'link', options: [] }],
  });
  await followLinkButton(interaction, discord, google, admin, account, /now linked/);
}

async function followLinkButton(
  interaction: ReturnType<FakeDiscord['sendCommand']>,
  discord: FakeDiscord,
  google: FakeGoogle,
  user: FakeUser,
  account: FakeAccount,
  done: RegExp,
): Promise<void> {
  const data = (await interaction.response()).data as { components: { components: { url: string }[] }[] };
  const url = data.components[0]?.components[0]?.url;
  assert.ok(url, 'the /link reply has a button');
  google.consent.account = account;
  discord.oauth.consent.user = user;
  const browser = new TestBrowser();
  const page = await openLinkPage(browser, url);
  assert.equal(page.response.status, 200, page.html);
  const { response } = await browser.follow(await pressContinue(browser, url, page.token), url);
  assert.equal(response.status, 200, await response.text());
  await interaction.waitForOriginal((m) => done.test(m.content ?? ''), 15_000);
}

/** Links a Google account as a server's own channel, through the same OAuth flow the bot uses. */
export async function linkServer(
  app: App,
  google: FakeGoogle,
  guildId: string,
  account: FakeAccount,
): Promise<void> {
  const { oauth } = app.ctx;
  const requester = {
    userId: '700000000000000001',
    username: 'admin',
    displayName: 'Admin',
    avatarUrl: undefined,
    guildName: 'Test Server',
  };
  const link = await oauth.start({ owner: serverOwner(guildId), requester });
  const browser = randomBytes(32).toString('base64url');
  const confirmed = await oauth.confirm(link.slice(link.lastIndexOf('/') + 1), browser);
  assert.equal(confirmed.kind, 'continue');
  if (confirmed.kind !== 'continue') return;
  if (confirmed.needsSignIn) await oauth.signedIn(confirmed.next, browser, requester.userId);
  const authUrl = await oauth.authorizationUrl(confirmed.next, browser);
  assert.ok(authUrl);
  google.consent.account = account;
  const consent = await fetch(authUrl, { redirect: 'manual' });
  const outcome = await oauth.complete(new URL(consent.headers.get('location') ?? '').searchParams, browser);
  assert.equal(outcome.kind, 'linked');
}
