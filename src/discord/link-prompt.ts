// The private reply with a sign-in button, for /link (a member's own channel) and /server link
// (the server's channel): the same flow, worded for whose channel it is.
import {
  ActionRowBuilder,
  ButtonBuilder,
  ButtonStyle,
  MessageFlags,
  type ChatInputCommandInteraction,
} from 'discord.js';
import type { Context } from '../context.ts';
import type { LinkRequester } from '../google/oauth.ts';

/** Who ran the command, as the link page shows them (the member's name and picture in this server). */
export function requesterOf(interaction: ChatInputCommandInteraction): LinkRequester {
  const member = interaction.inCachedGuild() ? interaction.member : undefined;
  const shown = member ?? interaction.user;
  return {
    userId: interaction.user.id,
    username: interaction.user.username,
    displayName: member?.displayName ?? interaction.user.displayName,
    avatarUrl: shown.displayAvatarURL({ extension: 'png', size: 128 }),
    guildName: interaction.guild?.name,
  };
}

export async function replyWithLinkButton(
  interaction: ChatInputCommandInteraction,
  ctx: Context,
  owner: string,
  whose: 'your' | "the server's",
): Promise<void> {
  const current = await ctx.oauth.linked(owner);
  const url = await ctx.oauth.start({
    owner,
    requester: requesterOf(interaction),
    reply: { applicationId: interaction.applicationId, token: interaction.token },
    switching: current !== undefined,
  });
  const Whose = whose === 'your' ? 'Your' : "The server's";
  const content = !current
    ? (whose === 'your'
        ? 'Open the button below, choose your Google account and YouTube channel, and allow access. '
        : 'Open the button below, choose the Google account and YouTube channel the server will use, and allow access. ') +
      'The button works once, for 10 minutes, and only for you: its page names you. This message will say when you are linked.'
    : current.broken
      ? `${Whose} link to **${current.channel.title}** expired. Open the button below to link again.`
      : `${whose === 'your' ? 'You are' : 'The server is'} linked to **${current.channel.title}**. To switch to another channel or Google account, ` +
        'open the button below; the current link stays until the new one succeeds.';
  const button = new ButtonBuilder()
    .setStyle(ButtonStyle.Link)
    .setURL(url)
    .setLabel(current && !current.broken ? 'Switch channel' : 'Link YouTube');
  await interaction.reply({
    content,
    components: [new ActionRowBuilder<ButtonBuilder>().addComponents(button)],
    flags: MessageFlags.Ephemeral,
  });
}
