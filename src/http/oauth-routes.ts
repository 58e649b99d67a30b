// GET /link/<state> sends the member on to Google; GET /oauth/callback finishes the link.
// The code and state are never echoed into a page.
import type { LinkOutcome, OAuthService } from '../google/oauth.ts';
import { CREATE_CHANNEL_URL } from '../discord/link-messages.ts';
import type { Logger } from '../logger.ts';
import { sendPage, sendRedirect, type PageContent } from './pages.ts';
import type { Route } from './server.ts';

const EXPIRED: PageContent = {
  tone: 'error',
  title: 'This link has expired',
  paragraphs: ['Sign-in links work once, for 10 minutes. Run /link in Discord to get a new one.'],
};

export function outcomePage(outcome: LinkOutcome): { status: number; content: PageContent } {
  switch (outcome.kind) {
    case 'linked':
      return {
        status: 200,
        content: {
          tone: 'ok',
          title: 'Your YouTube channel is linked',
          channel: outcome.channel,
          paragraphs: [
            'The bot can now upload to this channel and manage its playlists when you ask it to in Discord.',
          ],
        },
      };
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
          tone: 'error',
          title: 'This link was already used',
          paragraphs: ['Each sign-in link works once. Run /link in Discord to get a new one.'],
        },
      };
    case 'invalid_state':
      return { status: 400, content: EXPIRED };
    case 'missing_code':
      return {
        status: 400,
        content: {
          tone: 'error',
          title: 'Google did not complete the sign-in',
          paragraphs: ['Nothing was linked. Run /link in Discord to try again.'],
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

export function oauthRoutes(
  oauth: OAuthService,
  onOutcome: (outcome: LinkOutcome) => Promise<void>,
  logger: Logger,
): Record<string, Route> {
  return {
    'GET /link/*': async (_req, res, url) => {
      const state = url.pathname.slice('/link/'.length);
      const target = await oauth.authorizationUrl(state);
      if (target === undefined) sendPage(res, 400, EXPIRED);
      else sendRedirect(res, target);
    },
    'GET /oauth/callback': async (_req, res, url) => {
      const outcome = await oauth.complete(url.searchParams);
      logger.info({ outcome: outcome.kind }, 'oauth callback');
      // The page does not wait on Discord: the reply update reports its own failures.
      onOutcome(outcome).catch((error: unknown) =>
        logger.warn({ err: error }, 'could not update the /link reply'),
      );
      const { status, content } = outcomePage(outcome);
      sendPage(res, status, content);
    },
  };
}
