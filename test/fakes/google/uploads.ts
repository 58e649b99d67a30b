// Media uploads under /upload/youtube/v3/: the resumable protocol (session POST, PUT chunks, 308 + Range, status
// queries, 404 for a lost session), multipart/related and media uploads as googleapis-common sends them, and
// thumbnails.set. Bodies are streamed: a resumable session keeps its bytes in a temp file (so an interrupted
// PUT can be rolled back to a granularity boundary by truncation) and is hashed once complete; multipart and
// media uploads are hashed on the fly and never stored.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rm, truncate, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { sendJson } from '../http.ts';
import {
  ApiError,
  badContent,
  parseError,
  uploadNotFound,
  videoForbidden,
  videoNotFound,
  requiredParam,
} from './errors.ts';
import {
  asObject,
  needChannel,
  renderVideo,
  requireParts,
  validateVideoSnippet,
  validateVideoStatus,
  VIDEO_PARTS,
  type Caller,
} from './resources.ts';
import {
  bodyChunks,
  CHUNK_UNIT,
  discardBody,
  Dropped,
  etag,
  randomId,
  readSmallBody,
  sleep,
  type GoogleState,
  type RequestContext,
} from './state.ts';
import type { FakeVideo, UploadSession, VideoSnippet, VideoStatus } from './types.ts';
import { parseMultipart } from './multipart.ts';
import type { MethodSpec, YouTubeApi } from './youtube.ts';

const VIDEO_TYPES = 'video/*, application/octet-stream';
const THUMBNAIL_TYPES = 'image/jpeg, image/png, application/octet-stream';
const THUMBNAIL_MAX_BYTES = 2 * 1024 * 1024;
const FLUSH_BYTES = 1 << 20;

function isVideoType(type: string): boolean {
  const t = type.split(';')[0]?.trim().toLowerCase() ?? '';
  return /^video\/[a-z0-9.+-]+$/.test(t) || t === 'application/octet-stream';
}

interface ActivePut {
  abort: () => void;
  /** True once the connection is gone (the PUT is only finishing its rollback). */
  gone: () => boolean;
  settled: Promise<void>;
}

interface Metadata {
  snippet: VideoSnippet;
  status: VideoStatus;
  requested: VideoStatus['privacyStatus'];
  locked: boolean;
}

export class Uploads {
  private readonly state: GoogleState;
  private readonly api: YouTubeApi;
  private readonly active = new Map<string, ActivePut>();
  private readonly finishing = new Map<string, Promise<Record<string, unknown>>>();
  private readonly finalBodies = new Map<string, Record<string, unknown>>();

  constructor(state: GoogleState, api: YouTubeApi) {
    this.state = state;
    this.api = api;
  }

  /** Aborts every PUT still receiving (used by close). */
  abortAll(): void {
    for (const put of this.active.values()) put.abort();
  }

  // ---- POST /upload/youtube/v3/videos and /upload/youtube/v3/thumbnails/set ----

  async handlePost(
    req: IncomingMessage,
    res: ServerResponse,
    ctx: RequestContext,
    spec: MethodSpec,
  ): Promise<void> {
    const caller = this.api.authorize(req, ctx, spec);
    const q = ctx.url.searchParams;
    const uploadType = q.get('uploadType');
    if (uploadType === null || uploadType === '') {
      throw new ApiError(
        400,
        'wrongUrlForUpload',
        'Upload requests must include an uploadType URL parameter and a URL path beginning with /upload/',
        { location: 'uploadType', locationType: 'parameter' },
      );
    }
    if (spec.name === 'thumbnails.set') {
      if (uploadType !== 'media')
        throw new ApiError(400, 'invalid', `Invalid upload type: ${uploadType}`, {
          location: 'uploadType',
          locationType: 'parameter',
        });
      return this.thumbnail(req, res, ctx, caller);
    }
    if (uploadType === 'resumable') return this.startSession(req, res, ctx, caller);
    if (uploadType === 'multipart') return this.multipart(req, res, ctx, caller);
    if (uploadType === 'media') return this.media(req, res, ctx, caller);
    throw new ApiError(400, 'invalid', `Invalid upload type: ${uploadType}`, {
      location: 'uploadType',
      locationType: 'parameter',
    });
  }

  private metadata(body: Record<string, unknown>, parts: string[]): Metadata {
    const snippet =
      parts.includes('snippet') && body['snippet'] !== undefined
        ? validateVideoSnippet(body['snippet'], 'insert')
        : { title: 'unknown', description: '', categoryId: '22' };
    const status = validateVideoStatus(
      parts.includes('status') ? body['status'] : undefined,
      'public',
      this.state.now(),
    );
    const requested = status.privacyStatus;
    const locked = this.state.unverifiedProject;
    if (locked) {
      status.privacyStatus = 'private';
      delete status.publishAt;
    }
    return { snippet, status, requested, locked };
  }

  private checkUploadLimit(channelId: string): void {
    const limit = this.state.upload.channelDailyLimit;
    if (limit !== null && (this.state.uploadsByChannel.get(channelId) ?? 0) >= limit) {
      throw new ApiError(
        400,
        'uploadLimitExceeded',
        'The user has exceeded the number of videos they may upload.',
        { domain: 'youtube.video' },
      );
    }
  }

  private createVideo(
    channelId: string,
    meta: Metadata,
    file: { size: number; sha256: string; contentType: string },
    uploadType: FakeVideo['uploadType'],
    notifySubscribers: boolean,
  ): FakeVideo {
    const video: FakeVideo = {
      id: randomId(11),
      ownerChannelId: channelId,
      snippet: meta.snippet,
      status: meta.status,
      requestedPrivacyStatus: meta.requested,
      lockedPrivate: meta.locked,
      publishedAt: new Date(this.state.now()).toISOString(),
      size: file.size,
      sha256: file.sha256,
      contentType: file.contentType,
      notifySubscribers,
      uploadType,
      processingPolls: 0,
      processing: { ...this.state.processing },
      thumbnail: null,
    };
    if (this.state.upload.shorts) video.short = true;
    this.state.videos.set(video.id, video);
    this.state.uploadsByChannel.set(channelId, (this.state.uploadsByChannel.get(channelId) ?? 0) + 1);
    return video;
  }

  private async jsonBody(req: IncomingMessage, ctx: RequestContext): Promise<Record<string, unknown>> {
    const { body } = await readSmallBody(req, ctx);
    if (body.length === 0) return {};
    try {
      return asObject(JSON.parse(body.toString('utf8')));
    } catch {
      throw parseError();
    }
  }

  // ---- resumable ----

  private async startSession(
    req: IncomingMessage,
    res: ServerResponse,
    ctx: RequestContext,
    caller: Caller,
  ): Promise<void> {
    const q = ctx.url.searchParams;
    const parts = requireParts(q, VIDEO_PARTS);
    const body = await this.jsonBody(req, ctx);
    const channelId = needChannel(caller);
    const typeHeader = req.headers['x-upload-content-type'];
    const contentType =
      typeof typeHeader === 'string' && typeHeader !== '' ? typeHeader : 'application/octet-stream';
    if (!isVideoType(contentType)) throw badContent(contentType, VIDEO_TYPES);
    const lengthHeader = req.headers['x-upload-content-length'];
    let total: number | null = null;
    if (typeof lengthHeader === 'string' && lengthHeader !== '') {
      total = Number(lengthHeader);
      if (!/^\d+$/.test(lengthHeader) || !Number.isSafeInteger(total)) {
        throw new ApiError(400, 'invalid', `Invalid X-Upload-Content-Length: ${lengthHeader}`, {
          location: 'X-Upload-Content-Length',
          locationType: 'header',
        });
      }
    }
    const meta = this.metadata(body, parts);
    this.checkUploadLimit(channelId);
    const id = `AUC${randomId(60)}`;
    const url = `${this.state.origin}/upload/youtube/v3/videos?uploadType=resumable&upload_id=${id}`;
    const session: UploadSession = {
      id,
      url,
      total,
      received: 0,
      ownerChannelId: channelId,
      accountId: caller.account.id,
      metadata: { snippet: meta.snippet, status: meta.status },
      parts,
      contentType,
      notifySubscribers: q.get('notifySubscribers') !== 'false',
      createdAt: this.state.now(),
      expired: null,
      done: false,
      videoId: null,
      filePath: join(this.state.tmpDir, `${id}.part`),
    };
    await writeFile(session.filePath, '');
    this.sessions.set(id, session);
    this.sessionMeta.set(id, meta);
    res.writeHead(200, {
      location: url,
      'x-guploader-uploadid': id,
      'content-type': 'text/plain; charset=utf-8',
      'content-length': 0,
    });
    res.end();
  }

  private get sessions(): Map<string, UploadSession> {
    return this.state.sessions;
  }

  private readonly sessionMeta = new Map<string, Metadata>();

  private send308(res: ServerResponse, s: UploadSession): void {
    const headers: Record<string, string | number> = { 'x-guploader-uploadid': s.id, 'content-length': 0 };
    if (s.received > 0) headers['range'] = `bytes=0-${s.received - 1}`;
    res.writeHead(308, headers);
    res.end();
  }

  private sendFinal(res: ServerResponse, body: Record<string, unknown>, s: UploadSession): void {
    sendJson(res, this.state.upload.completeStatus, body, { 'x-guploader-uploadid': s.id });
  }

  /** Creates the video once every byte is stored (once, even when a status query races the last PUT). */
  private finish(s: UploadSession): Promise<Record<string, unknown>> {
    const known = this.finalBodies.get(s.id);
    if (known !== undefined) return Promise.resolve(known);
    let pending = this.finishing.get(s.id);
    if (pending === undefined) {
      pending = (async () => {
        // YouTube takes a while after the last byte before the video exists and the PUT is answered.
        // The knob is read again as time passes, so a test can lower it to let a waiting finish go.
        const started = Date.now();
        while (Date.now() - started < this.state.upload.finalizeMs) await sleep(20);
        const hash = createHash('sha256');
        for await (const chunk of createReadStream(s.filePath, { highWaterMark: FLUSH_BYTES }))
          hash.update(chunk as Buffer);
        const meta = this.sessionMeta.get(s.id);
        if (meta === undefined) throw new Error('session metadata lost');
        const video = this.createVideo(
          s.ownerChannelId,
          meta,
          { size: s.received, sha256: hash.digest('hex'), contentType: s.contentType },
          'resumable',
          s.notifySubscribers,
        );
        s.done = true;
        s.videoId = video.id;
        await rm(s.filePath, { force: true });
        const body = renderVideo(this.state, video, s.parts, s.ownerChannelId);
        this.finalBodies.set(s.id, body);
        this.finishing.delete(s.id);
        return body;
      })();
      this.finishing.set(s.id, pending);
    }
    return pending;
  }

  /** PUT <session URI>: a chunk, the whole file, or a status query (`Content-Range: bytes *\/TOTAL`). */
  async handlePut(req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<void> {
    const id = ctx.url.searchParams.get('upload_id') ?? '';
    const s = this.sessions.get(id);
    if (
      s === undefined ||
      s.expired !== null ||
      this.state.now() - s.createdAt > this.state.upload.sessionTtlMs
    ) {
      discardBody(req);
      if (s?.expired === 410) throw new ApiError(410, 'gone', 'Gone');
      throw uploadNotFound();
    }
    const range = req.headers['content-range'];
    const lengthHeader = req.headers['content-length'];
    const contentLength = lengthHeader === undefined ? null : Number(lengthHeader);
    const statusQuery = typeof range === 'string' ? /^bytes \*\/(\d+|\*)$/.exec(range.trim()) : null;
    const chunkRange = typeof range === 'string' ? /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(range.trim()) : null;
    if (typeof range === 'string' && statusQuery === null && chunkRange === null) {
      discardBody(req);
      throw new ApiError(400, 'badRequest', 'Failed to parse Content-Range header.');
    }
    const declaredTotal =
      (statusQuery?.[1] ?? chunkRange?.[3] ?? '*') === '*'
        ? null
        : Number(statusQuery?.[1] ?? chunkRange?.[3]);
    if (declaredTotal !== null && s.total !== null && declaredTotal !== s.total) {
      discardBody(req);
      throw new ApiError(
        400,
        'badRequest',
        `Content-Range total ${declaredTotal} does not match the upload size ${s.total}.`,
      );
    }
    if (s.done) {
      discardBody(req);
      const body = this.finalBodies.get(s.id) ?? (await this.finish(s));
      return this.sendFinal(res, body, s);
    }
    if (statusQuery !== null) {
      if (contentLength !== null && contentLength > 0) {
        discardBody(req);
        throw new ApiError(400, 'badRequest', 'A status query (bytes */TOTAL) must have an empty body.');
      }
      discardBody(req);
      // A PUT whose connection already dropped is still rolling back: answer once its bytes are settled.
      const rolling = this.active.get(s.id);
      if (rolling?.gone() === true) await rolling.settled;
      if (declaredTotal !== null && s.total === null) s.total = declaredTotal;
      if (s.total !== null && s.received === s.total && this.active.get(s.id) === undefined) {
        return this.sendFinal(res, await this.finish(s), s);
      }
      return this.send308(res, s);
    }

    // A data PUT. A newer PUT supersedes one still receiving (the client gave up on it): that one is cut off
    // and rolled back first, exactly as if its connection had dropped.
    const previous = this.active.get(s.id);
    if (previous !== undefined) {
      previous.abort();
      await previous.settled;
    }
    const start = chunkRange === null ? 0 : Number(chunkRange[1]);
    const end = chunkRange === null ? null : Number(chunkRange[2]);
    if (start !== s.received) {
      // Not where the stored bytes end: nothing is stored, the answer says where to start.
      discardBody(req);
      return this.send308(res, s);
    }
    const total = declaredTotal ?? s.total ?? (chunkRange === null ? contentLength : null);
    const expected = end === null ? contentLength : end - start + 1;
    if (end !== null && end < start) {
      discardBody(req);
      throw new ApiError(400, 'badRequest', 'Failed to parse Content-Range header.');
    }
    if (
      (total !== null && start + (expected ?? 0) > total) ||
      (contentLength !== null && expected !== null && contentLength !== expected)
    ) {
      discardBody(req);
      throw new ApiError(
        400,
        'badRequest',
        'The Content-Range and Content-Length headers disagree with the upload size.',
      );
    }
    if (total !== null && s.total === null) s.total = total;

    let release = (): void => {};
    const settled = new Promise<void>((resolve) => (release = resolve));
    this.active.set(s.id, { abort: () => req.socket.destroy(), gone: () => req.socket.destroyed, settled });
    try {
      await this.receive(req, res, ctx, s, start, expected);
    } finally {
      if (this.active.get(s.id)?.settled === settled) this.active.delete(s.id);
      release();
    }
  }

  private async receive(
    req: IncomingMessage,
    res: ServerResponse,
    ctx: RequestContext,
    s: UploadSession,
    start: number,
    expected: number | null,
  ): Promise<void> {
    const fh = await open(s.filePath, 'r+');
    let n = 0;
    let written = 0;
    let dropped = false;
    let overflow = false;
    const pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async (): Promise<void> => {
      if (pendingBytes === 0) return;
      const buffers = pending.splice(0);
      const size = pendingBytes;
      pendingBytes = 0;
      await fh.writev(buffers, start + written);
      written += size;
    };
    try {
      for await (const chunk of bodyChunks(req, ctx, this.state.upload.throttleBytesPerSec)) {
        const room = (expected ?? Number.MAX_SAFE_INTEGER) - n;
        if (chunk.length > room) overflow = true;
        const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
        if (kept.length === 0) continue;
        pending.push(kept);
        pendingBytes += kept.length;
        n += kept.length;
        if (pendingBytes >= FLUSH_BYTES) await flush();
      }
    } catch (error) {
      if (!(error instanceof Dropped)) throw error;
      dropped = true;
    } finally {
      await flush().finally(() => fh.close());
    }
    const complete = s.total !== null && start + n === s.total && !overflow;
    if (s.expired !== null) throw new Dropped('session expired while receiving');
    if (dropped) {
      // What arrived is kept, rounded down to the storage granularity (all of it if the file is complete).
      const granularity = Math.max(1, this.state.upload.storeGranularity);
      s.received = complete ? start + n : start + Math.floor(n / granularity) * granularity;
      await truncate(s.filePath, s.received);
      if (complete) await this.finish(s);
      throw new Dropped();
    }
    if (overflow || (expected !== null && n !== expected)) {
      await truncate(s.filePath, start);
      throw new ApiError(400, 'badRequest', 'The request body does not match its Content-Range.');
    }
    if (s.total === null && expected === null) s.total = start + n; // whole body without any size: it is the file
    const keep = ctx.keepBytes;
    if (keep !== null && keep < n) {
      // YouTube may keep fewer bytes of a chunk than it was sent: its 308's Range says how many; the rest is resent.
      s.received = start + Math.floor(keep / CHUNK_UNIT) * CHUNK_UNIT;
      await truncate(s.filePath, s.received);
      return this.send308(res, s);
    }
    if (s.total !== null && start + n === s.total) {
      s.received = s.total;
      return this.sendFinal(res, await this.finish(s), s);
    }
    // A non-final chunk: the documented unit is 256 KiB; only whole units are stored, the rest must be sent again.
    s.received = start + Math.floor(n / CHUNK_UNIT) * CHUNK_UNIT;
    await truncate(s.filePath, s.received);
    this.send308(res, s);
  }

  /** Marks a session as lost: PUTs then answer `status` (404 by default, 410 also means "start again"). */
  expireSession(id: string, status: 404 | 410 = 404): void {
    const s = this.sessions.get(id);
    if (s === undefined) return;
    s.expired = status;
    this.active.get(id)?.abort();
    void rm(s.filePath, { force: true }).catch(() => undefined);
  }

  // ---- multipart and media ----

  private async multipart(
    req: IncomingMessage,
    res: ServerResponse,
    ctx: RequestContext,
    caller: Caller,
  ): Promise<void> {
    const q = ctx.url.searchParams;
    const parts = requireParts(q, VIDEO_PARTS);
    const channelId = needChannel(caller);
    const type = req.headers['content-type'] ?? '';
    const boundaryMatch = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(type);
    const boundary = boundaryMatch?.[1] ?? boundaryMatch?.[2];
    if (!/^multipart\/related/i.test(type) || boundary === undefined) {
      discardBody(req);
      throw new ApiError(400, 'badContent', `Invalid multipart request with 0 mime parts.`);
    }
    const got: { meta: Metadata | null; mediaType: string } = { meta: null, mediaType: '' };
    const hash = createHash('sha256');
    let size = 0;
    await parseMultipart(
      bodyChunks(req, ctx, this.state.upload.throttleBytesPerSec),
      boundary,
      (index, headers, body) => {
        if (index !== 0) return;
        let json: unknown;
        try {
          json = JSON.parse(body.toString('utf8'));
        } catch {
          throw parseError();
        }
        got.meta = this.metadata(asObject(json), parts);
        void headers;
      },
      (index, headers) => {
        if (index !== 1) return false;
        got.mediaType = headers['content-type'] ?? 'application/octet-stream';
        if (!isVideoType(got.mediaType)) throw badContent(got.mediaType, VIDEO_TYPES);
        this.checkUploadLimit(channelId);
        return true;
      },
      (chunk) => {
        hash.update(chunk);
        size += chunk.length;
      },
    ).catch((error: unknown) => {
      if (error instanceof ApiError) discardBody(req);
      throw error;
    });
    const { meta, mediaType } = got;
    if (meta === null || mediaType === '') {
      throw new ApiError(400, 'badContent', 'A multipart upload needs a metadata part and a media part.');
    }
    const notify = q.get('notifySubscribers') !== 'false';
    const video = this.createVideo(
      channelId,
      meta,
      { size, sha256: hash.digest('hex'), contentType: mediaType },
      'multipart',
      notify,
    );
    sendJson(res, 200, renderVideo(this.state, video, parts, channelId));
  }

  private async media(
    req: IncomingMessage,
    res: ServerResponse,
    ctx: RequestContext,
    caller: Caller,
  ): Promise<void> {
    const q = ctx.url.searchParams;
    const parts = requireParts(q, VIDEO_PARTS);
    const channelId = needChannel(caller);
    const contentType = req.headers['content-type'] ?? 'application/octet-stream';
    if (!isVideoType(contentType)) {
      discardBody(req);
      throw badContent(contentType, VIDEO_TYPES);
    }
    this.checkUploadLimit(channelId);
    const meta = this.metadata({}, []);
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of bodyChunks(req, ctx, this.state.upload.throttleBytesPerSec)) {
      hash.update(chunk);
      size += chunk.length;
    }
    const video = this.createVideo(
      channelId,
      meta,
      { size, sha256: hash.digest('hex'), contentType },
      'media',
      q.get('notifySubscribers') !== 'false',
    );
    sendJson(res, 200, renderVideo(this.state, video, parts, channelId));
  }

  // ---- thumbnails.set ----

  private async thumbnail(
    req: IncomingMessage,
    res: ServerResponse,
    ctx: RequestContext,
    caller: Caller,
  ): Promise<void> {
    const videoId = ctx.url.searchParams.get('videoId');
    if (videoId === null || videoId === '') {
      discardBody(req);
      throw requiredParam('videoId');
    }
    const video = this.state.videos.get(videoId);
    if (
      video === undefined ||
      (video.status.privacyStatus === 'private' && video.ownerChannelId !== caller.channelId)
    ) {
      discardBody(req);
      throw videoNotFound('videoId');
    }
    if (video.ownerChannelId !== caller.channelId) {
      discardBody(req);
      throw videoForbidden('update');
    }
    const contentType =
      (req.headers['content-type'] ?? 'application/octet-stream').split(';')[0]?.trim().toLowerCase() ?? '';
    if (!['image/jpeg', 'image/png', 'application/octet-stream'].includes(contentType)) {
      discardBody(req);
      throw badContent(contentType, THUMBNAIL_TYPES);
    }
    const hash = createHash('sha256');
    let size = 0;
    let head = Buffer.alloc(0);
    for await (const chunk of bodyChunks(req, ctx, this.state.upload.throttleBytesPerSec)) {
      size += chunk.length;
      if (size > THUMBNAIL_MAX_BYTES) {
        discardBody(req);
        throw new ApiError(
          413,
          'mediaBodyTooLarge',
          'The thumbnail image file is too large (the limit is 2 MB).',
          { domain: 'youtube.thumbnail' },
        );
      }
      if (head.length < 8) head = Buffer.concat([head, chunk]).subarray(0, 8);
      hash.update(chunk);
    }
    const jpeg = head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff;
    const png = head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    if (!jpeg && !png) {
      throw new ApiError(400, 'invalidImage', 'The provided image content is invalid.', {
        domain: 'youtube.thumbnail',
      });
    }
    video.thumbnail = { contentType: jpeg ? 'image/jpeg' : 'image/png', size, sha256: hash.digest('hex') };
    const base = `https://i.ytimg.com/vi/${video.id}`;
    sendJson(res, 200, {
      kind: 'youtube#thumbnailSetResponse',
      etag: etag(),
      items: [
        {
          default: { url: `${base}/default.jpg`, width: 120, height: 90 },
          medium: { url: `${base}/mqdefault.jpg`, width: 320, height: 180 },
          high: { url: `${base}/hqdefault.jpg`, width: 480, height: 360 },
        },
      ],
    });
  }
}
