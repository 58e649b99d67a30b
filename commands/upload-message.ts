// "Upload to YouTube" on a message with a video attachment: its author gets a modal for title and
// description, then the same upload as /upload.
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
import { titleFromFilename, LIMITS } from '../src/uploads/metadata.ts';
import { prepareUpload } from '../src/uploads/prepare.ts';
import { prepareDeps } from './upload.ts';

const NAME = 'Upload to YouTube';
const VIDEO_EXTENSION = /\.(mp4|m4v|mov|webm|mkv|avi|flv|wmv|3gp|mpe?g|ts)$/i;

interface Draft {
  owner: string;
  guildId: string | null;
  channelId: string;
  file: { url: string; filename: string; size: number };
}

export default {
  data: { name: NAME, type: ApplicationCommandType.Message },
  defer: 'none',
  async execute(interaction, ctx) {
    const message = interaction.targetMessage;
    if (message.author.id !== interaction.user.id) {
      throw new UserError('Only the author of that message can upload its video.');
    }
    const video = message.attachments.find(
      (a) => (a.contentType?.startsWith('video/') ?? false) || VIDEO_EXTENSION.test(a.name),
    );
    if (!video) throw new UserError('That message has no video attachment.');
    await ctx.oauth.requireGrant(interaction.user.id);

    const draftId = randomBytes(9).toString('base64url');
    const draft: Draft = {
      owner: interaction.user.id,
      guildId: interaction.guildId,
      channelId: interaction.channelId,
      file: { url: video.url, filename: video.name, size: video.size },
    };
    await ctx.store.collection<Draft>('upload-draft').set(draftId, draft, 15 * 60 * 1000);
    await interaction.showModal(
      new ModalBuilder()
        .setCustomId(customId(NAME, draftId))
        .setTitle('Upload to YouTube')
        .addLabelComponents(
          new LabelBuilder()
            .setLabel('Title')
            .setTextInputComponent(
              new TextInputBuilder()
                .setCustomId('title')
                .setStyle(TextInputStyle.Short)
                .setMaxLength(LIMITS.title)
                .setRequired(true)
                .setValue(titleFromFilename(video.name)),
            ),
          new LabelBuilder()
            .setLabel('Description')
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
    if (!draft) throw new UserError('This form has expired. Use "Upload to YouTube" on the message again.');
    if (draft.owner !== interaction.user.id) throw new UserError('This form belongs to someone else.');
    const job = await prepareUpload(
      {
        owner: draft.owner,
        guildId: draft.guildId,
        channelId: draft.channelId,
        file: draft.file,
        sizeLimit: undefined,
        filename: draft.file.filename,
        title: interaction.fields.getTextInputValue('title'),
        description: interaction.fields.getTextInputValue('description'),
      },
      await prepareDeps(ctx, draft.guildId, false),
    );
    await ctx.quota.admitUpload(job); // the member's (or server's) share of today's uploads
    await ctx.uploads.submit(job, {
      applicationId: interaction.applicationId,
      token: interaction.token,
      createdAt: interaction.createdTimestamp,
    });
  },
} satisfies MessageCommand;
