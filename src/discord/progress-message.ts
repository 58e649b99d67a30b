// Where an upload's progress is shown. First the member's /upload reply, edited through the
// interaction token; before that token dies (15 minutes) — or as soon as Discord says it is dead —
// a regular channel message the bot edits with its own token, or a DM when it cannot post there.
import {
  ActionRowBuilder,
  ButtonBuilder,
  ButtonStyle,
  DiscordAPIError,
  Routes,
  type Client,
} from 'discord.js';
import type { Logger } from '../logger.ts';
import type { JobRecord, JobRepository } from '../uploads/records.ts';
import type { SinkFactory } from '../uploads/jobs.ts';
import { customId } from './command.ts';

/** Codes that mean the interaction token (or its message) can no longer be used. */
const DEAD_REPLY = new Set([10008, 10015, 10062, 50027]);
/** Codes that mean the bot cannot post in (or see) the channel. */
const NO_CHANNEL = new Set([10003, 50001, 50013, 50008]);

export function cancelButton(jobId: string) {
  return new ActionRowBuilder<ButtonBuilder>().addComponents(
    new ButtonBuilder()
      .setCustomId(customId('upload', 'cancel', jobId))
      .setLabel('Cancel upload')
      .setStyle(ButtonStyle.Danger),
  );
}

const codeOf = (error: unknown) =>
  error instanceof DiscordAPIError && typeof error.code === 'number' ? error.code : undefined;

export function discordProgressSink(client: Client, jobs: JobRepository, logger: Logger): SinkFactory {
  return (job, persist) => {
    const body = (text: string, cancellable: boolean, mention: boolean) => ({
      content: mention ? `<@${job.owner}>'s upload — ${text}`.slice(0, 2000) : text,
      components: cancellable ? [cancelButton(job.id).toJSON()] : [],
      allowed_mentions: { parse: [] },
    });

    async function editReply(job: JobRecord, content: object): Promise<'ok' | 'dead' | 'error'> {
      const reply = job.progress.reply;
      if (!reply) return 'dead';
      try {
        await client.rest.patch(
          Routes.webhookMessage(reply.applicationId, jobs.openToken(job, reply.token), '@original'),
          {
            body: content,
            auth: false,
          },
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

    /** Creates the message the bot edits with its own token: in the channel, else by DM. */
    async function createOwnMessage(text: string, cancellable: boolean): Promise<boolean> {
      try {
        const messageId = await post(job.channelId, body(text, cancellable, true));
        job.progress.channelMessage = { channelId: job.channelId, messageId, dm: false };
        return true;
      } catch (error) {
        const code = codeOf(error);
        if (code === undefined || !NO_CHANNEL.has(code)) throw error;
        logger.info({ jobId: job.id, discordCode: code }, 'cannot post progress in the channel; trying a DM');
      }
      try {
        const dm = (await client.rest.post(Routes.userChannels(), { body: { recipient_id: job.owner } })) as {
          id: string;
        };
        const messageId = await post(dm.id, body(text, cancellable, false));
        job.progress.channelMessage = { channelId: dm.id, messageId, dm: true };
        return true;
      } catch (error) {
        logger.warn(
          { jobId: job.id, discordCode: codeOf(error) },
          'cannot DM the uploader either; progress is no longer shown',
        );
        job.progress.lost = true;
        return false;
      }
    }

    return {
      async show(text, { cancellable }) {
        try {
          const reply = job.progress.reply;
          let dead = false;
          if (reply && Date.now() < reply.moveAt) {
            const result = await editReply(job, body(text, cancellable, false));
            if (result !== 'dead') return;
            dead = true;
            // Never touch that token again, even if moving the progress fails below.
            reply.moveAt = 0;
            await persist();
          }
          if (reply) {
            // Time to hand over (the token still works for a minute), or Discord said it is dead:
            // move to a message the bot owns, and point the reply at it while the token lives.
            const moved =
              job.progress.channelMessage !== undefined || (await createOwnMessage(text, cancellable));
            const where = job.progress.channelMessage;
            if (moved && where && !dead) {
              const link = `https://discord.com/channels/${where.dm ? '@me' : (job.guildId ?? '@me')}/${where.channelId}/${where.messageId}`;
              await editReply(job, {
                content: `Progress continues ${where.dm ? 'in your DMs' : 'here'}: ${link}`,
                components: [],
              });
            }
            job.progress.reply = undefined;
            await persist();
            if (moved) return;
          }
          if (job.progress.lost) return;
          const own = job.progress.channelMessage;
          if (!own) {
            if (await createOwnMessage(text, cancellable)) await persist();
            return;
          }
          try {
            await client.rest.patch(Routes.channelMessage(own.channelId, own.messageId), {
              body: body(text, cancellable, !own.dm),
            });
          } catch (error) {
            if (codeOf(error) !== 10008) throw error;
            // Someone deleted the progress message: post a fresh one.
            job.progress.channelMessage = undefined;
            await createOwnMessage(text, cancellable);
            await persist();
          }
        } catch (error) {
          logger.warn({ jobId: job.id, discordCode: codeOf(error), err: error }, 'progress update failed');
        }
      },
    };
  };
}
