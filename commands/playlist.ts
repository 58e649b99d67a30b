import {
  ApplicationCommandOptionType,
  ApplicationCommandType,
  MessageFlags,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
} from 'discord.js';
import type { ChatInputCommand } from '../src/discord/command.ts';
import type { Context } from '../src/context.ts';
import { respondPlaylists } from '../src/discord/autocomplete.ts';
import { ACCOUNT_OPTION, accountMarker, ownerFromMarker, resolveAccount } from '../src/discord/account.ts';
import { confirmRow, parseConfirm } from '../src/discord/confirm.ts';
import { parsePage } from '../src/discord/paging.ts';
import { listView, plain, privacyName, showView, videos } from '../src/discord/playlist-views.ts';
import { UserError } from '../src/errors.ts';
import { t } from '../src/i18n/index.ts';
import { createPlaylists, playlistUrl } from '../src/google/playlists.ts';
import { requirePlaylistId, requireVideoId } from '../src/google/refs.ts';
import { PRIVACIES, type Privacy } from '../src/uploads/metadata.ts';

const { String: Text, Integer, Subcommand } = ApplicationCommandOptionType;
const NAME = 'playlist';

const video = {
  type: Text,
  name: 'video',
  description: 'The video: its id or link (youtu.be, watch, shorts…)',
  required: true,
  max_length: 300,
} as const;
const playlist = {
  type: Text,
  name: 'playlist',
  description: 'Pick one of your playlists, or paste its id or link',
  required: true,
  autocomplete: true,
  max_length: 300,
} as const;
const privacy = {
  type: Text,
  name: 'privacy',
  description: 'Who can see it',
  choices: PRIVACIES.map((p) => ({ name: p, value: p })),
} as const;
const title = {
  type: Text,
  name: 'title',
  description: 'Title (up to 150 characters)',
  max_length: 150,
} as const;
const description = {
  type: Text,
  name: 'description',
  description: 'Description (up to 5000 characters)',
  max_length: 5000,
} as const;

const service = (ctx: Context) =>
  createPlaylists({ oauth: ctx.oauth, catalog: ctx.catalog, rootUrl: ctx.config.youtubeApiUrl });
const quiet = { allowedMentions: { parse: [] } };

export default {
  data: {
    name: NAME,
    description: 'Manage your YouTube playlists',
    type: ApplicationCommandType.ChatInput,
    options: [
      {
        type: Subcommand,
        name: 'add',
        description: 'Add a video to one of your playlists',
        options: [
          video,
          playlist,
          {
            type: Integer,
            name: 'position',
            description: 'Where to put it, counting from 1 = first (default: at the end)',
            min_value: 1,
            max_value: 5000,
          },
          ACCOUNT_OPTION,
        ],
      },
      {
        type: Subcommand,
        name: 'remove',
        description: 'Remove a video from one of your playlists',
        options: [video, playlist, ACCOUNT_OPTION],
      },
      {
        type: Subcommand,
        name: 'move',
        description: 'Move a video to another position in a playlist',
        options: [
          video,
          playlist,
          {
            type: Integer,
            name: 'position',
            description: 'Its new position, counting from 1 = first',
            required: true,
            min_value: 1,
            max_value: 5000,
          },
          ACCOUNT_OPTION,
        ],
      },
      {
        type: Subcommand,
        name: 'create',
        description: 'Create a playlist on your channel',
        options: [
          { ...title, required: true },
          description,
          { ...privacy, description: 'Who can see it (default: public)' },
          ACCOUNT_OPTION,
        ],
      },
      {
        type: Subcommand,
        name: 'edit',
        description: "Change a playlist's title, description or privacy",
        options: [
          playlist,
          { ...title, description: 'New title (up to 150 characters)' },
          { ...description, description: 'New description (up to 5000 characters)' },
          { ...privacy, description: 'New privacy' },
          ACCOUNT_OPTION,
        ],
      },
      {
        type: Subcommand,
        name: 'delete',
        description: 'Delete one of your playlists (asks first; the videos stay)',
        options: [playlist, ACCOUNT_OPTION],
      },
      {
        type: Subcommand,
        name: 'list',
        description: 'Your playlists: title, number of videos, privacy and link',
        options: [ACCOUNT_OPTION],
      },
      {
        type: Subcommand,
        name: 'show',
        description: 'The videos in a playlist, with their positions',
        options: [playlist, ACCOUNT_OPTION],
      },
    ],
  },
  defer: 'ephemeral',
  async execute(interaction, ctx) {
    const sub = interaction.options.getSubcommand(true);
    const account = await resolveAccount(interaction, ctx);
    const { owner } = account;
    const marker = accountMarker(account);
    const playlists = service(ctx);
    const playlistId = () => requirePlaylistId(interaction.options.getString('playlist', true));
    const videoId = () => requireVideoId(interaction.options.getString('video', true));
    const say = (content: string) => interaction.editReply({ content, ...quiet });
    const { locale } = interaction;

    switch (sub) {
      case 'add': {
        const request = {
          videoId: videoId(),
          playlistId: playlistId(),
          position: interaction.options.getInteger('position') ?? undefined,
        };
        const done = await playlists.add(owner, request);
        await say(
          t(locale, 'playlist.added', {
            title: plain(done.videoTitle),
            playlist: plain(done.playlistTitle),
            position: done.position,
          }),
        );
        return;
      }
      case 'remove': {
        const request = { videoId: videoId(), playlistId: playlistId() };
        const done = await playlists.remove(owner, request);
        const names = { title: plain(done.videoTitle), playlist: plain(done.playlistTitle) };
        await say(
          done.count > 1
            ? t(locale, 'playlist.removedTimes', { ...names, times: done.count })
            : t(locale, 'playlist.removed', names),
        );
        return;
      }
      case 'move': {
        const request = {
          videoId: videoId(),
          playlistId: playlistId(),
          position: interaction.options.getInteger('position', true),
        };
        const done = await playlists.move(owner, request);
        const names = { title: plain(done.videoTitle), playlist: plain(done.playlistTitle) };
        await say(
          done.from === done.position
            ? t(locale, 'playlist.alreadyAt', { ...names, position: done.position })
            : t(locale, 'playlist.moved', { ...names, from: done.from, position: done.position }),
        );
        return;
      }
      case 'create': {
        const created = await playlists.create(owner, {
          title: interaction.options.getString('title', true).trim(),
          description: interaction.options.getString('description') ?? undefined,
          privacy: privacyOption(interaction),
        });
        await say(
          t(locale, 'playlist.created', {
            playlist: plain(created.title),
            privacy: privacyName(locale, created.privacy),
            url: playlistUrl(created.id),
          }),
        );
        return;
      }
      case 'edit': {
        const id = playlistId();
        const edit = {
          title: interaction.options.getString('title')?.trim(),
          description: interaction.options.getString('description') ?? undefined,
          privacy: privacyOption(interaction),
        };
        const { before, after } = await playlists.edit(owner, id, edit);
        const changes = [
          ...(before.title !== after.title
            ? [t(locale, 'playlist.change.renamed', { playlist: plain(before.title) })]
            : []),
          ...(edit.description !== undefined ? [t(locale, 'playlist.change.description')] : []),
          ...(edit.privacy !== undefined
            ? [t(locale, 'playlist.change.privacy', { privacy: privacyName(locale, after.privacy) })]
            : []),
        ];
        await say(
          changes.length > 0
            ? t(locale, 'playlist.updatedChanges', {
                playlist: plain(after.title),
                changes: changes.join(t(locale, 'playlist.change.separator')),
              })
            : t(locale, 'playlist.updated', { playlist: plain(after.title) }),
        );
        return;
      }
      case 'delete': {
        const id = playlistId();
        const target = await playlists.describe(owner, id);
        await interaction.editReply({
          content: t(locale, 'playlist.deleteConfirm', {
            playlist: plain(target.title),
            videos: videos(locale, target.itemCount),
          }),
          components: [
            confirmRow({
              command: NAME,
              action: `delete${marker}`,
              subject: id,
              requester: interaction.user.id,
              label: t(locale, 'playlist.deleteButton'),
              locale,
            }),
          ],
          ...quiet,
        });
        return;
      }
      case 'list':
        await interaction.editReply(
          await listView(ctx.store, NAME, await playlists.list(owner), 1, marker, locale),
        );
        return;
      case 'show': {
        const id = playlistId();
        await interaction.editReply(
          await showView(ctx.store, NAME, await playlists.show(owner, id), 1, marker, locale),
        );
        return;
      }
      default:
        throw UserError.t('error.unknownPlaylistCommand');
    }
  },
  async autocomplete(interaction, ctx) {
    if (interaction.options.getFocused(true).name === 'playlist') await respondPlaylists(interaction, ctx);
    else await interaction.respond([]);
  },
  async button(interaction, ctx, args) {
    const page = await parsePage(ctx.store, args);
    if (page) return turnPage(interaction, ctx, page.step, page.view, page.token);
    const press = parseConfirm(args);
    const { locale } = interaction;
    if (press?.action.startsWith('delete')) {
      if (press.requester !== interaction.user.id) {
        await interaction.reply({
          content: t(locale, 'playlist.notRequester'),
          flags: MessageFlags.Ephemeral,
        });
        return;
      }
      if (press.expired) {
        await interaction.update({
          content: t(locale, 'playlist.deleteExpired'),
          components: [],
        });
        return;
      }
      if (!press.confirmed) {
        await interaction.update({ content: t(locale, 'playlist.deleteCancelled'), components: [] });
        return;
      }
      await interaction.update({ content: t(locale, 'playlist.deleting'), components: [] });
      let deleted;
      try {
        const owner = await ownerFromMarker(interaction, ctx, press.action.slice('delete'.length));
        deleted = await service(ctx).delete(owner, press.subject);
      } catch (error) {
        // The dispatcher tells the member why in a private follow-up; this message must not keep
        // saying "Deleting…".
        await interaction
          .editReply({ content: t(locale, 'playlist.notDeleted'), ...quiet })
          .catch(() => undefined);
        throw error;
      }
      await interaction.editReply({
        content: t(locale, 'playlist.deleted', {
          playlist: plain(deleted.title),
          videos: videos(locale, deleted.itemCount),
        }),
        ...quiet,
      });
      return;
    }
    throw UserError.t('error.buttonInactiveRerun');
  },
} satisfies ChatInputCommand;

function privacyOption(interaction: ChatInputCommandInteraction): Privacy | undefined {
  const value = interaction.options.getString('privacy');
  return (PRIVACIES as readonly string[]).includes(value ?? '') ? (value as Privacy) : undefined;
}

/** Previous/Next on a list or show reply: the view carries the page number shown, the token YouTube's cursor (from the store). */
async function turnPage(
  interaction: ButtonInteraction,
  ctx: Context,
  step: number,
  view: string[],
  token: string | undefined,
): Promise<void> {
  const [kind, ...rest] = view;
  await interaction.deferUpdate();
  const playlists = service(ctx);
  if (kind === 'list') {
    const page = Math.max(1, Number(rest[0] ?? 1) + step);
    const owner = await ownerFromMarker(interaction, ctx, rest[1]);
    await interaction.editReply(
      await listView(
        ctx.store,
        NAME,
        await playlists.list(owner, token),
        page,
        rest[1] ?? 'm',
        interaction.locale,
      ),
    );
  } else if (kind === 'show' && rest[0]) {
    const page = Math.max(1, Number(rest[1] ?? 1) + step);
    const id = requirePlaylistId(rest[0]);
    const owner = await ownerFromMarker(interaction, ctx, rest[2]);
    await interaction.editReply(
      await showView(
        ctx.store,
        NAME,
        await playlists.show(owner, id, token),
        page,
        rest[2] ?? 'm',
        interaction.locale,
      ),
    );
  } else {
    throw UserError.t('error.buttonInactiveRerun');
  }
}
