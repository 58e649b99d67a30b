import { ApplicationCommandType, escapeMarkdown } from 'discord.js';
import type { ChatInputCommand } from '../src/discord/command.ts';
import { ACCOUNT_OPTION, resolveAccount, VIDEO_OPTION } from '../src/discord/account.ts';
import { requireVideoId } from '../src/google/refs.ts';
import { videoService } from '../src/google/videos.ts';

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
    const content = already
      ? `You already like **${escapeMarkdown(video.title)}** — it is among your favorites (your YouTube likes). ${video.url}`
      : `Liked **${escapeMarkdown(video.title)}** on YouTube; it is now among your favorites (see them with /favorites). ${video.url}`;
    await interaction.editReply({ content, allowedMentions: { parse: [] } });
  },
} satisfies ChatInputCommand;
