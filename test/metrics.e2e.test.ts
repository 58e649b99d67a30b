// GET /metrics of a real bot process, in Prometheus' text format: after a link, an upload (with one
// 503 from YouTube on the way), a few commands, one Discord 429 and one Google 403, the counters say
// exactly that. METRICS_TOKEN guards it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeDiscord, type FakeUser } from './fakes/discord.ts';
import { FakeGoogle } from './fakes/google.ts';
import { baseEnv, fakeEnv, freePort, startBot, type BotProcess } from './support/bot.ts';
import { linkMember } from './support/link.ts';
import { MiB, mp4Bytes } from './support/media.ts';

const GUILD = '800000000000000081';
const CHANNEL = '900000000000000081';
const ALICE: FakeUser = { id: '700000000000000081', username: 'alice' };
const TOKEN = 'metrics-token-0123456789abcdef';

let discord: FakeDiscord;
let google: FakeGoogle;
let bot: BotProcess;
let origin: string;

before(async () => {
  discord = await FakeDiscord.start({
    guilds: [
      { id: GUILD, name: 'Metrics', ownerId: ALICE.id, channels: [{ id: CHANNEL, name: 'videos', type: 0 }] },
    ],
  });
  const port = await freePort();
  google = await FakeGoogle.start({ redirectUris: [`http://127.0.0.1:${port}/oauth/callback`] });
  bot = startBot(
    baseEnv({
      ...fakeEnv(discord, google),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      HTTP_PORT: String(port),
      METRICS_TOKEN: TOKEN,
    }),
  );
  await bot.waitForLog((e) => e['msg'] === 'discord ready', 'the bot to be ready', 30_000);
  origin = await bot.httpOrigin();
});

after(async () => {
  await bot.stop('SIGKILL');
  await discord.close();
  await google.close();
});

/** Samples of the text format: `name{a="1",b="2"}` → value (labels sorted), comments skipped. */
function parse(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(match, `a sample line: ${line}`);
    const labels = [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)]
      .map(([, name, value]) => `${name}="${value}"`)
      .sort();
    samples.set(`${match[1]}${labels.length ? `{${labels.join(',')}}` : ''}`, Number(match[3]));
  }
  return samples;
}

async function scrape(): Promise<Map<string, number>> {
  const response = await fetch(`${origin}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return parse(await response.text());
}

test('without METRICS_TOKEN as a bearer token /metrics answers 401 and shows nothing', async () => {
  for (const headers of [{}, { authorization: 'Bearer wrong-token-0123456789' }, { authorization: TOKEN }]) {
    const response = await fetch(`${origin}/metrics`, { headers });
    assert.equal(response.status, 401);
    assert.doesNotMatch(await response.text(), /tubebridge_|process_/);
  }
});

test('after an upload and a few commands the counters show what happened', async () => {
  const account = google.addAccount({ email: 'alice@example.com', channel: { title: 'Alice Metrics' } });
  await linkMember(discord, google, ALICE, account, GUILD);
  const before = await scrape();
  assert.equal(before.get('tubebridge_uploads_done_total'), 0);
  assert.equal(before.get('tubebridge_upload_bytes_sent_total'), 0);

  // YouTube answers the first data PUT with a 503 (retried); Discord answers one progress edit with a 429.
  google.fail({ method: 'PUT', path: /\/upload\/youtube\/v3\/videos/ }, { status: 503 });
  discord.failNext({ method: 'PATCH', pathPattern: /^\/webhooks\// }, { status: 429 });
  const size = 3 * MiB;
  const file = discord.addAttachment({
    filename: 'metrics.mp4',
    data: mp4Bytes(size, 81),
    channelId: CHANNEL,
  });
  const upload = discord.sendCommand({
    name: 'upload',
    user: ALICE,
    guildId: GUILD,
    channelId: CHANNEL,
    attachments: [file],
    options: [{ type: 11, name: 'file', value: file.id }],
  });
  const final = await upload.waitForOriginal(
    (m) => /is on YouTube|Upload failed/.test(m.content ?? ''),
    60_000,
  );
  assert.match(final.content ?? '', /is on YouTube/);

  for (let i = 0; i < 3; i++)
    await discord.sendCommand({ name: 'help', user: ALICE, guildId: GUILD }).response();
  // Google refuses the like (403 forbidden): one Google error the member reads as a sentence.
  google.fail({ method: 'POST', path: /\/youtube\/v3\/videos\/rate/ }, { status: 403, reason: 'forbidden' });
  const like = discord.sendCommand({
    name: 'favorite',
    user: ALICE,
    guildId: GUILD,
    options: [{ type: 3, name: 'video', value: [...google.videos.keys()][0] ?? '' }],
  });
  await like.waitForOriginal((m) => (m.content ?? '') !== '', 15_000);
  // What /server status tells moderators about today's shared quota (the same count).
  const status = discord.sendCommand({
    name: 'server',
    user: ALICE,
    guildId: GUILD,
    options: [{ type: 1, name: 'status', options: [] }],
  });
  const shown = await status.waitForOriginal((m) => / units /.test(JSON.stringify(m)), 15_000);
  const units = Number(/([\d,]+) of [\d,]+ units/.exec(JSON.stringify(shown))?.[1]?.replace(/,/g, ''));
  assert.ok(units > 50, `the like's 50 units are counted though Google refused it (${units})`);

  const after = await scrape();
  assert.equal(after.get('tubebridge_uploads_done_total'), 1);
  assert.equal(after.get('tubebridge_uploads_queued'), 0);
  assert.equal(after.get('tubebridge_uploads_running'), 0);
  assert.equal([...after.keys()].filter((k) => k.startsWith('tubebridge_uploads_failed_total')).length, 0);
  const bytes = after.get('tubebridge_upload_bytes_sent_total') ?? 0;
  assert.ok(bytes >= size && bytes <= 2 * size, `bytes sent ${bytes}: the file, and what the 503 cost`);
  assert.equal(after.get('tubebridge_upload_throughput_bytes_per_second_count'), 1);
  assert.ok((after.get('tubebridge_upload_throughput_bytes_per_second_sum') ?? 0) > 0);

  // /link, /upload, three /help, /favorite, /server status: seven interactions acknowledged, within 3 s.
  assert.equal(after.get('tubebridge_interaction_ack_seconds_count'), 7);
  assert.equal(after.get('tubebridge_interaction_ack_seconds_bucket{le="3"}'), 7);
  assert.ok((after.get('tubebridge_interaction_ack_seconds_sum') ?? 0) > 0);

  assert.equal(after.get('tubebridge_api_errors_total{api="google",status="503"}'), 1);
  assert.equal(after.get('tubebridge_api_errors_total{api="google",status="403"}'), 1);
  assert.equal(after.get('tubebridge_api_errors_total{api="discord",status="429"}'), 1);

  // The bot's own count of the shared quota, as /server status shows it.
  assert.equal(after.get('tubebridge_quota_units_used_today'), units);
  assert.equal(after.get('tubebridge_quota_uploads_used_today'), 1);
  assert.equal(after.get('tubebridge_leases_held'), 0);
  assert.equal(after.get('tubebridge_leases_taken_over_total'), 0);

  // Node's own: event-loop lag and the process's memory.
  assert.ok(after.has('nodejs_eventloop_lag_p99_seconds'));
  assert.ok((after.get('process_resident_memory_bytes') ?? 0) > 0);
});
