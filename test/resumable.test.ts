// The resumable protocol (src/google/resumable.ts) and the attachment source (src/uploads/download.ts),
// one request at a time, with the real undici against the local Google and Discord fakes.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { OAuth2Client } from 'google-auth-library';
import { Agent } from 'undici';
import { classifyError } from '../src/errors.ts';
import {
  createSession,
  querySession,
  sendFrom,
  sendRange,
  tokenSource,
  UploadError,
  type TokenSource,
  type VideoMetadata,
} from '../src/google/resumable.ts';
import { openSource, readHead } from '../src/uploads/download.ts';
import { FakeDiscord, GeneratedContent } from './fakes/discord.ts';
import { FakeGoogle, type FakeAccount } from './fakes/google.ts';

const UNIT = 262_144;
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const METADATA: VideoMetadata = {
  snippet: {
    title: 'Summer vacation',
    description: 'Surfing in Santa Cruz',
    tags: ['surf'],
    categoryId: '22',
  },
  status: { privacyStatus: 'unlisted', selfDeclaredMadeForKids: false },
};

async function rejection(promise: Promise<unknown>): Promise<UploadError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof UploadError, `an UploadError, got ${String(error)}`);
    return error;
  }
  throw new Error('it succeeded');
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function oauthClient(google: FakeGoogle, account: FakeAccount): OAuth2Client {
  const client = new OAuth2Client({
    clientId: google.clientId,
    clientSecret: google.clientSecret,
    endpoints: { oauth2TokenUrl: google.tokenUrl, oauth2RevokeUrl: google.revokeUrl },
  });
  client.setCredentials(google.mintTokens(account, ['youtube']));
  return client;
}

describe('resumable protocol', () => {
  let google: FakeGoogle;
  let alice: FakeAccount;
  let client: OAuth2Client;
  let token: TokenSource;
  const agent = new Agent({ connections: 8 });
  const file = randomBytes(2 * UNIT + 12_345);
  const size = file.length;
  const session = () =>
    createSession({
      rootUrl: google.apiRoot,
      token,
      metadata: METADATA,
      size,
      contentType: 'video/mp4',
      notifySubscribers: false,
      dispatcher: agent,
    });

  before(async () => {
    google = await FakeGoogle.start();
    alice = google.addAccount({ email: 'alice@example.com' });
    client = oauthClient(google, alice);
    token = tokenSource(client);
  });
  after(async () => {
    await google.close();
    await agent.close();
  });

  test('createSession sends the metadata, sizes and notifySubscribers; the Location is used as given', async () => {
    const uri = await session();
    const id = new URL(uri).searchParams.get('upload_id') ?? '';
    const stored = google.sessions.get(id);
    assert.equal(stored?.url, uri);
    assert.equal(stored.total, size);
    assert.equal(stored.contentType, 'video/mp4');
    assert.equal(stored.notifySubscribers, false);
    assert.equal(stored.metadata.snippet.title, 'Summer vacation');
    assert.deepEqual(stored.metadata.snippet.tags, ['surf']);
    assert.equal(stored.metadata.status.privacyStatus, 'unlisted');
    const post = google.requests.findLast((r) => r.method === 'POST');
    assert.equal(post?.query.get('part'), 'snippet,status');
    assert.equal(post.query.get('uploadType'), 'resumable');
  });

  test('a session Location on another host is refused: the token never goes there', async () => {
    google.fail(
      { method: 'POST', path: /^\/upload\/youtube\/v3\/videos/ },
      { status: 200, headers: { location: 'http://127.0.0.2:9/upload?upload_id=stolen' } },
    );
    const error = await rejection(
      createSession({
        rootUrl: google.apiRoot,
        token,
        metadata: METADATA,
        size: 1000,
        contentType: 'video/mp4',
        notifySubscribers: true,
      }),
    );
    assert.equal(error.kind, 'server');
  });

  test('one streaming PUT completes; the status query then answers the video again', async () => {
    const uri = await session();
    assert.deepEqual(await querySession({ sessionUri: uri, size, token, dispatcher: agent }), {
      kind: 'incomplete',
      received: 0,
    });
    const counts: number[] = [];
    const done = await sendFrom({
      sessionUri: uri,
      size,
      offset: 0,
      body: Readable.from([file.subarray(0, 100_000), file.subarray(100_000)]),
      token,
      dispatcher: agent,
      onSent: (n) => counts.push(n),
    });
    assert.equal(done.kind, 'complete');
    assert.ok(done.kind === 'complete' && done.video.id);
    assert.equal(counts.at(-1), size, 'onSent counts every byte of the request');
    const stored = google.videos.get(done.video.id);
    assert.equal(stored?.sha256, sha256(file));
    assert.equal(stored.size, size);
    assert.equal(stored.notifySubscribers, false);
    const again = await querySession({ sessionUri: uri, size, token, dispatcher: agent });
    assert.equal(again.kind === 'complete' && again.video.id, done.video.id);
  });

  test('a dropped PUT keeps whole units; sendFrom resumes at the queried offset; a wrong offset is a 308', async () => {
    const uri = await session();
    google.fail({ method: 'PUT', path: /upload_id=/ }, { dropAfterBytes: UNIT + 5000 });
    const dropped = await rejection(
      sendFrom({ sessionUri: uri, size, offset: 0, body: Readable.from([file]), token, dispatcher: agent }),
    );
    assert.equal(dropped.kind, 'network');
    const status = await querySession({ sessionUri: uri, size, token, dispatcher: agent });
    assert.deepEqual(status, { kind: 'incomplete', received: UNIT });

    // Starting anywhere but the stored end stores nothing: Google answers 308 with what it has, early.
    const source = Readable.from([file.subarray(2 * UNIT)]);
    const wrong = await sendFrom({
      sessionUri: uri,
      size,
      offset: 2 * UNIT,
      body: source,
      token,
      dispatcher: agent,
    });
    assert.deepEqual(wrong, { kind: 'incomplete', received: UNIT });
    assert.ok(source.destroyed, 'the unread body is destroyed');

    const done = await sendFrom({
      sessionUri: uri,
      size,
      offset: UNIT,
      body: Readable.from([file.subarray(UNIT)]),
      token,
      dispatcher: agent,
    });
    assert.ok(done.kind === 'complete');
    assert.equal(google.videos.get(done.video.id ?? '')?.sha256, sha256(file));
  });

  test('a failing body fails the PUT as a source error and cuts the connection (Google keeps whole units)', async () => {
    const uri = await session();
    const body = new Readable({ read() {} });
    body.push(file.subarray(0, UNIT + 1000));
    setTimeout(() => body.destroy(Object.assign(new Error('cdn went away'), { code: 'UND_ERR_SOCKET' })), 50);
    const failed = await rejection(
      sendFrom({ sessionUri: uri, size, offset: 0, body, token, dispatcher: agent }),
    );
    assert.equal(failed.kind, 'network');
    assert.match(failed.message, /Discord/);
    const status = await querySession({ sessionUri: uri, size, token, dispatcher: agent });
    assert.deepEqual(status, { kind: 'incomplete', received: UNIT });

    // A body that died unheard while it waited (e.g. during session creation) fails at once, sends nothing.
    const dead = new Readable({ read() {} });
    dead.on('error', () => {});
    dead.destroy(new Error('gone while waiting'));
    await new Promise((resolve) => setImmediate(resolve));
    const before = google.requests.length;
    const early = await rejection(
      sendFrom({ sessionUri: uri, size, offset: UNIT, body: dead, token, dispatcher: agent }),
    );
    assert.equal(early.kind, 'network');
    assert.equal(google.requests.length, before);
  });

  test('Google errors become UploadErrors with a sentence, the reason, the status and Retry-After', async () => {
    const uri = await session();
    google.fail({ method: 'PUT', path: /upload_id=/ }, { status: 503, headers: { 'retry-after': '7' } });
    const busy = await rejection(querySession({ sessionUri: uri, size, token, dispatcher: agent }));
    assert.deepEqual(
      [busy.kind, busy.status, busy.reason, busy.retryAfterMs],
      ['server', 503, 'backendError', 7000],
    );

    google.expireSession(new URL(uri).searchParams.get('upload_id') ?? '', 410);
    const gone = await rejection(querySession({ sessionUri: uri, size, token, dispatcher: agent }));
    assert.deepEqual([gone.kind, gone.status], ['session_gone', 410]);

    const invalid = await rejection(
      createSession({
        rootUrl: google.apiRoot,
        token,
        metadata: { ...METADATA, snippet: { ...METADATA.snippet, title: 'a <b> title' } },
        size,
        contentType: 'video/mp4',
        notifySubscribers: true,
        dispatcher: agent,
      }),
    );
    assert.deepEqual([invalid.kind, invalid.reason, invalid.status], ['invalid', 'invalidTitle', 400]);
    assert.match(invalid.message, /title/);
    assert.equal(classifyError(invalid).message, invalid.message, 'classifyError shows it as it is');

    const notFound = await rejection(
      createSession({
        rootUrl: `${google.apiRoot}nowhere/`,
        token,
        metadata: METADATA,
        size,
        contentType: 'video/mp4',
        notifySubscribers: true,
        dispatcher: agent,
      }),
    );
    assert.notEqual(notFound.kind, 'session_gone', 'a 404 on the POST is not a lost session');

    const limit = google.quotaLimit.inserts;
    google.quotaLimit.inserts = google.quotaUsed.inserts;
    const quota = await rejection(session());
    google.quotaLimit.inserts = limit;
    assert.deepEqual([quota.kind, quota.reason, quota.status], ['quota', 'quotaExceeded', 403]);
    assert.match(quota.message, /midnight Pacific/);

    google.upload.channelDailyLimit = 0;
    const daily = await rejection(session());
    google.upload.channelDailyLimit = null;
    assert.deepEqual([daily.kind, daily.reason], ['upload_limit', 'uploadLimitExceeded']);
    assert.match(daily.message, /daily upload limit/);

    const noChannel = google.addAccount({ email: 'nochannel@example.com', channel: null });
    const signup = await rejection(
      createSession({
        rootUrl: google.apiRoot,
        token: tokenSource(oauthClient(google, noChannel)),
        metadata: METADATA,
        size,
        contentType: 'video/mp4',
        notifySubscribers: true,
        dispatcher: agent,
      }),
    );
    assert.deepEqual(
      [signup.kind, signup.reason, signup.status],
      ['forbidden', 'youtubeSignupRequired', 401],
    );
  });

  test('a 401 is kind auth; tokenSource.refresh gets a new token through the client (tokens event)', async () => {
    const own = oauthClient(google, alice);
    const source = tokenSource(own);
    const first = await source.get();
    google.expireAccessTokens();
    const refused = await rejection(
      createSession({
        rootUrl: google.apiRoot,
        token: source,
        metadata: METADATA,
        size,
        contentType: 'video/mp4',
        notifySubscribers: true,
        dispatcher: agent,
      }),
    );
    assert.deepEqual([refused.kind, refused.status], ['auth', 401]);
    const events: unknown[] = [];
    own.on('tokens', (t) => events.push(t));
    const second = await source.refresh();
    assert.notEqual(second, first);
    assert.equal(await source.get(), second);
    assert.equal(events.length, 1, "the client's tokens event fires, so the caller persists the new token");
    assert.ok(own.credentials.refresh_token, 'the refresh token is kept');
    token = source; // the shared token is expired as well now
  });

  // The page's request relayed by sendRange: a browser that goes away (a reload, a closed lid) ends
  // or destroys the body without an error. Either must fail the PUT at once, never leave it waiting
  // for bytes that will not come (that held the member's upload slot for an hour).
  for (const [how, stop] of [
    ['destroyed without an error', (body: Readable) => body.destroy()],
    ['ended short', (body: Readable) => body.push(null)],
  ] as const) {
    test(
      `a relayed body ${how} mid-request fails the PUT as network trouble; YouTube keeps whole units`,
      { timeout: 10_000 },
      async () => {
        const uri = await session();
        const body = new Readable({ read() {} });
        body.push(file.subarray(0, UNIT + 1000));
        setTimeout(() => stop(body), 50);
        const failed = await rejection(
          sendRange({ sessionUri: uri, size, offset: 0, length: size, body, token, dispatcher: agent }),
        );
        assert.equal(failed.kind, 'network');
        const status = await querySession({ sessionUri: uri, size, token, dispatcher: agent });
        assert.deepEqual(status, { kind: 'incomplete', received: UNIT });
      },
    );
  }

  test('a cancelled signal aborts the PUT at once', async () => {
    const uri = await session();
    const controller = new AbortController();
    const body = new Readable({ read() {} });
    body.push(file.subarray(0, UNIT));
    setTimeout(() => controller.abort(), 50);
    const started = Date.now();
    const cancelled = await rejection(
      sendFrom({
        sessionUri: uri,
        size,
        offset: 0,
        body,
        token,
        dispatcher: agent,
        signal: controller.signal,
      }),
    );
    assert.equal(cancelled.kind, 'cancelled');
    assert.ok(Date.now() - started < 1000);
    assert.ok(body.destroyed);
  });
});

describe('attachment source', () => {
  let discord: FakeDiscord;
  let allowedHosts: string[];
  const file = randomBytes(1_000_000);
  let url: string;

  before(async () => {
    discord = await FakeDiscord.start();
    allowedHosts = [discord.cdnHost];
    url = discord.addAttachment({ filename: 'clip.mp4', data: file, contentType: 'video/mp4' }).url;
  });
  after(() => discord.close());

  const cdnCalls = () => discord.calls.filter((c) => c.service === 'cdn');

  test('openSource streams from an offset with Range and takes the 206', async () => {
    const whole = await collect(await openSource({ url, size: file.length, offset: 0, allowedHosts }));
    assert.ok(whole.equals(file));
    const rest = await collect(await openSource({ url, size: file.length, offset: 123_456, allowedHosts }));
    assert.ok(rest.equals(file.subarray(123_456)));
    const call = cdnCalls().at(-1);
    assert.equal(call?.headers.range, `bytes=123456-${file.length - 1}`);
    assert.equal(call.status, 206);
  });

  test('a CDN that ignores Range: downloaded from 0, the first bytes discarded and reported', async () => {
    discord.cdn.ignoreRange = true;
    try {
      const discarded: number[] = [];
      const stream = await openSource({
        url,
        size: file.length,
        offset: 700_001,
        allowedHosts,
        onDiscarded: (n) => discarded.push(n),
      });
      assert.ok((await collect(stream)).equals(file.subarray(700_001)));
      assert.deepEqual(discarded, [700_001]);
      assert.equal(cdnCalls().at(-1)?.status, 200);
      const head = await readHead({ url, n: 16, allowedHosts });
      assert.ok(head.equals(file.subarray(0, 16)), 'readHead reads only what it needs of a 200');
    } finally {
      discord.cdn.ignoreRange = false;
    }
  });

  test('a generated attachment: deterministic bytes, served whole, by Range and cut by a drop', async () => {
    const size = 3 * 1024 * 1024 + 5;
    const { url: generated } = discord.addGeneratedAttachment({ filename: 'big.mp4', size, seed: 7 });
    const content = new GeneratedContent(size, 7);
    const expected = Buffer.concat([...content.slices(0, size - 1)]);
    assert.equal(expected.length, size);
    assert.ok(!expected.subarray(0, 1 << 20).equals(expected.subarray(1 << 20, 2 << 20)), 'blocks differ');
    assert.ok(
      (await collect(await openSource({ url: generated, size, offset: 0, allowedHosts }))).equals(expected),
    );
    const tail = await openSource({ url: generated, size, offset: 1_234_567, allowedHosts });
    assert.ok((await collect(tail)).equals(expected.subarray(1_234_567)));
    discord.cdn.dropAfterBytes = 100_000;
    await assert.rejects(collect(await openSource({ url: generated, size, offset: 0, allowedHosts })));
    assert.equal(discord.cdn.dropAfterBytes, null, 'the drop is one-shot');
  });

  test('readHead asks for the first bytes only', async () => {
    const head = await readHead({ url, n: 64, allowedHosts });
    assert.ok(head.equals(file.subarray(0, 64)));
    assert.equal(cdnCalls().at(-1)?.headers.range, 'bytes=0-63');
  });

  test('foreign hosts and redirects elsewhere are refused without fetching them', async () => {
    const before = discord.calls.length;
    const foreign = await rejection(
      openSource({ url: 'http://127.0.0.1:9/attachments/1/2/x.mp4', size: 10, offset: 0, allowedHosts }),
    );
    assert.equal(foreign.kind, 'source_refused');
    const sneaky = await rejection(readHead({ url: `${url.replace('http:', 'file:')}`, n: 4, allowedHosts }));
    assert.equal(sneaky.kind, 'source_refused');
    assert.equal(discord.calls.length, before, 'nothing was fetched');

    discord.failNext(
      { method: 'GET', pathPattern: /^\/attachments\// },
      { status: 302, headers: { location: 'http://127.0.0.1:9/elsewhere.mp4' } },
    );
    const redirected = await rejection(openSource({ url, size: file.length, offset: 0, allowedHosts }));
    assert.equal(redirected.kind, 'source_refused');

    discord.failNext(
      { method: 'GET', pathPattern: /^\/attachments\// },
      { status: 302, headers: { location: url } },
    );
    const followed = await collect(await openSource({ url, size: file.length, offset: 0, allowedHosts }));
    assert.ok(followed.equals(file), 'a redirect to an allowed host is followed');
  });

  test('expired, deleted or changed attachments are source_gone; 5xx is retriable server trouble', async () => {
    const expiring = discord.addAttachment({ filename: 'old.mp4', data: file, expiresInMs: 1000 });
    discord.advanceTime(2000);
    const expired = await rejection(
      openSource({ url: expiring.url, size: file.length, offset: 0, allowedHosts }),
    );
    assert.deepEqual([expired.kind, expired.status], ['source_gone', 404]);
    assert.match(expired.message, /no longer available on Discord/);

    const changed = await rejection(openSource({ url, size: file.length + 1, offset: 0, allowedHosts }));
    assert.equal(changed.kind, 'source_gone');

    discord.failNext(
      { method: 'GET', pathPattern: /^\/attachments\// },
      { status: 503, headers: { 'retry-after': '2' } },
    );
    const busy = await rejection(openSource({ url, size: file.length, offset: 0, allowedHosts }));
    assert.deepEqual([busy.kind, busy.status, busy.retryAfterMs], ['server', 503, 2000]);
  });
});
