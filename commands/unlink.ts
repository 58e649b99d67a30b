import { ApplicationCommandType } from 'discord.js';
import type { ChatInputCommand } from '../src/discord/command.ts';
import { answerUnlinkPress, startUnlink, type UnlinkTarget } from '../src/discord/unlink.ts';
import { serverOwner } from '../src/store/settings.ts';

const target = (userId: string, guildId: string | null): UnlinkTarget => ({
  command: 'unlink',
  again: '/unlink',
  owner: userId,
  candidates: guildId ? [serverOwner(guildId)] : [],
});

export default {
  data: {
    name: 'unlink',
    description:
      'Unlink your YouTube channel: the bot forgets your Google sign-in and asks Google to revoke it',
    type: ApplicationCommandType.ChatInput,
  },
  defer: 'ephemeral',
  async execute(interaction, ctx) {
    await startUnlink(interaction, ctx, target(interaction.user.id, interaction.guildId));
  },
  async button(interaction, ctx, args) {
    await answerUnlinkPress(interaction, ctx, args, target(interaction.user.id, interaction.guildId));
  },
} satisfies ChatInputCommand;
