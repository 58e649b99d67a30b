// "Upload to YouTube" on a message: its author gets a modal for title and description, then the same
// upload as /upload — of the message's video attachment, or, when it has none, from the member's
// browser through the upload page (any size).
import {
  ApplicationCommandType,
  LabelBuilder,
  MessageFlags,
  ModalBuilder,
  TextInputBuilder,
  TextInputStyle,
} from 'discord.js';
import { randomBytes } from 'node:crypto';
import type { MessageCommand } from '../src/discord/command.ts';
import { customId } from '../src/discord/command.ts';
import { UserError } from '../src/errors.ts';
import { t } from '../src/i18n/index.ts';
import { titleFromFilename, LIMITS } from '../src/uploads/metadata.ts';
import { prepareUpload } from '../src/uploads/prepare.ts';
import { prepareDeps } from './upload.ts';
import { pagePrompt } from '../src/discord/upload-page-prompt.ts';
import { sentVideo, sizeInWords, videoUpload } from '../src/discord/upload-modal.ts';

const NAME = 'Upload to YouTube';
const VIDEO_EXTENSION = /\.(mp4|m4v|mov|webm|mkv|avi|flv|wmv|3gp|mpe?g|ts)$/i;

interface Draft {
  owner: string;
  guildId: string | null;
  channelId: string;
  /** Undefined: the message has no video, the file comes from the upload page. */
  file: { url: string; filename: string; size: number } | undefined;
}

export default {
  data: { name: NAME, type: ApplicationCommandType.Message },
  defer: 'none',
  async execute(interaction, ctx) {
    const message = interaction.targetMessage;
    if (message.author.id !== interaction.user.id) {
      throw UserError.t('error.notMessageAuthor');
    }
    const video = message.attachments.find(
      (a) => (a.contentType?.startsWith('video/') ?? false) || VIDEO_EXTENSION.test(a.name),
    );
    await ctx.oauth.requireGrant(interaction.user.id);

    const locale = interaction.locale;
    const draftId = randomBytes(9).toString('base64url');
    const draft: Draft = {
      owner: interaction.user.id,
      guildId: interaction.guildId,
      channelId: interaction.channelId,
      file: video ? { url: video.url, filename: video.name, size: video.size } : undefined,
    };
    const title = new TextInputBuilder()
      .setCustomId('title')
      .setStyle(TextInputStyle.Short)
      .setMaxLength(LIMITS.title)
      .setRequired(video !== undefined);
    if (video) title.setValue(titleFromFilename(video.name));
    else title.setPlaceholder(t(locale, 'upload.modal.titlePlaceholderChoose'));
    await ctx.store.collection<Draft>('upload-draft').set(draftId, draft, 15 * 60 * 1000);
    await interaction.showModal(
      new ModalBuilder()
        .setCustomId(customId(NAME, draftId))
        .setTitle(t(locale, 'upload.modal.title'))
        .addLabelComponents(
          new LabelBuilder().setLabel(t(locale, 'upload.modal.titleLabel')).setTextInputComponent(title),
          // No video on the message: a file within the member's Discord limit may come with the form;
          // anything larger goes through the upload page, which the answer links to when none came.
          ...(video
            ? []
            : [
                new LabelBuilder()
                  .setLabel(
                    t(locale, 'upload.modal.videoOptional', {
                      size: sizeInWords(interaction.attachmentSizeLimit, locale),
                    }),
                  )
                  .setDescription(t(locale, 'upload.modal.videoOptionalHint'))
                  .setFileUploadComponent(videoUpload(false)),
              ]),
          new LabelBuilder()
            .setLabel(t(locale, 'upload.modal.descriptionLabel'))
            .setTextInputComponent(
              new TextInputBuilder()
                .setCustomId('description')
                .setStyle(TextInputStyle.Paragraph)
                .setMaxLength(4000)
                .setRequired(false),
            ),
        ),
    );
  },
  async modal(interaction, ctx, [draftId]) {
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    const draft = draftId ? await ctx.store.collection<Draft>('upload-draft').take(draftId) : undefined;
    if (!draft) throw UserError.t('error.formExpired');
    if (draft.owner !== interaction.user.id) throw UserError.t('error.formNotYours');
    // A video sent with the form (an attachment like any other, checked the same way).
    const sent = draft.file ? undefined : sentVideo(interaction);
    const file = draft.file ?? sent;
    const job = await prepareUpload(
      {
        owner: draft.owner,
        locale: interaction.locale,
        guildId: draft.guildId,
        channelId: draft.channelId,
        file,
        sizeLimit: sent ? interaction.attachmentSizeLimit : undefined,
        filename: file?.filename ?? 'video',
        title: interaction.fields.getTextInputValue('title'),
        description: interaction.fields.getTextInputValue('description'),
      },
      await prepareDeps(ctx, draft.guildId, false),
    );
    await ctx.quota.admitUpload(job); // the member's (or server's) share of today's uploads
    // No video at all: the member chooses the file on their private upload page (the job keeps the
    // link, made first), or attaches one within their Discord limit from the answer.
    const token = file ? undefined : await ctx.pages.create(job);
    await ctx.uploads.submit(job, {
      applicationId: interaction.applicationId,
      token: interaction.token,
      createdAt: interaction.createdTimestamp,
    });
    if (token) await interaction.editReply(pagePrompt(job, token, ctx, interaction.attachmentSizeLimit));
  },
} satisfies MessageCommand;
