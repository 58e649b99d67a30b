// The private answer to /upload without a file: what will be uploaded, a link button to the member's
// own upload page (a one-time capability on the bot's server, any size), and "Attach here" for a file
// within the member's Discord limit (Discord's own file upload, in a form).
import { ActionRowBuilder, ButtonBuilder, ButtonStyle } from 'discord.js';
import type { Context } from '../context.ts';
import type { JobRecord } from '../uploads/records.ts';
import { attachButton, sizeInWords } from './upload-modal.ts';

const escape = (text: string) => text.replace(/[\\*_~`|>[\]()]/g, '\\$&');

/** `sizeLimit`: the member's attachment_size_limit where they asked (undefined: no "Attach here"). */
export function pagePrompt(
  job: JobRecord,
  token: string,
  ctx: Pick<Context, 'config'>,
  sizeLimit: number | undefined,
) {
  const title = job.titleFromFile ? 'the file name' : `**${escape(job.metadata.snippet.title)}**`;
  const privacy = job.review ? 'private until a moderator reviews it' : job.requestedPrivacy;
  const minutes = Math.round(ctx.config.uploads.pageLinkMs / 60_000);
  const content =
    `Ready to upload a video of any size from your browser — title: ${title}, privacy: ${privacy}. ` +
    `Open **Choose the video** and pick the file: it goes straight to YouTube, and this message shows the progress. ` +
    (sizeLimit
      ? `A file up to ${sizeInWords(sizeLimit)} (your Discord upload limit) can go through **Attach here** instead. `
      : '') +
    `The link is for you only and works for ${minutes} minutes, for this one upload.`;
  const row = new ActionRowBuilder<ButtonBuilder>().addComponents(
    new ButtonBuilder()
      .setStyle(ButtonStyle.Link)
      .setURL(`${ctx.config.publicUrl}/u/${token}`)
      .setLabel('Choose the video'),
  );
  if (sizeLimit) row.addComponents(attachButton(job.id, sizeLimit));
  return { content, components: [row] };
}
