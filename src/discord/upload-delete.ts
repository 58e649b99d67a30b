// A cancel that came too late: YouTube had the whole file, so the video exists. The uploader gets
// its link and a Delete button (in a reply only they see), then a confirmation like /delete's, and
// the video is deleted through the same service /delete uses. Only the job's owner may press.
import {
  ActionRowBuilder,
  ButtonBuilder,
  ButtonStyle,
  escapeMarkdown,
  MessageFlags,
  type ButtonInteraction,
} from 'discord.js';
import type { Context } from '../context.ts';
import { UserError } from '../errors.ts';
import { videoService } from '../google/videos.ts';
import { t } from '../i18n/index.ts';
import { customId } from './command.ts';
import { confirmRow, parseConfirm } from './confirm.ts';

const COMMAND = 'upload';

/** The private answer to a Cancel press that came too late. */
export function tooLateReply(jobId: string, videoId: string, locale?: string | null) {
  return {
    content: t(locale, 'delete.tooLate', { url: `https://youtu.be/${videoId}` }),
    components: [
      new ActionRowBuilder<ButtonBuilder>()
        .addComponents(
          new ButtonBuilder()
            .setCustomId(customId(COMMAND, 'delete', jobId))
            .setLabel(t(locale, 'delete.videoButton'))
            .setStyle(ButtonStyle.Danger),
        )
        .toJSON(),
    ],
    flags: MessageFlags.Ephemeral as const,
  };
}

/** The Delete press: a private confirmation, as /delete asks. */
export async function askDeleteUpload(
  interaction: ButtonInteraction,
  ctx: Context,
  jobId: string,
): Promise<void> {
  const job = await ctx.uploads.get(jobId);
  if (!job?.videoId) throw UserError.t('error.noVideoToDelete');
  if (job.owner !== interaction.user.id) {
    await interaction.reply({
      content: t(interaction.locale, 'delete.notUploader'),
      flags: MessageFlags.Ephemeral,
    });
    return;
  }
  await interaction.reply({
    content: t(interaction.locale, 'delete.confirmUrl', { url: `https://youtu.be/${job.videoId}` }),
    components: [
      confirmRow({
        command: COMMAND,
        action: 'delete',
        subject: job.id,
        requester: interaction.user.id,
        label: t(interaction.locale, 'delete.deleteButton'),
        now: interaction.createdTimestamp,
        locale: interaction.locale,
      }).toJSON(),
    ],
    flags: MessageFlags.Ephemeral,
  });
}

/** The confirmation's answer (`args` as the dispatcher split them, starting with 'confirm'). */
export async function confirmDeleteUpload(
  interaction: ButtonInteraction,
  ctx: Context,
  args: readonly string[],
): Promise<void> {
  const press = parseConfirm(args, interaction.createdTimestamp);
  if (press?.action !== 'delete') throw UserError.t('error.buttonInactive');
  if (interaction.user.id !== press.requester) {
    await interaction.reply({
      content: t(interaction.locale, 'delete.notUploader'),
      flags: MessageFlags.Ephemeral,
    });
    return;
  }
  if (press.expired || !press.confirmed) {
    await interaction.update({
      content: t(interaction.locale, press.expired ? 'delete.expired' : 'delete.nothing'),
      components: [],
    });
    return;
  }
  await interaction.deferUpdate();
  const job = await ctx.uploads.get(press.subject);
  if (!job?.videoId || job.owner !== interaction.user.id) throw UserError.t('error.noVideoToDelete');
  const result = await videoService(ctx).remove(job.account, job.videoId);
  await interaction.editReply({
    content: result.deleted
      ? t(interaction.locale, 'delete.done', { title: escapeMarkdown(result.video.title) })
      : t(interaction.locale, 'delete.goneNow'),
    components: [],
    allowedMentions: { parse: [] },
  });
}
