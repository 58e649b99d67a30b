// The browser part of /link and /server link:
//   GET  /link/<state>             the page naming who ran the command ("continue only if this is
//                                  you"); consumes nothing
//   POST /link/<state>             Continue (form token + cookie): consumes the state, then Discord's
//                                  sign-in when DISCORD_CLIENT_SECRET is set, else Google
//   GET  /oauth/discord/callback   the signed-in Discord user must be the one who ran the command
//   GET  /oauth/callback           Google's answer, in the same browser; finishes the link
// Codes and states are never echoed into a page.
import type { IncomingMessage } from 'node:http';
import type { LinkOutcome, OAuthService } from '../google/oauth.ts';
import type { Logger } from '../logger.ts';
import { DISCORD_CALLBACK_PATH, type DiscordSignIn } from './discord-oauth.ts';
import type { LinkBrowser } from './link-browser.ts';
import { confirmPage, expiredPage, notConfirmedPage, outcomePage, wrongAccount } from './link-pages.ts';
import { languageFromAcceptLanguage } from '../i18n/index.ts';
import { sendPage, sendRedirect } from './pages.ts';
import type { Route } from './server.ts';

export { outcomePage } from './link-pages.ts';

/** The browser's language (Accept-Language), for pages whose member is not known (or not recorded). */
const browserLanguage = (req: { headers: { 'accept-language'?: string | undefined } }) =>
  languageFromAcceptLanguage(req.headers['accept-language']);

export interface OAuthRoutesOptions {
  readonly oauth: OAuthService;
  readonly browser: LinkBrowser;
  /** Set when DISCORD_CLIENT_SECRET is: Continue then goes through Discord's sign-in first. */
  readonly signIn: DiscordSignIn | undefined;
  /** Google's consent page, where Continue may lead (the page's CSP allows the form to go there). */
  readonly googleAuthUrl: string;
  readonly onOutcome: (outcome: LinkOutcome) => Promise<void>;
  readonly logger: Logger;
}

const FORM_LIMIT = 4096;

/** A small urlencoded form body; undefined when it is anything else. */
async function readForm(req: IncomingMessage): Promise<URLSearchParams | undefined> {
  if (!(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
    req.resume();
    return undefined;
  }
  let text = '';
  for await (const chunk of req) {
    text += (chunk as Buffer).toString('latin1');
    if (text.length > FORM_LIMIT) {
      req.resume();
      return undefined;
    }
  }
  return new URLSearchParams(text);
}

export function oauthRoutes(options: OAuthRoutesOptions): Record<string, Route> {
  const { oauth, browser, signIn, logger } = options;
  const targets = [
    new URL(options.googleAuthUrl).origin,
    ...(signIn ? [new URL(signIn.authorizeUrl).origin] : []),
  ];
  const report = (outcome: LinkOutcome) => {
    // The page does not wait on Discord: the reply update reports its own failures.
    options
      .onOutcome(outcome)
      .catch((error: unknown) => logger.warn({ err: error }, 'could not update the /link reply'));
  };
  const stateOf = (url: URL) => url.pathname.slice('/link/'.length);

  return {
    'GET /link/*': async (req, res, url) => {
      const state = stateOf(url);
      const link = await oauth.pending(state);
      if (link === undefined) {
        sendPage(res, 400, expiredPage(browserLanguage(req)));
        return;
      }
      const { id, setCookie } = browser.ensure(req);
      const page = confirmPage(link, {
        action: `/link/${state}`,
        token: browser.token(state, id),
        signIn: signIn !== undefined,
        targets,
      });
      sendPage(res, 200, page, setCookie ? { 'set-cookie': setCookie } : {});
    },
    'POST /link/*': async (req, res, url) => {
      const state = stateOf(url);
      const form = await readForm(req);
      const id = browser.read(req);
      // Another site's form, or a browser without the page's cookie: refused, the state stays usable.
      if (!form || id === undefined || !browser.check(state, id, form.get('token'))) {
        sendPage(res, 403, notConfirmedPage(browserLanguage(req)));
        return;
      }
      const confirmed = await oauth.confirm(state, id);
      if (confirmed.kind !== 'continue') {
        sendPage(res, 400, outcomePage(confirmed, browserLanguage(req)).content);
        return;
      }
      logger.info({ signIn: confirmed.needsSignIn }, 'link confirmed on its page');
      if (confirmed.needsSignIn) {
        // DISCORD_CLIENT_SECRET set: the state demands a sign-in, and only the sign-in module can give it.
        if (!signIn) throw new Error('a Discord sign-in is required but not configured');
        sendRedirect(res, await signIn.begin(confirmed.next, id), 303);
        return;
      }
      const target = await oauth.authorizationUrl(confirmed.next, id);
      if (target === undefined) sendPage(res, 400, expiredPage(browserLanguage(req)));
      else sendRedirect(res, target, 303);
    },
    [`GET ${DISCORD_CALLBACK_PATH}`]: async (req, res, url) => {
      if (!signIn) {
        sendPage(res, 400, expiredPage(browserLanguage(req)));
        return;
      }
      const id = browser.read(req);
      const result = await signIn.finish(url.searchParams, id);
      if (result.kind === 'invalid_state' || id === undefined) {
        sendPage(res, 400, expiredPage(browserLanguage(req)));
        return;
      }
      if (result.kind === 'failed') {
        const outcome = await oauth.abandon(result.next);
        logger.info({ outcome: outcome.kind }, 'discord sign-in callback');
        report(outcome);
        const { status, content } = outcomePage(outcome, browserLanguage(req));
        sendPage(res, status, content);
        return;
      }
      const checked = await oauth.signedIn(result.next, id, result.user.id);
      if (checked.kind === 'refused') {
        report(checked.outcome);
        const { status, content } =
          checked.outcome.kind === 'wrong_account'
            ? wrongAccount(checked.outcome.requester, result.user, browserLanguage(req))
            : outcomePage(checked.outcome, browserLanguage(req));
        sendPage(res, status, content);
        return;
      }
      const target = checked.kind === 'ok' ? await oauth.authorizationUrl(result.next, id) : undefined;
      if (target === undefined) sendPage(res, 400, expiredPage(browserLanguage(req)));
      else sendRedirect(res, target);
    },
    'GET /oauth/callback': async (req, res, url) => {
      const outcome = await oauth.complete(url.searchParams, browser.read(req));
      logger.info({ outcome: outcome.kind }, 'oauth callback');
      report(outcome);
      const { status, content } = outcomePage(outcome, browserLanguage(req));
      sendPage(res, status, content);
    },
  };
}
