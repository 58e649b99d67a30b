// Posts announcements with the bot's own token: the text from the server's template and an embed (title, link,
// thumbnail, uploader). Only the configured role may be pinged; the uploader's mention shows without a ping.
import { Routes, type Client, type RESTPostAPIChannelMessageJSONBody } from 'discord.js';
import { channelUrl, LIMITS, truncate, type Announcement } from '../announce/render.ts';

const YOUTUBE_RED = 0xff0000;

export function announcementBody(a: Announcement): RESTPostAPIChannelMessageJSONBody {
  const { video } = a;
  const kind = video.live ? 'YouTube · live' : video.short ? 'YouTube · Short' : 'YouTube';
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
          { name: 'Uploaded by', value: truncate(a.uploader || '—', LIMITS.fieldValue), inline: true },
        ],
        footer: { text: kind },
      },
    ],
    allowed_mentions: { parse: [], roles: a.roleId ? [a.roleId] : [] },
  };
}

/** The announcer's `post`: one channel message; resolves to its id. */
export function discordAnnouncementPoster(client: Client) {
  return async (a: Announcement): Promise<string | undefined> => {
    const message = (await client.rest.post(Routes.channelMessages(a.channelId), {
      body: announcementBody(a),
    })) as { id?: string };
    return message.id;
  };
}
