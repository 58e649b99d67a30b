// Proves the Google fake's channel feed (www.youtube.com/feeds/videos.xml) and its live, Short and scheduled
// videos, read back with fast-xml-parser and @googleapis/youtube as the bot reads them.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { youtube } from '@googleapis/youtube';
import { OAuth2Client } from 'google-auth-library';
import { XMLParser } from 'fast-xml-parser';
import { FakeGoogle, type FakeAccount } from './google.ts';

let google: FakeGoogle;
let account: FakeAccount;

before(async () => {
  google = await FakeGoogle.start();
  account = google.addAccount({ email: 'feed@example.com', channel: { title: 'Feed & Co' } });
});

after(() => google.close());

const feedOf = (channelId: string) => fetch(`${google.feedUrl}?channel_id=${encodeURIComponent(channelId)}`);

function api() {
  const client = new OAuth2Client({ clientId: google.clientId, clientSecret: google.clientSecret });
  client.setCredentials(google.mintTokens(account, ['youtube']));
  return youtube({ version: 'v3', auth: client, rootUrl: google.apiRoot });
}

type Entry = Record<string, unknown> & { link: { '@_href': string }[] };

test('the feed lists public processed videos, newest first, 15 at most, with no auth and no quota', async () => {
  const channelId = account.channel?.id ?? '';
  for (let i = 0; i < 16; i++) {
    google.addVideo(account, { title: `Video ${i}` });
    google.advanceClock(1000);
  }
  google.addVideo(account, { title: 'Hidden', privacyStatus: 'private' });
  google.addVideo(account, { title: 'Unlisted', privacyStatus: 'unlisted' });
  const short = google.addVideo(account, { title: "Tiny clip & 'more'", short: true });
  const units = google.quotaUsed.units;

  const res = await feedOf(channelId);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/xml/);
  const doc = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    parseTagValue: false,
    htmlEntities: true, // YouTube writes ' as &#39;
    isArray: (name) => name === 'entry' || name === 'link',
  }).parse(await res.text()) as { feed: { entry: Entry[]; 'yt:channelId': string; title: string } };
  assert.equal(google.quotaUsed.units, units, 'the feed costs no quota');
  assert.equal(doc.feed.title, 'Feed & Co');
  assert.equal(doc.feed['yt:channelId'], channelId.slice(2), 'the feed-level id drops "UC", as YouTube does');
  const entries = doc.feed.entry;
  assert.equal(entries.length, 15);
  const first = entries[0];
  assert.ok(first);
  assert.equal(first['yt:videoId'], short.id, 'newest first');
  assert.equal(first['title'], "Tiny clip & 'more'");
  assert.equal(first['yt:channelId'], channelId);
  assert.equal(first.link[0]?.['@_href'], `https://www.youtube.com/shorts/${short.id}`);
  assert.deepEqual(first['author'], {
    name: 'Feed & Co',
    uri: `https://www.youtube.com/channel/${channelId}`,
  });
  assert.match(String(first['published']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
  const group = first['media:group'] as Record<string, Record<string, string>>;
  assert.equal(group['media:thumbnail']?.['@_url'], `https://i1.ytimg.com/vi/${short.id}/hqdefault.jpg`);
  assert.match(entries[1]?.link[0]?.['@_href'] ?? '', /^https:\/\/www\.youtube\.com\/watch\?v=/);
  const titles = entries.map((e) => e['title']);
  assert.ok(!titles.includes('Hidden') && !titles.includes('Unlisted'), 'only public videos');
  assert.ok(!titles.includes('Video 0') && !titles.includes('Video 1'), 'the oldest fall off');

  assert.equal((await feedOf('UCxxxxxxxxxxxxxxxxxxxxxx')).status, 404);
  assert.equal((await fetch(google.feedUrl)).status, 404);
});

test('live broadcasts carry liveBroadcastContent and liveStreamingDetails; other videos do not', async () => {
  const onAir = google.addVideo(account, { title: 'On air', live: 'live' });
  const later = google.addVideo(account, { title: 'Later', live: 'upcoming' });
  const plain = google.addVideo(account, { title: 'Plain' });
  const { data } = await api().videos.list({
    part: ['snippet', 'liveStreamingDetails'],
    id: [onAir.id, later.id, plain.id],
  });
  const byId = new Map((data.items ?? []).map((v) => [v.id, v]));
  assert.equal(byId.get(onAir.id)?.snippet?.liveBroadcastContent, 'live');
  assert.ok(byId.get(onAir.id)?.liveStreamingDetails?.actualStartTime);
  assert.equal(byId.get(later.id)?.snippet?.liveBroadcastContent, 'upcoming');
  assert.equal(byId.get(later.id)?.liveStreamingDetails?.actualStartTime, undefined);
  assert.equal(byId.get(plain.id)?.snippet?.liveBroadcastContent, 'none');
  assert.equal(byId.get(plain.id)?.liveStreamingDetails, undefined);
});

test('a scheduled video turns public at its publishAt on the fake clock and then appears in the feed', async () => {
  const at = new Date(google.now() + 3600_000).toISOString();
  const scheduled = google.addVideo(account, { title: 'Soon', privacyStatus: 'private', publishAt: at });
  const listed = async () =>
    (await (await feedOf(account.channel?.id ?? '')).text()).includes(`<yt:videoId>${scheduled.id}<`);
  assert.equal(scheduled.status.privacyStatus, 'private');
  assert.equal(await listed(), false);
  google.advanceClock(3600_000 + 1000);
  assert.equal(scheduled.status.privacyStatus, 'public');
  assert.equal(scheduled.status.publishAt, undefined);
  assert.equal(scheduled.publishedAt, new Date(at).toISOString(), 'publishedAt: when it was made public');
  assert.equal(await listed(), true);
});
