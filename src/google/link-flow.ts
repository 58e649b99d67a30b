// Linking a Google account, step by step: the single-use state behind a /link button (with the
// Discord account that asked for it), the page's Continue that binds the rest to one browser, the
// optional Discord sign-in check, Google's authorization URL (PKCE) and the callback that stores the
// grant. Free of discord.js and of HTTP: the routes pass what the browser sent and get plain results.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { CodeChallengeMethod, type Credentials, type OAuth2Client } from 'google-auth-library';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { Store } from '../store/index.ts';
import { seal, unseal } from '../store/seal.ts';
import { unreadableAsNone, type GrantRepository, type LinkedChannel } from '../store/grants.ts';
import { googleReason } from '../errors.ts';
import { myChannel, youtubeClient } from './youtube.ts';

/**
 * `youtube` covers uploads, playlists, rating and deletion; `youtube.upload` alone covers only
 * videos.insert and thumbnails.set. It is the one scope every feature of the bot needs.
 */
export const SCOPES = ['https://www.googleapis.com/auth/youtube'] as const;
export const STATE_TTL_MS = 10 * 60 * 1000;
/** Discord interaction tokens work for 15 minutes; keep a margin. */
const INTERACTION_TOKEN_MS = 14 * 60 * 1000;

/** Where to report the outcome: the member's /link reply, while its token is valid. */
export interface ReplyTarget {
  readonly applicationId: string;
  readonly token: string;
  /** The member's Discord locale: the reply is updated in their language. */
  readonly locale?: string | undefined;
}

/**
 * The Discord account that ran /link (or /server link), as the link page shows it: whoever opens the
 * page is asked to continue only if this is them. Display names are chosen by members: escape them.
 */
export interface LinkRequester {
  readonly userId: string;
  readonly username: string;
  readonly displayName: string;
  /** On Discord's CDN. */
  readonly avatarUrl: string | undefined;
  /** The server /link was run in (for /server link: the server being linked). */
  readonly guildName: string | undefined;
  /** Their Discord locale (`interaction.locale`): what they read about the link is in their language. */
  readonly locale?: string | undefined;
}

/** What the link page shows before anything happens. */
export interface PendingLink {
  readonly owner: string;
  readonly requester: LinkRequester;
  readonly switching: boolean;
}

export interface StartOptions {
  readonly owner: string;
  readonly requester: LinkRequester;
  readonly reply?: ReplyTarget | undefined;
  /** Already linked: let the member pick another Google account. */
  readonly switching?: boolean | undefined;
}

/**
 * One state record, in two stages. `confirm`: the address in the /link button, shown as a page that
 * names the requester. `google`: after Continue, a new state bound to that browser (a digest of its
 * cookie), which Google's callback must come back to; with a Discord sign-in required, Google is only
 * offered once the signed-in Discord user is the requester.
 */
interface StateRecord {
  owner: string;
  verifier: string; // sealed
  switching: boolean;
  reply: { applicationId: string; token: string; expiresAt: number } | undefined; // token sealed
  createdAt: number;
  requester: LinkRequester;
  stage: 'confirm' | 'google';
  browser?: string;
  needsSignIn?: boolean;
  signedIn?: boolean;
}

/** `locale`: the requester's Discord locale, for the outcome's page (the reply may be past its 15 minutes). */
type Base = { owner: string; reply?: ReplyTarget; locale?: string };

export type LinkOutcome =
  | (Base & {
      kind: 'linked';
      channel: LinkedChannel;
      previous: LinkedChannel | undefined;
      requester: LinkRequester;
    })
  | (Base & { kind: 'denied' })
  | (Base & { kind: 'no_channel' })
  | (Base & { kind: 'missing_scope' })
  | { kind: 'invalid_state' }
  | { kind: 'used_state' }
  | (Base & { kind: 'missing_code' })
  | (Base & { kind: 'exchange_failed' })
  /** The browser signed in to Discord as someone else than the requester. */
  | (Base & { kind: 'wrong_account'; requester: LinkRequester })
  /** The Discord sign-in was cancelled or could not be confirmed with Discord. */
  | (Base & { kind: 'signin_failed' })
  /** Google's callback came to a browser that did not press Continue on the link page. */
  | (Base & { kind: 'unconfirmed' });

/** What pressing Continue on the link page leads to. */
export type ConfirmResult =
  | { kind: 'continue'; next: string; needsSignIn: boolean; requester: LinkRequester }
  | { kind: 'used_state' }
  | { kind: 'invalid_state' };

const STATE_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const hashState = (state: string) => createHash('sha256').update(state).digest('base64url');
const link = (publicUrl: string, state: string) => `${publicUrl}/link/${state}`;
const digest = (browser: string) => createHash('sha256').update(browser).digest('base64url');
const sameBrowser = (record: StateRecord, browser: string): boolean => {
  const expected = Buffer.from(record.browser ?? '');
  const actual = Buffer.from(digest(browser));
  return expected.length === actual.length && timingSafeEqual(expected, actual);
};

export interface LinkFlowDeps {
  readonly config: Config;
  readonly store: Store;
  readonly grants: GrantRepository;
  readonly logger: Logger;
  /** A Google OAuth client as the bot configures it (endpoints, quota counting). */
  readonly newClient: () => OAuth2Client;
  /** Revokes a token at Google; false when Google could not confirm. */
  readonly revokeQuietly: (token: string | undefined) => Promise<boolean>;
}

export function createLinkFlow({ config, store, grants, logger, newClient, revokeQuietly }: LinkFlowDeps) {
  const key = config.tokenEncryptionKey;
  const states = store.collection<StateRecord>('oauth-state');
  // Used states are remembered a little longer than they live, to tell "already used" from "unknown".
  const usedStates = store.collection<true>('oauth-state-used');

  const openReply = (record: StateRecord): ReplyTarget | undefined =>
    record.reply && record.reply.expiresAt > Date.now()
      ? {
          applicationId: record.reply.applicationId,
          token: unseal(key, record.owner, record.reply.token),
          ...(record.requester.locale ? { locale: record.requester.locale } : {}),
        }
      : undefined;
  /** Creates a single-use state for `owner` and returns the short address to send them to. */
  async function start({ owner, requester, reply, switching = false }: StartOptions): Promise<string> {
    const state = randomBytes(32).toString('base64url'); // 256 bits
    const { codeVerifier } = await newClient().generateCodeVerifierAsync();
    const now = Date.now();
    await states.set(
      hashState(state),
      {
        owner,
        verifier: seal(key, owner, codeVerifier),
        switching,
        reply: reply && {
          applicationId: reply.applicationId,
          token: seal(key, owner, reply.token),
          expiresAt: now + INTERACTION_TOKEN_MS,
        },
        createdAt: now,
        requester,
        stage: 'confirm',
      },
      STATE_TTL_MS,
    );
    return link(config.publicUrl, state);
  }

  /** The link page's content for a live state; reading it consumes nothing. */
  async function pending(state: string): Promise<PendingLink | undefined> {
    if (!STATE_PATTERN.test(state)) return undefined;
    const record = await states.get(hashState(state));
    if (record?.stage !== 'confirm') return undefined;
    return { owner: record.owner, requester: record.requester, switching: record.switching };
  }

  /**
   * Continue on the link page: consumes the page's state once and opens the next one, bound to this
   * browser. A forwarded Google address is then worthless in any other browser.
   */
  async function confirm(state: string, browser: string): Promise<ConfirmResult> {
    if (!STATE_PATTERN.test(state)) return { kind: 'invalid_state' };
    const hashed = hashState(state);
    if ((await states.get(hashed))?.stage !== 'confirm') {
      return (await usedStates.get(hashed)) ? { kind: 'used_state' } : { kind: 'invalid_state' };
    }
    const record = await states.take(hashed);
    if (record === undefined) return { kind: 'used_state' };
    await usedStates.set(hashed, true, 2 * STATE_TTL_MS);
    const next = randomBytes(32).toString('base64url');
    const needsSignIn = config.discord.clientSecret !== undefined;
    await states.set(
      hashState(next),
      { ...record, stage: 'google', browser: digest(browser), needsSignIn, signedIn: false },
      STATE_TTL_MS,
    );
    return { kind: 'continue', next, needsSignIn, requester: record.requester };
  }

  /** The record of a Google-stage state opened in this browser, or undefined. */
  async function forBrowser(next: string, browser: string): Promise<StateRecord | undefined> {
    if (!STATE_PATTERN.test(next)) return undefined;
    const record = await states.get(hashState(next));
    return record?.stage === 'google' && sameBrowser(record, browser) ? record : undefined;
  }

  /**
   * The browser signed in with Discord as `userId`. The requester may go on to Google; anyone else
   * ends the link here (the state is burned) and the outcome says so.
   */
  async function signedIn(
    next: string,
    browser: string,
    userId: string,
  ): Promise<{ kind: 'ok' } | { kind: 'invalid_state' } | { kind: 'refused'; outcome: LinkOutcome }> {
    const record = await forBrowser(next, browser);
    if (record === undefined) return { kind: 'invalid_state' };
    if (record.requester.userId !== userId) {
      const outcome = await end(next, (base, taken) => ({
        kind: 'wrong_account',
        ...base,
        requester: taken.requester,
      }));
      logger.warn(
        { owner: record.owner, requester: record.requester.userId, signedIn: userId },
        'link opened by another discord account',
      );
      return { kind: 'refused', outcome };
    }
    await states.set(hashState(next), { ...record, signedIn: true }, STATE_TTL_MS);
    return { kind: 'ok' };
  }

  /** Ends a Google-stage state without linking (the Discord sign-in failed): its outcome, once. */
  async function abandon(next: string): Promise<LinkOutcome> {
    if (!STATE_PATTERN.test(next)) return { kind: 'invalid_state' };
    return end(next, (base) => ({ kind: 'signin_failed', ...base }));
  }

  async function end(
    next: string,
    outcome: (base: Base, record: StateRecord) => LinkOutcome,
  ): Promise<LinkOutcome> {
    const hashed = hashState(next);
    const record = await states.take(hashed);
    if (record === undefined) return { kind: 'invalid_state' };
    await usedStates.set(hashed, true, 2 * STATE_TTL_MS);
    const reply = openReply(record);
    const locale = record.requester.locale;
    return outcome(
      { owner: record.owner, ...(reply ? { reply } : {}), ...(locale ? { locale } : {}) },
      record,
    );
  }

  /**
   * Google's authorization URL for a Google-stage state opened in this browser (and, when a Discord
   * sign-in is required, signed in as the requester), or undefined.
   */
  async function authorizationUrl(next: string, browser: string): Promise<string | undefined> {
    const record = await forBrowser(next, browser);
    if (record === undefined || (record.needsSignIn && !record.signedIn)) return undefined;
    const verifier = unseal(key, record.owner, record.verifier);
    return newClient().generateAuthUrl({
      access_type: 'offline',
      prompt: record.switching ? 'select_account consent' : 'consent',
      include_granted_scopes: true,
      scope: [...SCOPES],
      state: next,
      code_challenge_method: CodeChallengeMethod.S256,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    });
  }

  /**
   * Finishes a link from the callback's query, in the browser that pressed Continue (`browser`: its
   * cookie, undefined when it sent none). Consumes the state exactly once.
   */
  async function complete(query: URLSearchParams, browser: string | undefined): Promise<LinkOutcome> {
    const state = query.get('state') ?? '';
    if (!STATE_PATTERN.test(state)) return { kind: 'invalid_state' };
    const hashed = hashState(state);
    if ((await states.get(hashed))?.stage === 'confirm') return { kind: 'invalid_state' };
    const record = await states.take(hashed);
    if (record === undefined) {
      return (await usedStates.get(hashed)) ? { kind: 'used_state' } : { kind: 'invalid_state' };
    }
    await usedStates.set(hashed, true, 2 * STATE_TTL_MS);
    const { owner } = record;
    const reply = openReply(record);
    const locale = record.requester.locale;
    const base = { owner, ...(reply ? { reply } : {}), ...(locale ? { locale } : {}) };
    // Someone else's browser (a forwarded Google address), or a sign-in that skipped Discord's step:
    // the code is never exchanged, so no grant exists.
    if (browser === undefined || !sameBrowser(record, browser) || (record.needsSignIn && !record.signedIn)) {
      logger.warn({ owner }, 'oauth callback from a browser that did not confirm the link');
      return { kind: 'unconfirmed', ...base };
    }

    if (query.get('error') === 'access_denied') return { kind: 'denied', ...base };
    const code = query.get('code');
    if (!code) return { kind: 'missing_code', ...base };

    const client = newClient();
    let tokens: Credentials;
    try {
      ({ tokens } = await client.getToken({
        code,
        codeVerifier: unseal(key, owner, record.verifier),
        redirect_uri: config.redirectUri,
      }));
    } catch (error) {
      logger.warn({ owner, reason: googleReason(error) }, 'oauth code exchange failed');
      return { kind: 'exchange_failed', ...base };
    }
    client.setCredentials(tokens);
    const granted = (tokens.scope ?? '').split(' ');
    if (!tokens.refresh_token || !SCOPES.every((s) => granted.includes(s))) {
      // Granular consent lets a member untick a permission; a partial link would fail later.
      await revokeQuietly(tokens.refresh_token ?? tokens.access_token ?? undefined);
      return { kind: 'missing_scope', ...base };
    }
    const refreshToken = tokens.refresh_token;
    let channel;
    let previous;
    try {
      channel = await myChannel(youtubeClient(config.youtubeApiUrl, client), config.youtubeApiUrl);
      if (channel === undefined) {
        await revokeQuietly(refreshToken);
        return { kind: 'no_channel', ...base };
      }
      previous = await grants.get(owner).catch(unreadableAsNone);
      await grants.save({
        owner,
        channel,
        scopes: granted,
        refreshToken,
        accessToken: tokens.access_token ?? undefined,
        expiryDate: tokens.expiry_date ?? undefined,
      });
    } catch (error) {
      // Nothing was stored: do not leave a live grant at Google (each account holds at most 100).
      logger.warn({ owner, err: error }, 'link failed after the code exchange');
      await revokeQuietly(refreshToken);
      return { kind: 'exchange_failed', ...base };
    }
    // Switching to another channel replaces the old grant; revoke it so it does not linger. Not for
    // the same channel: Google revokes a whole grant, which would take the new token with it.
    // Nor while another owner (the server, or the member) is still linked to the old channel: the
    // revocation would end that link too.
    if (
      previous &&
      previous.channel.id !== channel.id &&
      (await grants.linkedTo(previous.channel.id)).length === 0
    )
      await revokeQuietly(previous.refreshToken);
    logger.info({ owner, channelId: channel.id, switched: previous !== undefined }, 'google account linked');
    return { kind: 'linked', ...base, channel, previous: previous?.channel, requester: record.requester };
  }

  return { start, pending, confirm, signedIn, abandon, authorizationUrl, complete };
}
