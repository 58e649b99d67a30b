// The "Show my upload" button (on the public notice posted when a member's DMs are closed, and on
// their private reply): where the upload stands, read from its record, in a reply only the uploader
// sees — the one private place left once the interaction token is gone and the DM is closed.
import { escapeMarkdown, MessageFlags, type ButtonInteraction } from 'discord.js';
import type { Context } from '../context.ts';
import type { JobRecord } from '../uploads/records.ts';
import { formatBytes } from '../uploads/progress.ts';
import { cancelButton } from './progress-message.ts';

/** Where a job stands, from its record, for the uploader's eyes only. */
export function describeJob(job: JobRecord): string {
  const title = `**${escapeMarkdown(job.metadata.snippet.title)}**`;
  const file = `\`${job.source.filename.replace(/`/g, "'")}\``;
  const url = job.videoId ? `https://youtu.be/${job.videoId}` : '';
  const lines: string[] = [];
  switch (job.status) {
    case 'queued':
      lines.push(`⏳ ${title} (${file}) is waiting for an upload slot.`);
      break;
    case 'running':
      lines.push(
        `📤 ${title} (${file}) is uploading to YouTube.`,
        ...(job.received > 0
          ? [`YouTube has confirmed ${formatBytes(job.received)} of ${formatBytes(job.source.size)} so far.`]
          : []),
      );
      break;
    case 'processing':
      lines.push(`⚙️ ${title} is uploaded; YouTube is processing it: ${url}`);
      break;
    case 'done':
      lines.push(`✅ ${title} is on YouTube: ${url}`);
      if (job.outcome && !job.outcome.startsWith('Uploaded:')) lines.push(job.outcome);
      break;
    case 'failed':
      lines.push(`❌ **Upload failed** — ${file}`, ...(job.outcome ? [job.outcome] : []));
      break;
    case 'cancelled':
      lines.push(`🛑 **Cancelled** — ${file} was not published.`);
      break;
  }
  if (job.review && ['processing', 'done'].includes(job.status)) {
    lines.push('It stays private until a moderator approves it; you will get a DM with the decision.');
  }
  return lines.join('\n').slice(0, 2000);
}

/** The "Show my upload" button: the upload's state, in a reply only the uploader sees. */
export async function showUpload(
  interaction: ButtonInteraction,
  ctx: Context,
  jobId: string | undefined,
): Promise<void> {
  const job = jobId ? await ctx.uploads.get(jobId) : undefined;
  const mine = job !== undefined && job.owner === interaction.user.id;
  const content = !job
    ? 'This upload is no longer known to the bot.'
    : mine
      ? describeJob(job)
      : 'Only the member who started this upload can see it.';
  const cancellable = mine && (job.status === 'queued' || job.status === 'running');
  await interaction.reply({
    content,
    components: cancellable ? [cancelButton(job.id, job.locale)] : [],
    flags: MessageFlags.Ephemeral,
    allowedMentions: { parse: [] },
  });
}
