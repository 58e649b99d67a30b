// A channel's public Atom feed (https://www.youtube.com/feeds/videos.xml?channel_id=UC…): the 15 newest public
// videos, newest first, with no API key and no quota. Parsed with fast-xml-parser rather than regular expressions:
// titles carry entities, CDATA and numeric references, and a real parser reads them all the same way.
import { request, type Dispatcher } from 'undici';
import { XMLParser } from 'fast-xml-parser';

export interface FeedEntry {
  readonly videoId: string;
  /** The entry's yt:channelId (the feed-level one drops the "UC" prefix, so it is not used). */
  readonly channelId: string | undefined;
  readonly title: string;
  /** The alternate link: /watch?v=ID, or /shorts/ID for a Short. */
  readonly link: string | undefined;
  /** YouTube links a Short as /shorts/ID; the Data API has no other marker for it. */
  readonly short: boolean;
  readonly author: string | undefined;
  readonly published: string | undefined;
  readonly thumbnailUrl: string | undefined;
}

/** The feed could not be read: YouTube answered something else, or the body is not a feed. */
export class FeedError extends Error {
  readonly status: number | undefined;
  constructor(message: string, status?: number, options?: ErrorOptions) {
    super(message, options);
    this.name = 'FeedError';
    this.status = status;
  }
}

const VIDEO_ID = /^[A-Za-z0-9_-]{11}$/;
const MAX_BYTES = 2 * 1024 * 1024; // a feed of 15 entries is about 30 KB
const TIMEOUT_MS = 15_000;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  // Titles such as "2025" or "1e5" stay strings.
  parseTagValue: false,
  parseAttributeValue: false,
  htmlEntities: true,
  isArray: (name) => name === 'entry' || name === 'link',
});

type Node = Record<string, unknown>;
const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string | undefined => {
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number') return String(v);
  if (isNode(v) && typeof v['#text'] === 'string') return v['#text'].trim();
  return undefined;
};

/** The entries of a feed document, in the feed's order (newest first); entries without a video id are skipped. */
export function parseFeed(xml: string): FeedEntry[] {
  // YouTube's feed has no DTD; one here could only be an entity-expansion trick.
  if (/<!DOCTYPE|<!ENTITY/i.test(xml))
    throw new FeedError('The feed carries a DTD, which YouTube never sends.');
  let doc: unknown;
  try {
    doc = parser.parse(xml);
  } catch (error) {
    throw new FeedError('The feed is not well-formed XML.', undefined, { cause: error });
  }
  const feed = isNode(doc) ? doc['feed'] : undefined;
  if (!isNode(feed)) throw new FeedError('The document is not an Atom feed.');
  const entries = Array.isArray(feed['entry']) ? (feed['entry'] as unknown[]) : [];
  const out: FeedEntry[] = [];
  for (const raw of entries) {
    if (!isNode(raw)) continue;
    const videoId = text(raw['yt:videoId']);
    if (videoId === undefined || !VIDEO_ID.test(videoId)) continue;
    const links = Array.isArray(raw['link']) ? (raw['link'] as unknown[]).filter(isNode) : [];
    const alternate = links.find((l) => (l['@_rel'] ?? 'alternate') === 'alternate') ?? links[0];
    const link = typeof alternate?.['@_href'] === 'string' ? alternate['@_href'] : undefined;
    const group = isNode(raw['media:group']) ? raw['media:group'] : undefined;
    const thumbnail = group && isNode(group['media:thumbnail']) ? group['media:thumbnail'] : undefined;
    const author = isNode(raw['author']) ? text(raw['author']['name']) : undefined;
    out.push({
      videoId,
      channelId: text(raw['yt:channelId']),
      title: text(raw['title']) ?? '',
      link,
      short: link !== undefined && /\/shorts\//.test(link),
      author,
      published: text(raw['published']),
      thumbnailUrl: typeof thumbnail?.['@_url'] === 'string' ? thumbnail['@_url'] : undefined,
    });
  }
  return out;
}

/**
 * Fetches and parses a channel's feed. `undefined` when YouTube does not know the channel (404); FeedError for
 * any other answer or an unreadable body.
 */
export async function fetchFeed(
  feedUrl: string,
  channelId: string,
  options: { dispatcher?: Dispatcher | undefined; signal?: AbortSignal | undefined } = {},
): Promise<FeedEntry[] | undefined> {
  const url = new URL(feedUrl);
  url.searchParams.set('channel_id', channelId);
  let res: Dispatcher.ResponseData;
  try {
    res = await request(url, {
      method: 'GET',
      headers: { accept: 'application/atom+xml, application/xml, text/xml' },
      headersTimeout: TIMEOUT_MS,
      bodyTimeout: TIMEOUT_MS,
      ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    throw new FeedError('The channel feed could not be reached.', undefined, { cause: error });
  }
  if (res.statusCode === 404) {
    await res.body.dump().catch(() => undefined);
    return undefined;
  }
  if (res.statusCode !== 200) {
    await res.body.dump().catch(() => undefined);
    throw new FeedError(`The channel feed answered HTTP ${res.statusCode}.`, res.statusCode);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length;
      if (size > MAX_BYTES) {
        res.body.destroy();
        throw new FeedError('The channel feed is far larger than a feed of 15 videos.');
      }
      chunks.push(chunk as Buffer);
    }
  } catch (error) {
    if (error instanceof FeedError) throw error;
    throw new FeedError('The channel feed broke off.', undefined, { cause: error });
  }
  return parseFeed(Buffer.concat(chunks).toString('utf8'));
}
