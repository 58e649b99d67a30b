import { ApplicationCommandType } from 'discord.js';
import type { ChatInputCommand } from '../src/discord/command.ts';
import { PERMISSIONS_URL } from '../src/discord/link-messages.ts';

export default {
  data: {
    name: 'unlink',
    description:
      'Unlink your YouTube channel: the bot forgets your Google sign-in and asks Google to revoke it',
    type: ApplicationCommandType.ChatInput,
  },
  defer: 'ephemeral',
  async execute(interaction, ctx) {
    const result = await ctx.oauth.unlink(interaction.user.id);
    const content = !result
      ? 'You have no linked YouTube channel, so there was nothing to unlink.'
      : result.revoked
        ? `Unlinked **${result.channel.title}**. Google confirmed the bot's access is revoked.`
        : `Unlinked **${result.channel.title}** here, but Google did not confirm the revocation. ` +
          `To be sure, remove the bot's access at ${PERMISSIONS_URL}.`;
    await interaction.editReply({ content });
  },
} satisfies ChatInputCommand;
