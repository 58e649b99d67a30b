import { ApplicationCommandType, escapeMarkdown } from 'discord.js';
import type { ChatInputCommand } from '../src/discord/command.ts';
import { ACCOUNT_OPTION, resolveAccount, VIDEO_OPTION } from '../src/discord/account.ts';
import { requireVideoId } from '../src/google/refs.ts';
import { videoService } from '../src/google/videos.ts';
import { t } from '../src/i18n/index.ts';

export default {
  data: {
    name: 'favorite',
    description:
      'Like a video on YouTube — YouTube has no favorites list any more, so favorites are your likes',
    type: ApplicationCommandType.ChatInput,
    options: [VIDEO_OPTION, ACCOUNT_OPTION],
  },
  defer: 'ephemeral',
  async execute(interaction, ctx) {
    const id = requireVideoId(interaction.options.getString('video', true));
    const { video, already } = await videoService(ctx).like(
      (await resolveAccount(interaction, ctx)).owner,
      id,
    );
    const values = { title: escapeMarkdown(video.title), url: video.url };
    const content = t(interaction.locale, already ? 'favorite.already' : 'favorite.liked', values);
    await interaction.editReply({ content, allowedMentions: { parse: [] } });
  },
} satisfies ChatInputCommand;
