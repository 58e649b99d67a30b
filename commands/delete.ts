import {
  ApplicationCommandType,
  DiscordAPIError,
  escapeMarkdown,
  MessageFlags,
  type ChatInputCommandInteraction,
} from 'discord.js';
import type { ChatInputCommand } from '../src/discord/command.ts';
import {
  ACCOUNT_OPTION,
  accountMarker,
  ownerFromMarker,
  resolveAccount,
  VIDEO_OPTION,
} from '../src/discord/account.ts';
import { CONFIRM_TTL_MS, confirmRow, parseConfirm } from '../src/discord/confirm.ts';
import type { Logger } from '../src/logger.ts';
import { UserError } from '../src/errors.ts';
import { requireVideoId } from '../src/google/refs.ts';
import { videoService } from '../src/google/videos.ts';
import { t } from '../src/i18n/index.ts';

const NAME = 'delete';

/**
 * When an unanswered confirmation is edited to say it expired. The buttons themselves expire on
 * Discord's clock (the time in their custom_id against the press's own timestamp); this only
 * tidies the message. Tests shorten it (the bot runs in their process).
 */
export const confirmTiming = { expireEditMs: CONFIRM_TTL_MS };

/** Confirmations waiting for a press, by message id: the timer that marks them expired. */
const waiting = new Map<string, NodeJS.Timeout>();

export default {
  data: {
    name: NAME,
    description: 'Delete one of your videos from YouTube, after a confirmation only you can see',
    type: ApplicationCommandType.ChatInput,
    options: [
      {
        ...VIDEO_OPTION,
        description: 'Your video: its id or any YouTube link (youtu.be, watch, shorts, live…)',
      },
      ACCOUNT_OPTION,
    ],
  },
  defer: 'ephemeral',
  async execute(interaction, ctx) {
    const id = requireVideoId(interaction.options.getString('video', true));
    const account = await resolveAccount(interaction, ctx);
    const video = await videoService(ctx).deletable(account.owner, id);
    const message = await interaction.editReply({
      content: t(interaction.locale, 'delete.confirm'),
      embeds: [
        {
          title: video.title.slice(0, 256),
          url: video.url,
          description: t(interaction.locale, 'delete.onChannel', {
            channel: escapeMarkdown(video.channelTitle || t(interaction.locale, 'delete.yourChannel')),
            url: video.url,
          }),
          ...(video.thumbnailUrl ? { image: { url: video.thumbnailUrl } } : {}),
        },
      ],
      components: [
        confirmRow({
          command: NAME,
          action: `video${accountMarker(account)}`,
          subject: video.id,
          requester: interaction.user.id,
          label: t(interaction.locale, 'delete.deleteButton'),
          now: interaction.createdTimestamp,
          locale: interaction.locale,
        }),
      ],
      allowedMentions: { parse: [] },
    });
    scheduleExpiry(interaction, message.id, ctx.logger);
  },
  async button(interaction, ctx, args) {
    // Expiry is judged on Discord's clock: the press's timestamp against the one in the custom_id.
    const press = parseConfirm(args, interaction.createdTimestamp);
    if (!press?.action.startsWith('video')) throw UserError.t('error.buttonInactiveDelete');
    if (interaction.user.id !== press.requester) {
      await interaction.reply({
        content: t(interaction.locale, 'delete.notRequester'),
        flags: MessageFlags.Ephemeral,
      });
      return;
    }
    settle(interaction.message.id);
    if (press.expired) {
      await interaction.update({
        content: t(interaction.locale, 'delete.expiredRerun'),
        embeds: [],
        components: [],
      });
      return;
    }
    if (!press.confirmed) {
      await interaction.update({
        content: t(interaction.locale, 'delete.nothing'),
        embeds: [],
        components: [],
      });
      return;
    }
    await interaction.deferUpdate();
    const owner = await ownerFromMarker(interaction, ctx, press.action.slice('video'.length));
    const result = await videoService(ctx).remove(owner, press.subject);
    await interaction.editReply({
      content: result.deleted
        ? t(interaction.locale, 'delete.done', { title: escapeMarkdown(result.video.title) })
        : t(interaction.locale, 'delete.goneNow'),
      embeds: [],
      components: [],
      allowedMentions: { parse: [] },
    });
  },
} satisfies ChatInputCommand;

function settle(messageId: string): void {
  clearTimeout(waiting.get(messageId));
  waiting.delete(messageId);
}

/** Edits an unanswered confirmation to say it expired (the /delete token lives 15 minutes). */
function scheduleExpiry(interaction: ChatInputCommandInteraction, messageId: string, logger: Logger): void {
  const timer = setTimeout(() => {
    if (!waiting.delete(messageId)) return;
    interaction
      .editReply({ content: t(interaction.locale, 'delete.expiredRerun'), embeds: [], components: [] })
      .catch((error: unknown) =>
        logger.info(
          { discordCode: error instanceof DiscordAPIError ? error.code : undefined },
          'could not mark a delete confirmation expired',
        ),
      );
  }, confirmTiming.expireEditMs);
  timer.unref();
  waiting.set(messageId, timer);
}
