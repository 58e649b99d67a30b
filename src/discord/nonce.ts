// Message nonces for posts that must happen once. With `enforce_nonce: true`, Discord creates nothing for a
// second message with the same nonce from the same author within a few minutes and returns the first one;
// so a post that is sent again (a retry after a lost answer, a step run again after a crash) shows once.
// Past those few minutes Discord forgets the nonce: the callers' own records cover the longer run.
import { createHash } from 'node:crypto';

/** A nonce derived from what the message is about: 25 hex characters, Discord's longest string nonce. */
export function messageNonce(...about: string[]): string {
  return createHash('sha256').update(about.join('\u0000')).digest('hex').slice(0, 25);
}
