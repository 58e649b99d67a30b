// Secrets at rest: AES-256-GCM with a fresh 96-bit nonce per record and the owner's id as
// associated data, so a sealed record copied onto another user's key fails to open.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';

/** Raised when a sealed value cannot be opened: wrong key, another owner's record, or corruption. */
export class SealError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SealError';
  }
}

/** Seals `plaintext` for `owner`; the result is `v1.<nonce>.<ciphertext>.<tag>` in base64url. */
export function seal(key: Buffer, owner: string, plaintext: string): string {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(owner, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [VERSION, nonce, body, cipher.getAuthTag()]
    .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
    .join('.');
}

export function unseal(key: Buffer, owner: string, sealed: string): string {
  const [version, nonce, body, tag, ...rest] = sealed.split('.');
  if (
    version !== VERSION ||
    nonce === undefined ||
    body === undefined ||
    tag === undefined ||
    rest.length > 0
  ) {
    throw new SealError('the sealed value is not in a known format');
  }
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
