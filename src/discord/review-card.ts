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
import type { Decision, ReviewNote, ReviewRecord, ReviewSurface } from '../review/reviews.ts';
import { customId } from './command.ts';
import { t } from '../i18n/index.ts';
import { classifyError } from '../errors.ts';

/** The language of a server's public messages (its /server settings language, else its guild_locale). */
export type ServerLocaleOf = (guildId: string) => Promise<string | undefined>;

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

function requested(review: ReviewRecord, locale: string | undefined): string {
  if (review.status === 'pending' && review.missedPublishAt)
    return t(locale, 'review.requested.missed', { when: when(review.missedPublishAt) });
  if (review.publishAt) return t(locale, 'review.requested.scheduled', { when: when(review.publishAt) });
  return t(locale, `privacy.${review.requestedPrivacy}`);
}

/**
 * What the moderator approves: title and link, the uploader, the privacy or schedule, the playlist, made for
 * kids, the tags, the description (shortened) and the thumbnail. The thumbnail is the attachment as the member
 * gave it (on Discord's CDN, checked when the upload was accepted; it is what the video will show once public),
 * else YouTube's own thumbnail address, which names nothing but the video id the card already links.
 */
function embed(review: ReviewRecord, locale: string | undefined): EmbedBuilder {
  const kids = t(
    locale,
    review.madeForKids === undefined
      ? 'review.kids.unknown'
      : review.madeForKids
        ? 'review.kids.yes'
        : 'review.kids.no',
  );
  const builder = new EmbedBuilder()
    .setTitle(cut(review.title, 256))
    .setURL(`https://youtu.be/${review.videoId}`)
    .setThumbnail(review.thumbnailUrl ?? `https://i.ytimg.com/vi/${review.videoId}/hqdefault.jpg`)
    .addFields(
      { name: t(locale, 'review.field.uploadedBy'), value: `<@${review.uploaderId}>`, inline: true },
      {
        name: t(locale, 'review.field.requested'),
        value: cut(requested(review, locale), FIELD),
        inline: true,
      },
      {
        name: t(locale, 'review.field.playlist'),
        value: cut(
          review.playlistId ? (review.playlistTitle ?? review.playlistId) : t(locale, 'review.playlist.none'),
          FIELD,
        ),
        inline: true,
      },
      { name: t(locale, 'review.field.madeForKids'), value: kids, inline: true },
    );
  if (review.tags && review.tags.length > 0)
    builder.addFields({ name: t(locale, 'review.field.tags'), value: cut(review.tags.join(', '), FIELD) });
  if (review.description)
    builder.addFields({
      name: t(locale, 'review.field.description'),
      value: cut(review.description, DESCRIPTION_SHOWN),
    });
  if (review.status === 'approved') {
    const by = review.decidedBy ?? '';
    const approved = review.missedPublishAt
      ? review.publishAt
        ? t(locale, 'review.decision.approvedNewTime', { by, when: when(review.publishAt) })
        : t(locale, 'review.decision.approvedNow', { by })
      : t(locale, 'review.decision.approved', { by });
    builder.addFields({ name: t(locale, 'review.field.decision'), value: cut(approved, FIELD) });
  }
  if (review.status === 'rejected') {
    const by = review.decidedBy ?? '';
    const rejected = review.reason
      ? t(locale, 'review.decision.rejectedBecause', { by, reason: review.reason })
      : t(locale, 'review.decision.rejected', { by });
    builder.addFields({ name: t(locale, 'review.field.decision'), value: cut(rejected, FIELD) });
  }
  return builder;
}

/**
 * The card's buttons: Approve/Reject, or, once the schedule passed, Publish now / New time / Reject; labelled
 * in the server's language (`locale`).
 */
export function reviewButtons(id: string, missedSchedule = false, locale?: string) {
  const row = new ActionRowBuilder<ButtonBuilder>();
  if (missedSchedule) {
    row.addComponents(
      new ButtonBuilder()
        .setCustomId(customId('upload', 'review', 'now', id))
        .setLabel(t(locale, 'review.button.publishNow'))
        .setStyle(ButtonStyle.Success),
      new ButtonBuilder()
        .setCustomId(customId('upload', 'review', 'when', id))
        .setLabel(t(locale, 'review.button.newTime'))
        .setStyle(ButtonStyle.Primary),
    );
  } else {
    row.addComponents(
      new ButtonBuilder()
        .setCustomId(customId('upload', 'review', 'approve', id))
        .setLabel(t(locale, 'review.button.approve'))
        .setStyle(ButtonStyle.Success),
    );
  }
  return row.addComponents(
    new ButtonBuilder()
      .setCustomId(customId('upload', 'review', 'reject', id))
      .setLabel(t(locale, 'review.button.reject'))
      .setStyle(ButtonStyle.Danger),
  );
}

/** Asks the moderator for a new schedule, after the requested one passed; in the moderator's language (`locale`). */
export function reviewTimeModal(id: string, locale?: string | null): ModalBuilder {
  return new ModalBuilder()
    .setCustomId(customId('upload', 'when', id))
    .setTitle(t(locale, 'review.modal.timeTitle'))
    .addLabelComponents(
      new LabelBuilder()
        .setLabel(t(locale, 'review.modal.timeLabel'))
        .setTextInputComponent(
          new TextInputBuilder()
            .setCustomId('publish_at')
            .setStyle(TextInputStyle.Short)
            .setMaxLength(40)
            .setRequired(true),
        ),
    );
}

/** Asks the moderator why, before a rejection (the member is told); in the moderator's language (`locale`). */
export function reviewReasonModal(id: string, locale?: string | null): ModalBuilder {
  return new ModalBuilder()
    .setCustomId(customId('upload', 'reason', id))
    .setTitle(t(locale, 'review.modal.reasonTitle'))
    .addLabelComponents(
      new LabelBuilder()
        .setLabel(t(locale, 'review.modal.reasonLabel'))
        .setTextInputComponent(
          new TextInputBuilder()
            .setCustomId('reason')
            .setStyle(TextInputStyle.Paragraph)
            .setMaxLength(500)
            .setRequired(true),
        ),
    );
}

/**
 * The cards speak the server's language (`localeOf`; English without it, or when the settings cannot be
 * read: a card in English beats no card).
 */
export function discordReviewSurface(
  client: Client,
  logger: Logger,
  localeOf: ServerLocaleOf = () => Promise.resolve(undefined),
): ReviewSurface {
  const localeFor = (guildId: string) => localeOf(guildId).catch(() => undefined);
  return {
    async postCard(review, channelId) {
      const locale = await localeFor(review.guildId);
      try {
        const message = (await client.rest.post(Routes.channelMessages(channelId), {
          body: {
            content: t(locale, 'review.card.new'),
            embeds: [embed(review, locale).toJSON()],
            components: [reviewButtons(review.id, review.missedPublishAt !== undefined, locale).toJSON()],
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
      const locale = await localeFor(review.guildId);
      await client.rest
        .patch(Routes.channelMessage(review.card.channelId, review.card.messageId), {
          body: {
            content: t(locale, open ? 'review.card.waiting' : 'review.card.decided'),
            embeds: [embed(review, locale).toJSON()],
            components: open
              ? [reviewButtons(review.id, review.missedPublishAt !== undefined, locale).toJSON()]
              : [],
            allowed_mentions: { parse: [] },
          },
        })
        .catch((error: unknown) =>
          logger.warn({ reviewId: review.id, err: error }, 'could not update the review card'),
        );
    },
    // The uploader reads it in their own language when the review knows it, else in the server's.
    async tellUploader(review, note) {
      const locale = review.uploaderLocale ?? (await localeFor(review.guildId));
      const text = t(locale, note.key, note.values);
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

/** A note of the review service in the moderator's language; an error keeps the reference id the log has. */
function noteText(note: ReviewNote, locale: string | null | undefined): string {
  if (!note.error) return t(locale, note.key, note.values);
  const classified = classifyError(note.error.cause, locale);
  const { referenceId } = note.error;
  const error =
    classified.referenceId && referenceId
      ? classified.message.replaceAll(classified.referenceId, referenceId)
      : classified.message;
  return t(locale, note.key, { ...note.values, error });
}

/** What the moderator who pressed hears after a review press, in their language; nothing when all went as asked. */
export function decisionReply(decision: Decision, locale: string | null | undefined): string | undefined {
  if (decision.kind === 'unknown') return t(locale, 'review.reply.unknown');
  if (decision.kind === 'already') {
    const by = decision.review.decidedBy ?? '';
    return decision.review.status === 'approved'
      ? t(locale, 'review.reply.alreadyApproved', { by })
      : t(locale, 'review.reply.alreadyRejected', { by });
  }
  return decision.notes.length > 0
    ? decision.notes.map((note) => noteText(note, locale)).join('\n')
    : undefined;
}
