// What a member reads about their link, in Discord and on the callback page: one wording for both.
import type { LinkOutcome } from '../google/oauth.ts';

export const CREATE_CHANNEL_URL = 'https://www.youtube.com/create_channel';
export const PERMISSIONS_URL = 'https://myaccount.google.com/permissions';

/** The text the member's /link reply is updated to once the browser part is over. */
export function linkReplyText(outcome: LinkOutcome): string | undefined {
  switch (outcome.kind) {
    case 'linked':
      if (outcome.owner.startsWith('guild:')) {
        return `The server is now linked to **${outcome.channel.title}**: moderators can act as it with \`account: server\`.`;
      }
      return outcome.previous && outcome.previous.id !== outcome.channel.id
        ? `Linked to **${outcome.channel.title}** (instead of ${outcome.previous.title}). Your uploads now go there.`
        : `Linked to **${outcome.channel.title}**. You can now use /upload.`;
    case 'denied':
      return "You cancelled on Google's page, so nothing was linked. Run /link to try again.";
    case 'no_channel':
      return `That Google account has no YouTube channel yet. Create one at ${CREATE_CHANNEL_URL}, then run /link again.`;
    case 'missing_scope':
      return 'Google did not grant every permission the bot needs (managing your YouTube videos and playlists), so nothing was linked. Run /link again and leave every box ticked.';
    case 'missing_code':
    case 'exchange_failed':
      return 'Google did not complete the sign-in, so nothing was linked. Run /link to try again.';
    case 'wrong_account':
      // Not naming who opened it: the member who ran /link may have sent it to someone on purpose.
      return 'Your link was opened by a different Discord account, so nothing was linked. Run /link again and open the button yourself.';
    case 'signin_failed':
      return 'The Discord sign-in on the link page did not complete, so nothing was linked. Run /link to try again.';
    case 'unconfirmed':
      return 'The Google sign-in did not finish in the browser that opened your link, so nothing was linked. Run /link again and do every step in one browser.';
    case 'invalid_state':
    case 'used_state':
      return undefined;
  }
}
