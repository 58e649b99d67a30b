// Video and playlist references as members paste them: bare ids and every common URL form.
import { UserError } from '../errors.ts';

const VIDEO_ID = /^[A-Za-z0-9_-]{11}$/;
const PLAYLIST_ID = /^(PL|UU|LL|FL|OL|RD|UL|PU|EL)[A-Za-z0-9_-]{10,64}$/;
const YOUTUBE_HOSTS = new Set([
  'youtube.com',
  'www.youtube.com',
  'm.youtube.com',
  'music.youtube.com',
  'youtube-nocookie.com',
  'www.youtube-nocookie.com',
]);

export const VIDEO_EXAMPLE = 'a video id like dQw4w9WgXcQ or a link like https://youtu.be/dQw4w9WgXcQ';
export const PLAYLIST_EXAMPLE =
  'a playlist picked from the list, its id (PL…), or a link like https://www.youtube.com/playlist?list=PL…';

function parseUrl(text: string): URL | undefined {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`;
  try {
    return new URL(withScheme);
  } catch {
    return undefined;
  }
}

/** The 11-character video id in a bare id or a YouTube URL (youtu.be, watch, shorts, live, embed, m., music.). */
export function videoIdFrom(input: string): string | undefined {
  const text = input.trim().replace(/^<|>$/g, ''); // Discord's <url> form that suppresses embeds
  if (VIDEO_ID.test(text)) return text;
  const url = parseUrl(text);
  if (!url) return undefined;
  const host = url.hostname.toLowerCase();
  let candidate: string | null | undefined;
  if (host === 'youtu.be' || host === 'www.youtu.be') candidate = url.pathname.split('/')[1];
  else if (YOUTUBE_HOSTS.has(host)) {
    const [, first, second] = url.pathname.split('/');
    if (first === 'watch') candidate = url.searchParams.get('v');
    else if (first && ['shorts', 'live', 'embed', 'v', 'e'].includes(first)) candidate = second;
  }
  return candidate && VIDEO_ID.test(candidate) ? candidate : undefined;
}

/** The playlist id in a bare id or a URL with `list=`. */
export function playlistIdFrom(input: string): string | undefined {
  const text = input.trim().replace(/^<|>$/g, '');
  if (PLAYLIST_ID.test(text)) return text;
  const url = parseUrl(text);
  if (!url) return undefined;
  const host = url.hostname.toLowerCase();
  if (!YOUTUBE_HOSTS.has(host) && host !== 'youtu.be') return undefined;
  const list = url.searchParams.get('list');
  return list && PLAYLIST_ID.test(list) ? list : undefined;
}

export function requireVideoId(input: string): string {
  const id = videoIdFrom(input);
  if (!id)
    throw new UserError(
      `I could not find a YouTube video in "${input.slice(0, 100)}". Give ${VIDEO_EXAMPLE}.`,
    );
  return id;
}

export function requirePlaylistId(input: string): string {
  const id = playlistIdFrom(input);
  if (!id)
    throw new UserError(
      `I could not find a YouTube playlist in "${input.slice(0, 100)}". Give ${PLAYLIST_EXAMPLE}.`,
    );
  return id;
}
