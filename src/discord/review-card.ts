// The review card in the review channel, posted and edited with the bot's own token, and the note
// to the uploader by DM.
import {
  ActionRowBuilder,
  ButtonBuilder,
  ButtonStyle,
  EmbedBuilder,
  LabelBuilder,
  ModalBuilder,
  Routes,
  TextInputBuilder,
  TextInputStyle,
  type Client,
} from 'discord.js';
import type { Logger } from '../logger.ts';
import type { ReviewRecord, ReviewSurface } from '../review/reviews.ts';
import { customId } from './command.ts';

function embed(review: ReviewRecord): EmbedBuilder {
  const builder = new EmbedBuilder()
    .setTitle(review.title.slice(0, 256))
    .setURL(`https://youtu.be/${review.videoId}`)
    .setThumbnail(`https://i.ytimg.com/vi/${review.videoId}/hqdefault.jpg`)
    .addFields(
      { name: 'Uploaded by', value: `<@${review.uploaderId}>`, inline: true },
      {
        name: 'Requested',
        value: `${review.publishAt ? `scheduled for ${review.publishAt}` : review.requestedPrivacy}${review.playlistId ? ', with a playlist' : ''}`,
        inline: true,
      },
    );
  if (review.status === 'approved')
    builder.addFields({ name: 'Decision', value: `✅ Approved by <@${review.decidedBy ?? ''}>` });
  if (review.status === 'rejected') {
    builder.addFields({
      name: 'Decision',
      value: `❌ Rejected by <@${review.decidedBy ?? ''}>${review.reason ? `: ${review.reason}` : ''}`.slice(
        0,
        1024,
      ),
    });
  }
  return builder;
}

export function reviewButtons(id: string) {
  return new ActionRowBuilder<ButtonBuilder>().addComponents(
    new ButtonBuilder()
      .setCustomId(customId('upload', 'review', 'approve', id))
      .setLabel('Approve')
      .setStyle(ButtonStyle.Success),
    new ButtonBuilder()
      .setCustomId(customId('upload', 'review', 'reject', id))
      .setLabel('Reject')
      .setStyle(ButtonStyle.Danger),
  );
}

/** Asks the moderator why, before a rejection (the member is told). */
export function reviewReasonModal(id: string): ModalBuilder {
  return new ModalBuilder()
    .setCustomId(customId('upload', 'reason', id))
    .setTitle('Reject this upload')
    .addLabelComponents(
      new LabelBuilder()
        .setLabel('Why? The member will read this.')
        .setTextInputComponent(
          new TextInputBuilder()
            .setCustomId('reason')
            .setStyle(TextInputStyle.Paragraph)
            .setMaxLength(500)
            .setRequired(true),
        ),
    );
}

export function discordReviewSurface(client: Client, logger: Logger): ReviewSurface {
  return {
    async postCard(review, channelId) {
      try {
        const message = (await client.rest.post(Routes.channelMessages(channelId), {
          body: {
            content:
              'A new upload to the server channel is waiting for review (it is private until approved).',
            embeds: [embed(review).toJSON()],
            components: [reviewButtons(review.id).toJSON()],
            allowed_mentions: { parse: [] },
          },
        })) as { id: string };
        return { channelId, messageId: message.id };
      } catch (error) {
        // The review service drops the review and tells the uploader; this line keeps Discord's answer.
        logger.warn(
          { reviewId: review.id, guildId: review.guildId, channelId, err: error },
          'could not post the review card',
        );
        return undefined;
      }
    },
    async updateCard(review) {
      if (!review.card) return;
      await client.rest
        .patch(Routes.channelMessage(review.card.channelId, review.card.messageId), {
          body: {
            content: 'Review decided.',
            embeds: [embed(review).toJSON()],
            components: [],
            allowed_mentions: { parse: [] },
          },
        })
        .catch((error: unknown) =>
          logger.warn({ reviewId: review.id, err: error }, 'could not update the review card'),
        );
    },
    async tellUploader(review, text) {
      try {
        const dm = (await client.rest.post(Routes.userChannels(), {
          body: { recipient_id: review.uploaderId },
        })) as { id: string };
        await client.rest.post(Routes.channelMessages(dm.id), {
          body: { content: text, allowed_mentions: { parse: [] } },
        });
      } catch (error) {
        logger.info({ reviewId: review.id, err: error }, 'could not tell the uploader by DM');
      }
    },
  };
}
