// The fake CDN (cdn.discordapp.com): signed, expiring attachment URLs with HTTP Range support.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FakeAttachment, RecordedCall } from './types.ts';
import { snowflake } from './util.ts';

interface StoredFile {
  attachment: FakeAttachment;
  channelId: string;
  /** The bytes, or a generator of deterministic bytes for files too big to hold (addGenerated). */
  data: Buffer | GeneratedContent;
  contentType: string | undefined;
  etag: string;
  created: number;
}

const GENERATED_BLOCK = 1 << 20;

/**
 * Deterministic bytes produced on the fly, for benchmark-sized attachments: block i (1 MiB) is a seeded
 * random 1 MiB block rotated by a per-block amount, so any misplaced offset changes the content (and
 * the hash), while serving costs no more than slicing one buffer.
 */
export class GeneratedContent {
  readonly size: number;
  readonly seed: number;
  private readonly block: Buffer;
  /** Bytes that replace the start of the file (a container header a content sniff recognises). */
  private readonly head: Buffer | undefined;

  constructor(size: number, seed: number, head?: Buffer) {
    this.size = size;
    this.seed = seed;
    this.head = head;
    // xorshift32: cheap, seeded, good enough to be incompressible-looking test data.
    this.block = Buffer.alloc(GENERATED_BLOCK);
    let x = seed >>> 0 || 0x9e3779b9;
    for (let i = 0; i < GENERATED_BLOCK; i += 4) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      this.block.writeUInt32LE(x, i);
    }
  }

  private rotation(index: number): number {
    return (index * 7919 + this.seed * 104_729) % GENERATED_BLOCK;
  }

  /** Views (no copies) covering bytes [start, end] inclusive, in order, at most 1 MiB each. */
  *slices(start: number, end: number): Generator<Buffer> {
    let position = start;
    if (this.head && position < this.head.length && position <= end) {
      const upto = Math.min(this.head.length - 1, end);
      yield this.head.subarray(position, upto + 1);
      position = upto + 1;
    }
    while (position <= end) {
      const index = Math.floor(position / GENERATED_BLOCK);
      const within = position % GENERATED_BLOCK;
      const from = (within + this.rotation(index)) % GENERATED_BLOCK;
      const length = Math.min(GENERATED_BLOCK - within, GENERATED_BLOCK - from, end - position + 1);
      yield this.block.subarray(from, from + length);
      position += length;
    }
  }
}

export interface AddAttachmentOptions {
  filename: string;
  data: Buffer | GeneratedContent;
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
    const canonical = `/attachments/${channelId}/${id}/${encodeURIComponent(options.filename)}`;
    // Ephemeral attachments (slash-command options, modal uploads) live under /ephemeral-attachments/.
    const path = options.ephemeral ? `/ephemeral-${canonical.slice(1)}` : canonical;
    const query = `ex=${expires.toString(16)}&is=${issued.toString(16)}`;
    const hm = this.sign(canonical, query);
    const attachment: FakeAttachment = {
      id,
      filename: options.filename,
      size: options.data instanceof GeneratedContent ? options.data.size : options.data.length,
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
      etag:
        options.data instanceof GeneratedContent
          ? `"generated-${options.data.seed}-${options.data.size}"`
          : `"${createHash('md5').update(options.data).digest('hex')}"`,
      created: this.now(),
    });
    return attachment;
  }

  /** The bytes stored for an attachment id (undefined for generated content: see generated()). */
  data(id: string): Buffer | undefined {
    const data = this.files.get(id)?.data;
    return data instanceof GeneratedContent ? undefined : data;
  }

  /** The generator of a generated attachment. */
  generated(id: string): GeneratedContent | undefined {
    const data = this.files.get(id)?.data;
    return data instanceof GeneratedContent ? data : undefined;
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
    const size = file.data instanceof GeneratedContent ? file.data.size : file.data.length;
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
    const drop = req.method === 'GET' ? this.dropAfterBytes : null;
    if (file.data instanceof GeneratedContent) {
      if (drop !== null) this.dropAfterBytes = null;
      call.status = status;
      headers['content-length'] = size === 0 ? 0 : end - start + 1;
      res.writeHead(status, headers);
      if (req.method === 'HEAD' || size === 0) {
        res.end();
        return;
      }
      void streamGenerated(res, file.data, start, end, drop);
      return;
    }
    const body = file.data.subarray(start, end + 1);
    headers['content-length'] = body.length;
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

/** Writes generated bytes [start, end] with backpressure; cuts the connection after `drop` bytes if set. */
async function streamGenerated(
  res: ServerResponse,
  content: GeneratedContent,
  start: number,
  end: number,
  drop: number | null,
): Promise<void> {
  let written = 0;
  for (const slice of content.slices(start, end)) {
    if (res.destroyed) return;
    const chunk = drop !== null && written + slice.length >= drop ? slice.subarray(0, drop - written) : slice;
    written += chunk.length;
    const more = res.write(chunk);
    if (drop !== null && written >= drop) {
      res.write(Buffer.alloc(0), () => res.socket?.destroy());
      return;
    }
    if (!more) {
      await new Promise<void>((resolve) => {
        const done = () => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      });
    }
  }
  res.end();
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
