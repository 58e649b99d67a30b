// The private answer to /upload without a file: what will be uploaded, a link button to the member's
// own upload page (a one-time capability on the bot's server, any size), and "Attach here" for a file
// within the member's Discord limit (Discord's own file upload, in a form).
import { ActionRowBuilder, ButtonBuilder, ButtonStyle } from 'discord.js';
import type { Context } from '../context.ts';
import { t } from '../i18n/index.ts';
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
  const locale = job.locale;
  const title = job.titleFromFile
    ? t(locale, 'upload.prompt.titleFromFile')
    : `**${escape(job.metadata.snippet.title)}**`;
  const privacy = job.review
    ? t(locale, 'upload.prompt.privacyReview')
    : t(locale, `privacy.${job.requestedPrivacy}`);
  const minutes = Math.round(ctx.config.uploads.pageLinkMs / 60_000);
  const content = [
    t(locale, 'upload.prompt.ready', { title, privacy }),
    t(locale, 'upload.prompt.open'),
    ...(sizeLimit ? [t(locale, 'upload.prompt.attach', { size: sizeInWords(sizeLimit, locale) })] : []),
    t(locale, 'upload.prompt.expires', { count: minutes }),
  ].join(' ');
  const row = new ActionRowBuilder<ButtonBuilder>().addComponents(
    new ButtonBuilder()
      .setStyle(ButtonStyle.Link)
      .setURL(`${ctx.config.publicUrl}/u/${token}`)
      .setLabel(t(locale, 'upload.chooseVideoButton')),
  );
  if (sizeLimit) row.addComponents(attachButton(job.id, sizeLimit, locale));
  return { content, components: [row] };
}
