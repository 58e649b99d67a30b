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
import { GONE, videoService } from '../google/videos.ts';
import { customId } from './command.ts';
import { confirmRow, parseConfirm } from './confirm.ts';

const COMMAND = 'upload';

/** The private answer to a Cancel press that came too late. */
export function tooLateReply(jobId: string, videoId: string) {
  return {
    content:
      `Too late to cancel: YouTube already had the whole file, so the video exists: https://youtu.be/${videoId}\n` +
      'If you do not want it, delete it with the button below (only you can).',
    components: [
      new ActionRowBuilder<ButtonBuilder>()
        .addComponents(
          new ButtonBuilder()
            .setCustomId(customId(COMMAND, 'delete', jobId))
            .setLabel('Delete video')
            .setStyle(ButtonStyle.Danger),
        )
        .toJSON(),
    ],
    flags: MessageFlags.Ephemeral as const,
  };
}

const notOwner = 'Only the member who uploaded this video can delete it. Nothing was deleted.';

/** The Delete press: a private confirmation, as /delete asks. */
export async function askDeleteUpload(
  interaction: ButtonInteraction,
  ctx: Context,
  jobId: string,
): Promise<void> {
  const job = await ctx.uploads.get(jobId);
  if (!job?.videoId) throw UserError.t('error.noVideoToDelete');
  if (job.owner !== interaction.user.id) {
    await interaction.reply({ content: notOwner, flags: MessageFlags.Ephemeral });
    return;
  }
  await interaction.reply({
    content: `Delete https://youtu.be/${job.videoId} from YouTube? This cannot be undone. The buttons work for 60 seconds and only for you.`,
    components: [
      confirmRow({
        command: COMMAND,
        action: 'delete',
        subject: job.id,
        requester: interaction.user.id,
        label: 'Delete',
        now: interaction.createdTimestamp,
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
    await interaction.reply({ content: notOwner, flags: MessageFlags.Ephemeral });
    return;
  }
  if (press.expired || !press.confirmed) {
    await interaction.update({
      content: press.expired ? 'These buttons expired — nothing was deleted.' : 'Nothing was deleted.',
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
      ? `Deleted **${escapeMarkdown(result.video.title)}**.`
      : `${GONE} Nothing was deleted now.`,
    components: [],
    allowedMentions: { parse: [] },
  });
}
