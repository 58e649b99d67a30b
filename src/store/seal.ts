// Secrets at rest: AES-256-GCM with a fresh 96-bit nonce per record and the owner's id as
// associated data, so a sealed record copied onto another user's key fails to open. Each record
// names the key that sealed it (a key id: the first 8 hex characters of SHA-256 over the key), so a
// key can be rotated: the previous key still opens what it sealed, and callers re-seal those records
// under the current key when `open` says they are stale.
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';

const VERSION = 'v2';
/** Records from before key ids: `v1.<nonce>.<ciphertext>.<tag>`; they open with the current or the previous key. */
const LEGACY = 'v1';

/** Raised when a sealed value cannot be opened: wrong key, another owner's record, or corruption. */
export class SealError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SealError';
  }
}

/** The public name of a key: never the key, only enough of its hash to tell keys apart. */
export function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

/**
 * The current key (seals and opens) and, during a rotation, the previous one (opens only). The
 * secrets sit in private fields, so logging a config or a keyring shows the key ids and nothing more.
 */
export class Keyring {
  readonly currentId: string;
  readonly previousId: string | undefined;
  readonly #current: Buffer;
  readonly #previous: Buffer | undefined;

  constructor(current: Buffer, previous?: Buffer) {
    this.#current = current;
    this.currentId = keyId(current);
    const distinct = previous !== undefined && !previous.equals(current);
    this.#previous = distinct ? previous : undefined;
    this.previousId = distinct ? keyId(previous) : undefined;
  }

  /** A secret derived from the current key for another purpose (a MAC key), never the key itself. */
  derive(purpose: string): Buffer {
    return createHmac('sha256', this.#current).update(`tubebridge derive: ${purpose}`).digest();
  }

  /** Seals `plaintext` for `owner` under the current key: `v2.<kid>.<nonce>.<ciphertext>.<tag>`. */
  seal(owner: string, plaintext: string): string {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#current, nonce);
    cipher.setAAD(Buffer.from(owner, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [
      VERSION,
      this.currentId,
      ...[nonce, body, cipher.getAuthTag()].map((b) => b.toString('base64url')),
    ].join('.');
  }

  /** Opens a sealed value; `stale` is true when it was not sealed under the current key (re-seal it). */
  open(owner: string, sealed: string): { plaintext: string; stale: boolean } {
    const parts = sealed.split('.');
    if (parts[0] === VERSION && parts.length === 5) {
      const [, kid, nonce, body, tag] = parts as [string, string, string, string, string];
      const key =
        kid === this.currentId ? this.#current : kid === this.previousId ? this.#previous : undefined;
      if (key === undefined) {
        throw new SealError(
          `the value was sealed with key ${kid}, which is neither TOKEN_ENCRYPTION_KEY (${this.currentId}) ` +
            `nor TOKEN_ENCRYPTION_KEY_PREVIOUS (${this.previousId ?? 'unset'})`,
        );
      }
      return { plaintext: decrypt(key, owner, nonce, body, tag), stale: key !== this.#current };
    }
    if (parts[0] === LEGACY && parts.length === 4) {
      const [, nonce, body, tag] = parts as [string, string, string, string];
      for (const key of [this.#current, this.#previous]) {
        if (key === undefined) continue;
        try {
          return { plaintext: decrypt(key, owner, nonce, body, tag), stale: true };
        } catch {
          // try the next key
        }
      }
      throw new SealError('the value (sealed before key ids) does not open with any configured key');
    }
    throw new SealError('the sealed value is not in a known format');
  }
}

function decrypt(key: Buffer, owner: string, nonce: string, body: string, tag: string): string {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(nonce, 'base64url'));
    decipher.setAAD(Buffer.from(owner, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString(
      'utf8',
    );
  } catch {
    throw new SealError('the sealed value does not open with this key for this owner');
  }
}

/** Seals `plaintext` for `owner` under the keyring's current key. */
export function seal(keys: Keyring, owner: string, plaintext: string): string {
  return keys.seal(owner, plaintext);
}

/** Opens a sealed value with whichever configured key sealed it. Throws SealError otherwise. */
export function unseal(keys: Keyring, owner: string, sealed: string): string {
  return keys.open(owner, sealed).plaintext;
}
