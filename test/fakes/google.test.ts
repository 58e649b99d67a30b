// Proves the Google fake against the real clients: google-auth-library (PKCE consent, exchange, refresh, revoke),
// @googleapis/youtube (channels, playlists, updates, ratings, quota, media and multipart uploads) and undici
// (the resumable protocol by hand, with an injected mid-body drop).
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { youtube, type youtube_v3 } from '@googleapis/youtube';
import { CodeChallengeMethod, OAuth2Client, type Credentials } from 'google-auth-library';
import { request } from 'undici';
import { FakeGoogle, type FakeAccount } from './google.ts';
import { waitFor } from './http.ts';

const REDIRECT = 'http://127.0.0.1:9/oauth/callback';
const YOUTUBE = 'https://www.googleapis.com/auth/youtube';

function oauthClient(fake: FakeGoogle, extra: { forceRefreshOnFailure?: boolean } = {}): OAuth2Client {
  return new OAuth2Client({
    clientId: fake.clientId,
    clientSecret: fake.clientSecret,
    redirectUri: REDIRECT,
    endpoints: {
      oauth2AuthBaseUrl: fake.authUrl,
      oauth2TokenUrl: fake.tokenUrl,
      oauth2RevokeUrl: fake.revokeUrl,
    },
    ...extra,
  });
}

/** The status and parsed body of a failed gaxios call. */
async function failure(call: Promise<unknown>): Promise<{ status: number; data: Record<string, unknown> }> {
  try {
    await call;
  } catch (error) {
    const response = (error as { response?: { status: number; data: Record<string, unknown> } }).response;
    assert.ok(response, `an HTTP error, got ${String(error)}`);
    return response;
  }
  throw new Error('the call succeeded');
}

function reasonOf(data: Record<string, unknown>): string | undefined {
  return (data['error'] as { errors?: { reason?: string }[] } | undefined)?.errors?.[0]?.reason;
}

async function consent(
  client: OAuth2Client,
  opts: { state?: string; challenge?: string; scope?: string[] } = {},
): Promise<URL> {
  const url = client.generateAuthUrl({
    access_type: 'offline',
    prompt: 'consent',
    include_granted_scopes: true,
    scope: opts.scope ?? [YOUTUBE],
    ...(opts.state === undefined ? {} : { state: opts.state }),
    ...(opts.challenge === undefined
      ? {}
      : { code_challenge_method: CodeChallengeMethod.S256, code_challenge: opts.challenge }),
  });
  const response = await fetch(url, { redirect: 'manual' });
  assert.equal(response.status, 302);
  await response.body?.cancel();
  return new URL(response.headers.get('location') ?? '');
}

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

describe('OAuth with google-auth-library', () => {
  let fake: FakeGoogle;
  let alice: FakeAccount;
  before(async () => {
    fake = await FakeGoogle.start({ redirectUris: [REDIRECT] });
    alice = fake.addAccount({ email: 'alice@example.com', channel: { title: 'Alice Films' } });
  });
  after(() => fake.close());

  test('PKCE consent → code; wrong or missing verifier → invalid_grant; exchange; reuse fails and revokes', async () => {
    const client = oauthClient(fake);
    const { codeVerifier, codeChallenge } = await client.generateCodeVerifierAsync();
    assert.ok(codeChallenge);
    const back = await consent(client, { state: 'st-123', challenge: codeChallenge });
    assert.equal(back.origin + back.pathname, REDIRECT);
    assert.equal(back.searchParams.get('state'), 'st-123');
    assert.equal(back.searchParams.get('scope'), YOUTUBE);
    const code = back.searchParams.get('code') ?? '';
    assert.match(code, /^4\/0A/);
    const seen = fake.authRequests.at(-1);
    assert.equal(seen?.codeChallengeMethod, 'S256');
    assert.equal(seen?.accessType, 'offline');
    assert.equal(seen?.includeGrantedScopes, true);

    const wrong = await failure(client.getToken({ code, codeVerifier: 'x'.repeat(43) }));
    assert.equal(wrong.status, 400);
    assert.deepEqual(wrong.data, { error: 'invalid_grant', error_description: 'Invalid code verifier.' });
    const missing = await failure(client.getToken({ code }));
    assert.deepEqual(missing.data, { error: 'invalid_grant', error_description: 'Missing code verifier.' });

    const emitted: Credentials[] = [];
    client.on('tokens', (t) => emitted.push(t));
    const { tokens } = await client.getToken({ code, codeVerifier });
    assert.match(tokens.access_token ?? '', /^ya29\./);
    assert.match(tokens.refresh_token ?? '', /^1\/\//);
    assert.equal(tokens.scope, YOUTUBE);
    assert.equal(tokens.token_type, 'Bearer');
    assert.ok((tokens.expiry_date ?? 0) > Date.now() + 3500_000);
    assert.equal(emitted.length, 1);

    const reuse = await failure(client.getToken({ code, codeVerifier }));
    assert.deepEqual(reuse.data, { error: 'invalid_grant', error_description: 'Bad Request' });
    const info = await fetch(`${fake.tokenInfoUrl}?access_token=${tokens.access_token ?? ''}`);
    assert.equal(info.status, 400, 'a replayed code revokes the tokens it produced');
    await info.body?.cancel();
  });

  test('refresh: automatic before expiry (tokens event, no new refresh_token) and on a 401 with forceRefreshOnFailure', async () => {
    const minted = fake.mintTokens(alice, ['youtube']);
    const client = oauthClient(fake);
    client.setCredentials({ ...minted, expiry_date: Date.now() - 1000 });
    const emitted: Credentials[] = [];
    client.on('tokens', (t) => emitted.push({ ...t })); // a copy: the client adds the old refresh_token afterwards
    const yt = youtube({ version: 'v3', auth: client, rootUrl: fake.apiRoot });
    const { data } = await yt.channels.list({ part: ['snippet'], mine: true });
    assert.equal(data.items?.[0]?.snippet?.title, 'Alice Films');
    assert.equal(emitted.length, 1);
    assert.equal(emitted[0]?.refresh_token, undefined, 'a refresh carries no refresh_token');
    assert.notEqual(emitted[0]?.access_token, minted.access_token);
    assert.equal(client.credentials.refresh_token, minted.refresh_token, 'the client keeps the old one');

    // The client believes its token valid: a 401 only triggers a refresh with forceRefreshOnFailure.
    fake.expireAccessTokens();
    const stale = await failure(yt.channels.list({ part: ['id'], mine: true }));
    assert.equal(stale.status, 401);
    assert.equal(reasonOf(stale.data), 'authError');
    assert.equal((stale.data['error'] as { status?: string }).status, 'UNAUTHENTICATED');
    const forcing = oauthClient(fake, { forceRefreshOnFailure: true });
    forcing.setCredentials(client.credentials);
    const ok = await youtube({ version: 'v3', auth: forcing, rootUrl: fake.apiRoot }).channels.list({
      part: ['id'],
      mine: true,
    });
    assert.equal(ok.data.items?.length, 1);
  });

  test('a held answer: the refresh is made at once, the client hears of it only when released', async () => {
    const minted = fake.mintTokens(alice, ['youtube']);
    const client = oauthClient(fake);
    client.setCredentials({ refresh_token: minted.refresh_token });
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    fake.fail({ method: 'POST', path: /^\/token$/ }, { holdAnswerUntil: held });
    const issued = fake.issuedTokens().length;
    let heard = false;
    const refreshing = client.refreshAccessToken().then((r) => ((heard = true), r));
    // Google made the new access token (it works already); the answer has not left.
    const made = await waitFor(() => fake.issuedTokens().slice(issued)[0], 'the refreshed token');
    const info = await fetch(`${fake.tokenInfoUrl}?access_token=${made}`);
    assert.equal(info.status, 200, 'the token Google made works before the client hears of it');
    await info.body?.cancel();
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(heard, false, 'the answer is held');
    release();
    const { credentials } = await refreshing;
    assert.equal(credentials.access_token, made, 'the held answer is the one Google made');
    // One rule, one request: the next refresh is answered at once.
    const next = await client.refreshAccessToken();
    assert.match(next.credentials.access_token ?? '', /^ya29\./);
  });

  test('revoked grants give invalid_grant; revokeToken works once', async () => {
    const minted = fake.mintTokens(alice, ['youtube']);
    const client = oauthClient(fake);
    client.setCredentials({ refresh_token: minted.refresh_token });
    await client.revokeToken(minted.refresh_token);
    const refused = await failure(client.refreshAccessToken());
    assert.deepEqual(refused.data, {
      error: 'invalid_grant',
      error_description: 'Token has been expired or revoked.',
    });
    const again = await failure(client.revokeToken(minted.refresh_token));
    assert.deepEqual(again.data, { error: 'invalid_token', error_description: 'Token expired or revoked' });

    const other = fake.mintTokens(alice, ['youtube']);
    fake.revokeAll(alice);
    client.setCredentials({ refresh_token: other.refresh_token });
    assert.equal((await failure(client.refreshAccessToken())).data['error'], 'invalid_grant');
    assert.ok(fake.issuedTokens().includes(other.access_token));
  });

  test('client and redirect checks, deny, and the consent page', async () => {
    const client = oauthClient(fake);
    const bad = new URL(
      client.generateAuthUrl({ scope: [YOUTUBE], redirect_uri: 'http://127.0.0.1:9/elsewhere' }),
    );
    const mismatch = await fetch(bad);
    assert.equal(mismatch.status, 400);
    assert.match(await mismatch.text(), /Error 400: redirect_uri_mismatch/);
    bad.searchParams.set('client_id', 'nobody.apps.googleusercontent.com');
    const unknown = await fetch(bad);
    assert.equal(unknown.status, 401);
    assert.match(await unknown.text(), /Error 401: invalid_client/);
    const wrongSecret = await fetch(fake.tokenUrl, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: 'x',
        client_id: fake.clientId,
        client_secret: 'nope',
      }),
    });
    assert.equal(wrongSecret.status, 401);
    assert.deepEqual(await wrongSecret.json(), {
      error: 'invalid_client',
      error_description: 'Unauthorized',
    });

    fake.consent.mode = 'deny';
    const denied = await consent(client, { state: 's1' });
    assert.equal(denied.searchParams.get('error'), 'access_denied');
    assert.equal(denied.searchParams.get('state'), 's1');

    fake.consent.mode = 'page';
    const page = await fetch(client.generateAuthUrl({ scope: [YOUTUBE], state: 's2' }));
    const html = await page.text();
    assert.match(html, /<title>Sign in – Google accounts<\/title>/);
    const requestId = /name="request" value="([^"]+)"/.exec(html)?.[1] ?? '';
    const allow = await fetch(`${fake.origin}/o/oauth2/v2/auth/approval`, {
      method: 'POST',
      body: new URLSearchParams({ request: requestId, action: 'allow', account: alice.id }),
      redirect: 'manual',
    });
    assert.equal(allow.status, 302);
    const code = new URL(allow.headers.get('location') ?? '').searchParams;
    assert.equal(code.get('state'), 's2');
    const { tokens } = await client.getToken(code.get('code') ?? '');
    assert.equal(tokens.refresh_token, undefined, 'online access: no refresh token');
    fake.consent.mode = 'auto';
  });
});

describe('YouTube Data API with @googleapis/youtube', () => {
  let fake: FakeGoogle;
  let alice: FakeAccount;
  let bob: FakeAccount;
  let yt: youtube_v3.Youtube;
  let uploadOnly: youtube_v3.Youtube;
  before(async () => {
    fake = await FakeGoogle.start({ redirectUris: [REDIRECT] });
    alice = fake.addAccount({ email: 'alice@example.com', channel: { title: 'Alice Films' } });
    bob = fake.addAccount({ email: 'bob@example.com' });
    const client = oauthClient(fake);
    client.setCredentials(fake.mintTokens(alice, ['youtube']));
    yt = youtube({ version: 'v3', auth: client, rootUrl: fake.apiRoot });
    const uploader = oauthClient(fake);
    uploader.setCredentials(fake.mintTokens(alice, ['youtube.upload']));
    uploadOnly = youtube({ version: 'v3', auth: uploader, rootUrl: fake.apiRoot });
  });
  after(() => fake.close());

  test('channel, categories, and scope checks', async () => {
    const { data } = await yt.channels.list({
      part: ['snippet', 'contentDetails', 'statistics'],
      mine: true,
    });
    const channel = data.items?.[0];
    assert.equal(channel?.id, alice.channel?.id);
    assert.equal(channel?.contentDetails?.relatedPlaylists?.uploads, `UU${alice.channel?.id.slice(2) ?? ''}`);
    assert.ok(channel?.contentDetails?.relatedPlaylists?.likes);

    const categories = await yt.videoCategories.list({ part: ['snippet'], regionCode: 'US' });
    const byId = new Map(categories.data.items?.map((c) => [c.id, c.snippet?.assignable]));
    assert.equal(byId.get('22'), true);
    assert.equal(byId.get('18'), false);

    const scoped = await failure(uploadOnly.channels.list({ part: ['id'], mine: true }));
    assert.equal(scoped.status, 403);
    assert.equal(reasonOf(scoped.data), 'insufficientPermissions');
    const noPart = await failure(yt.channels.list({ part: [], mine: true }));
    assert.equal(reasonOf(noPart.data), 'required');

    const nobody = fake.addAccount({ email: 'nochannel@example.com', channel: null });
    const client = oauthClient(fake);
    client.setCredentials(fake.mintTokens(nobody, ['youtube']));
    const plain = youtube({ version: 'v3', auth: client, rootUrl: fake.apiRoot });
    assert.deepEqual((await plain.channels.list({ part: ['id'], mine: true })).data.items, []);
    const signup = await failure(
      plain.videos.insert(
        {
          part: ['snippet'],
          requestBody: { snippet: { title: 't' } },
          media: { mimeType: 'video/mp4', body: Readable.from([Buffer.from('x')]) },
        },
        { rootUrl: fake.apiRoot },
      ),
    );
    assert.equal(signup.status, 401);
    assert.equal(reasonOf(signup.data), 'youtubeSignupRequired');
  });

  test('playlists and items: insert, positions, list, errors', async () => {
    const v1 = fake.addVideo(alice, { title: 'one' });
    const v2 = fake.addVideo(alice, { title: 'two' });
    const v3 = fake.addVideo(bob, { title: 'bob public' });
    const created = await yt.playlists.insert({
      part: ['snippet', 'status'],
      requestBody: { snippet: { title: 'Best of' }, status: { privacyStatus: 'unlisted' } },
    });
    const playlistId = created.data.id ?? '';
    assert.equal(fake.playlists.get(playlistId)?.status.privacyStatus, 'unlisted');
    const mine = await yt.playlists.list({ part: ['snippet', 'contentDetails'], mine: true });
    assert.deepEqual(
      mine.data.items?.map((p) => p.snippet?.title),
      ['Best of'],
    );

    const add = (videoId: string, position?: number) =>
      yt.playlistItems.insert({
        part: ['snippet'],
        requestBody: {
          snippet: {
            playlistId,
            resourceId: { kind: 'youtube#video', videoId },
            ...(position === undefined ? {} : { position }),
          },
        },
      });
    await add(v1.id);
    await add(v2.id);
    await add(v3.id, 0);
    const items = await yt.playlistItems.list({ part: ['snippet'], playlistId, maxResults: 2 });
    assert.deepEqual(
      items.data.items?.map((i) => [i.snippet?.resourceId?.videoId, i.snippet?.position]),
      [
        [v3.id, 0],
        [v1.id, 1],
      ],
    );
    assert.equal(items.data.pageInfo?.totalResults, 3);
    const rest = await yt.playlistItems.list({
      part: ['snippet'],
      playlistId,
      maxResults: 2,
      pageToken: items.data.nextPageToken ?? '',
    });
    assert.deepEqual(
      rest.data.items?.map((i) => i.snippet?.resourceId?.videoId),
      [v2.id],
    );

    const outOfRange = await failure(add(v1.id, 9));
    assert.equal(outOfRange.status, 400);
    assert.equal(reasonOf(outOfRange.data), 'invalidPlaylistItemPosition');
    const noList = await failure(
      yt.playlistItems.insert({
        part: ['snippet'],
        requestBody: {
          snippet: { playlistId: 'PLnope', resourceId: { kind: 'youtube#video', videoId: v1.id } },
        },
      }),
    );
    assert.equal(noList.status, 404);
    assert.equal(reasonOf(noList.data), 'playlistNotFound');
    const noVideo = await failure(add('nonexistent'));
    assert.equal(reasonOf(noVideo.data), 'videoNotFound');

    const moved = await yt.playlistItems.update({
      part: ['snippet'],
      requestBody: {
        id: fake.playlists.get(playlistId)?.itemIds[2] ?? '',
        snippet: { playlistId, resourceId: { kind: 'youtube#video', videoId: v2.id }, position: 0 },
      },
    });
    assert.equal(moved.data.snippet?.position, 0);
    assert.equal(fake.playlistItems.get(fake.playlists.get(playlistId)?.itemIds[0] ?? '')?.videoId, v2.id);
  });

  test('videos.update replaces the snippet; rate, getRating, myRating; delete checks ownership', async () => {
    const video = fake.addVideo(alice, {
      title: 'Old',
      description: 'keep?',
      tags: ['a', 'b'],
      categoryId: '10',
    });
    const updated = await yt.videos.update({
      part: ['snippet'],
      requestBody: { id: video.id, snippet: { title: 'New', categoryId: '22' } },
    });
    assert.equal(updated.data.snippet?.title, 'New');
    assert.equal(updated.data.snippet?.description, '', 'omitted description is dropped');
    assert.equal(updated.data.snippet?.tags, undefined, 'omitted tags are dropped');
    assert.deepEqual(fake.videos.get(video.id)?.snippet, { title: 'New', description: '', categoryId: '22' });
    const noCategory = await failure(
      yt.videos.update({ part: ['snippet'], requestBody: { id: video.id, snippet: { title: 'x' } } }),
    );
    assert.equal(reasonOf(noCategory.data), 'invalidCategoryId');
    const badTitle = await failure(
      yt.videos.update({
        part: ['snippet'],
        requestBody: { id: video.id, snippet: { title: 'a<b', categoryId: '22' } },
      }),
    );
    assert.equal(reasonOf(badTitle.data), 'invalidTitle');
    const tooManyTags = Array.from({ length: 60 }, (_, i) => `tag number ${i}`);
    const badTags = await failure(
      yt.videos.update({
        part: ['snippet'],
        requestBody: { id: video.id, snippet: { title: 'x', categoryId: '22', tags: tooManyTags } },
      }),
    );
    assert.equal(reasonOf(badTags.data), 'invalidTags');

    const other = fake.addVideo(bob, { title: 'Bob clip' });
    await yt.videos.rate({ id: other.id, rating: 'like' });
    assert.equal(fake.ratings.get(`${alice.channel?.id ?? ''}:${other.id}`), 'like');
    const rating = await yt.videos.getRating({ id: [other.id, video.id] });
    assert.deepEqual(rating.data.items, [
      { videoId: other.id, rating: 'like' },
      { videoId: video.id, rating: 'none' },
    ]);
    const liked = await yt.videos.list({ part: ['snippet'], myRating: 'like' });
    assert.deepEqual(
      liked.data.items?.map((v) => v.id),
      [other.id],
    );

    const forbidden = await failure(yt.videos.delete({ id: other.id }));
    assert.equal(forbidden.status, 403);
    assert.equal(reasonOf(forbidden.data), 'forbidden');
    const deleted = await yt.videos.delete({ id: video.id });
    assert.equal(deleted.status, 204);
    assert.equal(reasonOf((await failure(yt.videos.delete({ id: video.id }))).data), 'videoNotFound');
    assert.deepEqual((await yt.videos.list({ part: ['id'], id: [video.id] })).data.items, []);
  });

  test('media and multipart uploads store the exact bytes; processing goes processing → succeeded', async () => {
    const source = randomBytes(700_000);
    const media = await yt.videos.insert(
      { part: ['snippet', 'status'], media: { mimeType: 'video/mp4', body: Readable.from([source]) } },
      { rootUrl: fake.apiRoot },
    );
    const stored = fake.videos.get(media.data.id ?? '');
    assert.equal(stored?.uploadType, 'media');
    assert.equal(stored.sha256, sha256(source));
    assert.equal(stored.size, source.length);

    const multi = await yt.videos.insert(
      {
        part: ['snippet', 'status'],
        notifySubscribers: false,
        requestBody: {
          snippet: {
            title: 'Surfing',
            description: 'Santa Cruz',
            tags: ['surfing', 'Santa Cruz'],
            categoryId: '22',
          },
          status: { privacyStatus: 'private' },
        },
        media: {
          mimeType: 'video/webm',
          body: Readable.from([source.subarray(0, 300_000), source.subarray(300_000)]),
        },
      },
      { rootUrl: fake.apiRoot },
    );
    const video = fake.videos.get(multi.data.id ?? '');
    assert.equal(video?.uploadType, 'multipart');
    assert.equal(video.sha256, sha256(source));
    assert.equal(video.contentType, 'video/webm');
    assert.equal(video.notifySubscribers, false);
    assert.deepEqual(video.snippet.tags, ['surfing', 'Santa Cruz']);
    assert.equal(multi.data.status?.uploadStatus, 'uploaded');

    const poll = async () =>
      (await yt.videos.list({ part: ['processingDetails', 'status'], id: [video.id] })).data.items?.[0];
    assert.equal((await poll())?.processingDetails?.processingStatus, 'processing');
    assert.equal((await poll())?.processingDetails?.processingStatus, 'processing');
    const done = await poll();
    assert.equal(done?.processingDetails?.processingStatus, 'succeeded');
    assert.equal(done?.status?.uploadStatus, 'processed');
    fake.setProcessing(video.id, { outcome: 'rejected', reason: 'duplicate' });
    assert.equal((await poll())?.status?.rejectionReason, 'duplicate');
  });

  test('quotaExceeded once the units are spent; inserts have their own bucket', async () => {
    fake.quotaLimit.units = fake.quotaUsed.units + 2;
    await yt.channels.list({ part: ['id'], mine: true });
    await failure(yt.channels.list({ part: [], mine: true })); // an invalid request costs too
    const refused = await failure(yt.channels.list({ part: ['id'], mine: true }));
    assert.equal(refused.status, 403);
    assert.equal(reasonOf(refused.data), 'quotaExceeded');
    assert.equal(
      (refused.data['error'] as { errors: { domain: string }[] }).errors[0]?.domain,
      'youtube.quota',
    );
    const upload = await yt.videos.insert(
      { part: ['id'], media: { mimeType: 'video/mp4', body: Readable.from([Buffer.from('v')]) } },
      { rootUrl: fake.apiRoot },
    );
    assert.ok(upload.data.id, 'the insert bucket is separate');
    fake.quotaLimit.units = 10_000;
  });
});

describe('resumable upload by hand with undici', () => {
  let fake: FakeGoogle;
  let token: string;
  before(async () => {
    fake = await FakeGoogle.start({ unverifiedProject: true });
    const alice = fake.addAccount({ email: 'alice@example.com' });
    token = fake.mintTokens(alice, ['youtube.upload']).access_token;
  });
  after(() => fake.close());

  async function startSession(total: number, type = 'video/mp4') {
    return request(`${fake.apiRoot}upload/youtube/v3/videos?uploadType=resumable&part=snippet,status`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json; charset=UTF-8',
        'x-upload-content-length': String(total),
        'x-upload-content-type': type,
      },
      body: JSON.stringify({
        snippet: { title: 'Summer vacation', categoryId: '22' },
        status: { privacyStatus: 'public' },
      }),
    });
  }

  test('unaligned chunk, dropped PUT, status query, resume, completion', async () => {
    const source = randomBytes(3 * 262_144 + 1000);
    const total = source.length;
    const started = await startSession(total);
    assert.equal(started.statusCode, 200);
    await started.body.dump();
    const session = String(started.headers['location']);
    assert.match(session, /upload_id=/);
    assert.equal(fake.quotaUsed.inserts, 1);

    const put = (from: number, to: number) =>
      request(session, {
        method: 'PUT',
        headers: { 'content-range': `bytes ${from}-${to}/${total}` },
        body: source.subarray(from, to + 1),
      });
    const query = async () => {
      const r = await request(session, {
        method: 'PUT',
        headers: { 'content-range': `bytes */${total}`, 'content-length': '0' },
      });
      await r.body.dump();
      return r;
    };

    const unaligned = await put(0, 299_999);
    await unaligned.body.dump();
    assert.equal(unaligned.statusCode, 308);
    assert.equal(
      unaligned.headers['range'],
      'bytes=0-262143',
      'only whole 256 KiB units of a non-final chunk are kept',
    );

    fake.fail({ method: 'PUT', path: /upload_id=/ }, { dropAfterBytes: 300_000 });
    await assert.rejects(put(262_144, total - 1));
    const afterDrop = await query();
    assert.equal(afterDrop.statusCode, 308);
    assert.equal(
      afterDrop.headers['range'],
      'bytes=0-524287',
      'what arrived, rounded down to the granularity',
    );

    const wrongOffset = await put(0, total - 1);
    await wrongOffset.body.dump();
    assert.equal(wrongOffset.statusCode, 308, 'a PUT not starting at the stored end stores nothing');
    assert.equal(wrongOffset.headers['range'], 'bytes=0-524287');

    const last = await put(524_288, total - 1);
    assert.equal(last.statusCode, 200);
    const video = (await last.body.json()) as {
      id: string;
      status: { uploadStatus: string; privacyStatus: string };
    };
    assert.equal(video.status.uploadStatus, 'uploaded');
    assert.equal(video.status.privacyStatus, 'private', 'an unverified project ends private');
    const stored = fake.videos.get(video.id);
    assert.equal(stored?.sha256, sha256(source));
    assert.equal(stored.requestedPrivacyStatus, 'public');
    assert.equal(stored.uploadType, 'resumable');

    const again = await request(session, {
      method: 'PUT',
      headers: { 'content-range': `bytes */${total}`, 'content-length': '0' },
    });
    assert.equal(again.statusCode, 200);
    assert.equal(((await again.body.json()) as { id: string }).id, video.id);
    assert.equal(fake.quotaUsed.inserts, 1, 'chunks and status queries cost nothing');
  });

  test('lost session → 404; bad media type → 400; injected 503 → Google error JSON', async () => {
    const started = await startSession(10);
    await started.body.dump();
    const session = String(started.headers['location']);
    const id = new URL(session).searchParams.get('upload_id') ?? '';
    fake.expireSession(id);
    const lost = await request(session, { method: 'PUT', body: Buffer.alloc(10) });
    await lost.body.dump();
    assert.equal(lost.statusCode, 404);
    const unknown = await request(
      `${fake.apiRoot}upload/youtube/v3/videos?uploadType=resumable&upload_id=nope`,
      { method: 'PUT', body: 'x' },
    );
    await unknown.body.dump();
    assert.equal(unknown.statusCode, 404);

    const text = await startSession(10, 'text/plain');
    assert.equal(text.statusCode, 400);
    assert.equal(
      ((await text.body.json()) as { error: { errors: { reason: string }[] } }).error.errors[0]?.reason,
      'badContent',
    );

    fake.fail({ path: /^\/youtube\/v3\/channels$/ }, { status: 503 });
    const down = await request(`${fake.apiRoot}youtube/v3/channels?part=id&mine=true`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(down.statusCode, 503);
    assert.deepEqual(await down.body.json(), {
      error: {
        code: 503,
        message: 'Backend Error',
        errors: [{ message: 'Backend Error', domain: 'global', reason: 'backendError' }],
      },
    });
    const unauthenticated = await request(`${fake.apiRoot}youtube/v3/channels?part=id&mine=true`, {
      headers: { authorization: 'Bearer nope' },
    });
    assert.equal(unauthenticated.statusCode, 401);
    assert.match(String(unauthenticated.headers['www-authenticate']), /error="invalid_token"/);
    await unauthenticated.body.dump();
    assert.ok(
      fake.requests.some((r) => r.method === 'PUT' && r.status === 0),
      'the dropped PUT is recorded without a status',
    );
  });
});
