// The fake CDN (cdn.discordapp.com): signed, expiring attachment URLs with HTTP Range support.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FakeAttachment, RecordedCall } from './types.ts';
import { snowflake } from './util.ts';

interface StoredFile {
  attachment: FakeAttachment;
  channelId: string;
  data: Buffer;
  contentType: string | undefined;
  etag: string;
  created: number;
}

export interface AddAttachmentOptions {
  filename: string;
  data: Buffer;
  contentType?: string | undefined;
  channelId?: string;
  /** Lifetime of the signed URL on the fake clock (default 24 h, as Discord's). */
  expiresInMs?: number;
  ephemeral?: boolean;
  description?: string | undefined;
}

const GONE = 'This content is no longer available.';
const DAY_MS = 24 * 60 * 60 * 1000;

export class Cdn {
  /** Answer 200 with the whole body even when a Range is asked for. */
  ignoreRange = false;
  /** Destroy the socket after this many body bytes of the next GET answer (one-shot), or null. */
  dropAfterBytes: number | null = null;
  private readonly files = new Map<string, StoredFile>();
  private readonly secret = randomBytes(32);
  private readonly now: () => number;
  private readonly origin: string;
  private readonly defaultChannelId: string;

  constructor(origin: string, now: () => number, defaultChannelId: string) {
    this.origin = origin;
    this.now = now;
    this.defaultChannelId = defaultChannelId;
  }

  /** Stores a file and returns its attachment object with a freshly signed URL. */
  add(options: AddAttachmentOptions): FakeAttachment {
    const id = snowflake(this.now());
    const channelId = options.channelId ?? this.defaultChannelId;
    const issued = Math.floor(this.now() / 1000);
    const expires = Math.floor((this.now() + (options.expiresInMs ?? DAY_MS)) / 1000);
    const path = `/attachments/${channelId}/${id}/${encodeURIComponent(options.filename)}`;
    const query = `ex=${expires.toString(16)}&is=${issued.toString(16)}`;
    const hm = this.sign(path, query);
    const attachment: FakeAttachment = {
      id,
      filename: options.filename,
      size: options.data.length,
      url: `${this.origin}${path}?${query}&hm=${hm}&`,
      proxy_url: `${this.origin}${path}?${query}&hm=${hm}&`,
    };
    if (options.contentType !== undefined) attachment.content_type = options.contentType;
    if (options.description !== undefined) attachment.description = options.description;
    if (options.ephemeral) attachment.ephemeral = true;
    this.files.set(id, {
      attachment,
      channelId,
      data: options.data,
      contentType: options.contentType,
      etag: `"${createHash('md5').update(options.data).digest('hex')}"`,
      created: this.now(),
    });
    return attachment;
  }

  /** The bytes stored for an attachment id. */
  data(id: string): Buffer | undefined {
    return this.files.get(id)?.data;
  }

  private sign(path: string, query: string): string {
    return createHmac('sha256', this.secret).update(`${path}?${query}`).digest('hex');
  }

  /** Serves GET/HEAD /attachments/:channel/:id/:filename (and /ephemeral-attachments/...). */
  handle(req: IncomingMessage, res: ServerResponse, call: RecordedCall): void {
    const url = new URL(req.url ?? '/', 'http://cdn.invalid');
    const send = (status: number, headers: Record<string, string | number>, body?: Buffer | string): void => {
      call.status = status;
      res.writeHead(status, headers);
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    const gone = (): void =>
      send(
        404,
        { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(GONE) },
        GONE,
      );
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(405, { allow: 'GET, HEAD', 'content-length': 0 });
      return;
    }
    const match = /^\/(?:ephemeral-)?attachments\/(\d+)\/(\d+)\/([^/]+)$/.exec(url.pathname);
    const file = match ? this.files.get(match[2] ?? '') : undefined;
    if (
      !match ||
      !file ||
      file.channelId !== match[1] ||
      decodeURIComponent(match[3] ?? '') !== file.attachment.filename
    ) {
      gone();
      return;
    }
    const ex = url.searchParams.get('ex') ?? '';
    const is = url.searchParams.get('is') ?? '';
    const hm = url.searchParams.get('hm') ?? '';
    const canonicalPath = `/attachments/${file.channelId}/${file.attachment.id}/${encodeURIComponent(file.attachment.filename)}`;
    const expected = this.sign(canonicalPath, `ex=${ex}&is=${is}`);
    if (!/^[0-9a-f]+$/.test(ex) || hm !== expected || parseInt(ex, 16) * 1000 <= this.now()) {
      gone();
      return;
    }
    const size = file.data.length;
    const headers: Record<string, string | number> = {
      'content-type': file.contentType ?? 'application/octet-stream',
      'accept-ranges': 'bytes',
      etag: file.etag,
      'last-modified': new Date(file.created).toUTCString(),
      'cache-control': 'public, max-age=31536000',
    };
    let status = 200;
    let start = 0;
    let end = size - 1;
    const range = req.headers.range;
    if (range !== undefined && !this.ignoreRange) {
      const parsed = parseRange(range, size);
      if (parsed === 'unsatisfiable') {
        send(416, { ...headers, 'content-range': `bytes */${size}`, 'content-length': 0 });
        return;
      }
      if (parsed) {
        status = 206;
        ({ start, end } = parsed);
        headers['content-range'] = `bytes ${start}-${end}/${size}`;
      }
    }
    const body = file.data.subarray(start, end + 1);
    headers['content-length'] = body.length;
    const drop = req.method === 'GET' ? this.dropAfterBytes : null;
    if (drop === null) {
      send(status, headers, body);
      return;
    }
    this.dropAfterBytes = null;
    call.status = status;
    res.writeHead(status, headers);
    res.flushHeaders();
    res.write(body.subarray(0, drop), () => {
      res.socket?.destroy();
    });
  }
}

/** Parses a single `bytes=a-b`, `bytes=a-` or `bytes=-n` range; null means "ignore the header". */
export function parseRange(
  header: string,
  size: number,
): { start: number; end: number } | 'unsatisfiable' | null {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return null;
  const [, a = '', b = ''] = match;
  if (a === '' && b === '') return null;
  if (a === '') {
    const n = Number(b);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(a);
  const end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  if (start >= size) return 'unsatisfiable';
  if (end < start) return null;
  return { start, end };
}
