// Page-upload benchmark: a file chosen on the upload page in headless Chromium goes page → bot (tus)
// → Google fake (resumable session), beside the raw pipe (the same file read from disk into one PUT
// to a resumable session, no protocol work) in the same run. Reports the throughput ratio, the bot's
// peak RSS growth and the bytes the bot wrote to storage.
//
//   npm run bench:upload:page -- [--sizes 256,1024] [--runs 1]
//
// Method: the fakes run in this process, their session files and the source file on /dev/shm when
// it exists (BENCH_TMPDIR overrides). The bot is the real one (`node src/index.ts`, with
// `--max-semi-space-size=1` as `npm start`), a child process; its RSS is sampled every 20 ms from
// /proc/<pid>/status (VmRSS) during the transfer, and the growth above its RSS just before is
// reported (VmHWM beside it). Storage: /proc/<pid>/io write_bytes over the transfer (the job record
// saves; a relay that spooled would show the file's size). Throughput: size over wall time from
// choosing the file to the page showing the video's link (the raw pipe: from the first request to
// YouTube's final answer). Each stored video is checked (size and sha256). Medians over --runs.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { request } from 'undici';

const MiB = 1024 * 1024;
const TARGETS = { ratioToRaw: 0.8, rssGrowthMiB: 64 };
const CHROMIUM = '/usr/bin/chromium';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 && args[at + 1] !== undefined ? args[at + 1]! : fallback;
};
const sizes = option('sizes', '256').split(',').map(Number);
const runs = Number(option('runs', '1'));

if (process.env['BENCH_TMPDIR'] !== undefined) process.env['TMPDIR'] = process.env['BENCH_TMPDIR'];
else if (existsSync('/dev/shm')) process.env['TMPDIR'] = '/dev/shm';

const { chromium } = await import('playwright-core');
const { FakeDiscord, GeneratedContent } = await import('../test/fakes/discord.ts');
const { FakeGoogle } = await import('../test/fakes/google.ts');
const { baseEnv, fakeEnv, freePort, startBot } = await import('../test/support/bot.ts');
const { linkMember } = await import('../test/support/link.ts');

const statusKiB = (pid: number, field: string): number => {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? NaN);
};
const writeBytes = (pid: number): number =>
  Number(/^write_bytes: (\d+)/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1] ?? NaN);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
const fixed = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '–');

const GUILD = '800000000000000991';
const CHANNEL = '900000000000000991';
const USER = { id: '700000000000000991', username: 'bench', global_name: 'Bench' };

const dir = mkdtempSync(join(tmpdir(), 'tb-page-bench-'));
const dataDir = mkdtempSync('/var/tmp/tb-page-bench-');
const discord = await FakeDiscord.start({
  guilds: [{ id: GUILD, name: 'Bench', ownerId: USER.id, channels: [{ id: CHANNEL, name: 'v', type: 0 }] }],
});
const port = await freePort();
const google = await FakeGoogle.start({
  redirectUris: [`http://127.0.0.1:${port}/oauth/callback`],
  quota: { inserts: 1_000_000, units: 1_000_000 },
});
const bot = startBot({
  ...baseEnv({
    ...fakeEnv(discord, google),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    HTTP_PORT: String(port),
    LOG_LEVEL: 'info',
    UPLOAD_DAILY_PER_MEMBER: '1000',
    UPLOAD_MAX_BYTES: String(64 * 1024 * MiB),
    // The bot's data on a real disk (not the tmpfs the fakes use), so its writes show in write_bytes.
    STORE_URL: `sqlite://${dataDir}/tubebridge.sqlite`,
  }),
  NODE_OPTIONS: '--max-semi-space-size=1',
});
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-sync',
  ],
});
const rows: string[] = [];
try {
  await bot.waitForLog((e) => e['msg'] === 'discord ready', 'the bot to be ready', 60_000);
  const account = google.addAccount({ email: 'bench@example.com', channel: { title: 'Bench' } });
  await linkMember(discord, google, USER, account, GUILD);
  const pid = bot.child.pid ?? 0;

  for (const sizeMiB of sizes) {
    const size = Math.round(sizeMiB * MiB);
    const path = join(dir, `bench-${sizeMiB}.mp4`);
    const hash = createHash('sha256');
    writeFileSync(path, '');
    const { appendFileSync } = await import('node:fs');
    // Deterministic bytes behind an MP4 'ftyp' box: the page and the bot check the first bytes.
    const FTYP = Buffer.from('000000206674797069736f6d0000020069736f6d69736f32617663316d703431', 'hex');
    let first = true;
    for (const generated of new GeneratedContent(size, 7000 + sizeMiB).slices(0, size - 1)) {
      const slice = first ? Buffer.concat([FTYP, generated.subarray(FTYP.length)]) : generated;
      first = false;
      hash.update(slice);
      appendFileSync(path, slice);
    }
    const sha256 = hash.digest('hex');
    const check = (videoId: string | undefined, what: string) => {
      const video = google.videos.get(videoId ?? '');
      if (video?.size !== size || video.sha256 !== sha256)
        throw new Error(`${what}: the stored video does not match`);
    };
    const raw: number[] = [];
    const page: number[] = [];
    const rss: number[] = [];
    const hwm: number[] = [];
    const disk: number[] = [];
    for (let run = 0; run < runs; run++) {
      // The raw pipe: the file from disk into one PUT, as fast as the fake takes it.
      const token = google.mintTokens(account, ['youtube']).access_token;
      const started = Date.now();
      const created = await request(
        `${google.apiRoot}upload/youtube/v3/videos?uploadType=resumable&part=snippet,status`,
        {
          method: 'POST',
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            'x-upload-content-length': String(size),
            'x-upload-content-type': 'video/mp4',
          },
          body: JSON.stringify({
            snippet: { title: 'raw', categoryId: '22' },
            status: { privacyStatus: 'private' },
          }),
        },
      );
      await created.body.dump();
      const session = String(created.headers['location']);
      const put = await request(session, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}`, 'content-length': String(size) },
        body: createReadStream(path, { highWaterMark: 256 * 1024 }),
      });
      const answer = (await put.body.json()) as { id?: string };
      process.stderr.write(`raw pipe: ${put.statusCode}\n`);
      raw.push(size / MiB / ((Date.now() - started) / 1000));
      check(answer.id, 'raw pipe');

      // The page: /upload without a file, the link, the file chosen in Chromium.
      const interaction = discord.sendCommand({
        name: 'upload',
        user: USER,
        guildId: GUILD,
        channelId: CHANNEL,
      });
      const reply = await interaction.waitForOriginal((m) => (m.components?.length ?? 0) > 0, 30_000);
      const url = (reply.components as { components: { url?: string }[] }[])[0]?.components[0]?.url ?? '';
      const tab = await browser.newPage();
      await tab.goto(url);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const idle = statusKiB(pid, 'VmRSS');
      const idleHwm = statusKiB(pid, 'VmHWM');
      const wroteBefore = writeBytes(pid);
      let peak = idle;
      const sampler = setInterval(() => {
        peak = Math.max(peak, statusKiB(pid, 'VmRSS'));
      }, 20);
      const t0 = Date.now();
      await tab.setInputFiles('#file', path);
      // The link, or the page's sentence when it failed.
      await tab.locator('#message a, #message.error').first().waitFor({ timeout: 3_600_000 });
      if ((await tab.locator('#message a').count()) === 0) {
        throw new Error(`the page upload failed: ${await tab.locator('#message').innerText()}`);
      }
      const seconds = (Date.now() - t0) / 1000;
      clearInterval(sampler);
      const link = await tab.locator('#message a').innerText();
      check(link.split('/').pop(), 'page upload');
      page.push(size / MiB / seconds);
      rss.push((peak - idle) / 1024);
      hwm.push((statusKiB(pid, 'VmHWM') - idleHwm) / 1024);
      disk.push((writeBytes(pid) - wroteBefore) / MiB);
      await tab.close();
      process.stderr.write(
        `${sizeMiB} MiB run ${run + 1}: raw ${fixed(raw.at(-1)!)} MiB/s, page ${fixed(page.at(-1)!)} MiB/s, RSS +${fixed(rss.at(-1)!)} MiB, wrote ${fixed(disk.at(-1)!, 2)} MiB\n`,
      );
    }
    rmSync(path);
    const ratio = median(page) / median(raw);
    const growth = Math.max(...rss);
    rows.push(
      `| ${sizeMiB} MiB | ${fixed(median(page))} | ${fixed(median(raw))} | ${fixed(ratio, 2)} ${ratio >= TARGETS.ratioToRaw ? '✅' : '❌'} | ` +
        `${fixed(growth)} MiB ${growth <= TARGETS.rssGrowthMiB ? '✅' : '❌'} (VmHWM +${fixed(Math.max(...hwm))}) | ${fixed(Math.max(...disk), 2)} MiB |`,
    );
  }
  console.log(
    `\nPage upload (Chromium → bot → Google fake) beside the raw pipe; ${runs} run(s) each, medians, RSS: worst run\n`,
  );
  console.log(
    `| Size | Page MiB/s | Raw pipe MiB/s | Page / raw (≥ ${TARGETS.ratioToRaw}) | Bot peak RSS growth (≤ ${TARGETS.rssGrowthMiB} MiB) | Bot wrote to storage, at most |`,
  );
  console.log('| ---- | ---------: | -------------: | ---------: | ---------: | ---------: |');
  for (const row of rows) console.log(row);
} finally {
  await browser.close();
  await bot.stop('SIGKILL');
  await discord.close();
  await google.close();
  rmSync(dir, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
}
