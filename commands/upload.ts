import { ApplicationCommandOptionType, ApplicationCommandType, MessageFlags } from 'discord.js';
import type { ChatInputCommand } from '../src/discord/command.ts';
import { askDeleteUpload, confirmDeleteUpload, tooLateReply } from '../src/discord/upload-delete.ts';
import type { Context } from '../src/context.ts';
import { respondCategories, respondPlaylists } from '../src/discord/autocomplete.ts';
import { LIMITS, PRIVACIES } from '../src/uploads/metadata.ts';
import { prepareUpload, type PrepareDeps } from '../src/uploads/prepare.ts';
import { ACCOUNT_OPTION, resolveUploadAccount } from '../src/discord/account.ts';
import { requireModerator } from '../src/discord/permissions.ts';
import { UserError } from '../src/errors.ts';
import { t } from '../src/i18n/index.ts';
import { decisionReply, reviewReasonModal, reviewTimeModal } from '../src/discord/review-card.ts';
import { showUpload } from '../src/discord/show-upload.ts';
import { pagePrompt } from '../src/discord/upload-page-prompt.ts';
import { openAttachForm, receiveAttachForm } from '../src/discord/upload-modal.ts';

const { String: Text, Boolean: Bool, Attachment } = ApplicationCommandOptionType;

export default {
  data: {
    name: 'upload',
    description: 'Upload a video to your YouTube channel (attach it, or send any size from your browser)',
    type: ApplicationCommandType.ChatInput,
    options: [
      {
        type: Attachment,
        name: 'file',
        description: 'The video (MP4, MOV, WebM, MKV, AVI…); leave it out to send any size from your browser',
      },
      { type: Text, name: 'title', description: 'Title (default: the file name)', max_length: LIMITS.title },
      { type: Text, name: 'description', description: 'Description (up to 5000 bytes)', max_length: 5000 },
      {
        type: Text,
        name: 'tags',
        description: 'Comma-separated keywords, e.g. surfing, Santa Cruz',
        max_length: 500,
      },
      {
        type: Text,
        name: 'category',
        description: 'YouTube category (default: People & Blogs)',
        autocomplete: true,
      },
      {
        type: Text,
        name: 'privacy',
        description: 'Who can watch (default: public)',
        choices: PRIVACIES.map((p) => ({ name: p, value: p })),
      },
      { type: Text, name: 'playlist', description: 'Add it to one of your playlists', autocomplete: true },
      {
        type: Bool,
        name: 'made_for_kids',
        description: 'Is the video made for kids? (YouTube asks every uploader)',
      },
      {
        type: Text,
        name: 'publish_at',
        description: 'Schedule: when it goes public, e.g. 2026-12-24T18:00Z (private until then)',
        max_length: 40,
      },
      {
        type: Bool,
        name: 'notify_subscribers',
        description: 'Tell your subscribers about it (default: yes)',
      },
      { type: Attachment, name: 'thumbnail', description: 'Custom thumbnail (JPEG or PNG, up to 2 MiB)' },
      ACCOUNT_OPTION,
    ],
  },
  defer: 'ephemeral',
  async execute(interaction, ctx) {
    const file = interaction.options.getAttachment('file');
    const thumbnail = interaction.options.getAttachment('thumbnail');
    const account = await resolveUploadAccount(interaction, ctx);
    const reviewed = account.isServer && !account.byModerator;
    if (reviewed && interaction.guildId && !(await ctx.settings.get(interaction.guildId)).reviewChannelId) {
      throw UserError.t('upload.noReviewChannel');
    }
    const job = await prepareUpload(
      {
        owner: interaction.user.id,
        locale: interaction.locale,
        account: account.owner,
        reviewed,
        guildId: interaction.guildId,
        channelId: interaction.channelId,
        file: file ? { url: file.url, filename: file.name, size: file.size } : undefined,
        sizeLimit: interaction.attachmentSizeLimit,
        thumbnail: thumbnail
          ? { url: thumbnail.url, filename: thumbnail.name, size: thumbnail.size }
          : undefined,
        title: interaction.options.getString('title'),
        description: interaction.options.getString('description'),
        tags: interaction.options.getString('tags'),
        categoryId: interaction.options.getString('category'),
        privacy: interaction.options.getString('privacy'),
        playlistId: interaction.options.getString('playlist'),
        madeForKids: interaction.options.getBoolean('made_for_kids'),
        publishAt: interaction.options.getString('publish_at'),
        notifySubscribers: interaction.options.getBoolean('notify_subscribers'),
        filename: file?.name ?? 'video',
      },
      await prepareDeps(ctx, interaction.guildId, account.isServer),
    );
    await ctx.quota.admitUpload(job); // the member's (or server's) share of today's uploads
    const reply = {
      applicationId: interaction.applicationId,
      token: interaction.token,
      createdAt: interaction.createdTimestamp,
    };
    if (file) return ctx.uploads.submit(job, reply);
    // No attachment: a private page on the bot's server takes the file, of any size, or Discord's own
    // file upload (a form) one within the member's limit. The link is made first: the job keeps it.
    const token = await ctx.pages.create(job);
    await ctx.uploads.submit(job, reply);
    await interaction.editReply(pagePrompt(job, token, ctx, interaction.attachmentSizeLimit));
  },
  async autocomplete(interaction, ctx) {
    const focused = interaction.options.getFocused(true).name;
    if (focused === 'category') await respondCategories(interaction, ctx);
    else if (focused === 'playlist') await respondPlaylists(interaction, ctx);
    else await interaction.respond([]);
  },
  async button(interaction, ctx, [action, ...args]) {
    if (action === 'review') {
      const [decision, reviewId] = args;
      if (!reviewId || !interaction.guildId) return;
      requireModerator(interaction, await ctx.settings.get(interaction.guildId));
      if (decision === 'reject' || decision === 'when') {
        const modal = decision === 'reject' ? reviewReasonModal : reviewTimeModal;
        await interaction.showModal(modal(reviewId, interaction.locale));
        return;
      }
      await interaction.deferUpdate();
      // 'now': the requested schedule passed while the upload waited; publish it at once.
      const as = decision === 'now' ? ({ kind: 'now' } as const) : undefined;
      await reportDecision(
        interaction,
        await ctx.reviews.decide(interaction.guildId, reviewId, interaction.user.id, true, undefined, as),
      );
      return;
    }
    if (action === 'show') return showUpload(interaction, ctx, args[0]);
    if (action === 'attach') return openAttachForm(interaction, ctx, args[0]);
    const jobId = args[0];
    if (action === 'delete' && jobId) return askDeleteUpload(interaction, ctx, jobId);
    if (action === 'confirm') return confirmDeleteUpload(interaction, ctx, [action, ...args]);
    if (action !== 'cancel' || !jobId) return;
    // Acknowledge first: cancelling asks YouTube's session what it has, and edits the progress message.
    await interaction.deferUpdate();
    const result = await ctx.uploads.cancel(jobId, interaction.user.id);
    if (result.kind === 'cancelled') return;
    if (result.kind === 'too_late') {
      await interaction.followUp(tooLateReply(jobId, result.videoId, interaction.locale));
      return;
    }
    const content = t(interaction.locale, `upload.cancel.${result.kind}`);
    await interaction.followUp({ content, flags: MessageFlags.Ephemeral });
  },
  async modal(interaction, ctx, [action, reviewId]) {
    if (action === 'attach') return receiveAttachForm(interaction, ctx, reviewId);
    if ((action !== 'reason' && action !== 'when') || !reviewId || !interaction.guildId) return;
    requireModerator(interaction, await ctx.settings.get(interaction.guildId));
    await interaction.deferUpdate();
    if (action === 'when') {
      const publishAt = interaction.fields.getTextInputValue('publish_at').trim();
      await reportDecision(
        interaction,
        await ctx.reviews.decide(interaction.guildId, reviewId, interaction.user.id, true, undefined, {
          kind: 'at',
          publishAt,
        }),
      );
      return;
    }
    const reason = interaction.fields.getTextInputValue('reason').trim();
    await reportDecision(
      interaction,
      await ctx.reviews.decide(interaction.guildId, reviewId, interaction.user.id, false, reason),
    );
  },
} satisfies ChatInputCommand;

/** After a review press: the card is updated by the service; the moderator hears about anything odd, in their language. */
async function reportDecision(
  interaction: {
    locale: string;
    followUp(options: { content: string; flags: MessageFlags.Ephemeral }): Promise<unknown>;
  },
  decision: Awaited<ReturnType<Context['reviews']['decide']>>,
): Promise<void> {
  const content = decisionReply(decision, interaction.locale);
  if (content) await interaction.followUp({ content, flags: MessageFlags.Ephemeral });
}

/** Upload defaults: the server's settings (its default playlist only for the server's channel). */
export async function prepareDeps(
  ctx: Context,
  guildId: string | null,
  isServer: boolean,
): Promise<PrepareDeps> {
  const settings = await ctx.settings.get(guildId);
  return {
    oauth: ctx.oauth,
    allowedHosts: ctx.config.discord.cdnHosts,
    defaults: {
      privacy: settings.defaultPrivacy,
      categoryId: settings.defaultCategory,
      playlistId: isServer ? settings.defaultPlaylist : undefined,
    },
    dispatcher: ctx.dispatcher,
  };
}
