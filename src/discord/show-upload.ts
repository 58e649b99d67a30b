// The "Show my upload" button (on the public notice posted when a member's DMs are closed, and on
// their private reply): where the upload stands, read from its record, in a reply only the uploader
// sees — the one private place left once the interaction token is gone and the DM is closed. It speaks
// the language of whoever pressed (their Discord locale).
import { escapeMarkdown, MessageFlags, type ButtonInteraction } from 'discord.js';
import type { Context } from '../context.ts';
import { formatBytes } from '../i18n/format.ts';
import { t, type Values } from '../i18n/index.ts';
import { noteText } from '../uploads/notes.ts';
import type { JobRecord } from '../uploads/records.ts';
import { cancelButton } from './progress-message.ts';

type Locale = string | null | undefined;

/** Where a job stands, from its record, for the uploader's eyes only, in the language of `locale`. */
export function describeJob(job: JobRecord, locale?: Locale): string {
  const say = (key: string, values: Values = {}) => t(locale, key, values);
  const title = `**${escapeMarkdown(job.metadata.snippet.title)}**`;
  const name = `\`${job.source.filename.replace(/`/g, "'")}\``;
  const url = job.videoId ? `https://youtu.be/${job.videoId}` : '';
  const outcome = job.outcome === undefined ? undefined : noteText(locale, job.outcome);
  const lines: string[] = [];
  switch (job.status) {
    case 'queued':
      lines.push(say('upload.show.queued', { title, name }));
      break;
    case 'running':
      lines.push(
        say('upload.show.running', { title, name }),
        ...(job.received > 0
          ? [
              say('upload.show.confirmed', {
                sent: formatBytes(locale, job.received),
                total: formatBytes(locale, job.source.size),
              }),
            ]
          : []),
      );
      break;
    case 'processing':
      lines.push(say('upload.show.processing', { title, url }));
      break;
    case 'done':
      lines.push(say('upload.show.done', { title, url }));
      // "Uploaded: <url>" is the plain outcome of a video with nothing more to say (the line above has it).
      if (outcome && !(typeof job.outcome === 'string' && job.outcome.startsWith('Uploaded:')))
        lines.push(outcome);
      break;
    case 'failed':
      lines.push(say('upload.show.failed', { name }), ...(outcome ? [outcome] : []));
      break;
    case 'cancelled':
      lines.push(say('upload.show.cancelled', { name }));
      break;
  }
  if (job.review && ['processing', 'done'].includes(job.status)) lines.push(say('upload.show.review'));
  return lines.join('\n').slice(0, 2000);
}

/** The "Show my upload" button: the upload's state, in a reply only the uploader sees, in their language. */
export async function showUpload(
  interaction: ButtonInteraction,
  ctx: Context,
  jobId: string | undefined,
): Promise<void> {
  const { locale } = interaction;
  const job = jobId ? await ctx.uploads.get(jobId) : undefined;
  const mine = job !== undefined && job.owner === interaction.user.id;
  const content = !job
    ? t(locale, 'upload.show.unknown')
    : mine
      ? describeJob(job, locale)
      : t(locale, 'upload.show.notYours');
  const cancellable = mine && (job.status === 'queued' || job.status === 'running');
  await interaction.reply({
    content,
    components: cancellable ? [cancelButton(job.id, locale)] : [],
    flags: MessageFlags.Ephemeral,
    allowedMentions: { parse: [] },
  });
}
