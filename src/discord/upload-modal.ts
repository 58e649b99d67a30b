// Discord's own file upload for a video within the member's Discord limit: a form (modal) with a File
// Upload component (type 19, inside a Label) and the title. It is offered next to the upload page on
// the private answer to /upload without a file (and to "Upload to YouTube" on a message without a
// video); what it sends goes the way of an attachment. Larger files take the page.
import {
  ButtonBuilder,
  ButtonStyle,
  ComponentType,
  FileUploadBuilder,
  LabelBuilder,
  ModalBuilder,
  TextInputBuilder,
  TextInputStyle,
  type ButtonInteraction,
  type FileUploadType,
  type ModalSubmitInteraction,
} from 'discord.js';
import { UserError } from '../errors.ts';
import { LIMITS } from '../uploads/metadata.ts';
import type { Context } from '../context.ts';
import { prepareSentFile, type AttachmentInput } from '../uploads/prepare.ts';
import { formatBytes } from '../i18n/format.ts';
import { t } from '../i18n/index.ts';
import type { JobRecord } from '../uploads/records.ts';
import { customId } from './command.ts';

/** The custom id of the File Upload component, in every form that carries one. */
export const VIDEO_FIELD = 'video';

/**
 * Discord's picker offers these (by extension only): its `video` group (.mp4 .mov .qt .webm) and the
 * other formats YouTube takes. The bot still sniffs the bytes, as for any attachment.
 */
export const VIDEO_FILE_TYPES: FileUploadType[] = [
  'video',
  '.m4v',
  '.mkv',
  '.avi',
  '.flv',
  '.wmv',
  '.3gp',
  '.mpg',
  '.mpeg',
];

/** A size in words in the language of `locale`: "10 MiB", "500 MiB", "1.5 GiB" ("1,5 GiB" in German). */
export function sizeInWords(bytes: number, locale?: string | null): string {
  return formatBytes(locale, bytes).replace(/[.,]0(?=\s)/, '');
}

/** The File Upload for one video (Discord itself holds it to the member's upload limit). */
export function videoUpload(required: boolean) {
  const upload = new FileUploadBuilder()
    .setCustomId(VIDEO_FIELD)
    .setMinValues(required ? 1 : 0)
    .setMaxValues(1)
    .setFileTypes(...VIDEO_FILE_TYPES);
  return upload.setRequired(required);
}

/** The "Attach here" button of a job awaiting its file; the label says the member's own limit. */
export function attachButton(jobId: string, limit: number, locale?: string | null) {
  return new ButtonBuilder()
    .setCustomId(customId('upload', 'attach', jobId))
    .setStyle(ButtonStyle.Secondary)
    .setLabel(t(locale, 'upload.attachButton', { size: sizeInWords(limit, locale) }));
}

/** The form "Attach here" opens: the video (required) and the title (what was given, or empty). */
export function attachModal(job: JobRecord, limit: number) {
  const title = new TextInputBuilder()
    .setCustomId('title')
    .setStyle(TextInputStyle.Short)
    .setMaxLength(LIMITS.title)
    .setRequired(false)
    .setPlaceholder(t(job.locale, 'upload.modal.titlePlaceholder'));
  if (!job.titleFromFile) title.setValue(job.metadata.snippet.title.slice(0, LIMITS.title));
  return new ModalBuilder()
    .setCustomId(customId('upload', 'attach', job.id))
    .setTitle(t(job.locale, 'upload.modal.title'))
    .addLabelComponents(
      new LabelBuilder()
        .setLabel(t(job.locale, 'upload.modal.video', { size: sizeInWords(limit, job.locale) }))
        .setDescription(t(job.locale, 'upload.modal.videoHint'))
        .setFileUploadComponent(videoUpload(true)),
      new LabelBuilder().setLabel(t(job.locale, 'upload.modal.titleLabel')).setTextInputComponent(title),
    );
}

/**
 * The video sent with a form, checked as far as Discord's answer goes: none (undefined), one (its
 * attachment as Discord described it, still to be checked like any attachment), or a sentence.
 */
export function sentVideo(interaction: ModalSubmitInteraction): AttachmentInput | undefined {
  const field = interaction.fields.fields.get(VIDEO_FIELD);
  if (!field) return undefined;
  if (field.type !== ComponentType.FileUpload) throw UserError.t('error.formNotMine');
  const ids = field.values ?? [];
  if (ids.length === 0) return undefined;
  if (ids.length > 1) throw UserError.t('error.tooManyFiles', { n: ids.length });
  const file = field.attachments?.get(ids[0] ?? '');
  if (!file) throw UserError.t('error.fileNotPassed');
  return { url: file.url, filename: file.name, size: file.size };
}

/** "Attach here": the form for the job's video, only for its member and while the job awaits its file. */
export async function openAttachForm(
  interaction: ButtonInteraction,
  ctx: Context,
  jobId: string | undefined,
) {
  const job = jobId ? await ctx.uploads.get(jobId) : undefined;
  if (!job) throw UserError.t('error.jobUnknown');
  if (job.owner !== interaction.user.id) throw UserError.t('error.notJobOwner');
  if (job.status !== 'awaiting' || job.source.kind !== 'browser') throw notAwaiting(job);
  await interaction.showModal(attachModal(job, interaction.attachmentSizeLimit));
}

/**
 * The form's video goes the way of an attachment: checked (Discord's servers, not empty, within the
 * member's limit, a video by its bytes), then the job awaiting its file is queued with it and the
 * answer with the buttons becomes its progress message. Each refusal is one private sentence; the
 * answer keeps its buttons, so the page stays the way for a larger file.
 */
export async function receiveAttachForm(
  interaction: ModalSubmitInteraction,
  ctx: Context,
  jobId: string | undefined,
) {
  await interaction.deferUpdate();
  const job = jobId ? await ctx.uploads.get(jobId) : undefined;
  if (!job) throw UserError.t('error.jobUnknown');
  if (job.owner !== interaction.user.id) throw UserError.t('error.notJobOwner');
  // Nothing is fetched for an upload that no longer awaits its file.
  if (job.status !== 'awaiting' || job.source.kind !== 'browser') throw notAwaiting(job);
  const file = sentVideo(interaction);
  if (!file) throw UserError.t('error.noVideoInForm');
  const sent = await prepareSentFile(
    file,
    interaction.attachmentSizeLimit,
    interaction.fields.getTextInputValue('title'),
    { allowedHosts: ctx.config.discord.cdnHosts, dispatcher: ctx.dispatcher },
  );
  const queued = await ctx.uploads.attach(job.id, sent, {
    applicationId: interaction.applicationId,
    token: interaction.token,
    createdAt: interaction.createdTimestamp,
  });
  if (!queued) throw notAwaiting((await ctx.uploads.get(job.id)) ?? job);
}

function notAwaiting(job: JobRecord): UserError {
  if (job.status === 'queued' || job.status === 'running')
    return UserError.t(job.source.kind === 'browser' ? 'error.alreadyFromBrowser' : 'error.alreadyHasVideo');
  return UserError.t('error.uploadEnded');
}
