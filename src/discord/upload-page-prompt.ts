// The private answer to /upload without a file: what will be uploaded, and a link button to the
// member's own upload page (a one-time capability on the bot's server).
import { ActionRowBuilder, ButtonBuilder, ButtonStyle } from 'discord.js';
import type { Context } from '../context.ts';
import type { JobRecord } from '../uploads/records.ts';

const escape = (text: string) => text.replace(/[\\*_~`|>[\]()]/g, '\\$&');

export function pagePrompt(job: JobRecord, token: string, ctx: Pick<Context, 'config'>) {
  const title = job.titleFromFile ? 'the file name' : `**${escape(job.metadata.snippet.title)}**`;
  const privacy = job.review ? 'private until a moderator reviews it' : job.requestedPrivacy;
  const minutes = Math.round(ctx.config.uploads.pageLinkMs / 60_000);
  const content =
    `Ready to upload a video of any size from your browser — title: ${title}, privacy: ${privacy}. ` +
    `Open **Choose the video** and pick the file: it goes straight to YouTube, and this message shows the progress. ` +
    `The link is for you only and works for ${minutes} minutes, for this one upload.`;
  const button = new ButtonBuilder()
    .setStyle(ButtonStyle.Link)
    .setURL(`${ctx.config.publicUrl}/u/${token}`)
    .setLabel('Choose the video');
  return { content, components: [new ActionRowBuilder<ButtonBuilder>().addComponents(button)] };
}
