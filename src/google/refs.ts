// Video and playlist references as members paste them: bare ids and every common URL form. Only
// https: links are accepted from members: an http: (or ftp:, …) link is refused, never fetched or linked.
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

/** The scheme of a link typed with one other than https (`http`, `ftp`…), else undefined. */
function insecureScheme(text: string): string | undefined {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text)?.[1]?.toLowerCase();
  return scheme !== undefined && scheme !== 'https' ? scheme : undefined;
}

const clean = (input: string) => input.trim().replace(/^<|>$/g, ''); // Discord's <url> form that suppresses embeds

function parseUrl(text: string): URL | undefined {
  if (insecureScheme(text) !== undefined) return undefined;
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`;
  try {
    return new URL(withScheme);
  } catch {
    return undefined;
  }
}

/** The 11-character video id in a bare id or a YouTube URL (youtu.be, watch, shorts, live, embed, m., music.). */
export function videoIdFrom(input: string): string | undefined {
  const text = clean(input);
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
  const text = clean(input);
  if (PLAYLIST_ID.test(text)) return text;
  const url = parseUrl(text);
  if (!url) return undefined;
  const host = url.hostname.toLowerCase();
  if (!YOUTUBE_HOSTS.has(host) && host !== 'youtu.be') return undefined;
  const list = url.searchParams.get('list');
  return list && PLAYLIST_ID.test(list) ? list : undefined;
}

/** What a member typed, as a sentence quotes it: its first 100 characters. */
const quoted = (input: string) => input.slice(0, 100);

/**
 * A member's link that is not https: one sentence saying so, with an example of what works instead
 * (`error.ref.insecureVideo` / `error.ref.insecurePlaylist`, in the member's language).
 */
function refuseInsecure(input: string, key: string): void {
  if (insecureScheme(clean(input)) !== undefined) throw UserError.t(key, { input: quoted(input) });
}

/**
 * Refuses text that carries a link other than https:// (http://, ftp://…, plain or as a [masked](link)):
 * for text the bot posts on a member's behalf, such as the announcement template. `key` names the
 * refusal's sentence (src/i18n/locales, e.g. `error.templateInsecureLink`), which says what the text is
 * and quotes the link as `{{input}}`, so the member reads it in their language.
 */
export function requireHttpsLinks(text: string, key: string): string {
  const insecure = [...text.matchAll(/\b([a-z][a-z0-9+.-]*):\/\/[^\s)>]*/gi)].find(
    (m) => m[1]?.toLowerCase() !== 'https',
  );
  if (insecure) throw UserError.t(key, { input: quoted(insecure[0]) });
  return text;
}

/** The video id in what a member typed, or a sentence (in their language) with an example that works. */
export function requireVideoId(input: string): string {
  refuseInsecure(input, 'error.ref.insecureVideo');
  const id = videoIdFrom(input);
  if (!id) throw UserError.t('error.ref.noVideo', { input: quoted(input) });
  return id;
}

/** The playlist id in what a member typed, or a sentence (in their language) with an example that works. */
export function requirePlaylistId(input: string): string {
  refuseInsecure(input, 'error.ref.insecurePlaylist');
  const id = playlistIdFrom(input);
  if (!id) throw UserError.t('error.ref.noPlaylist', { input: quoted(input) });
  return id;
}
