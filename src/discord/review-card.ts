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
import { messageNonce } from './nonce.ts';
import type { ReviewRecord, ReviewSurface } from '../review/reviews.ts';
import { customId } from './command.ts';

/** Embed limits: 1,024 characters a field; the whole card stays far below 6,000. */
const FIELD = 1024;
const DESCRIPTION_SHOWN = 300;

const cut = (text: string, max: number) => {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
};
/** Discord shows <t:…:F> in each moderator's own time zone. */
const when = (iso: string) => {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : `<t:${Math.floor(ms / 1000)}:F>`;
};

function requested(review: ReviewRecord): string {
  if (review.status === 'pending' && review.missedPublishAt)
    return `Scheduled for ${when(review.missedPublishAt)} — ⚠️ that time passed while it waited: publish it now, or choose a new time`;
  if (review.publishAt) return `Scheduled: public at ${when(review.publishAt)} (private until then)`;
  return review.requestedPrivacy;
}

/**
 * What the moderator approves: title and link, the uploader, the privacy or schedule, the playlist, made for
 * kids, the tags, the description (shortened) and the thumbnail. The thumbnail is the attachment as the member
 * gave it (on Discord's CDN, checked when the upload was accepted; it is what the video will show once public),
 * else YouTube's own thumbnail address, which names nothing but the video id the card already links.
 */
function embed(review: ReviewRecord): EmbedBuilder {
  const kids = review.madeForKids === undefined ? 'not said' : review.madeForKids ? 'yes' : 'no';
  const builder = new EmbedBuilder()
    .setTitle(cut(review.title, 256))
    .setURL(`https://youtu.be/${review.videoId}`)
    .setThumbnail(review.thumbnailUrl ?? `https://i.ytimg.com/vi/${review.videoId}/hqdefault.jpg`)
    .addFields(
      { name: 'Uploaded by', value: `<@${review.uploaderId}>`, inline: true },
      { name: 'Requested', value: cut(requested(review), FIELD), inline: true },
      {
        name: 'Playlist',
        value: cut(review.playlistId ? (review.playlistTitle ?? review.playlistId) : 'none', FIELD),
        inline: true,
      },
      { name: 'Made for kids', value: kids, inline: true },
    );
  if (review.tags && review.tags.length > 0)
    builder.addFields({ name: 'Tags', value: cut(review.tags.join(', '), FIELD) });
  if (review.description)
    builder.addFields({ name: 'Description', value: cut(review.description, DESCRIPTION_SHOWN) });
  if (review.status === 'approved') {
    const how = review.missedPublishAt
      ? review.publishAt
        ? ` — the schedule had passed; now public at ${when(review.publishAt)}`
        : ' — the schedule had passed; published at once'
      : '';
    builder.addFields({
      name: 'Decision',
      value: cut(`✅ Approved by <@${review.decidedBy ?? ''}>${how}`, FIELD),
    });
  }
  if (review.status === 'rejected') {
    builder.addFields({
      name: 'Decision',
      value: cut(
        `❌ Rejected by <@${review.decidedBy ?? ''}>${review.reason ? `: ${review.reason}` : ''}`,
        FIELD,
      ),
    });
  }
  return builder;
}

/** The card's buttons: Approve/Reject, or, once the schedule passed, Publish now / New time / Reject. */
export function reviewButtons(id: string, missedSchedule = false) {
  const row = new ActionRowBuilder<ButtonBuilder>();
  if (missedSchedule) {
    row.addComponents(
      new ButtonBuilder()
        .setCustomId(customId('upload', 'review', 'now', id))
        .setLabel('Publish now')
        .setStyle(ButtonStyle.Success),
      new ButtonBuilder()
        .setCustomId(customId('upload', 'review', 'when', id))
        .setLabel('New time')
        .setStyle(ButtonStyle.Primary),
    );
  } else {
    row.addComponents(
      new ButtonBuilder()
        .setCustomId(customId('upload', 'review', 'approve', id))
        .setLabel('Approve')
        .setStyle(ButtonStyle.Success),
    );
  }
  return row.addComponents(
    new ButtonBuilder()
      .setCustomId(customId('upload', 'review', 'reject', id))
      .setLabel('Reject')
      .setStyle(ButtonStyle.Danger),
  );
}

/** Asks the moderator for a new schedule, after the requested one passed. */
export function reviewTimeModal(id: string): ModalBuilder {
  return new ModalBuilder()
    .setCustomId(customId('upload', 'when', id))
    .setTitle('Publish at a new time')
    .addLabelComponents(
      new LabelBuilder()
        .setLabel('When? e.g. 2026-12-24T18:00Z (UTC)')
        .setTextInputComponent(
          new TextInputBuilder()
            .setCustomId('publish_at')
            .setStyle(TextInputStyle.Short)
            .setMaxLength(40)
            .setRequired(true),
        ),
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
            components: [reviewButtons(review.id, review.missedPublishAt !== undefined).toJSON()],
            allowed_mentions: { parse: [] },
            // Posted at most once per review: a second post (a retry, the step run again after a crash)
            // within Discord's few minutes gets the first card back.
            nonce: messageNonce('review', review.id),
            enforce_nonce: true,
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
      const open = review.status === 'pending';
      await client.rest
        .patch(Routes.channelMessage(review.card.channelId, review.card.messageId), {
          body: {
            content: open
              ? 'An upload to the server channel is waiting for review (it is private until approved).'
              : 'Review decided.',
            embeds: [embed(review).toJSON()],
            components: open ? [reviewButtons(review.id, review.missedPublishAt !== undefined).toJSON()] : [],
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
