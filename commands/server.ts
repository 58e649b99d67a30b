import {
  ApplicationCommandOptionType,
  ApplicationCommandType,
  ChannelType,
  EmbedBuilder,
  InteractionContextType,
  MessageFlags,
  PermissionFlagsBits,
  type ChatInputCommandInteraction,
} from 'discord.js';
import type { ChatInputCommand } from '../src/discord/command.ts';
import type { Context } from '../src/context.ts';
import { respondCategories, respondPlaylists } from '../src/discord/autocomplete.ts';
import { replyWithLinkButton } from '../src/discord/link-prompt.ts';
import { canManageServer, requireManageServer, requireModerator } from '../src/discord/permissions.ts';
import { answerUnlinkPress, isUnlinkPress, startUnlink, type UnlinkTarget } from '../src/discord/unlink.ts';
import { UserError } from '../src/errors.ts';
import { PRIVACIES, type Privacy } from '../src/uploads/metadata.ts';
import { serverOwner, type ServerSettings, type SettingsPatch } from '../src/store/settings.ts';
import { LANGUAGES, t } from '../src/i18n/index.ts';
import { requirePlaylistId } from '../src/google/refs.ts';
import { publicReviewChannelWarning, visibleToEveryone } from '../src/discord/channel-visibility.ts';
import {
  fitFields,
  formatUsage,
  renderSettings,
  settingsView,
  shortenedNote,
  TEMPLATE_FIELDS,
  validateTemplate,
} from '../src/discord/server-views.ts';

const { Subcommand, String: Text, Boolean: Bool, Role, Channel } = ApplicationCommandOptionType;
const TEXT_CHANNELS: (ChannelType.GuildText | ChannelType.GuildAnnouncement)[] = [
  ChannelType.GuildText,
  ChannelType.GuildAnnouncement,
];

export default {
  data: {
    name: 'server',
    description: "The server's own YouTube channel, its settings and the day's shared quota",
    type: ApplicationCommandType.ChatInput,
    // Shown to Manage Server by default; admins can widen it, so every subcommand checks again.
    default_member_permissions: PermissionFlagsBits.ManageGuild.toString(),
    contexts: [InteractionContextType.Guild],
    options: [
      {
        type: Subcommand,
        name: 'link',
        description: "Link a Google account as the server's YouTube channel",
      },
      {
        type: Subcommand,
        name: 'unlink',
        description: "Unlink the server's YouTube channel and revoke the bot's access",
      },
      {
        type: Subcommand,
        name: 'status',
        description: "The server's linked channel, its settings and today's quota use",
      },
      {
        type: Subcommand,
        name: 'settings',
        description: 'Show the settings, or change those given',
        options: [
          {
            type: Text,
            name: 'default_privacy',
            description: 'Privacy of uploads when none is given',
            choices: PRIVACIES.map((p) => ({ name: p, value: p })),
          },
          {
            type: Text,
            name: 'default_category',
            description: 'Category of uploads when none is given',
            autocomplete: true,
          },
          {
            type: Text,
            name: 'default_playlist',
            description: "Add the server channel's uploads to this playlist",
            autocomplete: true,
          },
          {
            type: Role,
            name: 'moderator_role',
            description: "Members with this role may act as the server's channel",
          },
          {
            type: Channel,
            name: 'review_channel',
            description: 'Where members’ uploads to the server channel wait for review',
            channel_types: TEXT_CHANNELS,
          },
          {
            type: Channel,
            name: 'announce_channel',
            description: 'Where new videos are announced',
            channel_types: TEXT_CHANNELS,
          },
          { type: Role, name: 'role', description: 'Role to ping in announcements' },
          {
            type: Text,
            name: 'template',
            description: `Announcement text with ${TEMPLATE_FIELDS.join(' ')}`,
            max_length: 1000,
          },
          { type: Bool, name: 'announce_shorts', description: 'Announce Shorts too (default: yes)' },
          { type: Bool, name: 'announce_live', description: 'Announce live streams too (default: yes)' },
          {
            type: Bool,
            name: 'announce_members',
            description: "Also announce members' public uploads to their own channels (default: no)",
          },
          {
            type: Bool,
            name: 'announce_members_ping',
            description: "Ping the role for members' own uploads too (default: no, only the server's videos)",
          },
          {
            type: Bool,
            name: 'announce_unlisted',
            description: 'Also announce unlisted videos (default: no, only public ones)',
          },
          {
            type: Text,
            name: 'clear',
            description: 'Clear a setting back to its default',
            choices: [
              'default_playlist',
              'moderator_role',
              'review_channel',
              'announce_channel',
              'role',
              'template',
            ].map((n) => ({ name: n, value: n })),
          },
          {
            type: Text,
            name: 'language',
            description: "Language of announcements, review cards and notices (default: the server's own)",
            // Each language by its own name, as Discord's own language list shows them.
            choices: [
              { name: "the server's language", value: 'server_default' },
              ...LANGUAGES.map((l) => ({ name: t(l, 'language.name'), value: l })),
            ],
          },
        ],
      },
    ],
  },
  defer: 'none',
  async execute(interaction, ctx) {
    const sub = interaction.options.getSubcommand(true);
    const guildId = interaction.guildId;
    if (!guildId) throw UserError.t('error.guildOnly');
    if (sub === 'link') {
      requireManageServer(interaction);
      await replyWithLinkButton(interaction, ctx, serverOwner(guildId), "the server's");
    } else if (sub === 'unlink') {
      requireManageServer(interaction);
      await interaction.deferReply({ flags: MessageFlags.Ephemeral });
      await startUnlink(interaction, ctx, unlinkTarget(guildId, interaction.user.id));
    } else if (sub === 'status') {
      const settings = await ctx.settings.get(guildId);
      requireModerator(interaction, settings);
      await interaction.reply({
        embeds: [await statusEmbed(ctx, guildId, settings, interaction.locale)],
        flags: MessageFlags.Ephemeral,
      });
    } else {
      await settingsSubcommand(interaction, ctx, guildId);
    }
  },
  async button(interaction, ctx, args) {
    if (!isUnlinkPress(args) || !interaction.guildId) throw UserError.t('error.buttonInactiveRerun');
    if (!canManageServer(interaction)) throw UserError.t('error.manageServerOnly');
    await answerUnlinkPress(interaction, ctx, args, unlinkTarget(interaction.guildId, interaction.user.id));
  },
  async autocomplete(interaction, ctx) {
    const focused = interaction.options.getFocused(true).name;
    if (focused === 'default_category') await respondCategories(interaction, ctx);
    // The default playlist is for uploads to the server's channel: offer that channel's playlists.
    else if (focused === 'default_playlist') await respondPlaylists(interaction, ctx, 'server');
    else await interaction.respond([]);
  },
} satisfies ChatInputCommand;

/** /server unlink: the server's link; the admin's own link is checked too (it may be the same account). */
const unlinkTarget = (guildId: string, userId: string): UnlinkTarget => ({
  command: 'server',
  again: '/server unlink',
  owner: serverOwner(guildId),
  candidates: [userId],
});

/** /server status in the language of whoever ran it (`locale`); the channel's title and mentions as they are. */
async function statusEmbed(
  ctx: Context,
  guildId: string,
  settings: ServerSettings,
  locale: string,
): Promise<EmbedBuilder> {
  const linked = await ctx.oauth.linked(serverOwner(guildId));
  const usage = await ctx.quota.usage();
  const view = settingsView(settings, locale);
  const title = t(locale, 'server.status.title');
  const note = shortenedNote(locale);
  // Within Discord's embed limits (1,024 characters a field, 6,000 in all), whatever is stored.
  const { fields, shortened } = fitFields(
    title,
    [
      {
        name: t(locale, 'server.status.linked'),
        value: linked
          ? linked.broken
            ? t(locale, 'server.status.linkExpired', { channel: linked.channel.title })
            : linked.channel.title
          : t(locale, 'server.status.notLinked'),
      },
      { name: t(locale, 'server.status.quota'), value: formatUsage(usage, locale) },
      { name: t(locale, 'server.status.settings'), value: view.lines.join('\n') },
      { name: t(locale, 'server.status.template'), value: view.template },
    ],
    [...note].length,
  );
  const embed = new EmbedBuilder().setTitle(title).addFields(fields);
  return shortened || view.shortened ? embed.setFooter({ text: note }) : embed;
}

async function settingsSubcommand(
  interaction: ChatInputCommandInteraction,
  ctx: Context,
  guildId: string,
): Promise<void> {
  const o = interaction.options;
  const patch: SettingsPatch = {};
  const privacy = o.getString('default_privacy');
  if (privacy) patch.defaultPrivacy = privacy as Privacy;
  const category = o.getString('default_category');
  if (category) {
    if (!/^\d{1,4}$/.test(category)) throw UserError.t('error.defaultCategoryPick');
    patch.defaultCategory = category;
  }
  const playlist = o.getString('default_playlist');
  if (playlist) patch.defaultPlaylist = requirePlaylistId(playlist);
  const moderator = o.getRole('moderator_role');
  if (moderator) patch.moderatorRoleId = moderator.id;
  const review = o.getChannel('review_channel');
  if (review) patch.reviewChannelId = review.id;
  const announce = o.getChannel('announce_channel');
  if (announce) patch.announceChannelId = announce.id;
  const role = o.getRole('role');
  if (role) patch.announceRoleId = role.id;
  const template = o.getString('template');
  if (template) patch.template = validateTemplate(template);
  const shorts = o.getBoolean('announce_shorts');
  if (shorts !== null) patch.announceShorts = shorts;
  const live = o.getBoolean('announce_live');
  if (live !== null) patch.announceLive = live;
  const members = o.getBoolean('announce_members');
  if (members !== null) patch.announceMembers = members;
  const membersPing = o.getBoolean('announce_members_ping');
  if (membersPing !== null) patch.announceMembersPing = membersPing;
  const unlisted = o.getBoolean('announce_unlisted');
  if (unlisted !== null) patch.announceUnlisted = unlisted;
  const clear = o.getString('clear');
  const clearable: Record<string, keyof ServerSettings> = {
    default_playlist: 'defaultPlaylist',
    moderator_role: 'moderatorRoleId',
    review_channel: 'reviewChannelId',
    announce_channel: 'announceChannelId',
    role: 'announceRoleId',
    template: 'template',
  };
  if (clear && clearable[clear]) patch[clearable[clear]] = null;
  const language = o.getString('language');
  if (language === 'server_default') patch.language = null;
  else if (language !== null && LANGUAGES.includes(language)) patch.language = language;
  // What "the server's language" is: Discord's guild_locale, seen whenever a setting changes.
  if (Object.keys(patch).length > 0 && interaction.guildLocale) patch.guildLocale = interaction.guildLocale;

  const current = await ctx.settings.get(guildId);
  if (Object.keys(patch).length === 0) {
    requireModerator(interaction, current);
    await interaction.reply({
      content: renderSettings(current, interaction.locale),
      flags: MessageFlags.Ephemeral,
      allowedMentions: { parse: [] },
    });
    return;
  }
  requireManageServer(interaction);
  for (const channel of [review, announce]) {
    if (!channel) continue;
    const me = interaction.guild?.members.me;
    const full = interaction.guild?.channels.cache.get(channel.id);
    if (
      me &&
      full &&
      !me
        .permissionsIn(full)
        .has([
          PermissionFlagsBits.ViewChannel,
          PermissionFlagsBits.SendMessages,
          PermissionFlagsBits.EmbedLinks,
        ])
    ) {
      throw UserError.t('error.cannotPostIn', { channelId: channel.id });
    }
  }
  // A review channel everyone can read shows private uploads to all: said plainly, but the server decides.
  const exposed =
    review && interaction.guild && (await visibleToEveryone(interaction.guild, review.id))
      ? `${publicReviewChannelWarning(review.id, interaction.locale)}\n`
      : '';
  const saved = await ctx.settings.update(guildId, patch);
  await interaction.reply({
    content: renderSettings(
      saved,
      interaction.locale,
      `${t(interaction.locale, 'settings.saved')}\n${exposed}`,
    ),
    flags: MessageFlags.Ephemeral,
    allowedMentions: { parse: [] },
  });
}
