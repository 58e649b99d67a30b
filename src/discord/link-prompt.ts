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
import { t } from '../i18n/index.ts';

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
    locale: interaction.locale,
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
  const server = whose !== 'your';
  const say = (key: string, values: Record<string, string> = {}) => t(interaction.locale, key, values);
  const content = !current
    ? say(server ? 'link.prompt.newServer' : 'link.prompt.newYours')
    : current.broken
      ? say(server ? 'link.prompt.expiredServer' : 'link.prompt.expiredYours', {
          channel: current.channel.title,
        })
      : say(server ? 'link.prompt.linkedServer' : 'link.prompt.linkedYours', {
          channel: current.channel.title,
        });
  const button = new ButtonBuilder()
    .setStyle(ButtonStyle.Link)
    .setURL(url)
    .setLabel(say(current && !current.broken ? 'link.prompt.switchButton' : 'link.prompt.linkButton'));
  await interaction.reply({
    content,
    components: [new ActionRowBuilder<ButtonBuilder>().addComponents(button)],
    flags: MessageFlags.Ephemeral,
  });
}
