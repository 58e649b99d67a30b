// Discord's OAuth2 authorization code grant, as documented (docs/topics/oauth2): the consent page at
// /oauth2/authorize (also under /api and /api/v10), the token and revocation endpoints under
// /api[/v10]/oauth2/token[/revoke] (form bodies only; client auth by HTTP Basic or client_id +
// client_secret in the body; RFC 6749 errors `{error, error_description}`), PKCE S256 as Discord's
// authorization-server metadata announces it, and GET /users/@me with a Bearer token.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, sendHtml, sendJson } from '../http.ts';
import { takeInjection, type Injection } from './rest.ts';
import type { Store } from './store.ts';
import type { FakeUser, RecordedCall } from './types.ts';

const CODE_TTL_MS = 10 * 60 * 1000;
const TOKEN_TTL_S = 604_800;
const KNOWN_SCOPES = new Set([
  'identify',
  'email',
  'guilds',
  'guilds.join',
  'guilds.members.read',
  'connections',
  'applications.commands',
  'bot',
  'role_connections.write',
]);

/** Who answers Discord's consent page, and how. */
export interface DiscordConsent {
  /** The Discord user signed in to this "browser"; null: nobody (Discord shows its log-in page). */
  user: FakeUser | null;
  /** 'auto': redirect back with a code at once; 'page': an Authorize/Cancel page; 'deny': access_denied. */
  mode: 'auto' | 'page' | 'deny';
}

interface Request {
  redirectUri: string;
  scopes: string[];
  state: string | null;
  challenge: string | null;
}

interface Code extends Request {
  user: FakeUser;
  expiresAt: number;
  used: boolean;
}

interface Token {
  user: FakeUser;
  scopes: string[];
  expiresAt: number;
  revoked: boolean;
}

const safeEqual = (a: string, b: string) =>
  a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export class DiscordOAuth {
  /** The application's client secret (Developer Portal → OAuth2). */
  readonly clientSecret = randomBytes(24).toString('base64url');
  /** Redirects registered in the Developer Portal; an authorize request must use one exactly. */
  readonly redirectUris = new Set<string>();
  readonly consent: DiscordConsent = { user: null, mode: 'auto' };
  /** Every authorize request's query, in order. */
  readonly authorizeRequests: URLSearchParams[] = [];
  private readonly codes = new Map<string, Code>();
  private readonly tokens = new Map<string, Token>();
  private readonly pending = new Map<string, Request>();
  private readonly store: Store;
  private readonly calls: RecordedCall[];
  private readonly injections: Injection[];

  constructor(store: Store, calls: RecordedCall[], injections: Injection[]) {
    this.store = store;
    this.calls = calls;
    this.injections = injections;
  }

  /** Access tokens issued and neither revoked nor expired. */
  liveTokens(): number {
    return [...this.tokens.values()].filter((t) => !t.revoked && t.expiresAt > this.store.now()).length;
  }

  /** Handles the request when it is one of the OAuth2 paths; false otherwise. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = new URL(req.url ?? '/', 'http://rest.invalid');
    const method = (req.method ?? 'GET').toUpperCase();
    const path = url.pathname.replace(/^\/api(\/v\d+)?(?=\/)/, '');
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    const ours =
      path === '/oauth2/authorize' ||
      ((path === '/oauth2/token' || path === '/oauth2/token/revoke') && url.pathname.startsWith('/api/')) ||
      (path === '/users/@me' && bearer !== null && url.pathname.startsWith('/api/v'));
    if (!ours) return false;
    const raw = await readBody(req);
    const call: RecordedCall = {
      service: 'rest',
      method,
      path,
      query: url.searchParams,
      headers: req.headers,
      body: undefined,
      files: [],
      status: 0,
      at: Date.now(),
    };
    this.calls.push(call);
    const injected = takeInjection(this.injections, method, path);
    if (injected) {
      call.status = injected.status;
      sendJson(
        res,
        injected.status,
        injected.body ?? { message: `${injected.status}: injected failure`, code: 0 },
      );
      return true;
    }
    const answer = (status: number) => (call.status = status);
    if (path === '/oauth2/authorize') {
      if (method === 'GET') this.authorize(res, url.searchParams, answer);
      else if (method === 'POST') this.approval(res, new URLSearchParams(raw.toString('utf8')), answer);
      else this.json(res, answer, 405, { message: '405: Method Not Allowed', code: 0 });
      return true;
    }
    if (path === '/users/@me') {
      this.me(res, method, bearer?.[1] ?? '', answer);
      return true;
    }
    if (method !== 'POST') {
      this.json(res, answer, 405, { message: '405: Method Not Allowed', code: 0 });
      return true;
    }
    // "The token and token revocation URLs will only accept a content type of
    // application/x-www-form-urlencoded. JSON content is not permitted and will return an error."
    const form = (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')
      ? new URLSearchParams(raw.toString('utf8'))
      : new URLSearchParams();
    // Recorded for tests, the client secret left out.
    call.body = Object.fromEntries([...form].filter(([name]) => name !== 'client_secret'));
    if (!this.clientAuthenticated(req.headers.authorization, form)) {
      this.json(res, answer, 401, { error: 'invalid_client' });
      return true;
    }
    if (path === '/oauth2/token') this.token(res, form, answer);
    else this.revoke(res, form, answer);
    return true;
  }

  // ---- consent ----

  private authorize(res: ServerResponse, q: URLSearchParams, answer: (s: number) => void): void {
    this.authorizeRequests.push(q);
    const page = (status: number, text: string) => {
      answer(status);
      sendHtml(res, status, `<!doctype html><title>Discord</title><h1>${escapeHtml(text)}</h1>`);
    };
    if (q.get('client_id') !== this.store.applicationId) return page(400, 'Unknown Application');
    const redirectUri = q.get('redirect_uri') ?? '';
    if (!this.redirectUris.has(redirectUri)) return page(400, 'Invalid OAuth2 redirect_uri');
    if (q.get('response_type') !== 'code') return page(400, 'Invalid response_type');
    const scopes = (q.get('scope') ?? '').split(' ').filter((s) => s !== '');
    if (scopes.length === 0 || scopes.some((s) => !KNOWN_SCOPES.has(s))) return page(400, 'Invalid scope');
    const challenge = q.get('code_challenge');
    if (
      challenge !== null &&
      (q.get('code_challenge_method') !== 'S256' || !/^[A-Za-z0-9_-]{43}$/.test(challenge))
    )
      return page(400, 'Invalid code_challenge');
    const request: Request = { redirectUri, scopes, state: q.get('state'), challenge };
    const user = this.consent.user;
    if (user === null) return page(200, 'Log in to continue to the application');
    if (this.consent.mode === 'deny') return this.deny(res, request, answer);
    if (this.consent.mode === 'auto') return this.issue(res, request, user, answer);
    const id = randomBytes(18).toString('base64url');
    this.pending.set(id, request);
    answer(200);
    sendHtml(
      res,
      200,
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Discord | Authorize access to your account</title></head><body>` +
        `<h1>An external application wants to access your Discord account</h1>` +
        `<p id="signed-in">Signed in as ${escapeHtml(user.global_name ?? user.username)} (@${escapeHtml(user.username)})</p>` +
        `<ul>${scopes.map((s) => `<li>${escapeHtml(s)}</li>`).join('')}</ul>` +
        `<form method="post" action="/oauth2/authorize"><input type="hidden" name="request" value="${id}">` +
        `<button type="submit" name="action" value="deny">Cancel</button>` +
        `<button type="submit" name="action" value="allow">Authorize</button></form></body></html>`,
    );
  }

  private approval(res: ServerResponse, form: URLSearchParams, answer: (s: number) => void): void {
    const request = this.pending.get(form.get('request') ?? '');
    const user = this.consent.user;
    if (!request || !user) {
      answer(400);
      sendHtml(res, 400, '<!doctype html><title>Discord</title><h1>This request expired</h1>');
      return;
    }
    this.pending.delete(form.get('request') ?? '');
    if (form.get('action') === 'allow') this.issue(res, request, user, answer);
    else this.deny(res, request, answer);
  }

  private issue(res: ServerResponse, request: Request, user: FakeUser, answer: (s: number) => void): void {
    const code = randomBytes(22).toString('base64url');
    this.codes.set(code, { ...request, user, expiresAt: this.store.now() + CODE_TTL_MS, used: false });
    this.redirect(res, request, { code }, answer);
  }

  private deny(res: ServerResponse, request: Request, answer: (s: number) => void): void {
    this.redirect(
      res,
      request,
      {
        error: 'access_denied',
        error_description: 'The resource owner or authorization server denied the request',
      },
      answer,
    );
  }

  private redirect(
    res: ServerResponse,
    request: Request,
    params: Record<string, string>,
    answer: (s: number) => void,
  ): void {
    const target = new URL(request.redirectUri);
    for (const [k, v] of Object.entries(params)) target.searchParams.set(k, v);
    if (request.state !== null) target.searchParams.set('state', request.state);
    answer(302);
    res.writeHead(302, { location: target.toString(), 'content-length': 0 });
    res.end();
  }

  // ---- token endpoints ----

  private clientAuthenticated(authorization: string | undefined, form: URLSearchParams): boolean {
    let id = form.get('client_id');
    let secret = form.get('client_secret');
    const basic = /^Basic (.+)$/i.exec(authorization ?? '');
    if (basic) {
      const decoded = Buffer.from(basic[1] ?? '', 'base64').toString('utf8');
      const at = decoded.indexOf(':');
      id = decoded.slice(0, at);
      secret = decoded.slice(at + 1);
    }
    return id === this.store.applicationId && secret !== null && safeEqual(secret, this.clientSecret);
  }

  private token(res: ServerResponse, form: URLSearchParams, answer: (s: number) => void): void {
    const grantType = form.get('grant_type');
    if (grantType !== 'authorization_code') {
      this.json(res, answer, 400, { error: 'unsupported_grant_type' });
      return;
    }
    const invalid = (field: string) =>
      this.json(res, answer, 400, {
        error: 'invalid_grant',
        error_description: `Invalid "${field}" in request.`,
      });
    const code = this.codes.get(form.get('code') ?? '');
    if (!code || code.used || code.expiresAt <= this.store.now()) return invalid('code');
    code.used = true; // one try: a wrong verifier spends the code too
    if (form.get('redirect_uri') !== code.redirectUri) return invalid('redirect_uri');
    if (code.challenge !== null) {
      const verifier = form.get('code_verifier') ?? '';
      const computed = createHash('sha256').update(verifier).digest('base64url');
      if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier) || !safeEqual(computed, code.challenge))
        return invalid('code_verifier');
    }
    const accessToken = randomBytes(22).toString('base64url');
    this.tokens.set(accessToken, {
      user: code.user,
      scopes: code.scopes,
      expiresAt: this.store.now() + TOKEN_TTL_S * 1000,
      revoked: false,
    });
    this.json(res, answer, 200, {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: TOKEN_TTL_S,
      refresh_token: randomBytes(22).toString('base64url'),
      scope: code.scopes.join(' '),
    });
  }

  private revoke(res: ServerResponse, form: URLSearchParams, answer: (s: number) => void): void {
    const token = this.tokens.get(form.get('token') ?? '');
    if (token) token.revoked = true;
    // RFC 7009: an unknown token is answered 200 as well.
    this.json(res, answer, 200, {});
  }

  private me(res: ServerResponse, method: string, bearer: string, answer: (s: number) => void): void {
    const token = this.tokens.get(bearer);
    if (method !== 'GET') return this.json(res, answer, 405, { message: '405: Method Not Allowed', code: 0 });
    if (!token || token.revoked || token.expiresAt <= this.store.now() || !token.scopes.includes('identify'))
      return this.json(res, answer, 401, { message: '401: Unauthorized', code: 0 });
    this.json(res, answer, 200, {
      ...this.store.apiUser(token.user),
      mfa_enabled: false,
      locale: 'en-US',
      premium_type: 0,
    });
  }

  private json(res: ServerResponse, answer: (s: number) => void, status: number, body: unknown): void {
    answer(status);
    sendJson(res, status, body, { 'cache-control': 'no-store' });
  }
}
