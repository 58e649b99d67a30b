// Account linking with Google OAuth 2.0: a per-user authorization URL with PKCE and a single-use
// state, the code exchange, refresh persistence and revocation. Free of discord.js: the caller
// passes what it needs to update its reply and gets a plain result back.
import { createHash, randomBytes } from 'node:crypto';
import { CodeChallengeMethod, OAuth2Client, type Credentials } from 'google-auth-library';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { Store } from '../store/index.ts';
import { seal, unseal } from '../store/seal.ts';
import {
  type Grant,
  type GrantRepository,
  type LinkedChannel,
  UnreadableGrantError,
} from '../store/grants.ts';
import { googleReason, UserError } from '../errors.ts';
import { myChannel, youtubeClient } from './youtube.ts';
import { costOf, type Quota } from './quota.ts';

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
}

interface StateRecord {
  owner: string;
  verifier: string; // sealed
  switching: boolean;
  reply: { applicationId: string; token: string; expiresAt: number } | undefined; // token sealed
  createdAt: number;
}

export type LinkOutcome =
  | {
      kind: 'linked';
      owner: string;
      channel: LinkedChannel;
      previous: LinkedChannel | undefined;
      reply?: ReplyTarget;
    }
  | { kind: 'denied'; owner: string; reply?: ReplyTarget }
  | { kind: 'no_channel'; owner: string; reply?: ReplyTarget }
  | { kind: 'missing_scope'; owner: string; reply?: ReplyTarget }
  | { kind: 'invalid_state' }
  | { kind: 'used_state' }
  | { kind: 'missing_code'; owner: string; reply?: ReplyTarget }
  | { kind: 'exchange_failed'; owner: string; reply?: ReplyTarget };

const STATE_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const hashState = (state: string) => createHash('sha256').update(state).digest('base64url');
const link = (publicUrl: string, state: string) => `${publicUrl}/link/${state}`;

export function createOAuth(
  config: Config,
  store: Store,
  grants: GrantRepository,
  logger: Logger,
  quota?: Quota,
) {
  const key = config.tokenEncryptionKey;
  const states = store.collection<StateRecord>('oauth-state');
  // Used states are remembered a little longer than they live, to tell "already used" from "unknown".
  const usedStates = store.collection<true>('oauth-state-used');

  const newClient = () => {
    const client = new OAuth2Client({
      clientId: config.google.clientId,
      clientSecret: config.google.clientSecret,
      redirectUri: config.redirectUri,
      endpoints: {
        oauth2AuthBaseUrl: config.google.authUrl,
        oauth2TokenUrl: config.google.tokenUrl,
        oauth2RevokeUrl: config.google.revokeUrl,
      },
      // Not forceRefreshOnFailure: google-auth-library would then refresh and resend after every
      // 403 too (quotaExceeded, forbidden), doubling the cost. A 401 is handled in withClient.
    });
    // Every YouTube API request the client sends is counted against the shared daily quota first.
    if (quota) {
      client.transporter.interceptors.request.add({
        resolved: async (options) => {
          const url = String(options.url);
          if (url.startsWith(config.youtubeApiUrl)) await quota.charge(costOf(options.method ?? 'GET', url));
          return options;
        },
      });
    }
    return client;
  };

  const openReply = (record: StateRecord): ReplyTarget | undefined =>
    record.reply && record.reply.expiresAt > Date.now()
      ? { applicationId: record.reply.applicationId, token: unseal(key, record.owner, record.reply.token) }
      : undefined;

  /** Creates a single-use state for `owner` and returns the short address to send them to. */
  async function start(owner: string, reply: ReplyTarget | undefined, switching = false): Promise<string> {
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
      },
      STATE_TTL_MS,
    );
    return link(config.publicUrl, state);
  }

  /** Google's authorization URL for a live state, or undefined when the state is unknown or expired. */
  async function authorizationUrl(state: string): Promise<string | undefined> {
    if (!STATE_PATTERN.test(state)) return undefined;
    const record = await states.get(hashState(state));
    if (record === undefined) return undefined;
    const verifier = unseal(key, record.owner, record.verifier);
    return newClient().generateAuthUrl({
      access_type: 'offline',
      prompt: record.switching ? 'select_account consent' : 'consent',
      include_granted_scopes: true,
      scope: [...SCOPES],
      state,
      code_challenge_method: CodeChallengeMethod.S256,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    });
  }

  /** Finishes a link from the callback's query. Consumes the state exactly once. */
  async function complete(query: URLSearchParams): Promise<LinkOutcome> {
    const state = query.get('state') ?? '';
    if (!STATE_PATTERN.test(state)) return { kind: 'invalid_state' };
    const hashed = hashState(state);
    const record = await states.take(hashed);
    if (record === undefined) {
      return (await usedStates.get(hashed)) ? { kind: 'used_state' } : { kind: 'invalid_state' };
    }
    await usedStates.set(hashed, true, 2 * STATE_TTL_MS);
    const { owner } = record;
    const reply = openReply(record);
    const base = { owner, ...(reply ? { reply } : {}) };

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
    if (previous && previous.channel.id !== channel.id) await revokeQuietly(previous.refreshToken);
    logger.info({ owner, channelId: channel.id, switched: previous !== undefined }, 'google account linked');
    return { kind: 'linked', ...base, channel, previous: previous?.channel };
  }

  async function revokeQuietly(token: string | undefined): Promise<boolean> {
    if (!token) return true;
    try {
      await newClient().revokeToken(token);
      return true;
    } catch (error) {
      logger.warn({ reason: googleReason(error) }, 'token revocation failed');
      return false;
    }
  }

  /** The owner's grant, or a UserError that says what to do. */
  async function requireGrant(owner: string): Promise<Grant> {
    let grant: Grant | undefined;
    try {
      grant = await grants.get(owner);
    } catch (error) {
      if (error instanceof UnreadableGrantError) {
        logger.error(
          { owner },
          'stored grant cannot be opened: wrong TOKEN_ENCRYPTION_KEY or a corrupt record',
        );
        throw new UserError(
          "Your stored Google link cannot be read any more (the bot's key changed) — run /link to connect again.",
        );
      }
      throw error;
    }
    if (grant === undefined)
      throw new UserError('You have not linked a YouTube channel yet — run /link first.');
    if (grant.broken) throw new UserError('Your Google link expired — run /link to connect again.');
    return grant;
  }

  /**
   * Runs `work` with an authorized client for `owner`. Refreshed tokens are persisted; an
   * `invalid_grant` marks the link broken and becomes "your Google link expired — run /link".
   */
  async function withClient<T>(owner: string, work: (client: OAuth2Client) => Promise<T>): Promise<T> {
    const grant = await requireGrant(owner);
    const client = newClient();
    client.setCredentials({
      refresh_token: grant.refreshToken,
      access_token: grant.accessToken ?? null,
      expiry_date: grant.expiryDate ?? null,
    });
    const saving: Promise<void>[] = [];
    client.on('tokens', (tokens) => {
      saving.push(
        grants.updateTokens(owner, grant.linkedAt, tokens).catch((error: unknown) => {
          logger.error({ owner, err: error }, 'could not persist refreshed tokens');
        }),
      );
    });
    try {
      try {
        return await work(client);
      } catch (error) {
        // The token was refused although it had not expired by our clock (revoked at Google, or a
        // clock skew): refresh once and try again. A 401 is answered before anything was changed.
        if (httpStatus(error) !== 401) throw error;
        logger.info({ owner }, 'access token refused; refreshing once');
        client.setCredentials({ refresh_token: grant.refreshToken });
        return await work(client);
      }
    } catch (error) {
      if (googleReason(error) === 'invalid_grant') {
        await grants.markBroken(owner, grant.linkedAt);
        logger.info({ owner }, 'google grant expired or revoked');
        throw new UserError('Your Google link expired — run /link to connect again.', { cause: error });
      }
      throw error;
    } finally {
      await Promise.all(saving);
    }
  }

  /** Revokes at Google and deletes locally; `revoked` is false when Google could not confirm. */
  async function unlink(owner: string): Promise<{ channel: LinkedChannel; revoked: boolean } | undefined> {
    const linked = await grants.channel(owner);
    if (linked === undefined) return undefined;
    const grant = await grants.get(owner).catch(unreadableAsNone);
    const revoked = grant ? await revokeQuietly(grant.refreshToken) : false;
    await grants.delete(owner);
    logger.info({ owner, revoked }, 'google account unlinked');
    return { channel: linked.channel, revoked };
  }

  /** The linked channel (readable even when the tokens are not), or undefined. */
  const linked = (owner: string) => grants.channel(owner);

  return { start, authorizationUrl, complete, withClient, requireGrant, unlink, linked };
}

export type OAuthService = ReturnType<typeof createOAuth>;

/** A grant the key cannot open counts as none; anything else (the store not answering) stops the caller. */
function unreadableAsNone(error: unknown): undefined {
  if (error instanceof UnreadableGrantError) return undefined;
  throw error;
}

function httpStatus(error: unknown): number | undefined {
  const response = (error as { response?: { status?: unknown } } | undefined)?.response;
  return typeof response?.status === 'number' ? response.status : undefined;
}
