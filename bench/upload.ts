// Upload benchmark: streams generated attachments from the Discord fake's CDN to the Google fake's upload
// endpoint and compares, per file size, the bot's /upload path ("bot": the content sniff of prepare.ts, then
// src/uploads/pipeline.ts with run.ts's progress handling, under the Node flags of `npm start`) with a raw
// pipe (one undici GET piped into one PUT to a resumable session, no protocol work, same Node flags). With
// --cases all it also measures the engine at Node's default flags, @googleapis/youtube's own videos.insert
// (multipart, the stream as media body) and what each fake can do alone, so a fake that caps every client at
// the same speed is visible instead of hiding differences.
//
//   npm run bench:upload -- [--sizes 256,1024,2048] [--runs 3] [--cases raw,bot|all] [--no-drop]
//                           [--node-flags "--max-semi-space-size=1"] [--page | --cases page]
//
// --page (or `page` among --cases) adds the upload page's row: bench/page-upload.ts, see there (and its
// --chunk-mib).
//
// Method: the fakes run in this (parent) process, the Google fake's session files on /dev/shm when it exists
// (BENCH_TMPDIR overrides); every measured case runs in a fresh child process (fork, --expose-gc), so its
// memory and CPU are its own, and the cases alternate within each run. In the child: modules loaded, gc(),
// 100 ms of quiet, then idle RSS; RSS is sampled every 20 ms (process.memoryUsage.rss()) during the transfer
// and the peak growth above idle is reported (VmHWM from /proc beside it as a cross-check); CPU is
// process.cpuUsage() over the transfer (user + system) per GiB, the fakes' the parent's over the child's
// life; throughput is size over wall time from the first request, both until the last source byte was
// handed on ("streaming") and until the final answer ("end to end", which includes the fake's completion
// work). Counters per leg: undici's diagnostics channels in the child (requests, body chunks received from
// the CDN, body writes on the PUT, Content-Length or chunked), and in the parent the body chunks the Google
// fake read and the CDN fake's writes; V8's garbage collections in the child (perf_hooks). Each stored video
// is checked (size and sha256) against the source. Figures are medians over --runs (peak RSS: the worst
// run). The re-send figure is a separate bot run with the fake dropping the first upload PUT's connection
// after half the file. BENCH_CHILD_FLAGS adds Node flags to every child.
import { fork, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { IncomingMessage, ServerResponse } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { Readable, Writable } from 'node:stream';
import { pipeline as pipe } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

/** The Node flags of `npm start` (package.json), which the bot and the raw pipe run with. */
const START_FLAGS: string[] = (() => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    scripts?: Record<string, string>;
  };
  const words = (pkg.scripts?.['start'] ?? '').split(/\s+/);
  return words.slice(1).filter((word) => word.startsWith('--'));
})();

/** Read and write system calls of this process so far (/proc/self/io; undefined elsewhere). */
function syscalls(): { reads: number; writes: number } | undefined {
  try {
    const io = readFileSync('/proc/self/io', 'utf8');
    const get = (name: string) => Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(io)?.[1] ?? NaN);
    return { reads: get('syscr'), writes: get('syscw') };
  } catch {
    return undefined;
  }
}

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const TARGETS = { ratioToRaw: 0.9, rssGrowthMiB: 64, resentMiB: 8 };
const METADATA = {
  snippet: { title: 'Benchmark upload', description: 'bench/upload.ts', categoryId: '22' },
  status: { privacyStatus: 'private' as const },
};

type CaseName =
  'cdn-only' | 'google-only' | 'raw' | 'bot' | 'pipeline' | 'pipeline-gc' | 'pipeline-semi1' | 'googleapis';

/** Counters of one transfer, per leg: requests, and body chunks as undici handed them on. */
interface Legs {
  /** GETs to the CDN (the Range probe included), and the body chunks undici delivered from them. */
  cdnRequests: number;
  cdnChunks: number;
  /** Requests to Google (session POST, PUTs), and the body chunks undici wrote to the socket for them. */
  googleRequests: number;
  googleWrites: number;
  /** PUT bodies sent with Content-Length (the rest went chunked). */
  putsWithLength: number;
  puts: number;
  /** onProgress calls (the bot only), and V8's garbage collections during the transfer. */
  progressCalls: number;
  gcCount: number;
  gcMs: number;
  /** read/write-family system calls of the child during the transfer (sockets, mostly). */
  sysReads: number;
  sysWrites: number;
}

interface ChildConfig {
  case: CaseName;
  /** Node flags of the bot and raw cases (npm start's unless --node-flags says otherwise). */
  nodeFlags: string[];
  size: number;
  seed: number;
  url: string;
  cdnHost: string;
  apiRoot: string;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  tokens: { access_token: string; refresh_token: string; expiry_date: number };
}

interface ChildResult {
  seconds: number;
  /** Until the last source byte was handed on (before the fake's completion work). */
  streamSeconds: number;
  cpuSeconds: number;
  idleRss: number;
  peakRss: number;
  vmHwm: number | undefined;
  videoId: string | undefined;
  resentBytes: number | undefined;
  retries: number | undefined;
  legs: Legs;
}

/** What the parent measured of the fakes while one case ran. */
interface FakesResult {
  cpuSeconds: number;
  /** read/write-family system calls of the parent (both fakes, their session files included). */
  sysReads: number;
  sysWrites: number;
  /** Body chunks the Google fake's upload PUTs read from their sockets. */
  googleReads: number;
  /** res.write calls of the CDN fake. */
  cdnWrites: number;
}

// ---------------------------------------------------------------- child: one measured case

async function child(config: ChildConfig): Promise<ChildResult> {
  const { request } = await import('undici');
  const { runUpload } = await import('../src/uploads/pipeline.ts');
  const { createLogger } = await import('../src/logger.ts');
  const { GeneratedContent } = await import('../test/fakes/discord/cdn.ts');
  const { youtube } = await import('@googleapis/youtube');
  const { OAuth2Client } = await import('google-auth-library');
  const { readHead } = await import('../src/uploads/download.ts');
  const { SNIFF_BYTES, sniffVideo } = await import('../src/uploads/sniff.ts');
  const { createDisplay } = await import('../src/uploads/display.ts');
  const { SpeedMeter } = await import('../src/uploads/progress.ts');
  // The bot makes its logger once at start-up, not per upload: made here, outside the timed window.
  const logger = createLogger('silent');

  // Per-leg counters from undici's diagnostics channels (the same for every case, the bot's code untouched).
  const { subscribe } = await import('node:diagnostics_channel');
  const legs: Legs = {
    cdnRequests: 0,
    cdnChunks: 0,
    googleRequests: 0,
    googleWrites: 0,
    putsWithLength: 0,
    puts: 0,
    progressCalls: 0,
    gcCount: 0,
    gcMs: 0,
    sysReads: NaN,
    sysWrites: NaN,
  };
  const { PerformanceObserver } = await import('node:perf_hooks');
  const gcObserver = new PerformanceObserver((list) => {
    if (!counting) return;
    for (const entry of list.getEntries()) {
      legs.gcCount++;
      legs.gcMs += entry.duration;
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  let counting = false;
  type Req = { origin?: string | URL; method?: string; headers?: unknown; contentLength?: number | null };
  const cdnOrigin = new URL(config.url).origin;
  const isCdn = (request: Req) => String(request.origin ?? '').startsWith(cdnOrigin);
  subscribe('undici:request:create', (message) => {
    const { request } = message as { request: Req };
    if (!counting) return;
    if (isCdn(request)) legs.cdnRequests++;
    else legs.googleRequests++;
    if (request.method === 'PUT') {
      legs.puts++;
      if (typeof request.contentLength === 'number' && request.contentLength > 0) legs.putsWithLength++;
    }
  });
  subscribe('undici:request:bodyChunkReceived', (message) => {
    if (counting && isCdn((message as { request: Req }).request)) legs.cdnChunks++;
  });
  subscribe('undici:request:bodyChunkSent', (message) => {
    if (counting && !isCdn((message as { request: Req }).request)) legs.googleWrites++;
  });

  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  await sleep(100);
  const idleRss = process.memoryUsage.rss();
  let peakRss = idleRss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 20);

  const bearer = `Bearer ${config.tokens.access_token}`;
  const openSession = async (): Promise<string> => {
    const res = await request(
      `${config.apiRoot}upload/youtube/v3/videos?uploadType=resumable&part=snippet,status`,
      {
        method: 'POST',
        headers: {
          authorization: bearer,
          'content-type': 'application/json; charset=UTF-8',
          'x-upload-content-length': String(config.size),
          'x-upload-content-type': 'video/mp4',
        },
        body: JSON.stringify(METADATA),
      },
    );
    await res.body.dump();
    if (res.statusCode !== 200) throw new Error(`session: HTTP ${res.statusCode}`);
    return String(res.headers['location']);
  };
  const putAll = async (session: string, body: Readable): Promise<string> => {
    const res = await request(session, {
      method: 'PUT',
      headers: {
        authorization: bearer,
        'content-length': String(config.size),
        'content-range': `bytes 0-${config.size - 1}/${config.size}`,
      },
      body,
    });
    const video = (await res.body.json()) as { id?: string };
    if (res.statusCode !== 200 && res.statusCode !== 201) throw new Error(`put: HTTP ${res.statusCode}`);
    return video.id ?? '';
  };

  counting = true;
  const io0 = syscalls();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let videoId: string | undefined;
  let resentBytes: number | undefined;
  let retries: number | undefined;
  let streamEnd: number | undefined;
  const ended = () => {
    streamEnd ??= performance.now();
  };
  // What the two engine cases (pipeline*, bot) both give runUpload: a new session, nothing persisted.
  const engine = {
    metadata: METADATA,
    notifySubscribers: false,
    rootUrl: config.apiRoot,
    token: {
      get: () => Promise.resolve(config.tokens.access_token),
      refresh: () => Promise.reject(new Error('no refresh in the benchmark')),
    },
    sessionUri: undefined,
    onSession: () => Promise.resolve(),
    onAcknowledged: () => Promise.resolve(),
  };
  switch (config.case) {
    case 'cdn-only': {
      const res = await request(config.url);
      await pipe(res.body, new Writable({ write: (_chunk, _encoding, callback) => callback() }));
      break;
    }
    case 'google-only': {
      const content = new GeneratedContent(config.size, config.seed);
      // 64 KiB views of the generator (no copies), the size of the chunks a socket read gives the others.
      const chunks = function* () {
        for (const slice of content.slices(0, config.size - 1))
          for (let i = 0; i < slice.length; i += 64 * 1024) yield slice.subarray(i, i + 64 * 1024);
        ended();
      };
      videoId = await putAll(await openSession(), Readable.from(chunks()));
      break;
    }
    case 'raw': {
      const session = await openSession();
      const res = await request(config.url);
      res.body.once('end', ended);
      videoId = await putAll(session, res.body);
      break;
    }
    case 'pipeline':
    case 'pipeline-gc':
    case 'pipeline-semi1': {
      // pipeline-gc collects garbage every 50 ms: its RSS growth is what the upload really keeps alive.
      const collector = config.case === 'pipeline-gc' && gc ? setInterval(gc, 50) : undefined;
      const result = await runUpload({
        source: {
          url: config.url,
          size: config.size,
          contentType: 'video/mp4',
          allowedHosts: [config.cdnHost],
        },
        ...engine,
        onProgress: (p) => {
          if (p.sent === config.size) ended();
        },
        signal: new AbortController().signal,
        logger,
      });
      clearInterval(collector);
      videoId = result.video.id ?? undefined;
      resentBytes = result.resentBytes;
      retries = result.retries;
      break;
    }
    case 'bot': {
      // What /upload does with an attachment, in the process configuration of `npm start`: the content
      // sniff (a Range read of the first bytes, as prepare.ts), then the engine with run.ts's progress
      // handling (a speed meter fed on every report, a throttled message whose edits go nowhere here).
      const head = await readHead({
        url: config.url,
        n: Math.min(SNIFF_BYTES, config.size),
        allowedHosts: [config.cdnHost],
        signal: AbortSignal.timeout(20_000),
      });
      const contentType = sniffVideo(head)?.mime ?? 'application/octet-stream';
      const show = createDisplay({ show: () => Promise.resolve() }, 2000);
      const speed = new SpeedMeter();
      const result = await runUpload({
        source: { url: config.url, size: config.size, contentType, allowedHosts: [config.cdnHost] },
        ...engine,
        onProgress: (p) => {
          legs.progressCalls++;
          if (p.sent === config.size) ended();
          speed.add(Date.now(), p.sent);
          void show({
            phase: p.phase === 'verifying' ? 'starting' : p.phase,
            filename: 'bench.mp4',
            title: METADATA.snippet.title,
            total: p.total,
            sent: p.sent,
            bytesPerSecond: speed.bytesPerSecond(),
          });
        },
        signal: new AbortController().signal,
        logger,
      });
      videoId = result.video.id ?? undefined;
      resentBytes = result.resentBytes;
      retries = result.retries;
      break;
    }
    case 'googleapis': {
      const auth = new OAuth2Client({
        clientId: config.clientId,
        clientSecret: config.clientSecret,
        endpoints: { oauth2TokenUrl: config.tokenUrl },
      });
      auth.setCredentials(config.tokens);
      const yt = youtube({ version: 'v3', auth, rootUrl: config.apiRoot });
      const res = await request(config.url);
      res.body.once('end', ended);
      const { data } = await yt.videos.insert(
        {
          part: ['snippet', 'status'],
          notifySubscribers: false,
          requestBody: METADATA,
          media: { mimeType: 'video/mp4', body: res.body },
        },
        { rootUrl: config.apiRoot },
      );
      videoId = data.id ?? undefined;
      break;
    }
  }
  const t1 = performance.now();
  await sleep(0); // the gc observer's last entries
  counting = false;
  gcObserver.disconnect();
  const io1 = syscalls();
  if (io0 && io1) {
    legs.sysReads = io1.reads - io0.reads;
    legs.sysWrites = io1.writes - io0.writes;
  }
  const seconds = (t1 - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  return {
    seconds,
    streamSeconds: ((streamEnd ?? t1) - t0) / 1000,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    idleRss,
    peakRss,
    vmHwm: hwm === undefined ? undefined : Number(hwm) * 1024,
    videoId,
    resentBytes,
    retries,
    legs,
  };
}

// ---------------------------------------------------------------- parent: fakes, orchestration, report

function runChild(config: ChildConfig): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const proc = fork(fileURLToPath(import.meta.url), ['--child'], {
      execArgv: [
        '--expose-gc',
        '--no-warnings',
        // pipeline-semi1: V8's young generation at 1 MiB, so socket-read buffers are collected sooner.
        ...(config.case === 'pipeline-semi1' ? ['--max-semi-space-size=1'] : []),
        // The bot runs as `npm start` runs it; the raw pipe in the same process configuration, so the
        // two differ only by their code.
        ...(config.case === 'bot' || config.case === 'raw' ? config.nodeFlags : []),
        ...(process.env['BENCH_CHILD_FLAGS'] ?? '').split(' ').filter(Boolean),
      ],
      serialization: 'json',
    });
    let result: ChildResult | undefined;
    proc.on('message', (message: { ok: true; result: ChildResult } | { ok: false; error: string }) => {
      if (message.ok) result = message.result;
      else reject(new Error(`${config.case}: ${message.error}`));
    });
    proc.on('exit', (code) => {
      if (result) resolve(result);
      else reject(new Error(`${config.case}: child exited with ${code}`));
    });
    proc.send(config);
  });
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? NaN) : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
};
const mib = (bytes: number) => bytes / MiB;
const fixed = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '–');
const mark = (ok: boolean) => (ok ? '✅' : '❌');
const markIf = (value: number, ok: boolean) => (Number.isFinite(value) ? mark(ok) : '');

type Measured = ChildResult & { fakes: FakesResult };

interface CaseSummary {
  mibPerSec: number;
  streamMibPerSec: number;
  cpuPerGiB: number;
  rssGrowthMiB: number;
  hwmGrowthMiB: number;
}

function summarize(results: Measured[], size: number): CaseSummary {
  return {
    mibPerSec: median(results.map((r) => mib(size) / r.seconds)),
    streamMibPerSec: median(results.map((r) => mib(size) / r.streamSeconds)),
    cpuPerGiB: median(results.map((r) => r.cpuSeconds / (size / GiB))),
    rssGrowthMiB: Math.max(...results.map((r) => mib(r.peakRss - r.idleRss))),
    hwmGrowthMiB: Math.max(...results.map((r) => mib((r.vmHwm ?? NaN) - r.idleRss))),
  };
}

const NONE: CaseSummary = {
  mibPerSec: NaN,
  streamMibPerSec: NaN,
  cpuPerGiB: NaN,
  rssGrowthMiB: NaN,
  hwmGrowthMiB: NaN,
};

async function parent(): Promise<void> {
  const args = process.argv.slice(2);
  const option = (name: string, fallback: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? (args[i + 1] ?? fallback) : fallback;
  };
  const sizes = option('sizes', '256,1024,2048')
    .split(',')
    .map((s) => Number(s.trim()))
    .filter((n) => Number.isFinite(n) && n > 0);
  const runs = Math.max(1, Number(option('runs', '3')));
  // --node-flags "" runs the bot and the raw pipe with Node's defaults instead of npm start's flags.
  const nodeFlags = args.includes('--node-flags')
    ? option('node-flags', '').split(/\s+/).filter(Boolean)
    : START_FLAGS;
  const allCases: CaseName[] = [
    'cdn-only',
    'google-only',
    'raw',
    'bot',
    'pipeline',
    'googleapis',
    'pipeline-gc',
    'pipeline-semi1',
  ];
  // --cases raw,bot (the default) measures a subset (the tables show – for the others); --cases all measures
  // every case; --no-drop skips the drop run.
  const chosen = option('cases', 'raw,bot');
  const caseNames = (chosen === 'all' ? allCases.join(',') : chosen)
    .split(',')
    .filter((c): c is CaseName => (allCases as string[]).includes(c));
  const dropRun = !args.includes('--no-drop');

  // The Google fake keeps each resumable session in a temp file: on tmpfs, so the disk does not set the pace.
  const shm = '/dev/shm';
  if (process.env['BENCH_TMPDIR'] !== undefined) process.env['TMPDIR'] = process.env['BENCH_TMPDIR'];
  else if (existsSync(shm)) process.env['TMPDIR'] = shm;
  const { FakeDiscord, GeneratedContent } = await import('../test/fakes/discord.ts');
  const { FakeGoogle } = await import('../test/fakes/google.ts');
  const [discord, google] = await Promise.all([
    FakeDiscord.start(),
    FakeGoogle.start({ quota: { inserts: 1_000_000, units: 1_000_000 } }),
  ]);
  const account = google.addAccount({ email: 'bench@example.com' });
  // What the fakes do per request, counted without changing them: body chunks the Google fake's PUTs
  // read (one per socket read: its per-chunk work scales with it) and the CDN fake's writes.
  const fakeCounters = { googleReads: 0, cdnWrites: 0 };
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called with its own `this` below
  const push = IncomingMessage.prototype.push;
  IncomingMessage.prototype.push = function (
    this: IncomingMessage,
    chunk: unknown,
    encoding?: BufferEncoding,
  ) {
    if (chunk !== null && this.method === 'PUT') fakeCounters.googleReads++;
    return push.call(this, chunk, encoding);
  };
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called with its own `this` below
  const write = ServerResponse.prototype.write as (this: ServerResponse, ...args: unknown[]) => boolean;
  ServerResponse.prototype.write = function (this: ServerResponse, ...args: unknown[]) {
    if (this.req.method === 'GET') fakeCounters.cdnWrites++;
    return write.apply(this, args);
  } as typeof ServerResponse.prototype.write;
  const base = {
    nodeFlags,
    cdnHost: discord.cdnHost,
    apiRoot: google.apiRoot,
    tokenUrl: google.tokenUrl,
    clientId: google.clientId,
    clientSecret: google.clientSecret,
  };
  const lines: string[] = [];
  const log = (line: string) => {
    process.stderr.write(`${line}\n`);
  };
  const pairs: { size: number; raw: Measured[]; bot: Measured[] }[] = [];
  const rows: {
    size: number;
    cases: Record<CaseName, CaseSummary>;
    resent: number;
    inFlight: number;
    rounding: number;
  }[] = [];
  try {
    for (const sizeMiB of sizes) {
      const size = Math.round(sizeMiB * MiB);
      const seed = 1000 + sizeMiB;
      const attachment = discord.addGeneratedAttachment({ filename: `bench-${sizeMiB}.mp4`, size, seed });
      const hash = createHash('sha256');
      for (const slice of new GeneratedContent(size, seed).slices(0, size - 1)) hash.update(slice);
      const sha256 = hash.digest('hex');
      const check = (result: ChildResult, name: CaseName) => {
        if (name === 'cdn-only') return;
        const video = google.videos.get(result.videoId ?? '');
        if (video?.size !== size || video.sha256 !== sha256) {
          throw new Error(`${name} ${sizeMiB} MiB: the stored video does not match the source`);
        }
      };
      const cases: Record<CaseName, CaseSummary> = {
        'cdn-only': NONE,
        'google-only': NONE,
        raw: NONE,
        bot: NONE,
        pipeline: NONE,
        googleapis: NONE,
        'pipeline-gc': NONE,
        'pipeline-semi1': NONE,
      };
      // The cases alternate within each run, so a slow spell of the machine falls on both rather than on
      // one case's runs.
      const results = new Map<CaseName, Measured[]>(caseNames.map((name) => [name, []]));
      for (let run = 0; run < runs; run++) {
        // raw, bot; bot, raw; raw, bot; …: neither goes first every time.
        for (const name of run % 2 === 0 ? caseNames : [...caseNames].reverse()) {
          const tokens = google.mintTokens(account, ['youtube']);
          fakeCounters.googleReads = fakeCounters.cdnWrites = 0;
          const fakesIo0 = syscalls();
          const fakesCpu0 = process.cpuUsage();
          const result = await runChild({ ...base, case: name, size, seed, url: attachment.url, tokens });
          const fakesCpu = process.cpuUsage(fakesCpu0);
          const fakesIo1 = syscalls();
          const fakes: FakesResult = {
            cpuSeconds: (fakesCpu.user + fakesCpu.system) / 1e6,
            sysReads: (fakesIo1?.reads ?? NaN) - (fakesIo0?.reads ?? NaN),
            sysWrites: (fakesIo1?.writes ?? NaN) - (fakesIo0?.writes ?? NaN),
            googleReads: fakeCounters.googleReads,
            cdnWrites: fakeCounters.cdnWrites,
          };
          check(result, name);
          results.get(name)?.push({ ...result, fakes });
          const perGiB = (n: number) => fixed(n / (size / GiB), 0);
          log(
            `${sizeMiB} MiB ${name} #${run + 1}: ${fixed(mib(size) / result.seconds)} MiB/s ` +
              `(streaming ${fixed(mib(size) / result.streamSeconds)}), ` +
              `RSS +${fixed(mib(result.peakRss - result.idleRss))} MiB, CPU ${fixed(result.cpuSeconds, 2)} s, ` +
              `fakes' CPU ${fixed(fakes.cpuSeconds, 2)} s; per GiB: CDN ${perGiB(result.legs.cdnChunks)} chunks ` +
              `(fake: ${perGiB(fakes.cdnWrites)} writes), Google ${perGiB(result.legs.googleWrites)} writes ` +
              `(fake: ${perGiB(fakes.googleReads)} reads); requests CDN ${result.legs.cdnRequests}, ` +
              `Google ${result.legs.googleRequests}; PUTs with Content-Length ${result.legs.putsWithLength}/${result.legs.puts}; ` +
              `progress reports ${perGiB(result.legs.progressCalls)}/GiB; GC ${perGiB(result.legs.gcCount)}/GiB, ` +
              `${fixed(result.legs.gcMs / (size / GiB), 0)} ms/GiB; syscalls/GiB read ${perGiB(result.legs.sysReads)} ` +
              `write ${perGiB(result.legs.sysWrites)}, fakes' read ${perGiB(fakes.sysReads)} write ${perGiB(fakes.sysWrites)}`,
          );
        }
      }
      for (const [name, measured] of results) cases[name] = summarize(measured, size);
      pairs.push({ size: sizeMiB, raw: results.get('raw') ?? [], bot: results.get('bot') ?? [] });
      if (!dropRun) {
        rows.push({ size: sizeMiB, cases, resent: NaN, inFlight: NaN, rounding: NaN });
        continue;
      }
      const dropAt = Math.floor(size / 2);
      google.fail({ method: 'PUT', path: /upload_id=/ }, { dropAfterBytes: dropAt });
      const tokens = google.mintTokens(account, ['youtube']);
      const dropped = await runChild({ ...base, case: 'bot', size, seed, url: attachment.url, tokens });
      check(dropped, 'bot');
      log(`${sizeMiB} MiB bot with one drop: re-sent ${dropped.resentBytes ?? NaN} bytes`);
      // Google read exactly dropAt bytes and kept them rounded down to 256 KiB; the rest of what the
      // pipeline handed on was in the TCP buffers (client send + server receive) when the connection died.
      const rounding = dropAt - Math.floor(dropAt / 262_144) * 262_144;
      rows.push({
        size: sizeMiB,
        cases,
        resent: dropped.resentBytes ?? NaN,
        inFlight: (dropped.resentBytes ?? NaN) - rounding,
        rounding,
      });
    }
  } finally {
    await Promise.all([discord.close(), google.close()]);
  }

  lines.push(
    `Bot vs raw pipe — Node ${process.version}, ${cpus().length} CPUs, ${runs} run(s) alternating, both with the Node flags ${nodeFlags.join(' ') || '(none)'}${nodeFlags === START_FLAGS ? ' of npm start' : ''}.`,
    'MiB/s: streaming (until the last source byte was handed on), median (min–max); bot / raw: median of the',
    "per-run ratios (each bot run against the raw run next to it, the order swapped every run). CPU: the client's (user + system) and the",
    "fakes' (the parent process) per GiB, medians. Chunks per GiB: body chunks undici delivered from the CDN,",
    "writes undici made on the PUT, reads the Google fake's PUT handler got. Peak RSS growth: worst run.",
    '',
    "| Size | Raw MiB/s | Bot MiB/s | Bot / raw (≥ 0.95) | CPU s/GiB bot / raw (≤ +10 %) | Fakes' CPU s/GiB serving bot / raw (≤ +10 %) | Peak RSS growth MiB bot / raw (≤ 64) | CDN chunks/GiB bot / raw | PUT writes/GiB bot / raw | Google fake reads/GiB bot / raw | Requests CDN + Google: bot / raw |",
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const { size: sizeMiB, raw, bot } of pairs) {
    if (raw.length === 0 || bot.length === 0) continue;
    const gib = (sizeMiB * MiB) / GiB;
    const speed = (r: Measured) => sizeMiB / r.streamSeconds;
    const spread = (rs: Measured[]) =>
      `${fixed(median(rs.map(speed)))} (${fixed(Math.min(...rs.map(speed)))}–${fixed(Math.max(...rs.map(speed)))})`;
    const ratio = median(bot.map((b, i) => speed(b) / speed(raw[i] ?? b)));
    const per = (rs: Measured[], f: (r: Measured) => number) => median(rs.map((r) => f(r) / gib));
    const cpu = [per(bot, (r) => r.cpuSeconds), per(raw, (r) => r.cpuSeconds)] as const;
    const fakes = [per(bot, (r) => r.fakes.cpuSeconds), per(raw, (r) => r.fakes.cpuSeconds)] as const;
    const rss = [bot, raw].map((rs) => Math.max(...rs.map((r) => mib(r.peakRss - r.idleRss)))) as [
      number,
      number,
    ];
    const count = (f: (r: Measured) => number) => `${fixed(per(bot, f), 0)} / ${fixed(per(raw, f), 0)}`;
    const requests = (rs: Measured[]) =>
      `${rs[0]?.legs.cdnRequests ?? 0} + ${rs[0]?.legs.googleRequests ?? 0}`;
    lines.push(
      `| ${sizeMiB} MiB | ${spread(raw)} | ${spread(bot)} | ${fixed(ratio, 2)} ${mark(ratio >= 0.95)} | ` +
        `${fixed(cpu[0], 2)} / ${fixed(cpu[1], 2)} ${mark(cpu[0] <= cpu[1] * 1.1)} | ` +
        `${fixed(fakes[0], 2)} / ${fixed(fakes[1], 2)} ${mark(fakes[0] <= fakes[1] * 1.1)} | ` +
        `${fixed(rss[0])} / ${fixed(rss[1])} ${mark(rss[0] <= TARGETS.rssGrowthMiB)} | ` +
        `${count((r) => r.legs.cdnChunks)} | ${count((r) => r.legs.googleWrites)} | ${count((r) => r.fakes.googleReads)} | ` +
        `${requests(bot)} / ${requests(raw)} |`,
    );
  }
  if (dropRun) {
    lines.push(
      '',
      'Re-sent after one drop (the Google fake cuts the first PUT after half the file; the bot resumes from what',
      'YouTube kept): what sat in TCP buffers plus the rounding down to 256 KiB.',
      '',
      '| Size | Re-sent (≤ 8 MiB) | = in TCP buffers + rounding |',
      '|---:|---:|---:|',
    );
    for (const row of rows) {
      const resentMiB = mib(row.resent);
      lines.push(
        `| ${row.size} MiB | ${fixed(resentMiB, 2)} MiB ${markIf(resentMiB, resentMiB <= TARGETS.resentMiB)} | ` +
          `${fixed(mib(row.inFlight), 2)} MiB + ${fixed(row.rounding / 1024, 0)} KiB |`,
      );
    }
  }
  lines.push('');
  if (!caseNames.some((name) => name !== 'raw' && name !== 'bot')) {
    process.stdout.write(`${lines.join('\n')}\n`);
    return;
  }
  lines.push(
    `Upload benchmark — Node ${process.version}, ${cpus().length} CPUs, ${runs} run(s) per case, fakes on loopback in the parent`,
    `(Google fake's session files in ${tmpdir()}), each case in a fresh child process (median; peak RSS: worst run).`,
    'MiB/s: streaming (until the last byte of the source was handed on) and, in brackets, end to end (until',
    "the final answer, which includes the Google fake's completion work: it re-reads and hashes a resumable",
    "session's file, but hashes a multipart upload on the fly — so end to end favours googleapis).",
    '',
    '| Size | Pipeline (Node defaults) MiB/s | Raw (flags above) MiB/s | googleapis MiB/s | Pipeline / raw (≥ 0.9) | Pipeline / googleapis | Peak RSS growth MiB: pipeline / raw / googleapis (≤ 64) | CPU s/GiB: pipeline / raw / googleapis | Re-sent after one drop (≤ 8 MiB) |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const row of rows) {
    const { pipeline: p, raw: r, googleapis: g } = row.cases;
    const ratio = p.streamMibPerSec / r.streamMibPerSec;
    const rssOk = p.rssGrowthMiB <= TARGETS.rssGrowthMiB;
    const resentMiB = mib(row.resent);
    const speed = (c: CaseSummary) => `${fixed(c.streamMibPerSec)} (${fixed(c.mibPerSec)})`;
    lines.push(
      `| ${row.size} MiB | ${speed(p)} | ${speed(r)} | ${speed(g)} | ` +
        `${fixed(ratio, 2)} ${markIf(ratio, ratio >= TARGETS.ratioToRaw)} | ${fixed(p.streamMibPerSec / g.streamMibPerSec, 2)} | ` +
        `${fixed(p.rssGrowthMiB)} ${markIf(p.rssGrowthMiB, rssOk)} / ${fixed(r.rssGrowthMiB)} / ${fixed(g.rssGrowthMiB)} | ` +
        `${fixed(p.cpuPerGiB, 2)} / ${fixed(r.cpuPerGiB, 2)} / ${fixed(g.cpuPerGiB, 2)} | ` +
        `${fixed(resentMiB, 2)} MiB ${markIf(resentMiB, resentMiB <= TARGETS.resentMiB)} |`,
    );
  }
  lines.push(
    '',
    'Context: what each fake manages alone (is the comparison capped by them?); what the pipeline keeps',
    'alive (RSS growth with a gc() every 50 ms: the growth above is mostly socket-read buffers V8 has not',
    'collected yet, which a plain download shows too); the pipeline with a 1 MiB young generation (a Node',
    'flag for the deployment, not a code change); VmHWM as a cross-check of the sampled peak; where the',
    're-sent bytes were.',
    '',
    '| Size | CDN fake → discard MiB/s (RSS growth) | generated → Google fake MiB/s | Pipeline RSS growth with gc every 50 ms | Pipeline with --max-semi-space-size=1: MiB/s, RSS growth, CPU s/GiB | VmHWM growth MiB: pipeline / raw / googleapis | Re-sent = in TCP buffers + rounding to 256 KiB |',
    '|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const row of rows) {
    const c = row.cases;
    lines.push(
      `| ${row.size} MiB | ${fixed(c['cdn-only'].mibPerSec)} (${fixed(c['cdn-only'].rssGrowthMiB)} MiB) | ` +
        `${fixed(c['google-only'].streamMibPerSec)} (${fixed(c['google-only'].mibPerSec)}) | ${fixed(c['pipeline-gc'].rssGrowthMiB)} MiB | ` +
        `${fixed(c['pipeline-semi1'].streamMibPerSec)} (${fixed(c['pipeline-semi1'].mibPerSec)}), ` +
        `${fixed(c['pipeline-semi1'].rssGrowthMiB)} MiB, ${fixed(c['pipeline-semi1'].cpuPerGiB, 2)} | ` +
        `${fixed(c.pipeline.hwmGrowthMiB)} / ${fixed(c.raw.hwmGrowthMiB)} / ${fixed(c.googleapis.hwmGrowthMiB)} | ` +
        `${fixed(mib(row.inFlight), 2)} MiB + ${fixed(row.rounding / 1024, 0)} KiB |`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

if (process.argv.includes('--child')) {
  process.once('message', (config: ChildConfig) => {
    child(config).then(
      (result) => process.send?.({ ok: true, result }, () => process.exit(0)),
      (error: unknown) =>
        process.send?.(
          { ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) },
          () => process.exit(1),
        ),
    );
  });
} else {
  // The page row (issue #11): --page, or `page` among --cases, runs bench/page-upload.ts (headless Chromium →
  // the real bot → the Google fake, beside the raw pipe and Chromium alone, in its own run) after the other
  // cases; `--cases page` alone runs only it. The same --sizes and --runs.
  const args = process.argv.slice(2);
  const at = args.indexOf('--cases');
  const chosen = at >= 0 ? (args[at + 1] ?? '').split(',') : [];
  const page = args.includes('--page') || chosen.includes('page');
  if (!(page && at >= 0 && chosen.every((c) => c === 'page'))) await parent();
  if (page) {
    const passed = ['sizes', 'runs', 'chunk-mib'].flatMap((name) => {
      const i = args.indexOf(`--${name}`);
      return i >= 0 && args[i + 1] !== undefined ? [`--${name}`, args[i + 1]!] : [];
    });
    const script = fileURLToPath(new URL('./page-upload.ts', import.meta.url));
    const { status } = spawnSync(process.execPath, [script, ...passed], { stdio: 'inherit' });
    if (status !== 0) process.exitCode = status ?? 1;
  }
}
