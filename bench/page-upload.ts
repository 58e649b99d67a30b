// Page-upload benchmark: a file chosen on the upload page in headless Chromium goes page → bot (tus)
// → Google fake (resumable session). In the same run, alternating (the order rotates every run):
// the raw pipe (the same file read from disk into one PUT to a resumable session, no protocol work)
// and "Chromium alone" (the same browser posting the same file in one XHR PUT straight to a
// resumable session of the Google fake: what the browser can do without the bot). Reports the
// throughput of each, the page's ratio to both, the bot's peak RSS growth, the bytes the bot wrote
// to storage, the CPU of each process, and where the page's time went per chunk.
//
//   npm run bench:upload -- --cases page [--sizes 256,1024] [--runs 3] [--chunk-mib 0]
//   npm run bench:upload:page -- [--sizes 256,1024] [--runs 3] [--chunk-mib 0]          (the same)
//
// --chunk-mib sets the bot's UPLOAD_PAGE_CHUNK_MIB (default: the bot's, the whole file in one PATCH; 64: 64 MiB chunks).
//
// Method: the fakes run in this process, their session files and the source file on /dev/shm when
// it exists (BENCH_TMPDIR overrides). The bot is the real one (`node src/index.ts`, with
// `--max-semi-space-size=1` as `npm start`), a child process; its RSS is sampled every 20 ms from
// /proc/<pid>/status (VmRSS) during the transfer, and the growth above its RSS just before is
// reported (VmHWM beside it). Storage: /proc/<pid>/io write_bytes over the transfer (the job record
// saves; a relay that spooled would show the file's size). Throughput: size over wall time from
// choosing the file to the answer of the last PATCH (YouTube has every byte and the bot said so;
// the time until the page shows the link is printed beside it); the raw pipe from the first request
// to YouTube's final answer; Chromium alone from the XHR's send() to its answer. CPU: /proc/<pid>/stat
// of the bot and of every Chromium process, process.cpuUsage() of this one (the fakes and Playwright).
// Per chunk, from the page (an init script times each XHR): the browser sending (send() until the
// upload's load event), waiting for the answer (the bot waiting for YouTube's 308, then answering),
// idle until the next PATCH; and at the Google fake, the gaps between one PUT's answer and the next
// PUT's first byte. Each stored video is checked (size and sha256). Medians over --runs.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { request } from 'undici';

const MiB = 1024 * 1024;
const TARGETS = { ratioToRaw: 0.8, rssGrowthMiB: 64 };
const CHROMIUM = '/usr/bin/chromium';
/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const HZ = 100;

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 && args[at + 1] !== undefined ? args[at + 1]! : fallback;
};
const sizes = option('sizes', '256').split(',').map(Number);
const runs = Math.max(1, Number(option('runs', '1')));
// The bot's UPLOAD_PAGE_CHUNK_MIB (its default, 64, when not given; 0: the whole file in one PATCH).
const chunkMiB = option('chunk-mib', '');

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
/** utime + stime (s), the name and the parent pid of a process, from /proc/<pid>/stat. */
function stat(pid: number): { cpu: number; ppid: number; name: string } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const name = text.slice(text.indexOf('(') + 1, text.lastIndexOf(')'));
    return { name, ppid: Number(fields[1]), cpu: (Number(fields[11]) + Number(fields[12])) / HZ };
  } catch {
    return undefined;
  }
}
/** Chromium's kind of process: its --type (the network service is a "utility"), "browser" without one. */
function kindOf(pid: number): string {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (cmdline.includes('NetworkService')) return 'network';
    return /--type=([a-z-]+)/.exec(cmdline)?.[1] ?? 'browser';
  } catch {
    return 'gone';
  }
}
/** CPU seconds of this process's descendants (alive) named like Chromium, in all and by kind. */
function chromiumCpu(): { all: number; renderer: number; network: number } {
  const children = new Map<number, number[]>();
  const found = new Map<number, { cpu: number; name: string }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const s = stat(Number(entry));
    if (!s) continue;
    found.set(Number(entry), s);
    children.set(s.ppid, [...(children.get(s.ppid) ?? []), Number(entry)]);
  }
  const total = { all: 0, renderer: 0, network: 0 };
  const todo = [...(children.get(process.pid) ?? [])];
  while (todo.length > 0) {
    const pid = todo.pop()!;
    const s = found.get(pid);
    if (s && /chrom/i.test(s.name)) {
      total.all += s.cpu;
      const kind = kindOf(pid);
      if (kind === 'renderer' || kind === 'network') total[kind] += s.cpu;
    }
    todo.push(...(children.get(pid) ?? []));
  }
  return total;
}
const selfCpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
const fixed = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '–');

// The Google fake's data PUTs as it saw them: first body byte, last, and its answer (this process).
interface PutTiming {
  first: number;
  last: number;
  answered: number;
  bytes: number;
}
const putTimings: PutTiming[] = [];
const timingOf = new WeakMap<IncomingMessage, PutTiming>();
// eslint-disable-next-line @typescript-eslint/unbound-method -- called with its own `this` below
const push = IncomingMessage.prototype.push;
IncomingMessage.prototype.push = function (this: IncomingMessage, chunk: unknown, encoding?: BufferEncoding) {
  if (this.method === 'PUT' && this.url?.includes('upload_id=') === true) {
    let t = timingOf.get(this);
    if (chunk !== null && t === undefined) {
      t = { first: Date.now(), last: 0, answered: 0, bytes: 0 };
      timingOf.set(this, t);
      putTimings.push(t);
    }
    if (t && chunk !== null) t.bytes += (chunk as Buffer).length;
    if (t && chunk === null) t.last = Date.now();
  }
  return push.call(this, chunk, encoding);
};
// eslint-disable-next-line @typescript-eslint/unbound-method -- called with its own `this` below
const writeHead = ServerResponse.prototype.writeHead as (
  this: ServerResponse,
  ...a: unknown[]
) => ServerResponse;
ServerResponse.prototype.writeHead = function (this: ServerResponse, ...a: unknown[]) {
  const t = timingOf.get(this.req);
  if (t) t.answered = Date.now();
  return writeHead.apply(this, a);
} as typeof ServerResponse.prototype.writeHead;

/** Times every XHR of a page (Date.now, the same clock as this process): tus-js-client's PATCHes. */
const XHR_TIMING = `(() => {
  const records = (window.__xhr = []);
  const open = XMLHttpRequest.prototype.open;
  const send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.open = function (method, ...rest) {
    this.__method = method;
    return open.call(this, method, ...rest);
  };
  XMLHttpRequest.prototype.send = function (body) {
    const r = { method: this.__method, bytes: (body && body.size) || 0, send: Date.now(), sent: 0, done: 0, status: 0 };
    records.push(r);
    this.upload.addEventListener('load', () => (r.sent = Date.now()));
    this.addEventListener('loadend', () => {
      r.done = Date.now();
      r.status = this.status;
    });
    return send.call(this, body);
  };
})();`;
interface XhrRecord {
  method: string;
  bytes: number;
  send: number;
  sent: number;
  done: number;
  status: number;
}

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
    ...(chunkMiB === '' ? {} : { UPLOAD_PAGE_CHUNK_MIB: chunkMiB }),
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
type Case = 'raw' | 'chromium' | 'page';
interface Measured {
  mibPerSec: number;
  /** CPU seconds per GiB: the bot, Chromium (all its processes; its renderers, its network service), this process (fakes, Playwright). */
  cpu: { bot: number; chromium: number; renderer: number; network: number; fakes: number };
}
const rows: string[] = [];
const cpuRows: string[] = [];
const timeRows: string[] = [];
try {
  await bot.waitForLog((e) => e['msg'] === 'discord ready', 'the bot to be ready', 60_000);
  const account = google.addAccount({ email: 'bench@example.com', channel: { title: 'Bench' } });
  await linkMember(discord, google, USER, account, GUILD);
  const pid = bot.child.pid ?? 0;
  // Chromium alone posts from a tab of the Google fake's own origin (no CORS in the way).
  const googleOrigin = new URL(google.apiRoot).origin;

  for (const sizeMiB of sizes) {
    const size = Math.round(sizeMiB * MiB);
    const path = join(dir, `bench-${sizeMiB}.mp4`);
    const hash = createHash('sha256');
    // Written with awaits: a loop that blocked for the seconds 2 GiB take would starve the fakes (the
    // bot's gateway heartbeats go unanswered and it drops the connection).
    const file = await open(path, 'w');
    // Deterministic bytes behind an MP4 'ftyp' box: the page and the bot check the first bytes.
    const FTYP = Buffer.from('000000206674797069736f6d0000020069736f6d69736f32617663316d703431', 'hex');
    let first = true;
    for (const generated of new GeneratedContent(size, 7000 + sizeMiB).slices(0, size - 1)) {
      const slice = first ? Buffer.concat([FTYP, generated.subarray(FTYP.length)]) : generated;
      first = false;
      hash.update(slice);
      await file.write(slice);
    }
    await file.close();
    const sha256 = hash.digest('hex');
    const check = (videoId: string | undefined, what: string) => {
      const video = google.videos.get(videoId ?? '');
      if (video?.size !== size || video.sha256 !== sha256)
        throw new Error(`${what}: the stored video does not match`);
    };
    const newSession = async (token: string): Promise<string> => {
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
            snippet: { title: 'bench', categoryId: '22' },
            status: { privacyStatus: 'private' },
          }),
        },
      );
      await created.body.dump();
      return String(created.headers['location']);
    };
    const measured: Record<Case, Measured[]> = { raw: [], chromium: [], page: [] };
    const toLink: number[] = [];
    const rss: number[] = [];
    const hwm: number[] = [];
    const disk: number[] = [];
    const split = {
      sending: [] as number[],
      waiting: [] as number[],
      idle: [] as number[],
      gaps: [] as number[],
    };
    const cpuNow = () => ({
      bot: stat(pid)?.cpu ?? NaN,
      chromium: chromiumCpu(),
      fakes: selfCpu(),
    });
    const perGiB = (before: ReturnType<typeof cpuNow>) => {
      const after = cpuNow();
      const gib = size / (1024 * MiB);
      return {
        bot: (after.bot - before.bot) / gib,
        chromium: (after.chromium.all - before.chromium.all) / gib,
        renderer: (after.chromium.renderer - before.chromium.renderer) / gib,
        network: (after.chromium.network - before.chromium.network) / gib,
        fakes: (after.fakes - before.fakes) / gib,
      };
    };

    const cases: Record<Case, () => Promise<Measured>> = {
      // The raw pipe: the file from disk into one PUT, as fast as the fake takes it.
      raw: async () => {
        const token = google.mintTokens(account, ['youtube']).access_token;
        const cpu = cpuNow();
        const started = Date.now();
        const session = await newSession(token);
        const put = await request(session, {
          method: 'PUT',
          headers: { authorization: `Bearer ${token}`, 'content-length': String(size) },
          body: createReadStream(path, { highWaterMark: 256 * 1024 }),
        });
        const answer = (await put.body.json()) as { id?: string };
        const seconds = (Date.now() - started) / 1000;
        check(answer.id, 'raw pipe');
        return { mibPerSec: size / MiB / seconds, cpu: perGiB(cpu) };
      },
      // Chromium alone: the same file, chosen in a tab, sent in one XHR PUT to a resumable session.
      chromium: async () => {
        const token = google.mintTokens(account, ['youtube']).access_token;
        const session = await newSession(token);
        const tab = await browser.newPage();
        try {
          await tab.goto(`${googleOrigin}/bench-blank`).catch(() => undefined);
          await tab.setContent('<input id="file" type="file">');
          await tab.setInputFiles('#file', path);
          const cpu = cpuNow();
          // A string (this project's TypeScript has no DOM types): one XHR PUT of the chosen file.
          const result = await tab.evaluate<{
            status: number;
            body: string;
            ms: number;
          }>(`new Promise((resolve) => {
            const file = document.getElementById('file').files[0];
            const xhr = new XMLHttpRequest();
            xhr.open('PUT', ${JSON.stringify(session)});
            xhr.setRequestHeader('authorization', ${JSON.stringify(`Bearer ${token}`)});
            const t0 = Date.now();
            xhr.onloadend = () => resolve({ status: xhr.status, body: xhr.responseText, ms: Date.now() - t0 });
            xhr.send(file);
          })`);
          const used = perGiB(cpu);
          if (result.status !== 200 && result.status !== 201)
            throw new Error(`Chromium alone: HTTP ${result.status}`);
          check((JSON.parse(result.body) as { id?: string }).id, 'Chromium alone');
          return { mibPerSec: size / MiB / (result.ms / 1000), cpu: used };
        } finally {
          await tab.close();
        }
      },
      // The page: /upload without a file, the link, the file chosen in Chromium.
      page: async () => {
        const interaction = discord.sendCommand({
          name: 'upload',
          user: USER,
          guildId: GUILD,
          channelId: CHANNEL,
        });
        const reply = await interaction.waitForOriginal((m) => (m.components?.length ?? 0) > 0, 30_000);
        const url = (reply.components as { components: { url?: string }[] }[])[0]?.components[0]?.url ?? '';
        const tab = await browser.newPage();
        try {
          await tab.addInitScript(XHR_TIMING);
          await tab.goto(url);
          await new Promise((resolve) => setTimeout(resolve, 500));
          const idle = statusKiB(pid, 'VmRSS');
          const idleHwm = statusKiB(pid, 'VmHWM');
          const wroteBefore = writeBytes(pid);
          const putsBefore = putTimings.length;
          let peak = idle;
          const sampler = setInterval(() => {
            peak = Math.max(peak, statusKiB(pid, 'VmRSS'));
          }, 20);
          const cpu = cpuNow();
          const t0 = Date.now();
          await tab.setInputFiles('#file', path);
          // The link, or the page's sentence when it failed.
          await tab.locator('#message a, #message.error').first().waitFor({ timeout: 3_600_000 });
          const linkSeconds = (Date.now() - t0) / 1000;
          clearInterval(sampler);
          const used = perGiB(cpu);
          if ((await tab.locator('#message a').count()) === 0) {
            throw new Error(`the page upload failed: ${await tab.locator('#message').innerText()}`);
          }
          const link = await tab.locator('#message a').innerText();
          check(link.split('/').pop(), 'page upload');
          const xhrs = (await tab.evaluate<XhrRecord[]>('window.__xhr')).filter((r) => r.method === 'PATCH');
          const last = xhrs.at(-1);
          if (!last || last.status !== 204) throw new Error('the page upload: no final PATCH answer');
          toLink.push(size / MiB / linkSeconds);
          rss.push((peak - idle) / 1024);
          hwm.push((statusKiB(pid, 'VmHWM') - idleHwm) / 1024);
          disk.push((writeBytes(pid) - wroteBefore) / MiB);
          split.sending.push(sum(xhrs.map((r) => (r.sent || r.done) - r.send)) / 1000);
          split.waiting.push(sum(xhrs.map((r) => (r.sent ? r.done - r.sent : 0))) / 1000);
          split.idle.push(sum(xhrs.slice(1).map((r, i) => r.send - xhrs[i]!.done)) / 1000);
          const puts = putTimings.slice(putsBefore);
          split.gaps.push(sum(puts.slice(1).map((p, i) => p.first - puts[i]!.answered)) / 1000);
          process.stderr.write(
            `  page: ${xhrs.length} PATCHes, ${puts.length} PUTs; per chunk (ms) send→sent→answer, idle before: ` +
              xhrs
                .map(
                  (r, i) => `${r.sent - r.send}/${r.done - r.sent}/${i > 0 ? r.send - xhrs[i - 1]!.done : 0}`,
                )
                .join(' ') +
              '\n',
          );
          return { mibPerSec: size / MiB / ((last.done - t0) / 1000), cpu: used };
        } finally {
          await tab.close();
        }
      },
    };

    const order: Case[] = ['raw', 'chromium', 'page'];
    for (let run = 0; run < runs; run++) {
      // Alternate: each run starts with another case, so a slow spell falls on all of them.
      const rotated = [...order.slice(run % 3), ...order.slice(0, run % 3)];
      const line: string[] = [];
      for (const name of rotated) {
        const m = await cases[name]();
        measured[name].push(m);
        line.push(`${name} ${fixed(m.mibPerSec)} MiB/s`);
      }
      process.stderr.write(
        `${sizeMiB} MiB run ${run + 1}: ${line.join(', ')}, page RSS +${fixed(rss.at(-1)!)} MiB, wrote ${fixed(disk.at(-1)!, 2)} MiB\n`,
      );
    }
    rmSync(path);
    const speed = (name: Case) => median(measured[name].map((m) => m.mibPerSec));
    // Ratios are medians of the per-run ratios (each page run against the other rows of its run).
    const ratio = (to: Case) => median(measured.page.map((m, i) => m.mibPerSec / measured[to][i]!.mibPerSec));
    const toRaw = ratio('raw');
    const growth = Math.max(...rss);
    rows.push(
      `| ${sizeMiB} MiB | ${fixed(speed('page'))} (${fixed(median(toLink))} to the link) | ${fixed(speed('raw'))} | ${fixed(speed('chromium'))} | ` +
        `${fixed(toRaw, 2)} ${toRaw >= TARGETS.ratioToRaw ? '✅' : '❌'} | ${fixed(ratio('chromium'), 2)} | ` +
        `${fixed(growth)} MiB ${growth <= TARGETS.rssGrowthMiB ? '✅' : '❌'} (VmHWM +${fixed(Math.max(...hwm))}) | ${fixed(Math.max(...disk), 2)} MiB |`,
    );
    const cpuOf = (name: Case, who: keyof Measured['cpu']) =>
      fixed(median(measured[name].map((m) => m.cpu[who])), 2);
    cpuRows.push(
      `| ${sizeMiB} MiB | ${cpuOf('page', 'chromium')} / ${cpuOf('chromium', 'chromium')} | ` +
        `${cpuOf('page', 'renderer')} / ${cpuOf('chromium', 'renderer')} | ${cpuOf('page', 'network')} / ${cpuOf('chromium', 'network')} | ${cpuOf('page', 'bot')} | ` +
        `${cpuOf('page', 'fakes')} / ${cpuOf('chromium', 'fakes')} / ${cpuOf('raw', 'fakes')} |`,
    );
    timeRows.push(
      `| ${sizeMiB} MiB | ${fixed(median(split.sending), 2)} | ${fixed(median(split.waiting), 2)} | ${fixed(median(split.idle), 2)} | ${fixed(median(split.gaps), 2)} |`,
    );
  }
  console.log(
    `\nPage upload (Chromium → bot → Google fake, UPLOAD_PAGE_CHUNK_MIB=${chunkMiB || 'default'}) beside the raw pipe and Chromium alone; ${runs} run(s) each, alternating, medians; RSS and storage: worst run\n`,
  );
  console.log(
    `| Size | Page MiB/s | Raw pipe MiB/s | Chromium alone MiB/s | Page / raw (≥ ${TARGETS.ratioToRaw}) | Page / Chromium alone | Bot peak RSS growth (≤ ${TARGETS.rssGrowthMiB} MiB) | Bot wrote to storage, at most |`,
  );
  console.log(
    '| ---- | ---------: | ---------: | ---------: | ---------: | ---------: | ---------: | ---------: |',
  );
  for (const row of rows) console.log(row);
  console.log('\nCPU seconds per GiB (medians)\n');
  console.log(
    '| Size | Chromium, all: page / alone | its renderers | its network service | Bot: page | Fakes + Playwright: page / Chromium alone / raw |',
  );
  console.log('| ---- | ---------: | ---------: | ---------: | ---------: | ---------: |');
  for (const row of cpuRows) console.log(row);
  console.log("\nWhere the page's time went, seconds summed over the chunks (medians)\n");
  console.log(
    '| Size | Browser sending | Waiting for the answer (YouTube’s 308, then the bot’s) | Idle between PATCHes | Google fake idle between PUTs |',
  );
  console.log('| ---- | ---------: | ---------: | ---------: | ---------: |');
  for (const row of timeRows) console.log(row);
} finally {
  await browser.close();
  await bot.stop('SIGKILL');
  await discord.close();
  await google.close();
  rmSync(dir, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
}
