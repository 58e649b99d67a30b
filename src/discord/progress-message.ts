// Where an upload's progress is shown — never in a public message that names the video. First the
// member's private /upload reply, edited through the interaction token; before that token dies (15
// minutes), or as soon as Discord says it is dead, the member's DM, which the bot edits with its own
// token. When the DM is closed (50007), ONE channel notice mentions the member without title, link or
// privacy ("your upload continues — open your DMs to see it") and carries a "Show my upload" button
// that answers only the uploader, privately; the DM is tried again (at most once a minute, and at
// every step that matters), and as soon as it opens the progress and the result go there.
import {
  ActionRowBuilder,
  ButtonBuilder,
  ButtonStyle,
  DiscordAPIError,
  Routes,
  type Client,
} from 'discord.js';
import type { Logger } from '../logger.ts';
import { FINISHED, type JobRecord, type JobRepository } from '../uploads/records.ts';
import type { SinkFactory } from '../uploads/jobs.ts';
import { customId } from './command.ts';
import { t } from '../i18n/index.ts';

/** Codes that mean the interaction token (or its message) can no longer be used. */
const DEAD_REPLY = new Set([10008, 10015, 10062, 50027]);
/** "Cannot send messages to this user": the member's DMs are closed to the bot. */
const DM_CLOSED = 50007;
/** How often a closed DM is tried again while the upload runs (each refusal counts as an invalid request). */
const DM_RETRY_MS = 60_000;

/** The Cancel button, labelled in the language of `locale` (the uploader's). */
export function cancelButton(jobId: string, locale?: string | null) {
  return new ActionRowBuilder<ButtonBuilder>().addComponents(
    new ButtonBuilder()
      .setCustomId(customId('upload', 'cancel', jobId))
      .setLabel(t(locale, 'progress.cancelButton'))
      .setStyle(ButtonStyle.Danger),
  );
}

/**
 * Shows the uploader where their upload stands, in a reply only they see (see show-upload.ts); labelled in
 * the server's language, as the notice it sits under.
 */
export function showButton(jobId: string, locale?: string) {
  return new ActionRowBuilder<ButtonBuilder>().addComponents(
    new ButtonBuilder()
      .setCustomId(customId('upload', 'show', jobId))
      .setLabel(t(locale, 'progress.showButton'))
      .setStyle(ButtonStyle.Secondary),
  );
}

const codeOf = (error: unknown) =>
  error instanceof DiscordAPIError && typeof error.code === 'number' ? error.code : undefined;

/** What the public notice says; never the title, the file name, the link or the privacy. */
type NoticeState = 'continues' | 'finished' | 'finished-in-dm';

/**
 * The upload page's button, while the member's browser is the source and the bytes are not all in: a
 * member who closed the tab opens the page again from here (it goes on where YouTube stopped). Gone once
 * the transfer ended (done, failed, cancelled, expired) or when the file came another way.
 */
export function pageButton(job: JobRecord, jobs: JobRepository, publicUrl: string | undefined) {
  const sealed = job.progress.page;
  if (publicUrl === undefined || sealed === undefined || job.source.kind !== 'browser') return undefined;
  if (job.status !== 'queued' && job.status !== 'running') return undefined;
  let token: string;
  try {
    token = jobs.openToken(job, sealed);
  } catch {
    return undefined; // sealed under a key no longer held: the progress goes on without the button
  }
  return new ButtonBuilder()
    .setStyle(ButtonStyle.Link)
    .setURL(`${publicUrl}/u/${token}`)
    .setLabel(t(job.locale, 'upload.openPageButton'));
}

export function discordProgressSink(
  client: Client,
  jobs: JobRepository,
  logger: Logger,
  publicUrl?: string,
  /** The language of a server's public messages: the notice in its channel speaks it (English without). */
  serverLocaleOf: (guildId: string) => Promise<string | undefined> = () => Promise.resolve(undefined),
): SinkFactory {
  // Per job, in this process: when a closed DM may be tried again, and what the notice says now
  // (unknown after a restart: the notice is then edited once more, which is harmless).
  const nextDmTry = new Map<string, number>();
  const noticeSays = new Map<string, NoticeState>();

  return (job, persist) => {
    /** The progress, privately (the reply or the DM): Cancel while it can stop it, the page's button. */
    const body = (text: string, cancellable: boolean) => {
      const row = cancellable ? cancelButton(job.id, job.locale) : new ActionRowBuilder<ButtonBuilder>();
      const page = pageButton(job, jobs, publicUrl);
      if (page) row.addComponents(page);
      return {
        content: text.slice(0, 2000),
        components: row.components.length > 0 ? [row.toJSON()] : [],
        allowed_mentions: { parse: [] },
      };
    };

    /** The notice is public, so it speaks the server's language (English when the settings cannot be read). */
    const noticeBody = async (state: NoticeState) => {
      const locale = job.guildId ? await serverLocaleOf(job.guildId).catch(() => undefined) : undefined;
      const key = { continues: 'continues', finished: 'finished', 'finished-in-dm': 'finishedInDm' }[state];
      return {
        content: t(locale, `progress.notice.${key}`, { member: `<@${job.owner}>` }),
        components: [showButton(job.id, locale).toJSON()],
        // The member is told; nobody else is pinged, whatever the text holds.
        allowed_mentions: { parse: [], users: [job.owner] },
      };
    };

    async function editReply(content: object): Promise<'ok' | 'dead' | 'error'> {
      const reply = job.progress.reply;
      if (!reply) return 'dead';
      try {
        await client.rest.patch(
          Routes.webhookMessage(reply.applicationId, jobs.openToken(job, reply.token), '@original'),
          { body: content, auth: false },
        );
        return 'ok';
      } catch (error) {
        const code = codeOf(error);
        logger.info({ jobId: job.id, discordCode: code }, 'progress reply edit failed');
        return code !== undefined && DEAD_REPLY.has(code) ? 'dead' : 'error';
      }
    }

    async function post(channelId: string, content: object): Promise<string> {
      const message = (await client.rest.post(Routes.channelMessages(channelId), { body: content })) as {
        id: string;
      };
      return message.id;
    }

    /** Opens the DM and posts the progress there: 'closed' when the member's DMs refuse the bot. */
    async function openDm(text: string, cancellable: boolean): Promise<'dm' | 'closed' | 'error'> {
      try {
        const dm = (await client.rest.post(Routes.userChannels(), { body: { recipient_id: job.owner } })) as {
          id: string;
        };
        const messageId = await post(dm.id, body(text, cancellable));
        job.progress.channelMessage = { channelId: dm.id, messageId, dm: true };
        nextDmTry.delete(job.id);
        await persist();
        return 'dm';
      } catch (error) {
        const code = codeOf(error);
        logger.info({ jobId: job.id, discordCode: code }, 'cannot DM the uploader');
        nextDmTry.set(job.id, Date.now() + DM_RETRY_MS);
        return code === DM_CLOSED ? 'closed' : 'error';
      }
    }

    /** Posts the one public notice (once per job); when even that fails, the DM stays the only way. */
    async function postNotice(): Promise<void> {
      if (job.progress.notice || job.progress.lost) return;
      const state: NoticeState = FINISHED.includes(job.status) ? 'finished' : 'continues';
      try {
        const messageId = await post(job.channelId, await noticeBody(state));
        job.progress.notice = { channelId: job.channelId, messageId };
        noticeSays.set(job.id, state);
      } catch (error) {
        logger.warn(
          { jobId: job.id, discordCode: codeOf(error) },
          'cannot post the DM notice in the channel either; progress shows again if the member opens their DMs',
        );
        job.progress.lost = true;
      }
      await persist();
    }

    /** Keeps the notice true (continues → finished), still without anything about the video. */
    async function updateNotice(inDm: boolean): Promise<void> {
      const notice = job.progress.notice;
      if (!notice) return;
      const finished = FINISHED.includes(job.status);
      const state: NoticeState = finished ? (inDm ? 'finished-in-dm' : 'finished') : 'continues';
      if (noticeSays.get(job.id) === state) return;
      try {
        await client.rest.patch(Routes.channelMessage(notice.channelId, notice.messageId), {
          body: await noticeBody(state),
        });
        noticeSays.set(job.id, state);
      } catch (error) {
        logger.info({ jobId: job.id, discordCode: codeOf(error) }, 'could not update the DM notice');
        if (codeOf(error) === 10008) noticeSays.set(job.id, state); // deleted: nothing left to correct
      }
    }

    /**
     * Shows the text in the member's DM, creating it when needed; a closed DM gets the notice instead.
     * `now` tries a closed DM again at once (the hand-over, a phase change, the result).
     */
    async function showPrivately(
      text: string,
      cancellable: boolean,
      now: boolean,
    ): Promise<'dm' | 'closed' | 'error'> {
      const legacy = job.progress.channelMessage;
      if (legacy && !legacy.dm) {
        // A public progress message from an older version (it showed the title): it becomes the
        // notice, rewritten below, and the progress moves to the DM.
        job.progress.notice ??= { channelId: legacy.channelId, messageId: legacy.messageId };
        job.progress.channelMessage = undefined;
        await persist();
      }
      let where: 'dm' | 'closed' | 'error' = 'error';
      const own = job.progress.channelMessage;
      if (own) {
        try {
          await client.rest.patch(Routes.channelMessage(own.channelId, own.messageId), {
            body: body(text, cancellable),
          });
          where = 'dm';
        } catch (error) {
          if (codeOf(error) !== 10008) throw error;
          // The DM message is gone: post a fresh one.
          job.progress.channelMessage = undefined;
          await persist();
        }
      }
      if (!job.progress.channelMessage) {
        const due = now || !cancellable || Date.now() >= (nextDmTry.get(job.id) ?? 0);
        if (due) {
          where = await openDm(text, cancellable);
          if (where === 'closed') await postNotice();
        } else where = 'closed';
      }
      await updateNotice(where === 'dm');
      if (FINISHED.includes(job.status)) {
        // The last word: nothing more to remember about this job.
        nextDmTry.delete(job.id);
        noticeSays.delete(job.id);
      }
      return where;
    }

    return {
      async show(text, { cancellable }) {
        try {
          const reply = job.progress.reply;
          if (!reply) {
            await showPrivately(text, cancellable, FINISHED.includes(job.status));
            return;
          }
          let tokenAlive = true;
          if (Date.now() < reply.moveAt) {
            const result = await editReply(body(text, cancellable));
            if (result !== 'dead') return;
            tokenAlive = false;
            // Never touch that token again, even if moving the progress fails below.
            reply.moveAt = 0;
            await persist();
          }
          // Time to hand over (the token still works for a minute), or Discord said it is dead.
          const where = await showPrivately(text, cancellable, true);
          if (tokenAlive) {
            const own = job.progress.channelMessage;
            await editReply(
              where === 'dm' && own
                ? {
                    content: `Progress continues in your DMs: https://discord.com/channels/@me/${own.channelId}/${own.messageId}`,
                    components: [],
                    allowed_mentions: { parse: [] },
                  }
                : {
                    content:
                      (where === 'closed'
                        ? 'I cannot send you a DM (your DMs are closed to me), and this message stops updating in a minute. '
                        : 'I could not reach your DMs just now and will keep trying; this message stops updating in a minute. ') +
                      'Open your DMs (server menu → Privacy Settings → Direct Messages) to follow the upload there, or press **Show my upload** here any time: only you see the answer.',
                    components: [showButton(job.id).toJSON()],
                    allowed_mentions: { parse: [] },
                  },
            );
          }
          job.progress.reply = undefined;
          await persist();
        } catch (error) {
          logger.warn({ jobId: job.id, discordCode: codeOf(error), err: error }, 'progress update failed');
        }
      },
    };
  };
}
