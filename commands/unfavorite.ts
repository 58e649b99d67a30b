import { ApplicationCommandType, escapeMarkdown } from 'discord.js';
import type { ChatInputCommand } from '../src/discord/command.ts';
import { ACCOUNT_OPTION, resolveAccount, VIDEO_OPTION } from '../src/discord/account.ts';
import { requireVideoId } from '../src/google/refs.ts';
import { videoService } from '../src/google/videos.ts';

export default {
  data: {
    name: 'unfavorite',
    description: 'Remove your like from a video on YouTube (favorites are YouTube likes now)',
    type: ApplicationCommandType.ChatInput,
    options: [VIDEO_OPTION, ACCOUNT_OPTION],
  },
  defer: 'ephemeral',
  async execute(interaction, ctx) {
    const id = requireVideoId(interaction.options.getString('video', true));
    const { video, wasLiked } = await videoService(ctx).unlike(
      (await resolveAccount(interaction, ctx)).owner,
      id,
    );
    const content = wasLiked
      ? `Removed your like from **${escapeMarkdown(video.title)}**; it is no longer among your favorites. ${video.url}`
      : `You had not liked **${escapeMarkdown(video.title)}**, so there was nothing to remove. ${video.url}`;
    await interaction.editReply({ content, allowedMentions: { parse: [] } });
  },
} satisfies ChatInputCommand;
