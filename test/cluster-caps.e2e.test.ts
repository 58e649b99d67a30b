// The daily caps are exact across processes: two real bot processes on one PostgreSQL, each connected to
// its own Discord shard, so a member's commands in two servers are surely handled by two processes. Their
// uploads started at the same instant are admitted up to the member's cap, not one more.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FakeUser, InteractionHandle } from './fakes/discord.ts';
import { linkMember } from './support/link.ts';
import { mp4Bytes, sha256 } from './support/media.ts';
import { startCluster, type Cluster } from './support/cluster.ts';

// (id >> 22) % 2: 810… is on shard 0, 800…001 on shard 1.
const GUILD_0 = { id: '810000000000000000', name: 'Shard Zero', ownerId: '700000000000000081' };
const GUILD_1 = { id: '800000000000000001', name: 'Shard One', ownerId: '700000000000000081' };
const CHANNEL_0 = '900000000000000081';
const CHANNEL_1 = '900000000000000082';
const MEMBER: FakeUser = { id: '700000000000000082', username: 'capped' };
const CAP = 2;

let cluster: Cluster;

before(async () => {
  cluster = await startCluster({
    discord: {
      recommendedShards: 2,
      guilds: [
        { ...GUILD_0, channels: [{ id: CHANNEL_0, name: 'videos', type: 0 }] },
        { ...GUILD_1, channels: [{ id: CHANNEL_1, name: 'videos', type: 0 }] },
      ],
    },
    env: { DISCORD_SHARD_COUNT: '2', UPLOAD_DAILY_PER_MEMBER: String(CAP), UPLOAD_CONCURRENCY: '6' },
    each: [{ DISCORD_SHARDS: '0' }, { DISCORD_SHARDS: '1' }],
  });
});

after(async () => {
  await cluster?.close();
});

test("a member's uploads in two servers, handled by two processes at once, are admitted up to the daily cap and not one more", async () => {
  const { discord, google } = cluster;
  const account = google.addAccount({ email: 'capped@example.com', channel: { title: 'Capped' } });
  await linkMember(discord, google, MEMBER, account, GUILD_0.id);
  const sent = [GUILD_0, GUILD_1, GUILD_0, GUILD_1, GUILD_0, GUILD_1].map((guild, i) => {
    const channelId = guild === GUILD_0 ? CHANNEL_0 : CHANNEL_1;
    const data = mp4Bytes(64 * 1024, 800 + i);
    const file = discord.addAttachment({ filename: `capped-${i}.mp4`, data, channelId });
    const interaction: InteractionHandle = discord.sendCommand({
      name: 'upload',
      user: MEMBER,
      guildId: guild.id,
      channelId,
      attachments: [file],
      options: [{ type: 11, name: 'file', value: file.id }],
    });
    return { interaction, data, guild };
  });
  const outcomes = await Promise.all(
    sent.map(async ({ interaction }) => {
      const first = await interaction.waitForOriginal((m) => (m.content ?? '') !== '', 30_000);
      if (/uploads today/.test(first.content ?? '')) return 'refused';
      const final = await interaction.waitForOriginal(
        (m) => /is on YouTube|Upload failed/.test(m.content ?? ''),
        60_000,
      );
      return /is on YouTube/.test(final.content ?? '') ? 'uploaded' : `failed: ${final.content ?? ''}`;
    }),
  );
  // Both processes took part (each server's shard is another process's).
  for (const bot of cluster.bots) {
    assert.ok(
      bot.process.logs().some((e) => e['msg'] === 'interaction' && e['interaction'] === '/upload'),
      `process ${bot.name} handled some of the uploads`,
    );
  }
  assert.equal(outcomes.filter((o) => o === 'uploaded').length, CAP, outcomes.join(', '));
  assert.equal(outcomes.filter((o) => o === 'refused').length, sent.length - CAP, outcomes.join(', '));
  const videos = [...google.videos.values()].filter((v) => v.ownerChannelId === account.channel?.id);
  assert.equal(videos.length, CAP, 'exactly the cap reached YouTube');
  const uploaded = new Set(videos.map((v) => v.sha256));
  assert.equal(sent.filter((s) => uploaded.has(sha256(s.data))).length, CAP);
});
