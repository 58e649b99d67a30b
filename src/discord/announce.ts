// Posts announcements with the bot's own token: the text from the server's template and an embed (title, link,
// thumbnail, uploader). Only the configured role may be pinged; the uploader's mention shows without a ping.
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DiscordAPIError,
  makeURLSearchParams,
  Routes,
  type APIMessage,
  type Client,
  type RESTPostAPIChannelMessageJSONBody,
} from 'discord.js';
import { channelUrl, LIMITS, truncate, type Announcement } from '../announce/render.ts';
import { messageNonce } from './nonce.ts';
import { t } from '../i18n/index.ts';

const YOUTUBE_RED = 0xff0000;

export function announcementBody(a: Announcement): RESTPostAPIChannelMessageJSONBody {
  const { video } = a;
  const kind = t(
    a.locale,
    video.live ? 'announce.footerLive' : video.short ? 'announce.footerShort' : 'announce.footer',
  );
  return {
    content: a.content,
    embeds: [
      {
        title: truncate(video.title || video.id, LIMITS.embedTitle),
        url: a.url,
        color: YOUTUBE_RED,
        ...(video.channelTitle
          ? {
              author: {
                name: truncate(video.channelTitle, LIMITS.authorName),
                ...(video.channelId ? { url: channelUrl(video.channelId) } : {}),
              },
            }
          : {}),
        image: { url: video.thumbnailUrl },
        fields: [
          {
            name: t(a.locale, 'announce.uploadedBy'),
            value: truncate(a.uploader || '—', LIMITS.fieldValue),
            inline: true,
          },
        ],
        footer: { text: kind },
      },
    ],
    allowed_mentions: { parse: [], roles: a.roleId ? [a.roleId] : [] },
  };
}

/** What the announcement is about: one message per server and video, whoever sends it how often. */
export const announcementNonce = (a: Announcement) => messageNonce('announce', a.guildId, a.video.id);

/**
 * The announcer's `post`: one channel message; resolves to its id. Sent with a nonce derived from (server, video)
 * and `enforce_nonce`, so a post sent again shows once: the REST client's own retries (5xx, dropped connections)
 * are safe, and a post whose tries all failed that way is sent once more after `retryMs` — still within
 * Discord's few minutes. A refusal (4xx: missing permissions, unknown channel) is not sent again.
 */
export function discordAnnouncementPoster(client: Client, retryMs = 15_000) {
  const send = async (a: Announcement): Promise<string | undefined> => {
    const message = (await client.rest.post(Routes.channelMessages(a.channelId), {
      body: { ...announcementBody(a), nonce: announcementNonce(a), enforce_nonce: true },
    })) as { id?: string };
    return message.id;
  };
  return async (a: Announcement): Promise<string | undefined> => {
    try {
      return await send(a);
    } catch (error) {
      if (error instanceof DiscordAPIError) throw error;
      await sleep(retryMs);
      return send(a);
    }
  };
}

/** Discord's epoch: a snowflake counts milliseconds since 2015-01-01 in its upper bits. */
const DISCORD_EPOCH = 1_420_070_400_000;
const snowflakeAt = (ms: number) => String(BigInt(Math.max(0, Math.floor(ms) - DISCORD_EPOCH)) << 22n);

/**
 * The announcer's `find`: the bot's own announcement of this video (its embed links the video) among the channel's
 * messages since `since` (a minute earlier, for clocks that differ), or undefined. One read of up to 100 messages
 * (Read Message History); a refusal throws, and the announcer then relies on the post's nonce.
 */
export function discordAnnouncementFinder(client: Client) {
  return async (a: Announcement, since: number): Promise<string | undefined> => {
    const messages = (await client.rest.get(Routes.channelMessages(a.channelId), {
      query: makeURLSearchParams({ after: snowflakeAt(since - 60_000), limit: 100 }),
    })) as APIMessage[];
    const botId = client.user?.id ?? client.application?.id;
    return messages.find((m) => m.author.id === botId && m.embeds.some((e) => e.url === a.url))?.id;
  };
}
