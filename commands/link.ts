import { ApplicationCommandType } from 'discord.js';
import type { ChatInputCommand } from '../src/discord/command.ts';
import { replyWithLinkButton } from '../src/discord/link-prompt.ts';

export default {
  data: {
    name: 'link',
    description: 'Link your own YouTube channel through Google sign-in, so you can upload and manage videos',
    type: ApplicationCommandType.ChatInput,
  },
  defer: 'none',
  async execute(interaction, ctx) {
    await replyWithLinkButton(interaction, ctx, interaction.user.id, 'your');
  },
} satisfies ChatInputCommand;
