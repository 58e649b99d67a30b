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

/**
 * The page for an outcome. `locale` is the browser's language, for the outcomes that know no member
 * (an unknown or used link); the others speak the language of the member who ran /link.
 */
export function outcomePage(outcome: LinkOutcome, locale?: string): { status: number; content: PageContent } {
  switch (outcome.kind) {
    case 'linked': {
      const who = named(outcome.requester);
      const server = outcome.owner.startsWith('guild:');
      const locale = outcome.requester.locale;
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
      return {
        status: 403,
        content: {
          tone: 'info',
          title: 'Nothing was linked',
          paragraphs: [
            "You did not allow access on Google's page. Run /link in Discord whenever you want to try again.",
          ],
        },
      };
    case 'no_channel':
      return {
        status: 403,
        content: {
          tone: 'error',
          title: 'This Google account has no YouTube channel',
          paragraphs: [
            `Create a channel at ${CREATE_CHANNEL_URL} (or choose another account), then run /link in Discord again.`,
          ],
        },
      };
    case 'missing_scope':
      return {
        status: 403,
        content: {
          tone: 'error',
          title: 'A permission was not granted',
          paragraphs: [
            "The bot needs permission to manage your YouTube videos and playlists. Run /link in Discord again and leave every box ticked on Google's page.",
          ],
        },
      };
    case 'used_state':
      return {
        status: 400,
        content: {
          locale,
          tone: 'error',
          title: t(locale, 'page.used.title'),
          paragraphs: [t(locale, 'page.used.text')],
        },
      };
    case 'invalid_state':
      return { status: 400, content: expiredPage(locale) };
    case 'missing_code':
      return {
        status: 400,
        content: {
          tone: 'error',
          title: 'Google did not complete the sign-in',
          paragraphs: ['Nothing was linked. Run /link in Discord to try again.'],
        },
      };
    case 'wrong_account':
      return wrongAccount(outcome.requester, undefined);
    case 'signin_failed':
      return {
        status: 403,
        content: {
          tone: 'error',
          title: 'The Discord sign-in did not complete',
          paragraphs: [
            'Nothing was linked, and this link no longer works. Run /link in Discord to try again.',
          ],
        },
      };
    case 'unconfirmed':
      return {
        status: 400,
        content: {
          tone: 'error',
          title: 'This sign-in did not start in this browser',
          paragraphs: [
            'Nothing was linked. Open the button of your own /link reply in Discord and do every step in the same browser.',
            'If someone sent you this address, close this page.',
          ],
        },
      };
    case 'exchange_failed':
      return {
        status: 502,
        content: {
          tone: 'error',
          title: 'Google did not complete the sign-in',
          paragraphs: [
            'The sign-in could not be confirmed with Google, so nothing was linked. Run /link in Discord to try again.',
          ],
        },
      };
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

/** The browser signed in to Discord as someone other than the member who ran /link. */
export function wrongAccount(
  requester: LinkRequester,
  signedIn: { username: string } | undefined,
): { status: number; content: PageContent } {
  return {
    status: 403,
    content: {
      tone: 'error',
      title: 'This link belongs to another Discord account',
      paragraphs: [
        `It was made for ${named(requester)}${signedIn ? `, but you signed in to Discord as @${signedIn.username}` : ''}. Nothing was linked, and this link no longer works.`,
        'To link your own YouTube channel, run /link in Discord yourself.',
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
