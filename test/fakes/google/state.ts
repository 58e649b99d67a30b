// Shared state of the Google fake and the small helpers every part uses (ids, clock, request bodies).
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type {
  FakeAccount,
  FakeChannel,
  FakePlaylist,
  FakePlaylistItem,
  FakeVideo,
  ProcessingPlan,
  RequestRecord,
  UploadSession,
} from './types.ts';

/** Default bytes a resumable session keeps of an interrupted PUT are rounded down to (and the documented chunk unit). */
export const CHUNK_UNIT = 262_144;

export class GoogleState {
  origin = '';
  tmpDir = '';
  clientId: string;
  clientSecret: string;
  readonly redirectUris = new Set<string>();
  accessTokenTtlSec: number;
  unverifiedProject: boolean;
  readonly accounts: FakeAccount[] = [];
  readonly videos = new Map<string, FakeVideo>();
  readonly playlists = new Map<string, FakePlaylist>();
  readonly playlistItems = new Map<string, FakePlaylistItem>();
  readonly ratings = new Map<string, 'like' | 'dislike'>();
  readonly quotaUsed = { units: 0, inserts: 0 };
  readonly quotaLimit: { units: number; inserts: number };
  readonly sessions = new Map<string, UploadSession>();
  readonly upload = {
    storeGranularity: CHUNK_UNIT,
    throttleBytesPerSec: null as number | null,
    completeStatus: 200 as 200 | 201,
    channelDailyLimit: null as number | null,
    sessionTtlMs: 7 * 24 * 3600 * 1000,
    shorts: false,
    finalizeMs: 0,
  };
  readonly processing: ProcessingPlan = { pollsBeforeDone: 2, outcome: 'succeeded', reason: null };
  /** Videos uploaded per channel (for channelDailyLimit). */
  readonly uploadsByChannel = new Map<string, number>();
  clockOffsetMs = 0;
  /** Set while the channel feeds are frozen (FakeGoogle.freezeFeeds): the documents served, by channel id. */
  feedSnapshots: Map<string, string> | null = null;

  constructor(init: {
    clientId: string;
    clientSecret: string;
    accessTokenTtlSec: number;
    unverifiedProject: boolean;
    quota: { units: number; inserts: number };
  }) {
    this.clientId = init.clientId;
    this.clientSecret = init.clientSecret;
    this.accessTokenTtlSec = init.accessTokenTtlSec;
    this.unverifiedProject = init.unverifiedProject;
    this.quotaLimit = { ...init.quota };
  }

  now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  /**
   * Scheduled videos whose publishAt has passed on the fake clock become public, as YouTube makes them: publishAt
   * is gone afterwards and snippet.publishedAt is the time the video was made public (the documented meaning).
   */
  releaseScheduled(): void {
    const now = this.now();
    for (const v of this.videos.values()) {
      const at = v.status.publishAt;
      if (v.status.privacyStatus !== 'private' || at === undefined || Date.parse(at) > now) continue;
      const status = { ...v.status, privacyStatus: 'public' as const };
      delete status.publishAt;
      v.status = status;
      v.publishedAt = at;
    }
  }

  /** Adds an account; `channel: null` makes one without a YouTube channel, a partial channel fills the rest. */
  createAccount(email: string, channel?: Partial<FakeChannel> | null): FakeAccount {
    let made: FakeChannel | null = null;
    if (channel !== null) {
      made = {
        id: channel?.id ?? `UC${randomId(22)}`,
        title: channel?.title ?? email.split('@')[0] ?? email,
        thumbnailUrl: channel?.thumbnailUrl ?? `https://yt3.ggpht.com/ytc/${randomId(40)}`,
      };
    }
    const account: FakeAccount = { id: `1${randomId(20, true)}`, email, channel: made };
    this.accounts.push(account);
    return account;
  }

  /** The account that consents by default: the first one, created ('user@example.com' with a channel) if none exists. */
  defaultAccount(): FakeAccount {
    return this.accounts[0] ?? this.createAccount('user@example.com', { title: 'Test User' });
  }

  accountByChannel(channelId: string): FakeAccount | undefined {
    return this.accounts.find((a) => a.channel?.id === channelId);
  }

  accountById(id: string): FakeAccount | undefined {
    return this.accounts.find((a) => a.id === id);
  }
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** A random string of `length` characters from base64url's alphabet (or digits). */
export function randomId(length: number, digitsOnly = false): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += digitsOnly ? String(b % 10) : ALPHABET[b % 64];
  return out;
}

/** An etag in YouTube's style (opaque, 27 characters). */
export function etag(): string {
  return randomId(27);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The connection went away (dropped by a fault or by the client) before the body was complete. */
export class Dropped extends Error {
  constructor(message = 'connection dropped') {
    super(message);
    this.name = 'Dropped';
  }
}

/** Per-request context the dispatcher hands to handlers. */
export interface RequestContext {
  url: URL;
  record: RequestRecord;
  /** Set by an injected { dropAfterBytes } fault: destroy the socket once this many body bytes were read. */
  dropAfterBytes: number | null;
  /**
   * Set by an injected { keepBytes } fault: a resumable data PUT received whole keeps only this many of its bytes
   * (rounded down to the 256 KiB unit) and is answered 308 with the shorter Range, as YouTube may do.
   */
  keepBytes: number | null;
}

/**
 * Iterates a request body without buffering it: counts bytes into the request record, honours an injected
 * drop (yields the bytes up to the limit, destroys the socket, throws Dropped) and an optional throttle
 * (pauses reading, so TCP back-pressure slows the sender). A connection lost mid-body also throws Dropped.
 */
export async function* bodyChunks(
  req: IncomingMessage,
  ctx: RequestContext,
  throttleBytesPerSec: number | null = null,
): AsyncGenerator<Buffer> {
  const started = Date.now();
  let n = 0;
  const limit = ctx.dropAfterBytes;
  if (limit !== null && limit <= 0) {
    req.socket.destroy();
    throw new Dropped();
  }
  try {
    for await (const raw of req.iterator({ destroyOnReturn: false })) {
      let chunk = raw as Buffer;
      if (limit !== null && n + chunk.length >= limit) {
        chunk = chunk.subarray(0, limit - n);
        n += chunk.length;
        ctx.record.bytes += chunk.length;
        if (chunk.length > 0) yield chunk;
        req.socket.destroy();
        throw new Dropped();
      }
      n += chunk.length;
      ctx.record.bytes += chunk.length;
      yield chunk;
      if (throttleBytesPerSec !== null && throttleBytesPerSec > 0) {
        const wait = started + (n / throttleBytesPerSec) * 1000 - Date.now();
        if (wait > 0) await sleep(wait);
      }
    }
  } catch (error) {
    if (error instanceof Dropped) throw error;
    throw new Dropped(String(error));
  }
  if (!req.complete) throw new Dropped('request body incomplete');
}

/** Reads a small body whole (JSON metadata, forms); bytes past `limit` are read and discarded, then tooLarge is true. */
export async function readSmallBody(
  req: IncomingMessage,
  ctx: RequestContext,
  limit = 1 << 20,
): Promise<{ body: Buffer; tooLarge: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of bodyChunks(req, ctx)) {
    size += chunk.length;
    if (size > limit) tooLarge = true;
    else chunks.push(chunk);
  }
  return { body: Buffer.concat(chunks), tooLarge };
}

/** Lets the rest of a request body flow away unread (after answering early). */
export function discardBody(req: IncomingMessage): void {
  if (!req.complete) req.resume();
}

/** `part=a,b&part=c` → ['a','b','c'] (trimmed, empty dropped). */
export function listParam(query: URLSearchParams, name: string): string[] {
  return query
    .getAll(name)
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v.length > 0);
}
