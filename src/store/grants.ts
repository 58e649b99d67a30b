// Linked Google accounts ("grants"), one per owner (a Discord user id, later also a server).
// Tokens are sealed with the owner as associated data; everything else is plain for display.
// Tokens still sealed under the previous key (a rotation) are re-sealed under the current one when read.
// One Google account can be linked under several owners (a member's and a server's channel): an
// index by YouTube channel finds the others, since revoking one grant at Google ends them all.
import type { Store } from './index.ts';
import { SealError, type Keyring } from './seal.ts';
import { keyedSerial } from './serial.ts';

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
  // Writes for one owner are serialized so a token refresh cannot overwrite a newer link.
  const serial = keyedSerial();
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

  /** Writes the owner's tokens back sealed under the current key, unless the record changed meanwhile. */
  const reseal = (owner: string, linkedAt: string) =>
    serial(owner, async () => {
      const record = await records.get(owner);
      if (record === undefined || record.owner !== owner || record.linkedAt !== linkedAt) return;
      const opened = openTokens(record);
      if (!opened.stale) return;
      await records.set(owner, {
        ...record,
        refreshToken: keys.seal(owner, opened.refreshToken),
        accessToken: sealOpt(owner, opened.accessToken),
      });
    });

  /** The owners linked to a YouTube channel now (the index, and `candidates`, checked against their records). */
  const linkedTo = async (channelId: string, candidates: readonly string[] = []): Promise<string[]> => {
    const owners = [...new Set([...((await byChannel.get(channelId)) ?? []), ...candidates])];
    const found = await Promise.all(owners.map((o) => records.get(o)));
    return owners.filter((_, i) => found[i]?.channel.id === channelId);
  };

  const indexChannel = (channelId: string, change: (owners: string[]) => string[]) =>
    serial(`channel:${channelId}`, async () => {
      const owners = (await byChannel.get(channelId)) ?? [];
      const next = change(owners);
      if (next.length === 0) await byChannel.delete(channelId);
      else if (next.join() !== owners.join()) await byChannel.set(channelId, next);
    });

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
    save(grant: NewGrant): Promise<void> {
      return serial(grant.owner, async () => {
        const previous = await records.get(grant.owner);
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
      });
    },
    /** Persists what a refresh returned; keeps the old refresh token when none came (the usual case). */
    updateTokens(
      owner: string,
      linkedAt: string,
      tokens: { access_token?: string | null; refresh_token?: string | null; expiry_date?: number | null },
    ): Promise<void> {
      return serial(owner, async () => {
        const record = await records.get(owner);
        if (record === undefined || record.linkedAt !== linkedAt) return; // unlinked or relinked meanwhile
        await records.set(owner, {
          ...record,
          refreshToken: tokens.refresh_token ? keys.seal(owner, tokens.refresh_token) : record.refreshToken,
          accessToken: tokens.access_token ? keys.seal(owner, tokens.access_token) : record.accessToken,
          expiryDate: tokens.expiry_date ?? record.expiryDate,
        });
      });
    },
    markBroken(owner: string, linkedAt: string): Promise<void> {
      return serial(owner, async () => {
        const record = await records.get(owner);
        if (record === undefined || record.linkedAt !== linkedAt) return;
        await records.set(owner, { ...record, accessToken: undefined, brokenAt: new Date().toISOString() });
      });
    },
    delete(owner: string): Promise<boolean> {
      return serial(owner, async () => {
        const record = await records.get(owner);
        const deleted = await records.delete(owner);
        if (record !== undefined) {
          await indexChannel(record.channel.id, (owners) => owners.filter((o) => o !== owner));
        }
        return deleted;
      });
    },
  };
}

export type GrantRepository = ReturnType<typeof grantRepository>;

/** A grant the key cannot open counts as none; anything else (the store not answering) stops the caller. */
export function unreadableAsNone(error: unknown): undefined {
  if (error instanceof UnreadableGrantError) return undefined;
  throw error;
}
