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
import { languageOf, t } from '../src/i18n/index.ts';
import { formatNumber } from '../src/i18n/format.ts';

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
      await interaction.editReply({
        embeds: [infoEmbed(info, interaction.locale)],
        allowedMentions: { parse: [] },
      });
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
    await interaction.editReply({
      content: editText(result, interaction.locale),
      allowedMentions: { parse: [] },
    });
  },
  async autocomplete(interaction, ctx) {
    if (interaction.options.getFocused(true).name === 'category') await respondCategories(interaction, ctx);
    else await interaction.respond([]);
  },
} satisfies ChatInputCommand;

type Locale = string | null | undefined;

/** "title, tags and privacy" as the member's language writes a list (English without the serial comma). */
function list(locale: Locale, words: readonly string[]): string {
  const language = languageOf(locale);
  return new Intl.ListFormat(language === 'en' ? 'en-GB' : language, { type: 'conjunction' }).format(words);
}

const privacyName = (locale: Locale, privacy: string | null | undefined) =>
  t(locale, `privacy.${privacy && (PRIVACIES as readonly string[]).includes(privacy) ? privacy : 'unknown'}`);

function editText(result: EditResult, locale: Locale): string {
  const { video } = result;
  const title = escapeMarkdown(video.title);
  if (result.changed.length === 0) return t(locale, 'video.unchanged', { title, url: video.url });
  const lines = [
    t(locale, 'video.updated', {
      fields: list(
        locale,
        result.changed.map((field) => t(locale, `video.field.${field}`)),
      ),
      title,
      privacy: privacyName(locale, result.privacy),
      url: video.url,
    }),
  ];
  if (result.keptPrivate) lines.push(t(locale, 'video.keptPrivate'));
  return lines.join('\n');
}

function processingText(p: Processing, locale: Locale): string {
  const withReason = (key: string) =>
    p.reason
      ? t(locale, 'video.processing.withReason', { status: t(locale, key), reason: p.reason })
      : t(locale, key);
  if (p.uploadStatus === 'rejected' || p.processingStatus === 'terminated')
    return withReason('video.processing.rejected');
  if (p.uploadStatus === 'failed' || p.processingStatus === 'failed')
    return withReason('video.processing.failed');
  if (p.uploadStatus === 'deleted') return t(locale, 'video.processing.deleted');
  if (p.processingStatus === 'processing' || p.uploadStatus === 'uploaded')
    return p.percent !== undefined
      ? t(locale, 'video.processing.percent', { percent: p.percent })
      : t(locale, 'video.processing.processing');
  if (p.uploadStatus === 'processed' || p.processingStatus === 'succeeded')
    return t(locale, 'video.processing.processed');
  // A status YouTube added after this was written: its own word.
  return p.processingStatus ?? p.uploadStatus ?? t(locale, 'privacy.unknown');
}

const number = (locale: Locale, n: number | undefined, hidden: string): string =>
  n === undefined ? hidden : formatNumber(locale, n);

function infoEmbed(info: VideoInfo, locale: Locale): APIEmbed {
  const privacy = info.publishAt
    ? t(locale, 'video.info.goesPublic', {
        privacy: privacyName(locale, info.privacy),
        when: `<t:${Math.floor(Date.parse(info.publishAt) / 1000)}:f>`,
      })
    : privacyName(locale, info.privacy);
  const channel = info.channelTitle || t(locale, 'video.info.channelUnknown');
  const fields = [
    {
      name: t(locale, 'video.info.channel'),
      value: info.mine ? t(locale, 'video.info.yours', { channel }) : channel,
      inline: true,
    },
    { name: t(locale, 'video.info.privacy'), value: privacy, inline: true },
  ];
  if (info.processing)
    fields.push({
      name: t(locale, 'video.info.processing'),
      value: processingText(info.processing, locale),
      inline: true,
    });
  fields.push(
    {
      name: t(locale, 'video.info.views'),
      value: number(locale, info.views, t(locale, 'video.info.viewsHidden')),
      inline: true,
    },
    {
      name: t(locale, 'video.info.likes'),
      value: number(locale, info.likes, t(locale, 'video.info.likesHidden')),
      inline: true,
    },
    { name: t(locale, 'video.info.link'), value: info.url, inline: false },
  );
  return {
    title: info.title.slice(0, 256),
    url: info.url,
    fields,
    ...(info.thumbnailUrl ? { thumbnail: { url: info.thumbnailUrl } } : {}),
  };
}
