import { ApplicationCommandType, escapeMarkdown } from 'discord.js';
import type { ChatInputCommand } from '../src/discord/command.ts';
import { ACCOUNT_OPTION, resolveAccount, VIDEO_OPTION } from '../src/discord/account.ts';
import { requireVideoId } from '../src/google/refs.ts';
import { videoService } from '../src/google/videos.ts';
import { t } from '../src/i18n/index.ts';

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
    const values = { title: escapeMarkdown(video.title), url: video.url };
    const content = t(interaction.locale, wasLiked ? 'unfavorite.removed' : 'unfavorite.notLiked', values);
    await interaction.editReply({ content, allowedMentions: { parse: [] } });
  },
} satisfies ChatInputCommand;
