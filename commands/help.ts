import { ApplicationCommandOptionType, ApplicationCommandType, MessageFlags } from 'discord.js';
import type { ChatInputCommand } from '../src/discord/command.ts';
import { helpText } from '../src/discord/help.ts';

export default {
  data: {
    name: 'help',
    description: 'What this bot can do: every command with one line each',
    type: ApplicationCommandType.ChatInput,
    options: [
      {
        type: ApplicationCommandOptionType.Boolean,
        name: 'public',
        description: 'Show the list to the whole channel instead of only to you (default: only you)',
      },
    ],
  },
  defer: 'none',
  async execute(interaction, ctx) {
    const visible = interaction.options.getBoolean('public') ?? false;
    await interaction.reply({
      embeds: [{ title: 'TubeBridge', description: helpText(ctx.commands, interaction.locale) }],
      ...(visible ? {} : { flags: MessageFlags.Ephemeral }),
      allowedMentions: { parse: [] },
    });
  },
} satisfies ChatInputCommand;
