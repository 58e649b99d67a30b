// The pages of the link flow: the page that names who asks before anything happens, and one page per
// outcome. Every value a member chose (display names, server names) is escaped by renderPage.
import type { LinkOutcome, LinkRequester, PendingLink } from '../google/oauth.ts';
import { CREATE_CHANNEL_URL } from '../discord/link-messages.ts';
import type { PageContent } from './pages.ts';
import { t } from '../i18n/index.ts';

const named = (r: LinkRequester) => `${r.displayName} (@${r.username})`;
const quoted = (name: string | undefined) => (name === undefined ? '' : `“${name}”`);

/** The page for a link that is unknown or over; in `locale` (the browser's language: no member is known). */
export const expiredPage = (locale?: string): PageContent => ({
  locale,
  tone: 'error',
  title: t(locale, 'page.expired.title'),
  paragraphs: [t(locale, 'page.expired.text')],
});

/** A page of one outcome: its status, tone, title and paragraphs (keys), in `locale`. */
function simple(
  locale: string | undefined,
  status: number,
  tone: PageContent['tone'],
  title: string,
  paragraphs: readonly string[],
  values: Record<string, string> = {},
): { status: number; content: PageContent } {
  return {
    status,
    content: {
      locale,
      tone,
      title: t(locale, title),
      paragraphs: paragraphs.map((p) => t(locale, p, values)),
    },
  };
}

/**
 * The page for an outcome, in the language of the member who ran /link when the outcome knows them,
 * else in `browser` (the browser's language: an unknown or used link knows nobody).
 */
export function outcomePage(
  outcome: LinkOutcome,
  browser?: string,
): { status: number; content: PageContent } {
  const member =
    'requester' in outcome ? outcome.requester.locale : 'locale' in outcome ? outcome.locale : undefined;
  const locale = member ?? browser;
  switch (outcome.kind) {
    case 'linked': {
      const who = named(outcome.requester);
      const server = outcome.owner.startsWith('guild:');
      const say = (key: string, values: Record<string, string> = {}) => t(locale, key, values);
      return {
        status: 200,
        content: {
          locale,
          tone: 'ok',
          title: say(server ? 'page.linked.titleServer' : 'page.linked.titleYours'),
          channel: outcome.channel,
          paragraphs: server
            ? [
                say('page.linked.server', { server: quoted(outcome.requester.guildName), who }),
                say('page.linked.serverNext'),
              ]
            : [say('page.linked.yours', { who }), say('page.linked.yoursNext')],
        },
      };
    }
    case 'denied':
      return simple(locale, 403, 'info', 'page.link.denied.title', ['page.link.denied.text']);
    case 'no_channel':
      return simple(locale, 403, 'error', 'page.link.noChannel.title', ['page.link.noChannel.text'], {
        url: CREATE_CHANNEL_URL,
      });
    case 'missing_scope':
      return simple(locale, 403, 'error', 'page.link.missingScope.title', ['page.link.missingScope.text']);
    case 'used_state':
      return simple(locale, 400, 'error', 'page.used.title', ['page.used.text']);
    case 'invalid_state':
      return { status: 400, content: expiredPage(locale) };
    case 'missing_code':
      return simple(locale, 400, 'error', 'page.link.notCompleted.title', ['page.link.missingCode.text']);
    case 'wrong_account':
      return wrongAccount(outcome.requester, undefined, browser);
    case 'signin_failed':
      return simple(locale, 403, 'error', 'page.link.signinFailed.title', ['page.link.signinFailed.text']);
    case 'unconfirmed':
      return simple(locale, 400, 'error', 'page.link.unconfirmed.title', [
        'page.link.unconfirmed.text',
        'page.link.unconfirmed.forwarded',
      ]);
    case 'exchange_failed':
      return simple(locale, 502, 'error', 'page.link.notCompleted.title', ['page.link.exchangeFailed.text']);
  }
}

/** The page a /link button opens: who asks, for which channel, and "continue only if this is you". */
export function confirmPage(
  link: PendingLink,
  form: { action: string; token: string; signIn: boolean; targets: readonly string[] },
): PageContent {
  const { requester } = link;
  const server = link.owner.startsWith('guild:');
  const locale = requester.locale;
  const say = (key: string, values: Record<string, string> = {}) => t(locale, key, values);
  const where =
    requester.guildName === undefined ? '' : say('page.confirm.where', { server: requester.guildName });
  return {
    locale,
    tone: 'info',
    title: say('page.confirm.title'),
    account: requester,
    paragraphs: [
      say(server ? 'page.confirm.server' : 'page.confirm.member', { where }),
      ...(form.signIn ? [say('page.confirm.signIn', { who: named(requester) })] : []),
    ],
    warning: say('page.confirm.warning'),
    form: {
      action: form.action,
      fields: { token: form.token },
      button: say(form.signIn ? 'page.confirm.signInButton' : 'page.confirm.continueButton'),
      targets: form.targets,
    },
  };
}

/** The browser signed in to Discord as someone other than the member who ran /link (in their language). */
export function wrongAccount(
  requester: LinkRequester,
  signedIn: { username: string } | undefined,
  browser?: string,
): { status: number; content: PageContent } {
  const locale = requester.locale ?? browser;
  const who = named(requester);
  return {
    status: 403,
    content: {
      locale,
      tone: 'error',
      title: t(locale, 'page.link.wrongAccount.title'),
      paragraphs: [
        signedIn
          ? t(locale, 'page.link.wrongAccount.textSignedIn', { who, username: signedIn.username })
          : t(locale, 'page.link.wrongAccount.text', { who }),
        t(locale, 'page.link.wrongAccount.yours'),
      ],
    },
  };
}

/** The Continue form did not come from this page in this browser: nothing is consumed. */
export const notConfirmedPage = (locale?: string): PageContent => ({
  locale,
  tone: 'error',
  title: t(locale, 'page.notConfirmed.title'),
  paragraphs: [t(locale, 'page.notConfirmed.text')],
});
