import {
  ApplicationCommandOptionType,
  ApplicationCommandType,
  escapeMarkdown,
  type APIEmbed,
} from 'discord.js';
import type { ChatInputCommand } from '../src/discord/command.ts';
import { ACCOUNT_OPTION, resolveAccount, VIDEO_OPTION } from '../src/discord/account.ts';
import { respondCategories } from '../src/discord/autocomplete.ts';
import { requireVideoId } from '../src/google/refs.ts';
import {
  CLEAR,
  videoService,
  type EditResult,
  type Processing,
  type VideoInfo,
} from '../src/google/videos.ts';
import { LIMITS, PRIVACIES } from '../src/uploads/metadata.ts';

const { String: Text, Subcommand } = ApplicationCommandOptionType;

const videoOption = VIDEO_OPTION;

export default {
  data: {
    name: 'video',
    description: 'Look at a YouTube video, or change the details of one of yours',
    type: ApplicationCommandType.ChatInput,
    options: [
      {
        type: Subcommand,
        name: 'edit',
        description: 'Change the title, description, tags, category or privacy of your video; the rest stays',
        options: [
          videoOption,
          { type: Text, name: 'title', description: 'New title', max_length: LIMITS.title },
          {
            type: Text,
            name: 'description',
            description: `New description (up to 5000 bytes; ${CLEAR} empties it)`,
            max_length: 5000,
          },
          {
            type: Text,
            name: 'tags',
            description: `New comma-separated keywords, replacing the old ones (${CLEAR} removes them all)`,
            max_length: 500,
          },
          { type: Text, name: 'category', description: 'New YouTube category', autocomplete: true },
          {
            type: Text,
            name: 'privacy',
            description: 'Who can watch',
            choices: PRIVACIES.map((p) => ({ name: p, value: p })),
          },
          ACCOUNT_OPTION,
        ],
      },
      {
        type: Subcommand,
        name: 'info',
        description: "A video's title, channel, privacy, processing, views and likes",
        options: [videoOption],
      },
    ],
  },
  defer: 'ephemeral',
  async execute(interaction, ctx) {
    const id = requireVideoId(interaction.options.getString('video', true));
    const videos = videoService(ctx);
    if (interaction.options.getSubcommand() === 'info') {
      const info = await videos.info(interaction.user.id, id);
      await interaction.editReply({ embeds: [infoEmbed(info)], allowedMentions: { parse: [] } });
      return;
    }
    const { owner } = await resolveAccount(interaction, ctx);
    const result = await videos.edit(owner, id, {
      title: interaction.options.getString('title'),
      description: interaction.options.getString('description'),
      tags: interaction.options.getString('tags'),
      categoryId: interaction.options.getString('category'),
      privacy: interaction.options.getString('privacy'),
    });
    await interaction.editReply({ content: editText(result), allowedMentions: { parse: [] } });
  },
  async autocomplete(interaction, ctx) {
    if (interaction.options.getFocused(true).name === 'category') await respondCategories(interaction, ctx);
    else await interaction.respond([]);
  },
} satisfies ChatInputCommand;

function list(words: readonly string[]): string {
  return words.length <= 1
    ? (words[0] ?? '')
    : `${words.slice(0, -1).join(', ')} and ${words[words.length - 1] ?? ''}`;
}

function editText(result: EditResult): string {
  const { video } = result;
  if (result.changed.length === 0)
    return `**${escapeMarkdown(video.title)}** already has those details, so nothing changed. ${video.url}`;
  const lines = [
    `Updated the ${list(result.changed)} of **${escapeMarkdown(video.title)}** (privacy: ${result.privacy ?? 'unknown'}). ${video.url}`,
  ];
  if (result.keptPrivate)
    lines.push(
      "⚠️ YouTube kept it private: videos uploaded through an API project that YouTube has not audited yet stay private. Change it in YouTube Studio, or ask the bot's admin to complete YouTube's API audit.",
    );
  return lines.join('\n');
}

function processingText(p: Processing): string {
  const reason = p.reason ? ` (${p.reason})` : '';
  if (p.uploadStatus === 'rejected' || p.processingStatus === 'terminated')
    return `rejected by YouTube${reason}`;
  if (p.uploadStatus === 'failed' || p.processingStatus === 'failed') return `processing failed${reason}`;
  if (p.uploadStatus === 'deleted') return 'deleted';
  if (p.processingStatus === 'processing' || p.uploadStatus === 'uploaded')
    return `processing${p.percent !== undefined ? ` (${p.percent}%)` : ''}`;
  if (p.uploadStatus === 'processed' || p.processingStatus === 'succeeded')
    return 'processed — ready to watch';
  return p.processingStatus ?? p.uploadStatus ?? 'unknown';
}

const number = (n: number | undefined, hidden: string): string =>
  n === undefined ? hidden : n.toLocaleString('en-US');

function infoEmbed(info: VideoInfo): APIEmbed {
  const privacy =
    (info.privacy ?? 'unknown') +
    (info.publishAt ? ` · goes public <t:${Math.floor(Date.parse(info.publishAt) / 1000)}:f>` : '');
  const fields = [
    {
      name: 'Channel',
      value: (info.channelTitle || 'unknown') + (info.mine ? ' (yours)' : ''),
      inline: true,
    },
    { name: 'Privacy', value: privacy, inline: true },
  ];
  if (info.processing)
    fields.push({ name: 'Processing', value: processingText(info.processing), inline: true });
  fields.push(
    { name: 'Views', value: number(info.views, 'hidden'), inline: true },
    { name: 'Likes', value: number(info.likes, 'hidden by the owner'), inline: true },
    { name: 'Link', value: info.url, inline: false },
  );
  return {
    title: info.title.slice(0, 256),
    url: info.url,
    fields,
    ...(info.thumbnailUrl ? { thumbnail: { url: info.thumbnailUrl } } : {}),
  };
}
