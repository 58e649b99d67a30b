// Who can read a channel the server chose for something private. Review cards show a private video's
// title, link and thumbnail, so a review channel @everyone can read lets every member (and anyone who
// joins) watch uploads a moderator has not approved. The server may mean it: /server settings warns
// and saves rather than refusing.
import { PermissionFlagsBits, type Guild } from 'discord.js';
import { t } from '../i18n/index.ts';

/**
 * True when @everyone may view the channel: the @everyone role's own permissions, then the channel's
 * overwrites for it (discord.js's permissionsFor applies both, Administrator included). Undefined when the
 * channel cannot be found.
 */
export async function visibleToEveryone(guild: Guild, channelId: string): Promise<boolean | undefined> {
  const channel =
    guild.channels.cache.get(channelId) ?? (await guild.channels.fetch(channelId).catch(() => null));
  if (!channel) return undefined;
  return channel.permissionsFor(guild.roles.everyone).has(PermissionFlagsBits.ViewChannel);
}

/** The warning for a review channel everyone can read (one sentence for the admin, in their language, and what to do). */
export const publicReviewChannelWarning = (channelId: string, locale?: string | null) =>
  t(locale, 'settings.publicReviewChannel', { channelId });
