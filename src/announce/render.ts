// What an announcement says: the server's template with {title} {url} {uploader} {channel} {role} filled in,
// within Discord's limits. Plain data and strings (Discord's mention and markdown syntax, but no discord.js).

/** A video about to be announced, from the Data API or the channel feed. */
export interface AnnouncedVideo {
  readonly id: string;
  readonly title: string;
  readonly channelId: string;
  readonly channelTitle: string;
  readonly thumbnailUrl: string;
  /** The Discord member who uploaded it through the bot; undefined for uploads from outside Discord. */
  readonly memberId: string | undefined;
  readonly short: boolean;
  readonly live: boolean;
}

/** One message to post in a server's announcement channel. */
export interface Announcement {
  readonly guildId: string;
  /** The Discord channel to post in. */
  readonly channelId: string;
  /** The only mention that may ping: the configured role. */
  readonly roleId: string | undefined;
  readonly content: string;
  readonly video: AnnouncedVideo;
  /** For the embed: the member's mention for bot uploads, the YouTube channel's title otherwise. */
  readonly uploader: string;
  /** https://youtu.be/ID */
  readonly url: string;
  /** The server's language for the message's fixed parts (the template stays as the server wrote it). */
  readonly locale?: string | undefined;
}

export const LIMITS = { content: 2000, embedTitle: 256, authorName: 256, fieldValue: 1024 } as const;

export const videoUrl = (id: string) => `https://youtu.be/${id}`;
export const channelUrl = (id: string) => `https://www.youtube.com/channel/${id}`;
export const defaultThumbnail = (id: string) => `https://i.ytimg.com/vi/${id}/hqdefault.jpg`;

/** Text that Discord shows as typed: no bold, links, headings or quotes smuggled in through a title. */
export function escapeMarkdown(text: string): string {
  return text.replace(/([\\*_~`|[\]>#])/g, '\\$1').replace(/@(everyone|here)/g, '@\u200b$1');
}

/** Cuts to at most `max` characters (code points), ending in … when cut. */
export function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

const length = (text: string) => [...text].length;

/**
 * Fills the template. The role mention goes where {role} stands, or in front when the template has none. When
 * the result is over 2,000 characters the title is shortened first, then the whole text.
 */
export function renderContent(
  template: string,
  values: { title: string; url: string; uploader: string; channel: string; roleId: string | undefined },
): string {
  const role = values.roleId ? `<@&${values.roleId}>` : '';
  const body = template.includes('{role}') || role === '' ? template : `{role} ${template}`;
  const fill = (title: string) =>
    body.replace(/\{(title|url|uploader|channel|role)\}/g, (_, name: string) => {
      if (name === 'title') return title;
      if (name === 'url') return values.url;
      if (name === 'uploader') return values.uploader;
      if (name === 'channel') return escapeMarkdown(values.channel);
      return role;
    });
  const title = escapeMarkdown(values.title);
  let content = fill(title).trim();
  const over = length(content) - LIMITS.content;
  if (over > 0 && body.includes('{title}')) {
    const occurrences = body.split('{title}').length - 1;
    const keep = Math.max(1, length(title) - Math.ceil(over / occurrences) - 1);
    // Cut the raw title (never in the middle of an escape), then escape it again.
    content = fill(escapeMarkdown(truncate(values.title, keep))).trim();
  }
  return truncate(content, LIMITS.content);
}

/** The announcement for a video in a server, from its settings. */
export function buildAnnouncement(
  guildId: string,
  settings: {
    announceChannelId: string;
    announceRoleId: string | undefined;
    template: string;
    locale?: string | undefined;
  },
  video: AnnouncedVideo,
): Announcement {
  const url = videoUrl(video.id);
  const uploader = video.memberId ? `<@${video.memberId}>` : video.channelTitle;
  return {
    guildId,
    channelId: settings.announceChannelId,
    roleId: settings.announceRoleId,
    content: renderContent(settings.template, {
      title: video.title,
      url,
      uploader: video.memberId ? uploader : escapeMarkdown(uploader),
      channel: video.channelTitle,
      roleId: settings.announceRoleId,
    }),
    video,
    uploader,
    url,
    ...(settings.locale ? { locale: settings.locale } : {}),
  };
}
