// A channel's public Atom feed, as https://www.youtube.com/feeds/videos.xml?channel_id=UC… serves it: no
// authentication, no quota, the 15 newest public videos once processed (unlisted and private ones never appear;
// upcoming and live broadcasts do), newest first. A Short is linked as /shorts/ID. An unknown channel answers 404 with an HTML page.
// The shape follows feeds observed in 2025–2026, including the quirk that the feed-level id and yt:channelId drop
// the channel id's "UC" prefix while each entry's yt:channelId keeps it.
import type { ServerResponse } from 'node:http';
import { sendHtml } from '../http.ts';
import { processingState } from './resources.ts';
import type { GoogleState } from './state.ts';
import type { FakeAccount, FakeVideo } from './types.ts';

export const FEED_PATH = '/feeds/videos.xml';
const FEED_SIZE = 15;
/** When the fake's channels were "created" (the feed's own <published>). */
const CHANNEL_CREATED = '2015-03-01T12:00:00+00:00';

const escapeXml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

/** YouTube's feed dates: seconds precision and "+00:00". */
const feedDate = (iso: string) => new Date(iso).toISOString().replace(/\.\d{3}Z$/, '+00:00');

/** The channel's public videos as the feed lists them: processed ones only, newest first, at most 15. */
export function feedVideos(state: GoogleState, channelId: string): FakeVideo[] {
  const watchable = (v: FakeVideo) => v.uploadType === 'seeded' || processingState(v) === 'succeeded';
  return [...state.videos.values()]
    .filter((v) => v.ownerChannelId === channelId && v.status.privacyStatus === 'public' && watchable(v))
    .sort((a, b) => Date.parse(b.publishedAt) - Date.parse(a.publishedAt))
    .slice(0, FEED_SIZE);
}

function entry(v: FakeVideo, account: FakeAccount): string {
  const channel = account.channel;
  const channelId = channel?.id ?? v.ownerChannelId;
  const author = escapeXml(channel?.title ?? '');
  const title = escapeXml(v.snippet.title);
  const link = v.short ? `https://www.youtube.com/shorts/${v.id}` : `https://www.youtube.com/watch?v=${v.id}`;
  return ` <entry>
  <id>yt:video:${v.id}</id>
  <yt:videoId>${v.id}</yt:videoId>
  <yt:channelId>${channelId}</yt:channelId>
  <title>${title}</title>
  <link rel="alternate" href="${link}"/>
  <author>
   <name>${author}</name>
   <uri>https://www.youtube.com/channel/${channelId}</uri>
  </author>
  <published>${feedDate(v.publishedAt)}</published>
  <updated>${feedDate(v.publishedAt)}</updated>
  <media:group>
   <media:title>${title}</media:title>
   <media:content url="https://www.youtube.com/v/${v.id}?version=3" type="application/x-shockwave-flash" width="640" height="390"/>
   <media:thumbnail url="https://i1.ytimg.com/vi/${v.id}/hqdefault.jpg" width="480" height="360"/>
   <media:description>${escapeXml(v.snippet.description)}</media:description>
   <media:community>
    <media:starRating count="0" average="0.00" min="1" max="5"/>
    <media:statistics views="0"/>
   </media:community>
  </media:group>
 </entry>
`;
}

/** The whole feed document for a channel. */
export function renderFeed(state: GoogleState, account: FakeAccount): string {
  const channel = account.channel;
  if (channel === null) throw new Error(`${account.email} has no channel`);
  const bare = channel.id.replace(/^UC/, '');
  const title = escapeXml(channel.title);
  return `<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns:yt="http://www.youtube.com/xml/schemas/2015" xmlns:media="http://search.yahoo.com/mrss/" xmlns="http://www.w3.org/2005/Atom">
 <link rel="self" href="http://www.youtube.com/feeds/videos.xml?channel_id=${channel.id}"/>
 <id>yt:channel:${bare}</id>
 <yt:channelId>${bare}</yt:channelId>
 <title>${title}</title>
 <link rel="alternate" href="https://www.youtube.com/channel/${channel.id}"/>
 <author>
  <name>${title}</name>
  <uri>https://www.youtube.com/channel/${channel.id}</uri>
 </author>
 <published>${CHANNEL_CREATED}</published>
${feedVideos(state, channel.id)
  .map((v) => entry(v, account))
  .join('')}</feed>
`;
}

/** GET /feeds/videos.xml?channel_id=…: the feed, or YouTube's 404 page for a channel it does not know. */
export function handleFeed(state: GoogleState, url: URL, res: ServerResponse): void {
  const channelId = url.searchParams.get('channel_id') ?? '';
  const account = channelId === '' ? undefined : state.accountByChannel(channelId);
  if (account === undefined) {
    sendHtml(
      res,
      404,
      '<!DOCTYPE html><html lang="en"><meta charset="utf-8"><title>Error 404 (Not Found)!!1</title><p><b>404.</b> <ins>That’s an error.</ins>',
    );
    return;
  }
  const xml = state.feedSnapshots?.get(channelId) ?? renderFeed(state, account);
  res.writeHead(200, {
    'content-type': 'text/xml; charset=UTF-8',
    'content-length': Buffer.byteLength(xml),
  });
  res.end(xml);
}
