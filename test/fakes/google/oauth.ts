// Google OAuth 2.0 for web-server apps: /o/oauth2/v2/auth (consent), /token, /revoke, plus /tokeninfo and
// /oauth2/v3/userinfo. Errors are Google's: HTML pages on the consent endpoint, {error, error_description} JSON
// on the token endpoint.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendHtml, sendJson } from '../http.ts';
import { SCOPE_PREFIX } from './errors.ts';
import { discardBody, randomId, readSmallBody, type GoogleState, type RequestContext } from './state.ts';
import type { AuthRequestRecord, FakeAccount } from './types.ts';

const CODE_TTL_MS = 10 * 60 * 1000;
/** Google keeps at most this many live refresh tokens per account and client; older ones die silently. */
const MAX_REFRESH_TOKENS = 100;

interface Grant {
  accountId: string;
  clientId: string;
  scopes: string[];
  refreshToken: string | null;
  accessTokens: Set<string>;
  createdAt: number;
  revoked: boolean;
}

interface AccessToken {
  grant: Grant;
  expiresAt: number;
}

interface CodeRecord {
  clientId: string;
  redirectUri: string;
  accountId: string;
  scopes: string[];
  challenge: string | null;
  challengeMethod: 'S256' | 'plain' | null;
  offline: boolean;
  forceConsent: boolean;
  expiresAt: number;
  used: boolean;
  grants: Grant[];
}

interface PendingConsent {
  record: AuthRequestRecord;
  redirectUri: string;
  state: string | null;
}

/** Who answers the consent screen, and how. */
export interface ConsentSettings {
  /** The account that signs in and consents; null: the first account added (one is created if there is none). */
  account: FakeAccount | null;
  /** 'auto': redirect back with a code at once; 'page': serve an HTML consent page; 'deny': redirect with access_denied. */
  mode: 'auto' | 'page' | 'deny';
  /** Scopes the user unticks on the granular consent screen (short names or full URIs): granted scopes omit them. */
  withholdScopes: string[];
}

/** Turns 'youtube' into 'https://www.googleapis.com/auth/youtube'; full URIs and OpenID names pass through. */
export function fullScope(scope: string): string {
  if (scope.includes(':') || ['openid', 'email', 'profile'].includes(scope)) return scope;
  return SCOPE_PREFIX + scope;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function errorPage(res: ServerResponse, status: number, error: string, detail: string): void {
  sendHtml(
    res,
    status,
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Error ${status}: ${error}</title></head>` +
      `<body><h1>Access blocked: This app’s request is invalid</h1><p>${escapeHtml(detail)}</p>` +
      `<p id="error-code">Error ${status}: ${error}</p></body></html>`,
  );
}

function tokenError(res: ServerResponse, status: number, error: string, description?: string): void {
  sendJson(res, status, description === undefined ? { error } : { error, error_description: description }, {
    'cache-control': 'no-cache, no-store, max-age=0, must-revalidate',
    pragma: 'no-cache',
  });
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class OAuthServer {
  readonly consent: ConsentSettings = { account: null, mode: 'auto', withholdScopes: [] };
  readonly authRequests: AuthRequestRecord[] = [];
  private readonly state: GoogleState;
  private readonly codes = new Map<string, CodeRecord>();
  private readonly accessTokens = new Map<string, AccessToken>();
  private readonly refreshTokens = new Map<string, Grant>();
  private readonly grants: Grant[] = [];
  private readonly pending = new Map<string, PendingConsent>();
  private readonly issued: string[] = [];

  constructor(state: GoogleState) {
    this.state = state;
  }

  /** Routes the OAuth paths; returns false when the path is not an OAuth one. */
  async handle(req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<boolean> {
    const path = ctx.url.pathname;
    const method = req.method ?? 'GET';
    if (path === '/o/oauth2/v2/auth' && method === 'GET') {
      discardBody(req);
      this.authorize(res, ctx.url.searchParams);
      return true;
    }
    if (path === '/o/oauth2/v2/auth/approval' && method === 'POST') {
      await this.approval(req, res, ctx);
      return true;
    }
    if (path === '/token') {
      if (method !== 'POST') {
        discardBody(req);
        tokenError(res, 405, 'invalid_request', 'Method not allowed');
        return true;
      }
      await this.token(req, res, ctx);
      return true;
    }
    if (path === '/revoke' && (method === 'POST' || method === 'GET')) {
      await this.revoke(req, res, ctx);
      return true;
    }
    if (path === '/tokeninfo') {
      await this.tokenInfo(req, res, ctx);
      return true;
    }
    if (path === '/oauth2/v3/userinfo' && method === 'GET') {
      discardBody(req);
      this.userInfo(req, res);
      return true;
    }
    return false;
  }

  // ---- authorization endpoint ----

  private authorize(res: ServerResponse, q: URLSearchParams): void {
    const clientId = q.get('client_id') ?? '';
    const redirectUri = q.get('redirect_uri') ?? '';
    const record: AuthRequestRecord = {
      clientId,
      redirectUri,
      scopes: (q.get('scope') ?? '').split(/\s+/).filter((s) => s.length > 0),
      state: q.get('state'),
      codeChallenge: q.get('code_challenge'),
      codeChallengeMethod: q.get('code_challenge_method'),
      accessType: q.get('access_type'),
      prompt: q.get('prompt'),
      includeGrantedScopes: q.get('include_granted_scopes') === 'true',
      loginHint: q.get('login_hint'),
      outcome: 'error',
    };
    this.authRequests.push(record);
    if (clientId !== this.state.clientId) {
      errorPage(res, 401, 'invalid_client', 'The OAuth client was not found.');
      return;
    }
    if (!this.state.redirectUris.has(redirectUri)) {
      errorPage(
        res,
        400,
        'redirect_uri_mismatch',
        `You can’t sign in to this app because it doesn’t comply with Google’s OAuth 2.0 policy. redirect_uri=${redirectUri}`,
      );
      return;
    }
    const responseType = q.get('response_type');
    if (responseType === null) {
      errorPage(res, 400, 'invalid_request', 'Required parameter is missing: response_type');
      return;
    }
    if (responseType !== 'code') {
      errorPage(res, 400, 'unsupported_response_type', `Invalid response_type: ${responseType}`);
      return;
    }
    if (record.scopes.length === 0) {
      errorPage(res, 400, 'invalid_request', 'Missing required parameter: scope');
      return;
    }
    const bad = record.scopes.find(
      (s) => !s.startsWith(SCOPE_PREFIX) && !['openid', 'email', 'profile'].includes(s),
    );
    if (bad !== undefined) {
      errorPage(res, 400, 'invalid_scope', `Some requested scopes were invalid. {invalid=[${bad}]}`);
      return;
    }
    const method = record.codeChallengeMethod;
    if (method !== null && method !== 'S256' && method !== 'plain') {
      errorPage(res, 400, 'invalid_request', `Invalid code_challenge_method: ${method}`);
      return;
    }
    if (record.accessType !== null && record.accessType !== 'online' && record.accessType !== 'offline') {
      errorPage(res, 400, 'invalid_request', `Invalid access_type: ${record.accessType}`);
      return;
    }
    const account = this.consent.account ?? this.state.defaultAccount();
    const prompts = (record.prompt ?? '').split(' ');
    if (prompts.includes('none') && this.consent.mode !== 'auto') {
      record.outcome = 'denied';
      this.redirect(res, redirectUri, { error: 'interaction_required' }, record.state);
      return;
    }
    if (this.consent.mode === 'deny') {
      record.outcome = 'denied';
      this.redirect(res, redirectUri, { error: 'access_denied' }, record.state);
      return;
    }
    if (this.consent.mode === 'page') {
      record.outcome = 'page';
      const id = randomId(24);
      this.pending.set(id, { record, redirectUri, state: record.state });
      this.consentPage(res, id, record, account);
      return;
    }
    record.outcome = 'code';
    this.issueCode(res, record, account);
  }

  private consentPage(res: ServerResponse, id: string, record: AuthRequestRecord, chosen: FakeAccount): void {
    const accounts = this.state.accounts
      .map(
        (a) =>
          `<label><input type="radio" name="account" value="${escapeHtml(a.id)}"${a === chosen ? ' checked' : ''}> ${escapeHtml(a.email)}</label><br>`,
      )
      .join('');
    const scopes = record.scopes.map((s) => `<li>${escapeHtml(s)}</li>`).join('');
    sendHtml(
      res,
      200,
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,"><title>Sign in – Google accounts</title></head><body>` +
        `<h1>Sign in with Google</h1><p>The app wants access to your Google Account</p><ul id="scopes">${scopes}</ul>` +
        `<form method="post" action="/o/oauth2/v2/auth/approval" id="allow-form">` +
        `<input type="hidden" name="request" value="${id}">${accounts}` +
        `<button type="submit" name="action" value="allow" id="submit_approve_access">Allow</button></form>` +
        `<form method="post" action="/o/oauth2/v2/auth/approval" id="deny-form">` +
        `<input type="hidden" name="request" value="${id}">` +
        `<button type="submit" name="action" value="deny" id="submit_deny_access">Cancel</button></form>` +
        `</body></html>`,
    );
  }

  private async approval(req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<void> {
    const { body } = await readSmallBody(req, ctx);
    const form = new URLSearchParams(body.toString('utf8'));
    const pending = this.pending.get(form.get('request') ?? '');
    if (pending === undefined) {
      errorPage(res, 400, 'invalid_request', 'This consent request expired or was already answered.');
      return;
    }
    this.pending.delete(form.get('request') ?? '');
    if (form.get('action') !== 'allow') {
      pending.record.outcome = 'denied';
      this.redirect(res, pending.redirectUri, { error: 'access_denied' }, pending.state);
      return;
    }
    const accountId = form.get('account');
    const account =
      (accountId === null ? undefined : this.state.accountById(accountId)) ??
      this.consent.account ??
      this.state.defaultAccount();
    pending.record.outcome = 'code';
    this.issueCode(res, pending.record, account);
  }

  private issueCode(res: ServerResponse, record: AuthRequestRecord, account: FakeAccount): void {
    const withheld = new Set(this.consent.withholdScopes.map(fullScope));
    const granted = new Set(record.scopes.filter((s) => !withheld.has(s)));
    if (record.includeGrantedScopes) {
      for (const g of this.grants) {
        if (!g.revoked && g.accountId === account.id && g.clientId === record.clientId)
          for (const s of g.scopes) granted.add(s);
      }
    }
    const code = `4/0A${randomId(70)}`;
    this.codes.set(code, {
      clientId: record.clientId,
      redirectUri: record.redirectUri,
      accountId: account.id,
      scopes: [...granted],
      challenge: record.codeChallenge,
      challengeMethod:
        record.codeChallenge === null ? null : record.codeChallengeMethod === 'S256' ? 'S256' : 'plain',
      offline: record.accessType === 'offline',
      forceConsent: (record.prompt ?? '').split(' ').includes('consent'),
      expiresAt: this.state.now() + CODE_TTL_MS,
      used: false,
      grants: [],
    });
    this.redirect(res, record.redirectUri, { code, scope: [...granted].join(' ') }, record.state);
  }

  private redirect(
    res: ServerResponse,
    redirectUri: string,
    params: Record<string, string>,
    state: string | null,
  ): void {
    const target = new URL(redirectUri);
    if (state !== null) target.searchParams.set('state', state);
    for (const [k, v] of Object.entries(params)) target.searchParams.set(k, v);
    if (params['code'] !== undefined) target.searchParams.set('authuser', '0');
    res.writeHead(302, {
      location: target.toString(),
      'content-type': 'text/html; charset=UTF-8',
      'content-length': 0,
    });
    res.end();
  }

  // ---- token endpoint ----

  private async readForm(req: IncomingMessage, ctx: RequestContext): Promise<URLSearchParams> {
    const { body } = await readSmallBody(req, ctx);
    const text = body.toString('utf8');
    const form = new URLSearchParams(ctx.url.search);
    const type = req.headers['content-type'] ?? '';
    if (type.startsWith('application/json')) {
      try {
        const json = JSON.parse(text) as Record<string, unknown>;
        for (const [k, v] of Object.entries(json)) if (typeof v === 'string') form.set(k, v);
      } catch {
        // an unreadable JSON body carries no parameters
      }
    } else {
      for (const [k, v] of new URLSearchParams(text)) form.set(k, v);
    }
    return form;
  }

  private async token(req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<void> {
    const form = await this.readForm(req, ctx);
    let clientId = form.get('client_id');
    let clientSecret = form.get('client_secret');
    const auth = req.headers.authorization;
    if (auth !== undefined && /^basic /i.test(auth)) {
      const decoded = Buffer.from(auth.slice(6).trim(), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon >= 0) {
        clientId = decodeURIComponent(decoded.slice(0, colon));
        clientSecret = decodeURIComponent(decoded.slice(colon + 1));
      }
    }
    if (clientId === null || clientId === '') {
      tokenError(res, 400, 'invalid_request', 'Could not determine client ID from request.');
      return;
    }
    if (clientId !== this.state.clientId) {
      tokenError(res, 401, 'invalid_client', 'The OAuth client was not found.');
      return;
    }
    if (clientSecret === null || !safeEqual(clientSecret, this.state.clientSecret)) {
      tokenError(res, 401, 'invalid_client', 'Unauthorized');
      return;
    }
    const grantType = form.get('grant_type') ?? '';
    if (grantType === 'authorization_code') this.exchangeCode(res, form, clientId);
    else if (grantType === 'refresh_token') this.refresh(res, form, clientId);
    else tokenError(res, 400, 'unsupported_grant_type', `Invalid grant_type: ${grantType}`);
  }

  private exchangeCode(res: ServerResponse, form: URLSearchParams, clientId: string): void {
    const code = form.get('code');
    if (code === null || code === '') {
      tokenError(res, 400, 'invalid_request', 'Missing required parameter: code');
      return;
    }
    const record = this.codes.get(code);
    if (record === undefined || record.clientId !== clientId || record.expiresAt <= this.state.now()) {
      tokenError(res, 400, 'invalid_grant', 'Bad Request');
      return;
    }
    if (record.used) {
      // Google treats a replayed code as an attack and revokes what the code produced.
      for (const grant of record.grants) this.revokeGrant(grant);
      tokenError(res, 400, 'invalid_grant', 'Bad Request');
      return;
    }
    if ((form.get('redirect_uri') ?? '') !== record.redirectUri) {
      tokenError(res, 400, 'redirect_uri_mismatch', 'Bad Request');
      return;
    }
    const verifier = form.get('code_verifier');
    if (record.challenge === null) {
      if (verifier !== null) {
        tokenError(res, 400, 'invalid_grant', 'code_verifier or verifier is not needed.');
        return;
      }
    } else {
      if (verifier === null || verifier === '') {
        tokenError(res, 400, 'invalid_grant', 'Missing code verifier.');
        return;
      }
      const computed =
        record.challengeMethod === 'S256'
          ? createHash('sha256').update(verifier).digest('base64url')
          : verifier;
      if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier) || !safeEqual(computed, record.challenge)) {
        tokenError(res, 400, 'invalid_grant', 'Invalid code verifier.');
        return;
      }
    }
    record.used = true;
    const account = this.state.accountById(record.accountId);
    if (account === undefined) {
      tokenError(res, 400, 'invalid_grant', 'Bad Request');
      return;
    }
    // A refresh token comes with access_type=offline — but only on the first consent, or when prompt=consent forces it.
    const hasLive = this.grants.some(
      (g) => !g.revoked && g.refreshToken !== null && g.accountId === account.id && g.clientId === clientId,
    );
    const withRefresh = record.offline && (record.forceConsent || !hasLive);
    const grant = this.newGrant(account, clientId, record.scopes, withRefresh);
    record.grants.push(grant);
    const access = this.newAccessToken(grant);
    const body: Record<string, unknown> = {
      access_token: access,
      expires_in: this.state.accessTokenTtlSec,
      scope: record.scopes.join(' '),
      token_type: 'Bearer',
    };
    if (grant.refreshToken !== null) body['refresh_token'] = grant.refreshToken;
    sendJson(res, 200, body, {
      'cache-control': 'no-cache, no-store, max-age=0, must-revalidate',
      pragma: 'no-cache',
    });
  }

  private refresh(res: ServerResponse, form: URLSearchParams, clientId: string): void {
    const token = form.get('refresh_token');
    if (token === null || token === '') {
      tokenError(res, 400, 'invalid_request', 'Missing required parameter: refresh_token');
      return;
    }
    const grant = this.refreshTokens.get(token);
    if (grant === undefined || grant.revoked) {
      tokenError(res, 400, 'invalid_grant', 'Token has been expired or revoked.');
      return;
    }
    if (grant.clientId !== clientId) {
      tokenError(res, 401, 'unauthorized_client', 'Unauthorized');
      return;
    }
    const access = this.newAccessToken(grant);
    sendJson(
      res,
      200,
      {
        access_token: access,
        expires_in: this.state.accessTokenTtlSec,
        scope: grant.scopes.join(' '),
        token_type: 'Bearer',
      },
      { 'cache-control': 'no-cache, no-store, max-age=0, must-revalidate', pragma: 'no-cache' },
    );
  }

  private newGrant(account: FakeAccount, clientId: string, scopes: string[], withRefresh: boolean): Grant {
    const grant: Grant = {
      accountId: account.id,
      clientId,
      scopes,
      refreshToken: withRefresh ? `1//0${randomId(100)}` : null,
      accessTokens: new Set(),
      createdAt: this.state.now(),
      revoked: false,
    };
    this.grants.push(grant);
    if (grant.refreshToken !== null) {
      this.issued.push(grant.refreshToken);
      this.refreshTokens.set(grant.refreshToken, grant);
      const live = this.grants.filter(
        (g) => !g.revoked && g.refreshToken !== null && g.accountId === account.id && g.clientId === clientId,
      );
      for (const old of live.slice(0, Math.max(0, live.length - MAX_REFRESH_TOKENS))) this.revokeGrant(old);
    }
    return grant;
  }

  private newAccessToken(grant: Grant): string {
    const token = `ya29.a0${randomId(150)}`;
    this.accessTokens.set(token, {
      grant,
      expiresAt: this.state.now() + this.state.accessTokenTtlSec * 1000,
    });
    grant.accessTokens.add(token);
    this.issued.push(token);
    return token;
  }

  private revokeGrant(grant: Grant): void {
    grant.revoked = true;
    for (const t of grant.accessTokens) this.accessTokens.delete(t);
    grant.accessTokens.clear();
  }

  // ---- revocation, token info ----

  private async revoke(req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<void> {
    const form = await this.readForm(req, ctx);
    const token = form.get('token') ?? '';
    const grant = this.refreshTokens.get(token) ?? this.accessTokens.get(token)?.grant;
    if (grant === undefined || grant.revoked) {
      tokenError(res, 400, 'invalid_token', 'Token expired or revoked');
      return;
    }
    // Revoking an access token revokes its refresh token too, and the other way round. Google then
    // removes the app's access from the account: every other grant of that account to the same
    // client ends with it (a second refresh token of the account stops working too).
    for (const g of this.grants)
      if (g.accountId === grant.accountId && g.clientId === grant.clientId) this.revokeGrant(g);
    sendJson(res, 200, {});
  }

  private async tokenInfo(req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<void> {
    const form = await this.readForm(req, ctx);
    const found = this.lookupAccessToken(form.get('access_token') ?? '');
    if (found === null) {
      tokenError(res, 400, 'invalid_token', 'Invalid Value');
      return;
    }
    const expiresIn = Math.max(0, Math.floor((found.expiresAt - this.state.now()) / 1000));
    sendJson(res, 200, {
      azp: found.grant.clientId,
      aud: found.grant.clientId,
      sub: found.account.id,
      scope: found.scopes.join(' '),
      exp: String(Math.floor(found.expiresAt / 1000)),
      expires_in: String(expiresIn),
      email: found.account.email,
      email_verified: 'true',
      access_type: found.grant.refreshToken === null ? 'online' : 'offline',
    });
  }

  private userInfo(req: IncomingMessage, res: ServerResponse): void {
    const auth = req.headers.authorization ?? '';
    const found = /^bearer /i.test(auth) ? this.lookupAccessToken(auth.slice(7).trim()) : null;
    if (found === null) {
      sendJson(
        res,
        401,
        { error: 'invalid_request', error_description: 'Invalid Credentials' },
        { 'www-authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"' },
      );
      return;
    }
    const body: Record<string, unknown> = { sub: found.account.id };
    if (found.scopes.some((s) => s === 'email' || s.endsWith('/userinfo.email'))) {
      body['email'] = found.account.email;
      body['email_verified'] = true;
    }
    sendJson(res, 200, body);
  }

  // ---- used by the data API and by tests ----

  /** The live access token's account and scopes, or null when unknown, expired or revoked. */
  lookupAccessToken(
    token: string,
  ): { account: FakeAccount; scopes: string[]; grant: Grant; expiresAt: number } | null {
    const record = this.accessTokens.get(token);
    if (record === undefined || record.grant.revoked || record.expiresAt <= this.state.now()) return null;
    const account = this.state.accountById(record.grant.accountId);
    if (account === undefined) return null;
    return { account, scopes: record.grant.scopes, grant: record.grant, expiresAt: record.expiresAt };
  }

  mintTokens(
    account: FakeAccount,
    scopes: string[],
  ): {
    access_token: string;
    refresh_token: string;
    expiry_date: number;
    scope: string;
    token_type: 'Bearer';
  } {
    const full = scopes.map(fullScope);
    const grant = this.newGrant(account, this.state.clientId, full, true);
    const access = this.newAccessToken(grant);
    return {
      access_token: access,
      refresh_token: grant.refreshToken ?? '',
      expiry_date: Date.now() + this.state.accessTokenTtlSec * 1000,
      scope: full.join(' '),
      token_type: 'Bearer',
    };
  }

  /** Every access and refresh token issued so far, revoked ones included. */
  issuedTokens(): string[] {
    return [...this.issued];
  }

  expireAccessTokens(): void {
    for (const record of this.accessTokens.values()) record.expiresAt = 0;
  }

  revokeAll(account: FakeAccount): void {
    for (const grant of this.grants) if (grant.accountId === account.id) this.revokeGrant(grant);
  }
}
