// Acting as a linked Google account: the configured OAuth client (quota counted), the stored grant
// and its refreshes, revocation and unlinking. Linking itself (states, the link page's steps, the
// callback) lives in link-flow.ts; this module composes both into one service. Free of discord.js.
import { OAuth2Client } from 'google-auth-library';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { Store } from '../store/index.ts';
import {
  type Grant,
  type GrantRepository,
  type LinkedChannel,
  UnreadableGrantError,
  unreadableAsNone,
} from '../store/grants.ts';
import { googleReason, UserError } from '../errors.ts';
import { costOf, type Quota } from './quota.ts';
import { createLinkFlow } from './link-flow.ts';
import { metrics } from '../metrics.ts';

export { SCOPES, STATE_TTL_MS } from './link-flow.ts';
export type {
  ConfirmResult,
  LinkOutcome,
  LinkRequester,
  PendingLink,
  ReplyTarget,
  StartOptions,
} from './link-flow.ts';

export function createOAuth(
  config: Config,
  store: Store,
  grants: GrantRepository,
  logger: Logger,
  quota?: Quota,
) {
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
    // Error answers of Google's APIs (OAuth and YouTube) by status, for /metrics.
    client.transporter.interceptors.response.add({
      rejected: (error: unknown) => {
        const status = (error as { status?: unknown }).status;
        if (typeof status === 'number') metrics.apiError('google', status);
        throw error;
      },
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
        // The reason names the key id that sealed the record (never a key): which key is missing.
        logger.error(
          { owner, reason: error.cause instanceof Error ? error.cause.message : undefined },
          'stored grant cannot be opened: wrong TOKEN_ENCRYPTION_KEY or a corrupt record',
        );
        throw UserError.t('link.unreadable');
      }
      throw error;
    }
    if (grant === undefined) throw UserError.t('link.notLinked');
    if (grant.broken) throw UserError.t('link.expired');
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
        throw UserError.t('link.expired', {}, { cause: error });
      }
      throw error;
    } finally {
      await Promise.all(saving);
    }
  }

  /**
   * Revokes at Google and deletes locally; `revoked` is false when Google could not confirm.
   * Revoking ends every link of that Google account, so `alsoEnding` (from `sharing`) lists the
   * other owners linked to the same channel: their records are deleted too, and returned in `ended`.
   */
  async function unlink(
    owner: string,
    alsoEnding: readonly string[] = [],
  ): Promise<{ channel: LinkedChannel; revoked: boolean; ended: string[] } | undefined> {
    const linked = await grants.channel(owner);
    if (linked === undefined) return undefined;
    const grant = await grants.get(owner).catch(unreadableAsNone);
    const revoked = grant ? await revokeQuietly(grant.refreshToken) : false;
    await grants.delete(owner);
    const ended: string[] = [];
    for (const other of alsoEnding) {
      if ((await grants.channel(other))?.channel.id !== linked.channel.id) continue;
      await grants.delete(other);
      ended.push(other);
    }
    logger.info({ owner, revoked, ended }, 'google account unlinked');
    return { channel: linked.channel, revoked, ended };
  }

  /** Other owners linked to the same YouTube channel as `owner`: unlinking one ends them all. */
  const sharing = (owner: string, candidates: readonly string[] = []) => grants.sharing(owner, candidates);

  /** The linked channel (readable even when the tokens are not), or undefined. */
  const linked = (owner: string) => grants.channel(owner);

  const flow = createLinkFlow({ config, store, grants, logger, newClient, revokeQuietly });

  return {
    ...flow,
    withClient,
    requireGrant,
    unlink,
    sharing,
    linked,
  };
}

export type OAuthService = ReturnType<typeof createOAuth>;

function httpStatus(error: unknown): number | undefined {
  const response = (error as { response?: { status?: unknown } } | undefined)?.response;
  return typeof response?.status === 'number' ? response.status : undefined;
}
