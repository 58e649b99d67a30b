// Linked Google accounts ("grants"), one per owner (a Discord user id, later also a server).
// Tokens are sealed with the owner as associated data; everything else is plain for display.
import type { Store } from './index.ts';
import { seal, unseal, SealError } from './seal.ts';
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

export function grantRepository(store: Store, key: Buffer) {
  const records = store.collection<GrantRecord>('grant');
  // Writes for one owner are serialized so a token refresh cannot overwrite a newer link.
  const serial = keyedSerial();
  const sealOpt = (owner: string, value: string | undefined) =>
    value === undefined ? undefined : seal(key, owner, value);

  const open = (record: GrantRecord): Grant => {
    try {
      return {
        owner: record.owner,
        channel: record.channel,
        scopes: record.scopes,
        refreshToken: unseal(key, record.owner, record.refreshToken),
        accessToken:
          record.accessToken === undefined ? undefined : unseal(key, record.owner, record.accessToken),
        expiryDate: record.expiryDate,
        linkedAt: record.linkedAt,
        broken: record.brokenAt !== undefined,
      };
    } catch (error) {
      if (error instanceof SealError) throw new UnreadableGrantError(record.owner, error);
      throw error;
    }
  };

  return {
    /** The owner's grant, or undefined when not linked. Throws UnreadableGrantError on a bad record. */
    async get(owner: string): Promise<Grant | undefined> {
      const record = await records.get(owner);
      if (record === undefined) return undefined;
      // A record filed under another owner (copied across keys) must not open as this one.
      if (record.owner !== owner) throw new UnreadableGrantError(owner, new SealError('owner mismatch'));
      return open(record);
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
    save(grant: NewGrant): Promise<void> {
      return serial(grant.owner, () =>
        records.set(grant.owner, {
          owner: grant.owner,
          channel: grant.channel,
          scopes: [...grant.scopes],
          refreshToken: seal(key, grant.owner, grant.refreshToken),
          accessToken: sealOpt(grant.owner, grant.accessToken),
          expiryDate: grant.expiryDate,
          linkedAt: new Date().toISOString(),
          brokenAt: undefined,
        }),
      );
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
          refreshToken: tokens.refresh_token ? seal(key, owner, tokens.refresh_token) : record.refreshToken,
          accessToken: tokens.access_token ? seal(key, owner, tokens.access_token) : record.accessToken,
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
      return serial(owner, () => records.delete(owner));
    },
  };
}

export type GrantRepository = ReturnType<typeof grantRepository>;
