// How /playlist list and /playlist show read in Discord, in the member's language (`locale`): the embed, its
// footer and its page buttons. Titles stay as YouTube has them (their Markdown escaped).
import { escapeMarkdown, type APIEmbed } from 'discord.js';
import type { Store } from '../store/index.ts';
import { t } from '../i18n/index.ts';
import { pageRow } from './paging.ts';
import {
  PAGE_SIZE,
  playlistUrl,
  videoUrl,
  type Page,
  type PlaylistInfo,
  type PlaylistPage,
} from '../google/playlists.ts';
import { PRIVACIES } from '../uploads/metadata.ts';

type Locale = string | null | undefined;

/** A title as the texts show it in bold (`**{{title}}**`): its Markdown escaped. */
export const plain = (text: string) => escapeMarkdown(text);
const link = (text: string, url: string) => `[${escapeMarkdown(text).replace(/[[\]]/g, '\\$&')}](${url})`;
/** "1 video", "12 videos" in the member's language. */
export const videos = (locale: Locale, n: number) => t(locale, 'playlist.videos', { count: n });
/** A privacy status as the member's language names it ("unknown" for one YouTube added since). */
export const privacyName = (locale: Locale, privacy: string) =>
  t(locale, `privacy.${(PRIVACIES as readonly string[]).includes(privacy) ? privacy : 'unknown'}`);
const quiet = { allowedMentions: { parse: [] } };

const pages = (total: number) => Math.max(1, Math.ceil(total / PAGE_SIZE));

export async function listView(
  store: Store,
  command: string,
  result: Page<PlaylistInfo>,
  page: number,
  marker: string,
  locale: Locale,
) {
  if (result.items.length === 0)
    return {
      content: t(locale, 'playlist.none'),
      embeds: [],
      components: [],
    };
  const embed: APIEmbed = {
    title: t(locale, 'playlist.listTitle'),
    description: result.items
      .map((p) =>
        t(locale, 'playlist.listLine', {
          link: link(p.title, playlistUrl(p.id)),
          videos: videos(locale, p.itemCount),
          privacy: privacyName(locale, p.privacy),
        }),
      )
      .join('\n'),
    footer: {
      text: t(locale, 'playlist.listFooter', { page, pages: pages(result.total), count: result.total }),
    },
  };
  return {
    content: '',
    embeds: [embed],
    components: await pageRow(store, command, ['list', String(page), marker], result, locale),
    ...quiet,
  };
}

export async function showView(
  store: Store,
  command: string,
  result: PlaylistPage,
  page: number,
  marker: string,
  locale: Locale,
) {
  const { playlist } = result;
  if (result.items.length === 0) {
    return {
      content: t(locale, 'playlist.empty', { playlist: plain(playlist.title) }),
      embeds: [],
      components: [],
      ...quiet,
    };
  }
  const embed: APIEmbed = {
    title: playlist.title.slice(0, 256),
    url: playlistUrl(playlist.id),
    description: result.items
      .map((e) => `**${e.position}.** ${link(e.title, videoUrl(e.videoId))}`)
      .join('\n'),
    footer: {
      text: t(locale, 'playlist.showFooter', {
        page,
        pages: pages(result.total),
        videos: videos(locale, result.total),
      }),
    },
  };
  return {
    content: '',
    embeds: [embed],
    components: await pageRow(store, command, ['show', playlist.id, String(page), marker], result, locale),
    ...quiet,
  };
}
