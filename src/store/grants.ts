// Linked Google accounts ("grants"), one per owner (a Discord user id, later also a server).
// Tokens are sealed with the owner as associated data; everything else is plain for display.
// Tokens still sealed under the previous key (a rotation) are re-sealed under the current one when read.
// One Google account can be linked under several owners (a member's and a server's channel): an
// index by YouTube channel finds the others, since revoking one grant at Google ends them all.
import type { Store } from './index.ts';
import { SealError, type Keyring } from './seal.ts';

export interface LinkedChannel {
  readonly id: string;
  readonly title: string;
  readonly thumbnailUrl: string | undefined;
}

interface GrantRecord {
  owner: string;
  channel: LinkedChannel;
  scopes: string[];
  refreshToken: string;
  accessToken: string | undefined;
  expiryDate: number | undefined;
  linkedAt: string;
  /** Set when Google answered invalid_grant: the member must /link again. */
  brokenAt: string | undefined;
}

/** A grant as the rest of the bot sees it: tokens opened. */
export interface Grant {
  readonly owner: string;
  readonly channel: LinkedChannel;
  readonly scopes: readonly string[];
  readonly refreshToken: string;
  readonly accessToken: string | undefined;
  readonly expiryDate: number | undefined;
  readonly linkedAt: string;
  readonly broken: boolean;
}

/** The record exists but cannot be opened (wrong TOKEN_ENCRYPTION_KEY or corruption). */
export class UnreadableGrantError extends Error {
  constructor(owner: string, cause: SealError) {
    super(`the stored Google link of ${owner} cannot be opened`, { cause });
    this.name = 'UnreadableGrantError';
  }
}

export interface NewGrant {
  owner: string;
  channel: LinkedChannel;
  scopes: readonly string[];
  refreshToken: string;
  accessToken: string | undefined;
  expiryDate: number | undefined;
}

export function grantRepository(store: Store, keys: Keyring) {
  const records = store.collection<GrantRecord>('grant');
  /** Owners linked to each YouTube channel id. */
  const byChannel = store.collection<string[]>('grant-channel');
  // Every change of a record is one atomic update of the store (`update`), in whichever process: a token
  // refresh writes only onto the link it read (same linkedAt), and leaves a record /unlink deleted deleted.
  const sealOpt = (owner: string, value: string | undefined) =>
    value === undefined ? undefined : keys.seal(owner, value);

  /** The record's tokens opened; `stale` when one was sealed under another key than the current. */
  const openTokens = (record: GrantRecord) => {
    try {
      const refresh = keys.open(record.owner, record.refreshToken);
      const access =
        record.accessToken === undefined ? undefined : keys.open(record.owner, record.accessToken);
      return {
        refreshToken: refresh.plaintext,
        accessToken: access?.plaintext,
        stale: refresh.stale || (access?.stale ?? false),
      };
    } catch (error) {
      if (error instanceof SealError) throw new UnreadableGrantError(record.owner, error);
      throw error;
    }
  };

  /** Changes the owner's record if it is still the link made at `linkedAt`; a deleted record stays deleted. */
  const changeLink = async (
    owner: string,
    linkedAt: string,
    change: (record: GrantRecord) => GrantRecord | undefined,
  ) => {
    await records.update(owner, (record) =>
      record === undefined || record.owner !== owner || record.linkedAt !== linkedAt
        ? undefined
        : change(record),
    );
  };

  /** Writes the owner's tokens back sealed under the current key, unless the record changed meanwhile. */
  const reseal = (owner: string, linkedAt: string) =>
    changeLink(owner, linkedAt, (record) => {
      const opened = openTokens(record);
      if (!opened.stale) return undefined;
      return {
        ...record,
        refreshToken: keys.seal(owner, opened.refreshToken),
        accessToken: sealOpt(owner, opened.accessToken),
      };
    });

  /** The owners linked to a YouTube channel now (the index, and `candidates`, checked against their records). */
  const linkedTo = async (channelId: string, candidates: readonly string[] = []): Promise<string[]> => {
    const owners = [...new Set([...((await byChannel.get(channelId)) ?? []), ...candidates])];
    const found = await Promise.all(owners.map((o) => records.get(o)));
    return owners.filter((_, i) => found[i]?.channel.id === channelId);
  };

  /** One atomic change of a channel's list of owners; an empty list is deleted. */
  const indexChannel = async (channelId: string, change: (owners: string[]) => string[]) => {
    await byChannel.update(channelId, (current) => {
      const owners = current ?? [];
      const next = change(owners);
      if (next.length === 0) return current === undefined ? undefined : null;
      return next.join() === owners.join() ? undefined : next;
    });
  };

  return {
    /** The owner's grant, or undefined when not linked. Throws UnreadableGrantError on a bad record. */
    async get(owner: string): Promise<Grant | undefined> {
      const record = await records.get(owner);
      if (record === undefined) return undefined;
      // A record filed under another owner (copied across keys) must not open as this one.
      if (record.owner !== owner) throw new UnreadableGrantError(owner, new SealError('owner mismatch'));
      const { refreshToken, accessToken, stale } = openTokens(record);
      if (stale) await reseal(owner, record.linkedAt);
      return {
        owner: record.owner,
        channel: record.channel,
        scopes: record.scopes,
        refreshToken,
        accessToken,
        expiryDate: record.expiryDate,
        linkedAt: record.linkedAt,
        broken: record.brokenAt !== undefined,
      };
    },
    /** The channel an owner is linked to, readable even when the tokens are not. */
    async channel(
      owner: string,
    ): Promise<{ channel: LinkedChannel; broken: boolean; linkedAt: string } | undefined> {
      const record = await records.get(owner);
      return record === undefined
        ? undefined
        : { channel: record.channel, broken: record.brokenAt !== undefined, linkedAt: record.linkedAt };
    },
    /**
     * The other owners linked to the same YouTube channel as `owner` (revoking one grant of a Google
     * account at Google ends them all). `candidates` are checked too, for links made before the index.
     */
    async sharing(owner: string, candidates: readonly string[] = []): Promise<string[]> {
      const record = await records.get(owner);
      if (record === undefined) return [];
      return (await linkedTo(record.channel.id, candidates)).filter((o) => o !== owner);
    },
    linkedTo,
    async save(grant: NewGrant): Promise<void> {
      const previous = await records.get(grant.owner);
      // A new link replaces whatever was there: no read-modify-write to lose.
      await records.set(grant.owner, {
        owner: grant.owner,
        channel: grant.channel,
        scopes: [...grant.scopes],
        refreshToken: keys.seal(grant.owner, grant.refreshToken),
        accessToken: sealOpt(grant.owner, grant.accessToken),
        expiryDate: grant.expiryDate,
        linkedAt: new Date().toISOString(),
        brokenAt: undefined,
      });
      await indexChannel(grant.channel.id, (owners) =>
        owners.includes(grant.owner) ? owners : [...owners, grant.owner],
      );
      if (previous !== undefined && previous.channel.id !== grant.channel.id) {
        await indexChannel(previous.channel.id, (owners) => owners.filter((o) => o !== grant.owner));
      }
    },
    /** Persists what a refresh returned; keeps the old refresh token when none came (the usual case). */
    updateTokens(
      owner: string,
      linkedAt: string,
      tokens: { access_token?: string | null; refresh_token?: string | null; expiry_date?: number | null },
    ): Promise<void> {
      // Unlinked or relinked meanwhile (in any process): nothing is written.
      return changeLink(owner, linkedAt, (record) => ({
        ...record,
        refreshToken: tokens.refresh_token ? keys.seal(owner, tokens.refresh_token) : record.refreshToken,
        accessToken: tokens.access_token ? keys.seal(owner, tokens.access_token) : record.accessToken,
        expiryDate: tokens.expiry_date ?? record.expiryDate,
      }));
    },
    markBroken(owner: string, linkedAt: string): Promise<void> {
      return changeLink(owner, linkedAt, (record) => ({
        ...record,
        accessToken: undefined,
        brokenAt: new Date().toISOString(),
      }));
    },
    async delete(owner: string): Promise<boolean> {
      // One DELETE … RETURNING: the record this delete removed is the one whose index entry goes.
      const record = await records.take(owner);
      if (record !== undefined) {
        await indexChannel(record.channel.id, (owners) => owners.filter((o) => o !== owner));
      }
      return record !== undefined;
    },
  };
}

export type GrantRepository = ReturnType<typeof grantRepository>;

/** A grant the key cannot open counts as none; anything else (the store not answering) stops the caller. */
export function unreadableAsNone(error: unknown): undefined {
  if (error instanceof UnreadableGrantError) return undefined;
  throw error;
}
