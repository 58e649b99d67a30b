// Typed calls over @googleapis/youtube. The generated client ignores a client-level rootUrl for
// media uploads, so every call here also passes it per call.
import { youtube, type youtube_v3 } from '@googleapis/youtube';
import type { OAuth2Client } from 'google-auth-library';
import type { LinkedChannel } from '../store/grants.ts';

export type YouTube = youtube_v3.Youtube;

export function youtubeClient(rootUrl: string, auth: OAuth2Client): YouTube {
  return youtube({ version: 'v3', auth, rootUrl });
}

/** The channel of the authorized account, or undefined when the account has none. */
export async function myChannel(yt: YouTube, rootUrl: string): Promise<LinkedChannel | undefined> {
  const { data } = await yt.channels.list({ part: ['snippet'], mine: true, maxResults: 1 }, { rootUrl });
  const item = data.items?.[0];
  if (!item?.id) return undefined;
  const thumbnails = item.snippet?.thumbnails;
  return {
    id: item.id,
    title: item.snippet?.title ?? item.id,
    thumbnailUrl: thumbnails?.medium?.url ?? thumbnails?.default?.url ?? undefined,
  };
}
