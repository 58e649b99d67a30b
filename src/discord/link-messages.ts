// What a member reads about their link, in Discord and on the callback page: one wording for both.
import type { LinkOutcome } from '../google/oauth.ts';
import { t } from '../i18n/index.ts';

export const CREATE_CHANNEL_URL = 'https://www.youtube.com/create_channel';
export const PERMISSIONS_URL = 'https://myaccount.google.com/permissions';

/** The text the member's /link reply is updated to once the browser part is over, in their language. */
export function linkReplyText(outcome: LinkOutcome): string | undefined {
  const locale = 'reply' in outcome ? outcome.reply?.locale : undefined;
  const say = (key: string, values: Record<string, string> = {}) => t(locale, key, values);
  switch (outcome.kind) {
    case 'linked':
      if (outcome.owner.startsWith('guild:'))
        return say('link.reply.linkedServer', { channel: outcome.channel.title });
      return outcome.previous && outcome.previous.id !== outcome.channel.id
        ? say('link.reply.switched', { channel: outcome.channel.title, previous: outcome.previous.title })
        : say('link.reply.linked', { channel: outcome.channel.title });
    case 'denied':
      return say('link.reply.denied');
    case 'no_channel':
      return say('link.reply.noChannel');
    case 'missing_scope':
      return say('link.reply.missingScope');
    case 'missing_code':
    case 'exchange_failed':
      return say('link.reply.incomplete');
    case 'wrong_account':
      // Not naming who opened it: the member who ran /link may have sent it to someone on purpose.
      return say('link.reply.wrongAccount');
    case 'signin_failed':
      return say('link.reply.signinFailed');
    case 'unconfirmed':
      return say('link.reply.unconfirmed');
    case 'invalid_state':
    case 'used_state':
      return undefined;
  }
}
