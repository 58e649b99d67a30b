// "Sign in with Discord" on the /link page (only with DISCORD_CLIENT_SECRET): OAuth2 authorization
// code grant, scope identify, a single-use state and PKCE (S256), to learn which Discord account the
// browser belongs to. The bot keeps nothing of it: the access token is revoked once read. Plain
// undici against DISCORD_API_URL's host, no discord.js.
import { createHash, randomBytes } from 'node:crypto';
import { request, type Dispatcher } from 'undici';
import type { Logger } from '../logger.ts';
import type { Store } from '../store/index.ts';
import { seal, unseal, type Keyring } from '../store/seal.ts';

/** Add PUBLIC_URL + this path as a redirect in the Discord Developer Portal → OAuth2. */
export const DISCORD_CALLBACK_PATH = '/oauth/discord/callback';
const TTL_MS = 10 * 60 * 1000;
const STATE = /^[A-Za-z0-9_-]{43}$/;
const SEAL_OWNER = 'discord-signin';
const TIMEOUT_MS = 15_000;

export interface DiscordSignInOptions {
  readonly applicationId: string;
  readonly clientSecret: string;
  /** DISCORD_API_URL, e.g. https://discord.com/api: the token and user calls go to its /v10. */
  readonly apiUrl: string;
  readonly publicUrl: string;
  readonly key: Keyring;
  readonly store: Store;
  readonly logger: Logger;
  readonly dispatcher?: Dispatcher | undefined;
}

export interface DiscordIdentity {
  readonly id: string;
  readonly username: string;
}

export type SignInResult =
  | { kind: 'signed_in'; next: string; user: DiscordIdentity }
  /** Cancelled on Discord's page, or Discord did not confirm the sign-in. */
  | { kind: 'failed'; next: string }
  /** Unknown, expired or used state, or a browser other than the one that started. */
  | { kind: 'invalid_state' };

interface Pending {
  next: string; // sealed: the link state the sign-in continues
  verifier: string; // sealed
  browser: string; // digest of the browser's id
}

const digest = (text: string) => createHash('sha256').update(text).digest('base64url');

export function createDiscordSignIn(options: DiscordSignInOptions) {
  const { applicationId, clientSecret, key, logger, dispatcher } = options;
  const api = `${options.apiUrl.replace(/\/+$/, '')}/v10`;
  /** Discord's consent page lives on the same host as its API: https://discord.com/oauth2/authorize. */
  const authorizeUrl = new URL('/oauth2/authorize', options.apiUrl).toString();
  const redirectUri = `${options.publicUrl}${DISCORD_CALLBACK_PATH}`;
  const pending = options.store.collection<Pending>('discord-signin');
  const via = dispatcher ? { dispatcher } : {};
  const basic = `Basic ${Buffer.from(`${applicationId}:${clientSecret}`).toString('base64')}`;

  /** Discord's authorize address that brings the browser back to continue the link `next`. */
  async function begin(next: string, browser: string): Promise<string> {
    const state = randomBytes(32).toString('base64url');
    const verifier = randomBytes(48).toString('base64url');
    await pending.set(
      digest(state),
      {
        next: seal(key, SEAL_OWNER, next),
        verifier: seal(key, SEAL_OWNER, verifier),
        browser: digest(browser),
      },
      TTL_MS,
    );
    const url = new URL(authorizeUrl);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: applicationId,
      scope: 'identify',
      redirect_uri: redirectUri,
      state,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      // Always show Discord's page, with the account it signs in as: a silent pass would not let the
      // person see which account is used.
      prompt: 'consent',
    }).toString();
    return url.toString();
  }

  /** The callback: consumes the state once and asks Discord who signed in. */
  async function finish(query: URLSearchParams, browser: string | undefined): Promise<SignInResult> {
    const state = query.get('state') ?? '';
    if (!STATE.test(state)) return { kind: 'invalid_state' };
    const record = await pending.take(digest(state));
    if (record === undefined || browser === undefined || record.browser !== digest(browser)) {
      return { kind: 'invalid_state' };
    }
    const next = unseal(key, SEAL_OWNER, record.next);
    const code = query.get('code');
    if (!code) {
      logger.info({ error: query.get('error') ?? 'no code' }, 'discord sign-in not completed');
      return { kind: 'failed', next };
    }
    try {
      const token = await exchange(code, unseal(key, SEAL_OWNER, record.verifier));
      try {
        return { kind: 'signed_in', next, user: await me(token) };
      } finally {
        await revoke(token);
      }
    } catch (error) {
      logger.warn({ reason: (error as Error).message }, 'discord sign-in failed');
      return { kind: 'failed', next };
    }
  }

  async function exchange(code: string, verifier: string): Promise<string> {
    const response = await request(`${api}/oauth2/token`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirectUri,
        code_verifier: verifier,
      }).toString(),
      ...via,
      headersTimeout: TIMEOUT_MS,
      bodyTimeout: TIMEOUT_MS,
    });
    const body = (await response.body.json().catch(() => ({}))) as Record<string, unknown>;
    if (response.statusCode !== 200 || typeof body['access_token'] !== 'string') {
      // Only Discord's error code: the body of a success would hold the token.
      const error = typeof body['error'] === 'string' ? body['error'] : '';
      throw new Error(`token exchange answered ${response.statusCode} ${error}`);
    }
    return body['access_token'];
  }

  async function me(token: string): Promise<DiscordIdentity> {
    const response = await request(`${api}/users/@me`, {
      headers: { authorization: `Bearer ${token}` },
      ...via,
      headersTimeout: TIMEOUT_MS,
      bodyTimeout: TIMEOUT_MS,
    });
    const body = (await response.body.json().catch(() => ({}))) as Record<string, unknown>;
    const { id, username } = body;
    if (response.statusCode !== 200 || typeof id !== 'string' || !/^\d{17,20}$/.test(id)) {
      throw new Error(`users/@me answered ${response.statusCode}`);
    }
    return { id, username: typeof username === 'string' ? username : '' };
  }

  /** The bot needs the identity once: give the token back rather than let it live for a week. */
  async function revoke(token: string): Promise<void> {
    try {
      const response = await request(`${api}/oauth2/token/revoke`, {
        method: 'POST',
        headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
        ...via,
        headersTimeout: TIMEOUT_MS,
        bodyTimeout: TIMEOUT_MS,
      });
      await response.body.dump();
      if (response.statusCode !== 200)
        logger.warn({ status: response.statusCode }, 'discord token revocation failed');
    } catch (error) {
      logger.warn({ reason: (error as Error).message }, 'discord token revocation failed');
    }
  }

  return { begin, finish, authorizeUrl, redirectUri };
}

export type DiscordSignIn = ReturnType<typeof createDiscordSignIn>;
