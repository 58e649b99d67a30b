import {
  ActionRowBuilder,
  ApplicationCommandType,
  ButtonBuilder,
  ButtonStyle,
  MessageFlags,
} from 'discord.js';
import type { ChatInputCommand } from '../src/discord/command.ts';

export default {
  data: {
    name: 'link',
    description: 'Link your own YouTube channel through Google sign-in, so you can upload and manage videos',
    type: ApplicationCommandType.ChatInput,
  },
  defer: 'none',
  async execute(interaction, ctx) {
    const current = await ctx.oauth.linked(interaction.user.id);
    const url = await ctx.oauth.start(
      interaction.user.id,
      { applicationId: interaction.applicationId, token: interaction.token },
      current !== undefined,
    );
    const content = !current
      ? 'Open the button below, choose your Google account and YouTube channel, and allow access. ' +
        'The button works once, for 10 minutes; this message will say when you are linked.'
      : current.broken
        ? `Your link to **${current.channel.title}** expired. Open the button below to link again.`
        : `You are linked to **${current.channel.title}**. To switch to another channel or Google account, ` +
          'open the button below; your current link stays until the new one succeeds.';
    const button = new ButtonBuilder()
      .setStyle(ButtonStyle.Link)
      .setURL(url)
      .setLabel(current && !current.broken ? 'Switch channel' : 'Link YouTube');
    await interaction.reply({
      content,
      components: [new ActionRowBuilder<ButtonBuilder>().addComponents(button)],
      flags: MessageFlags.Ephemeral,
    });
  },
} satisfies ChatInputCommand;
