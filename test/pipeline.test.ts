// runUpload end to end: the Discord fake's CDN is the source, the Google fake's resumable endpoint the
// target, real undici in between, faults injected on either side. Every upload must store exactly the
// source's bytes (size and sha256) in exactly one video.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, describe, test } from 'node:test';
import { OAuth2Client } from 'google-auth-library';
import { Agent, request } from 'undici';
import { googleReason } from '../src/errors.ts';
import {
  createSession,
  querySession,
  sendFrom,
  tokenSource,
  UploadError,
  type TokenSource,
  type VideoMetadata,
} from '../src/google/resumable.ts';
import { createLogger } from '../src/logger.ts';
import {
  runUpload,
  type RunUploadOptions,
  type UploadProgress,
  type UploadResult,
} from '../src/uploads/pipeline.ts';
import { openSource } from '../src/uploads/download.ts';
import { FakeDiscord } from './fakes/discord.ts';
import { FakeGoogle, type FakeAccount, type FakeVideo } from './fakes/google.ts';
import { waitFor } from './fakes/http.ts';

const UNIT = 262_144;
const SIZE = 3 * 1024 * 1024 + 12_345; // a few MiB, not a multiple of the 256 KiB unit
const UPLOAD_PUT = { method: 'PUT', path: /upload_id=/ };
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const METADATA: VideoMetadata = {
  snippet: { title: 'Pipeline test', description: 'From Discord', tags: ['test'], categoryId: '22' },
  status: { privacyStatus: 'private', containsSyntheticMedia: false },
};

let discord: FakeDiscord;
let google: FakeGoogle;
let alice: FakeAccount;
let token: TokenSource;
const agent = new Agent({ connections: 16 });
const logger = createLogger('silent');

function oauthClient(account: FakeAccount): OAuth2Client {
  const client = new OAuth2Client({
    clientId: google.clientId,
    clientSecret: google.clientSecret,
    endpoints: { oauth2TokenUrl: google.tokenUrl, oauth2RevokeUrl: google.revokeUrl },
  });
  client.setCredentials(google.mintTokens(account, ['youtube']));
  return client;
}

interface Run {
  file: Buffer;
  url: string;
  sessions: (string | undefined)[];
  acknowledged: number[];
  progress: UploadProgress[];
  options: RunUploadOptions;
}

/** A fresh random attachment on the CDN and the options to upload it (overridable). */
function prepare(overrides: Partial<RunUploadOptions> = {}, size = SIZE): Run {
  const file = randomBytes(size);
  const { url } = discord.addAttachment({ filename: 'clip.mp4', data: file, contentType: 'video/mp4' });
  const run: Run = { file, url, sessions: [], acknowledged: [], progress: [], options: undefined as never };
  run.options = {
    source: { url, size, contentType: 'video/mp4', allowedHosts: [discord.cdnHost] },
    metadata: METADATA,
    notifySubscribers: false,
    rootUrl: google.apiRoot,
    token,
    sessionUri: undefined,
    onSession: (uri) => {
      run.sessions.push(uri);
      return Promise.resolve();
    },
    onAcknowledged: (n) => {
      run.acknowledged.push(n);
      return Promise.resolve();
    },
    onProgress: (p) => run.progress.push(p),
    signal: new AbortController().signal,
    retry: { baseDelayMs: 5 },
    dispatcher: agent,
    logger,
    ...overrides,
  };
  return run;
}

/** The one video holding exactly the file's bytes (fails if there is none or more than one). */
function storedVideo(run: Run, result: UploadResult): FakeVideo {
  const hash = sha256(run.file);
  const matching = [...google.videos.values()].filter((v) => v.sha256 === hash);
  assert.equal(matching.length, 1, 'exactly one video holds the file');
  const video = matching[0];
  assert.ok(video);
  assert.equal(video.id, result.video.id);
  assert.equal(video.size, run.file.length);
  assert.equal(video.uploadType, 'resumable');
  return video;
}

async function failure(promise: Promise<unknown>): Promise<UploadError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof UploadError, `an UploadError, got ${String(error)}`);
    return error;
  }
  throw new Error('the upload succeeded');
}

const cdnGets = (url: string) =>
  discord.calls.filter((c) => c.service === 'cdn' && c.method === 'GET' && url.includes(c.path));
const puts = () => google.requests.filter((r) => r.method === 'PUT');
const posts = () => google.requests.filter((r) => r.method === 'POST' && r.path.startsWith('/upload/'));

before(async () => {
  [discord, google] = await Promise.all([FakeDiscord.start(), FakeGoogle.start()]);
  alice = google.addAccount({ email: 'alice@example.com' });
  token = tokenSource(oauthClient(alice));
});
afterEach(() => {
  google.clearFaults();
  discord.cdn.ignoreRange = false;
  discord.cdn.dropAfterBytes = null;
  google.upload.throttleBytesPerSec = null;
  google.upload.storeGranularity = UNIT;
});
after(async () => {
  await Promise.all([discord.close(), google.close()]);
  await agent.close();
});

describe('runUpload', () => {
  test('plain upload: one session, one PUT, metadata and notifySubscribers recorded', async () => {
    const run = prepare();
    const putsBefore = puts().length;
    const result = await runUpload(run.options);
    const video = storedVideo(run, result);
    assert.equal(video.snippet.title, 'Pipeline test');
    assert.deepEqual(video.snippet.tags, ['test']);
    assert.equal(video.status.privacyStatus, 'private');
    assert.equal(video.status.containsSyntheticMedia, false);
    assert.equal(video.notifySubscribers, false);
    assert.equal(video.contentType, 'video/mp4');
    assert.deepEqual(result, { video: result.video, resentBytes: 0, restarts: 0, retries: 0 });
    assert.equal(run.sessions.length, 1);
    assert.ok(run.sessions[0]?.includes('upload_id='));
    assert.equal(puts().length - putsBefore, 1, 'one streaming PUT');
    assert.equal(cdnGets(run.url).length, 1);
    assert.deepEqual(run.acknowledged, [SIZE]);
    const phases = run.progress.map((p) => p.phase);
    assert.equal(phases[0], 'starting');
    assert.ok(phases.includes('uploading'));
    assert.equal(run.progress.at(-1)?.sent, SIZE);
    assert.ok(run.progress.every((p) => p.total === SIZE && p.sent <= SIZE && p.acknowledged <= p.sent));
  });

  test('progress is reported per MiB or per tenth of a second, not per socket chunk', async () => {
    // A member's message shows a few figures a second at most; reporting every 64 KiB chunk costs
    // the bot (and whoever listens: speed meter, message) ~16,000 calls per GiB for nothing.
    const size = 8 * 1024 * 1024 + 7;
    const run = prepare({}, size);
    const reports: { sent: number; at: number }[] = [];
    run.options.onProgress = (p) => {
      run.progress.push(p);
      if (p.phase === 'uploading') reports.push({ sent: p.sent, at: performance.now() });
    };
    storedVideo(run, await runUpload(run.options));
    assert.equal(run.progress.at(-1)?.sent, size, 'the last report has every byte');
    assert.equal(run.progress.at(-1)?.phase, 'finishing');
    assert.ok(reports.length >= 1);
    for (let i = 1; i < reports.length; i++) {
      const [a, b] = [reports[i - 1], reports[i]];
      assert.ok(a && b);
      const bytes = b.sent - a.sent;
      const ms = b.at - a.at;
      assert.ok(
        bytes >= 1024 * 1024 || ms >= 90,
        `report ${i}: ${bytes} bytes and ${ms.toFixed(1)} ms after the one before`,
      );
    }
  });

  test('once every byte is handed over the phase is finishing, while YouTube still makes the video', async () => {
    google.upload.finalizeMs = 60_000; // YouTube works on it until the test lets it go
    try {
      const run = prepare({}, 200 * 1024);
      const upload = runUpload(run.options);
      const finishing = await waitFor(
        () => run.progress.find((p) => p.phase === 'finishing'),
        'the finishing phase',
      );
      assert.equal(finishing.sent, run.file.length);
      assert.ok(
        ![...google.videos.values()].some((v) => v.sha256 === sha256(run.file)),
        'no video yet: YouTube is still finishing',
      );
      google.upload.finalizeMs = 0;
      storedVideo(run, await upload);
      assert.ok(
        run.progress.filter((p) => p.phase === 'uploading').every((p) => p.sent < run.file.length),
        'uploading only while bytes are left to send',
      );
    } finally {
      google.upload.finalizeMs = 0;
    }
  });

  test('notifySubscribers true sends no parameter (the default)', async () => {
    const run = prepare({ notifySubscribers: true }, 300_000);
    const result = await runUpload(run.options);
    assert.equal(storedVideo(run, result).notifySubscribers, true);
    assert.equal(posts().at(-1)?.query.has('notifySubscribers'), false);
  });

  test('socket drop mid-PUT: the session is queried and the upload resumes from the aligned Range', async () => {
    const run = prepare();
    google.fail(UPLOAD_PUT, { dropAfterBytes: 1_500_000 });
    const result = await runUpload(run.options);
    storedVideo(run, result);
    const kept = Math.floor(1_500_000 / UNIT) * UNIT;
    assert.equal(run.acknowledged[0], kept, 'the first acknowledged offset is what Google kept');
    const gets = cdnGets(run.url);
    assert.equal(gets.length, 2);
    assert.equal(gets[1]?.headers.range, `bytes=${kept}-${SIZE - 1}`);
    assert.equal(gets[1].status, 206);
    assert.equal(result.retries, 1);
    assert.ok(result.resentBytes >= 1_500_000 - kept, `re-sent ${result.resentBytes}`);
    assert.ok(result.resentBytes < 4 * 1024 * 1024, `re-sent ${result.resentBytes}`);
    assert.ok(run.progress.some((p) => p.phase === 'verifying'));
  });

  test('503 on the PUT and on status queries: backoff with jitter, Retry-After honoured, then done', async () => {
    const run = prepare({ retry: { baseDelayMs: 5, random: () => 1 } });
    google.fail(UPLOAD_PUT, { status: 503 }, 2);
    google.fail(UPLOAD_PUT, { status: 503, headers: { 'retry-after': '0' } }, 1);
    const result = await runUpload(run.options);
    storedVideo(run, result);
    assert.equal(result.retries, 3);
    const waits = run.progress.filter((p) => p.phase === 'retrying').map((p) => p.nextRetryInMs);
    assert.deepEqual(waits, [10, 20, 0], 'base·2^n with random()=1, then Retry-After: 0');
    assert.deepEqual(
      run.progress.filter((p) => p.phase === 'retrying').map((p) => p.attempt),
      [2, 3, 4],
    );
  });

  test('503 and a dropped connection on session creation are retried', async () => {
    const run = prepare({}, 400_000);
    google.fail({ method: 'POST', path: /^\/upload\/youtube\/v3\/videos/ }, { status: 503 });
    google.fail({ method: 'POST', path: /^\/upload\/youtube\/v3\/videos/ }, { dropAfterBytes: 10 });
    const result = await runUpload(run.options);
    storedVideo(run, result);
    assert.equal(result.retries, 2);
    assert.equal(run.sessions.length, 1);
  });

  test('a 308 after the whole PUT that keeps less: continue from N+1 with the source re-opened there', async () => {
    const keep = 4 * UNIT;
    const proxy = await shortKeepingProxy(google, keep);
    try {
      const run = prepare({ rootUrl: `${proxy.origin}/` });
      const result = await runUpload(run.options);
      storedVideo(run, result);
      assert.equal(proxy.shortened(), 1);
      assert.deepEqual(run.acknowledged, [keep, SIZE]);
      const gets = cdnGets(run.url);
      assert.equal(gets[1]?.headers.range, `bytes=${keep}-${SIZE - 1}`);
      assert.equal(result.resentBytes, SIZE - keep, 'everything after what Google kept was sent twice');
      assert.equal(result.retries, 0, 'a short acknowledgement that makes progress is not a failure');
    } finally {
      await proxy.close();
    }
  });

  test('unaligned storage granularity: resumes exactly where the 308 says', async () => {
    google.upload.storeGranularity = 1_000_003;
    const run = prepare();
    google.fail(UPLOAD_PUT, { dropAfterBytes: 2_500_000 });
    const result = await runUpload(run.options);
    storedVideo(run, result);
    assert.equal(run.acknowledged[0], 2_000_006);
    assert.equal(cdnGets(run.url)[1]?.headers.range, `bytes=2000006-${SIZE - 1}`);
  });

  test('session lost mid-upload (404): a new session from byte 0, one video', async () => {
    let expired = false;
    const run = prepare();
    run.options.onProgress = (p) => {
      run.progress.push(p);
      const uri = run.sessions.at(-1);
      if (!expired && uri !== undefined && p.sent > 1_000_000) {
        expired = true;
        google.expireSession(new URL(uri).searchParams.get('upload_id') ?? '');
      }
    };
    const result = await runUpload(run.options);
    storedVideo(run, result);
    assert.equal(result.restarts, 1);
    assert.equal(run.sessions.length, 3);
    assert.ok(run.sessions[0] && run.sessions[2] && run.sessions[0] !== run.sessions[2]);
    assert.equal(run.sessions[1], undefined, 'onSession(undefined) before the new session');
    assert.ok(result.resentBytes >= 1_000_000, `re-sent ${result.resentBytes}`);
    const gets = cdnGets(run.url);
    assert.equal(gets.at(-1)?.headers.range, undefined, 'the new session starts at byte 0');
  });

  test('a lost session again and again ends as session_gone', async () => {
    const run = prepare({}, 300_000);
    run.options.onSession = (uri) => {
      run.sessions.push(uri);
      if (uri !== undefined) google.expireSession(new URL(uri).searchParams.get('upload_id') ?? '');
      return Promise.resolve();
    };
    const error = await failure(runUpload(run.options));
    assert.equal(error.kind, 'session_gone');
    assert.equal(run.sessions.filter((s) => s !== undefined).length, 3);
  });

  test('resume with a stored session URI: continues from the stored offset, nothing re-sent', async () => {
    const run = prepare();
    const sessionUri = await createSession({
      rootUrl: google.apiRoot,
      token,
      metadata: METADATA,
      size: SIZE,
      contentType: 'video/mp4',
      notifySubscribers: false,
      dispatcher: agent,
    });
    // An earlier process sent part of the file before it stopped.
    google.fail(UPLOAD_PUT, { dropAfterBytes: 1_200_000 });
    const body = await openSource({ url: run.url, size: SIZE, offset: 0, allowedHosts: [discord.cdnHost] });
    await assert.rejects(sendFrom({ sessionUri, size: SIZE, offset: 0, body, token, dispatcher: agent }));
    const status = await querySession({ sessionUri, size: SIZE, token, dispatcher: agent });
    assert.ok(status.kind === 'incomplete' && status.received > 0);
    const putsBefore = puts().length;

    const result = await runUpload({ ...run.options, sessionUri });
    storedVideo(run, result);
    assert.deepEqual(run.sessions, [], 'the stored session is used; no new one');
    assert.deepEqual([result.resentBytes, result.restarts, result.retries], [0, 0, 0]);
    const requests = puts().slice(putsBefore);
    assert.equal(requests.length, 2, 'a status query, then one PUT');
    assert.equal(requests[1]?.bytes, SIZE - status.received, 'no acknowledged byte is sent again');
    assert.equal(cdnGets(run.url).at(-1)?.headers.range, `bytes=${status.received}-${SIZE - 1}`);

    // Resuming a session that already finished answers the video without sending anything.
    const getsBefore = cdnGets(run.url).length;
    const again = await runUpload({ ...run.options, sessionUri });
    assert.equal(again.video.id, result.video.id);
    assert.equal(cdnGets(run.url).length, getsBefore);
  });

  test('a stored session that expired (410) restarts with a new one', async () => {
    const run = prepare({}, 500_000);
    const sessionUri = await createSession({
      rootUrl: google.apiRoot,
      token,
      metadata: METADATA,
      size: 500_000,
      contentType: 'video/mp4',
      notifySubscribers: false,
      dispatcher: agent,
    });
    google.expireSession(new URL(sessionUri).searchParams.get('upload_id') ?? '', 410);
    const result = await runUpload({ ...run.options, sessionUri });
    storedVideo(run, result);
    assert.equal(result.restarts, 1);
    assert.equal(run.sessions[0], undefined);
    assert.ok(run.sessions[1]);
  });

  test('401: the token is refreshed once and the upload goes on', async () => {
    const client = oauthClient(alice);
    const run = prepare({ token: tokenSource(client) }, 500_000);
    const refreshes = () => google.requests.filter((r) => r.path === '/token').length;
    const before = refreshes();
    google.expireAccessTokens();
    const result = await runUpload(run.options);
    storedVideo(run, result);
    assert.equal(refreshes() - before, 1);
    token = tokenSource(oauthClient(alice)); // the shared token was expired too
  });

  test('a second 401 in a row is auth; an invalid_grant from the refresh propagates unchanged', async () => {
    let refreshCalls = 0;
    const bogus: TokenSource = {
      get: () => Promise.resolve('ya29.not-a-token'),
      refresh: () => {
        refreshCalls++;
        return Promise.resolve('ya29.still-not-a-token');
      },
    };
    const postsBefore = posts().length;
    const error = await failure(runUpload(prepare({ token: bogus }, 1000).options));
    assert.deepEqual([error.kind, error.status], ['auth', 401]);
    assert.match(error.message, /run \/link/);
    assert.equal(refreshCalls, 1);
    assert.equal(posts().length - postsBefore, 2);

    const bob = google.addAccount({ email: 'bob@example.com' });
    const client = oauthClient(bob);
    google.revokeAll(bob);
    const revoked = await runUpload(prepare({ token: tokenSource(client) }, 1000).options).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(!(revoked instanceof UploadError));
    assert.equal(googleReason(revoked), 'invalid_grant');
  });

  test('quotaExceeded on session creation: quota at once, no retry storm, the source let go', async () => {
    const run = prepare({}, 1000);
    const limit = google.quotaLimit.inserts;
    google.quotaLimit.inserts = google.quotaUsed.inserts;
    const before = google.requests.length;
    try {
      const error = await failure(runUpload(run.options));
      assert.deepEqual([error.kind, error.reason], ['quota', 'quotaExceeded']);
      assert.match(error.message, /quota/);
    } finally {
      google.quotaLimit.inserts = limit;
    }
    assert.equal(google.requests.length - before, 1, 'one request, no retries');
    assert.deepEqual(run.sessions, []);
  });

  test('uploadLimitExceeded → upload_limit; an invalid title → invalid', async () => {
    google.upload.channelDailyLimit = 0;
    try {
      const error = await failure(runUpload(prepare({}, 1000).options));
      assert.deepEqual([error.kind, error.reason], ['upload_limit', 'uploadLimitExceeded']);
    } finally {
      google.upload.channelDailyLimit = null;
    }
    const before = google.requests.length;
    const bad = { ...METADATA, snippet: { ...METADATA.snippet, title: 'x'.repeat(101) } };
    const error = await failure(runUpload(prepare({ metadata: bad }, 1000).options));
    assert.deepEqual([error.kind, error.reason], ['invalid', 'invalidTitle']);
    assert.match(error.message, /title/);
    assert.equal(google.requests.length - before, 1);
  });

  test('CDN ignoring Range + a drop: downloaded again from 0, the first bytes discarded, hash intact', async () => {
    discord.cdn.ignoreRange = true;
    const run = prepare();
    google.fail(UPLOAD_PUT, { dropAfterBytes: 2_000_000 });
    const result = await runUpload(run.options);
    storedVideo(run, result);
    const gets = cdnGets(run.url);
    assert.equal(gets.length, 2);
    assert.ok(gets[1]?.headers.range, 'a Range was asked for');
    assert.equal(gets[1].status, 200, 'and ignored');
  });

  test('CDN drop mid-stream: the source is re-opened at the acknowledged offset', async () => {
    const run = prepare();
    discord.cdn.dropAfterBytes = 1_800_000;
    const result = await runUpload(run.options);
    storedVideo(run, result);
    assert.equal(result.retries, 1);
    // The PUT is cut on our side, so a status query can race Google noticing it (then a PUT at the stale
    // offset gets a 308 with the real one): the last re-open is at what Google acknowledged.
    // Google may have kept nothing yet when it was asked (then the source opens again at 0, without Range).
    const resumedAt = run.acknowledged.find((n) => n > 0 && n < SIZE) ?? 0;
    assert.ok(resumedAt <= Math.floor(1_800_000 / UNIT) * UNIT, `resumed at ${resumedAt}`);
    assert.equal(
      cdnGets(run.url).at(-1)?.headers.range,
      resumedAt === 0 ? undefined : `bytes=${resumedAt}-${SIZE - 1}`,
    );
    assert.ok(result.resentBytes < 4 * 1024 * 1024, `re-sent ${result.resentBytes}`);
  });

  test('a CDN answer cut right after its headers (the source dies while the session is created)', async () => {
    const run = prepare();
    discord.cdn.dropAfterBytes = 0;
    const result = await runUpload(run.options);
    storedVideo(run, result);
    assert.equal(result.retries, 1);
  });

  test('a foreign host is refused before any request', async () => {
    const run = prepare({}, 1000);
    const google0 = google.requests.length;
    const discord0 = discord.calls.length;
    const error = await failure(
      runUpload({ ...run.options, source: { ...run.options.source, url: 'https://evil.example/clip.mp4' } }),
    );
    assert.equal(error.kind, 'source_refused');
    assert.equal(google.requests.length, google0);
    assert.equal(discord.calls.length, discord0);
  });

  test('an expired attachment is source_gone, before any quota is spent', async () => {
    const file = randomBytes(1000);
    const { url } = discord.addAttachment({ filename: 'old.mp4', data: file, expiresInMs: 1000 });
    discord.advanceTime(2000);
    const run = prepare({}, 1000);
    const before = google.requests.length;
    const error = await failure(
      runUpload({ ...run.options, source: { ...run.options.source, url, size: file.length } }),
    );
    assert.equal(error.kind, 'source_gone');
    assert.match(error.message, /no longer available on Discord/);
    assert.equal(google.requests.length, before, 'no session was created');
  });

  test('cancel mid-upload: cancelled at once, nothing sent afterwards, the session left alone', async () => {
    google.upload.throttleBytesPerSec = 2 * 1024 * 1024;
    const controller = new AbortController();
    const run = prepare({ signal: controller.signal });
    const putsBefore = puts().length;
    const upload = failure(runUpload(run.options));
    // Cancel once Google has really received part of the PUT.
    let abortedAt = 0;
    while (abortedAt === 0) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      if (
        puts()
          .slice(putsBefore)
          .some((r) => r.bytes > 300_000)
      ) {
        abortedAt = Date.now();
        controller.abort();
      }
    }
    const error = await upload;
    assert.equal(error.kind, 'cancelled');
    assert.ok(Date.now() - abortedAt < 500, `took ${Date.now() - abortedAt} ms`);
    const requests = google.requests.length;
    const events = run.progress.length;
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(google.requests.length, requests, 'no request after the cancel');
    assert.equal(run.progress.length, events, 'no byte handed to the socket after the cancel');
    assert.equal(puts().slice(putsBefore).length, 1);
    assert.equal(puts().at(-1)?.status, 0, 'the PUT was cut, not finished');
    const id = new URL(run.sessions[0] ?? '').searchParams.get('upload_id') ?? '';
    const session = google.sessions.get(id);
    assert.ok(session && !session.done && session.expired === null, 'the session is left for the caller');
  });

  test('too many failures without progress: too_many_retries after tries+1 attempts', async () => {
    const run = prepare({ retry: { tries: 3, baseDelayMs: 1 } }, 1000);
    google.fail(UPLOAD_PUT, { status: 503 }, 100);
    const before = puts().length;
    const error = await failure(runUpload(run.options));
    assert.equal(error.kind, 'too_many_retries');
    assert.match(error.message, /4 times in a row/);
    assert.equal(puts().length - before, 4, 'the PUT, then three status queries');
    assert.ok(error.cause instanceof UploadError && error.cause.status === 503);
  });
});

/**
 * A proxy in front of the Google fake that, once, forwards only the first `keep` bytes of a full PUT as a
 * chunk and relays Google's 308 — a 308 after the whole request, acknowledging less than was sent, which
 * the protocol allows. Everything else passes through; Location headers are rewritten to the proxy.
 */
async function shortKeepingProxy(
  target: FakeGoogle,
  keep: number,
): Promise<{ origin: string; shortened: () => number; close: () => Promise<void> }> {
  let shortened = 0;
  let origin = '';
  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', target.origin).href;
      const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(req.headers['content-range'] ?? '');
      const headers = Object.fromEntries(
        Object.entries(req.headers).filter(
          (e): e is [string, string] => typeof e[1] === 'string' && !['host', 'connection'].includes(e[0]),
        ),
      );
      let body: Buffer | typeof req | null = req.method === 'GET' ? null : req;
      if (req.method === 'PUT' && range && shortened === 0) {
        shortened++;
        const start = Number(range[1]);
        const chunks: Buffer[] = [];
        let n = 0;
        for await (const chunk of req) {
          if (n < keep) chunks.push((chunk as Buffer).subarray(0, keep - n));
          n += (chunk as Buffer).length;
        }
        body = Buffer.concat(chunks);
        headers['content-range'] = `bytes ${start}-${start + keep - 1}/${range[3]}`;
        headers['content-length'] = String(keep);
      }
      const answer = await request(url, { method: req.method as 'PUT', headers, body });
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(answer.headers)) if (typeof v === 'string') out[k] = v;
      if (out['location']) out['location'] = out['location'].replace(target.origin, origin);
      res.writeHead(answer.statusCode, out);
      for await (const chunk of answer.body) res.write(chunk);
      res.end();
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    shortened: () => shortened,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
