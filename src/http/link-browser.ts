// The browser that opened a /link page: a random id in a cookie (HttpOnly, SameSite=Lax) that every
// later step must present, and the page form's anti-CSRF token, bound to the link's state and to
// that id. A page of another site cannot post the form for a visitor (no cookie on a cross-site
// POST, and it cannot read the token), and a Google or Discord address forwarded to someone else
// comes back without the cookie.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const ID = /^[A-Za-z0-9_-]{43}$/;
/** Longer than the link states live (10 minutes each step), short enough to leave nothing behind. */
const MAX_AGE_S = 60 * 60;

export interface LinkBrowser {
  /** The id this browser presents, or undefined. */
  read(req: IncomingMessage): string | undefined;
  /** The browser's id, and a Set-Cookie header when it had none. */
  ensure(req: IncomingMessage): { id: string; setCookie: string | undefined };
  /** The form token for `state` in the browser `id`. */
  token(state: string, id: string): string;
  /** True when the form came from this service's page for `state`, in this browser. */
  check(state: string, id: string | undefined, token: string | null): boolean;
}

export function linkBrowser(publicUrl: string, secret: Buffer): LinkBrowser {
  // __Host- cookies must be Secure: on an https PUBLIC_URL only (a plain-http one is for local use).
  const secure = publicUrl.startsWith('https:');
  const name = secure ? '__Host-tubebridge_link' : 'tubebridge_link';
  const macKey = createHmac('sha256', secret).update('tubebridge link form v1').digest();

  const read = (req: IncomingMessage): string | undefined => {
    for (const part of (req.headers.cookie ?? '').split(';')) {
      const at = part.indexOf('=');
      if (at > 0 && part.slice(0, at).trim() === name) {
        const value = part.slice(at + 1).trim();
        if (ID.test(value)) return value;
      }
    }
    return undefined;
  };
  const token = (state: string, id: string) =>
    createHmac('sha256', macKey).update(`${state}\0${id}`).digest('base64url');

  return {
    read,
    ensure(req) {
      const existing = read(req);
      if (existing) return { id: existing, setCookie: undefined };
      const id = randomBytes(32).toString('base64url');
      const attributes = ['Path=/', `Max-Age=${MAX_AGE_S}`, 'HttpOnly', 'SameSite=Lax'];
      if (secure) attributes.push('Secure');
      return { id, setCookie: [`${name}=${id}`, ...attributes].join('; ') };
    },
    token,
    check(state, id, given) {
      if (id === undefined || given === null) return false;
      const expected = Buffer.from(token(state, id));
      const actual = Buffer.from(given);
      return expected.length === actual.length && timingSafeEqual(expected, actual);
    },
  };
}
