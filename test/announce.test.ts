// Unit tests of the announcement pieces that need no servers: reading YouTube's feed, filling the template
// within Discord's limits, and the message body that pings only the configured role.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FeedError, parseFeed } from '../src/announce/feed.ts';
import { buildAnnouncement, renderContent, type AnnouncedVideo } from '../src/announce/render.ts';
import { announcementBody } from '../src/discord/announce.ts';
import { DEFAULT_SETTINGS, DEFAULT_TEMPLATE, type ServerSettings } from '../src/store/settings.ts';
import { announcementsBegan, verdict } from '../src/announce/policy.ts';

// The shape of a real channel feed (trimmed): namespaces, the feed-level id without "UC", entities, CDATA.
const FEED = `<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns:yt="http://www.youtube.com/xml/schemas/2015" xmlns:media="http://search.yahoo.com/mrss/" xmlns="http://www.w3.org/2005/Atom">
 <link rel="self" href="http://www.youtube.com/feeds/videos.xml?channel_id=UC_x5XG1OV2P6uZZ5FSM9Ttw"/>
 <id>yt:channel:_x5XG1OV2P6uZZ5FSM9Ttw</id>
 <yt:channelId>_x5XG1OV2P6uZZ5FSM9Ttw</yt:channelId>
 <title>Channel &amp; Friends</title>
 <entry>
  <id>yt:video:CBzLIKfWpdg</id>
  <yt:videoId>CBzLIKfWpdg</yt:videoId>
  <yt:channelId>UC_x5XG1OV2P6uZZ5FSM9Ttw</yt:channelId>
  <title>Fish &amp; chips: &lt;live&gt; &#39;2025&#39; &#x1F600;</title>
  <link rel="alternate" href="https://www.youtube.com/shorts/CBzLIKfWpdg"/>
  <author><name>Channel &amp; Friends</name><uri>https://www.youtube.com/channel/UC_x5XG1OV2P6uZZ5FSM9Ttw</uri></author>
  <published>2026-09-04T19:00:35+00:00</published>
  <updated>2026-09-04T19:00:35+00:00</updated>
  <media:group>
   <media:title>Fish</media:title>
   <media:thumbnail url="https://i4.ytimg.com/vi/CBzLIKfWpdg/hqdefault.jpg" width="480" height="360"/>
  </media:group>
 </entry>
 <entry>
  <yt:videoId>aaaaaaaaaa1</yt:videoId>
  <title><![CDATA[2025]]></title>
  <link rel="alternate" href="https://www.youtube.com/watch?v=aaaaaaaaaa1"/>
 </entry>
 <entry><yt:videoId>not an id</yt:videoId><title>skipped</title></entry>
</feed>`;

test('the feed: ids, titles decoded, Shorts told by their link, broken entries skipped', () => {
  const entries = parseFeed(FEED);
  assert.equal(entries.length, 2);
  assert.deepEqual(entries[0], {
    videoId: 'CBzLIKfWpdg',
    channelId: 'UC_x5XG1OV2P6uZZ5FSM9Ttw',
    title: "Fish & chips: <live> '2025' 😀",
    link: 'https://www.youtube.com/shorts/CBzLIKfWpdg',
    short: true,
    author: 'Channel & Friends',
    published: '2026-09-04T19:00:35+00:00',
    thumbnailUrl: 'https://i4.ytimg.com/vi/CBzLIKfWpdg/hqdefault.jpg',
  });
  assert.equal(entries[1]?.title, '2025', 'a numeric title stays a string');
  assert.equal(entries[1]?.short, false);
  assert.deepEqual(parseFeed(FEED.replace(/<entry>[\s\S]*<\/entry>/, '')), []);
});

test('what is not a YouTube feed is refused', () => {
  assert.throws(() => parseFeed('<html><body>Before you continue</body></html>'), FeedError);
  assert.throws(() => parseFeed('not xml at all <'), FeedError);
  const bomb = `<?xml version="1.0"?><!DOCTYPE feed [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><feed><title>&b;</title></feed>`;
  assert.throws(() => parseFeed(bomb), /DTD/);
});

const values = {
  title: 'Hello',
  url: 'https://youtu.be/x',
  uploader: '<@1>',
  channel: 'Chan',
  roleId: undefined,
};

test('the template: placeholders filled, the role in front unless placed, markdown in titles shown as typed', () => {
  assert.equal(
    renderContent(DEFAULT_TEMPLATE, values),
    '📺 New video from <@1>: **Hello** https://youtu.be/x',
  );
  assert.equal(renderContent('{title} {unknown}', { ...values, roleId: '42' }), '<@&42> Hello {unknown}');
  assert.equal(renderContent('{title}! {role}', { ...values, roleId: '42' }), 'Hello! <@&42>');
  assert.equal(renderContent('{title} {role}', values), 'Hello');
  assert.equal(
    renderContent('{title} on {channel}', { ...values, title: '**bold** [x](y) @everyone', channel: 'a_b' }),
    '\\*\\*bold\\*\\* \\[x\\](y) @\u200beveryone on a\\_b',
  );
});

test('an announcement stays within 2,000 characters by shortening the title first', () => {
  const long = 'x'.repeat(2500);
  const content = renderContent('New: {title} {url}', { ...values, title: long });
  assert.ok([...content].length <= 2000);
  assert.ok(content.endsWith(' https://youtu.be/x'), 'the link survives');
  const hugeTemplate = renderContent('y'.repeat(3000), values);
  assert.equal([...hugeTemplate].length, 2000);
});

test('the message: embed with title, link, thumbnail and uploader; only the role may ping', () => {
  const video: AnnouncedVideo = {
    id: 'CBzLIKfWpdg',
    title: 't'.repeat(300),
    channelId: 'UC_x5XG1OV2P6uZZ5FSM9Ttw',
    channelTitle: 'Chan',
    thumbnailUrl: 'https://i.ytimg.com/vi/CBzLIKfWpdg/hqdefault.jpg',
    memberId: '700000000000000001',
    short: false,
    live: false,
  };
  const a = buildAnnouncement(
    '800000000000000001',
    { announceChannelId: '900000000000000001', announceRoleId: '42', template: DEFAULT_TEMPLATE },
    video,
  );
  const body = announcementBody(a);
  assert.deepEqual(body.allowed_mentions, { parse: [], roles: ['42'] });
  const embed = body.embeds?.[0];
  assert.equal([...(embed?.title ?? '')].length, 256);
  assert.equal(embed?.url, 'https://youtu.be/CBzLIKfWpdg');
  assert.equal(embed?.image?.url, video.thumbnailUrl);
  assert.deepEqual(embed?.fields, [{ name: 'Uploaded by', value: '<@700000000000000001>', inline: true }]);
  assert.match(body.content ?? '', /^<@&42> 📺 New video from <@700000000000000001>/);

  const outside = announcementBody(
    buildAnnouncement(
      '800000000000000001',
      { announceChannelId: '900000000000000001', announceRoleId: undefined, template: DEFAULT_TEMPLATE },
      { ...video, memberId: undefined, title: 'Short one', short: true },
    ),
  );
  assert.deepEqual(outside.allowed_mentions, { parse: [], roles: [] });
  assert.equal(outside.content, '📺 New video from Chan: **Short one** https://youtu.be/CBzLIKfWpdg');
  assert.equal(outside.embeds?.[0]?.footer?.text, 'YouTube · Short');
});

test("the server's choice: its own channel's public videos; members' and unlisted ones only when opted in", () => {
  const s = (patch: Partial<ServerSettings> = {}): ServerSettings => ({ ...DEFAULT_SETTINGS, ...patch });
  assert.deepEqual(verdict(s(), { onServerChannel: true, privacy: 'public' }), {
    announce: true,
    ping: true,
  });
  assert.equal(verdict(s(), { onServerChannel: false, privacy: 'public' }).announce, false);
  assert.equal(verdict(s(), { onServerChannel: true, privacy: 'unlisted' }).announce, false);
  assert.deepEqual(verdict(s({ announceMembers: true }), { onServerChannel: false, privacy: 'public' }), {
    announce: true,
    ping: false,
  });
  assert.deepEqual(
    verdict(s({ announceMembers: true, announceMembersPing: true }), {
      onServerChannel: false,
      privacy: 'public',
    }),
    { announce: true, ping: true },
  );
  assert.equal(
    verdict(s({ announceMembers: true }), { onServerChannel: false, privacy: 'unlisted' }).announce,
    false,
  );
  assert.equal(
    verdict(s({ announceUnlisted: true }), { onServerChannel: true, privacy: 'unlisted' }).announce,
    true,
  );
});

test('announcements begin at the later of choosing the channel and linking it; unknown for old settings', () => {
  const s = (announceSince: number | undefined): ServerSettings => ({ ...DEFAULT_SETTINGS, announceSince });
  assert.equal(announcementsBegan(s(undefined), '2026-01-01T00:00:00Z'), undefined);
  assert.equal(announcementsBegan(s(1000), undefined), 1000);
  assert.equal(announcementsBegan(s(1000), '2026-01-01T00:00:00Z'), Date.parse('2026-01-01T00:00:00Z'));
  assert.equal(
    announcementsBegan(s(Date.parse('2027-01-01T00:00:00Z')), '2026-01-01T00:00:00Z'),
    Date.parse('2027-01-01T00:00:00Z'),
  );
});
