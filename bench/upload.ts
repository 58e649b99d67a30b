// Upload benchmark: streams generated attachments from the Discord fake's CDN to the Google fake's upload
// endpoint and compares, per file size, the pipeline (src/uploads/pipeline.ts) with a raw baseline (one undici
// GET piped into one PUT to a resumable session, no protocol work) and with @googleapis/youtube's own
// videos.insert (multipart, the stream as media body). It also measures what each fake can do alone, so a
// fake that caps every client at the same speed is visible instead of hiding differences.
//
//   npm run bench:upload -- [--sizes 64,512,2048] [--runs 5] [--cases raw,pipeline] [--no-drop]
//
// Method: the fakes run in this (parent) process, the Google fake's session files on /dev/shm when it exists
// (BENCH_TMPDIR overrides); every measured case runs in a fresh child process (fork, --expose-gc), so its
// memory and CPU are its own. In the child: modules loaded, gc(), 100 ms of quiet, then idle RSS; RSS is
// sampled every 20 ms (process.memoryUsage.rss()) during the transfer and the peak growth above idle is
// reported (VmHWM from /proc beside it as a cross-check); CPU is process.cpuUsage() over the transfer (user +
// system) per GiB; throughput is size over wall time from the first request, both until the last source byte
// was handed on ("streaming") and until the final answer ("end to end", which includes the fake's completion
// work). Each stored video is checked (size and sha256) against the source. Figures are medians over --runs
// (peak RSS: the worst run). The re-send figure is a separate pipeline run with the fake dropping the first
// upload PUT's connection after half the file. BENCH_CHILD_FLAGS adds Node flags to every child.
import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { Readable, Writable } from 'node:stream';
import { pipeline as pipe } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const TARGETS = { ratioToRaw: 0.9, rssGrowthMiB: 64, resentMiB: 8 };
const METADATA = {
  snippet: { title: 'Benchmark upload', description: 'bench/upload.ts', categoryId: '22' },
  status: { privacyStatus: 'private' as const },
};

type CaseName =
  'cdn-only' | 'google-only' | 'raw' | 'pipeline' | 'pipeline-gc' | 'pipeline-semi1' | 'googleapis';

interface ChildConfig {
  case: CaseName;
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
}

// ---------------------------------------------------------------- child: one measured case

async function child(config: ChildConfig): Promise<ChildResult> {
  const { request } = await import('undici');
  const { runUpload } = await import('../src/uploads/pipeline.ts');
  const { createLogger } = await import('../src/logger.ts');
  const { GeneratedContent } = await import('../test/fakes/discord/cdn.ts');
  const { youtube } = await import('@googleapis/youtube');
  const { OAuth2Client } = await import('google-auth-library');

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

  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let videoId: string | undefined;
  let resentBytes: number | undefined;
  let retries: number | undefined;
  let streamEnd: number | undefined;
  const ended = () => {
    streamEnd ??= performance.now();
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
        onProgress: (p) => {
          if (p.sent === config.size) ended();
        },
        signal: new AbortController().signal,
        logger: createLogger('silent'),
      });
      clearInterval(collector);
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

interface CaseSummary {
  mibPerSec: number;
  streamMibPerSec: number;
  cpuPerGiB: number;
  rssGrowthMiB: number;
  hwmGrowthMiB: number;
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
  const sizes = option('sizes', '64,512')
    .split(',')
    .map((s) => Number(s.trim()))
    .filter((n) => Number.isFinite(n) && n > 0);
  const runs = Math.max(1, Number(option('runs', '5')));
  const allCases: CaseName[] = [
    'cdn-only',
    'google-only',
    'raw',
    'pipeline',
    'googleapis',
    'pipeline-gc',
    'pipeline-semi1',
  ];
  // --cases raw,pipeline measures a subset (the tables show – for the others); --no-drop skips the drop run.
  const caseNames = option('cases', allCases.join(','))
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
  const base = {
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
        pipeline: NONE,
        googleapis: NONE,
        'pipeline-gc': NONE,
        'pipeline-semi1': NONE,
      };
      for (const name of caseNames) {
        const results: ChildResult[] = [];
        for (let run = 0; run < runs; run++) {
          const tokens = google.mintTokens(account, ['youtube']);
          const result = await runChild({ ...base, case: name, size, seed, url: attachment.url, tokens });
          check(result, name);
          results.push(result);
          log(
            `${sizeMiB} MiB ${name} #${run + 1}: ${fixed(mib(size) / result.seconds)} MiB/s ` +
              `(streaming ${fixed(mib(size) / result.streamSeconds)}), ` +
              `RSS +${fixed(mib(result.peakRss - result.idleRss))} MiB, CPU ${fixed(result.cpuSeconds, 2)} s`,
          );
        }
        cases[name] = {
          mibPerSec: median(results.map((r) => mib(size) / r.seconds)),
          streamMibPerSec: median(results.map((r) => mib(size) / r.streamSeconds)),
          cpuPerGiB: median(results.map((r) => r.cpuSeconds / (size / GiB))),
          rssGrowthMiB: Math.max(...results.map((r) => mib(r.peakRss - r.idleRss))),
          hwmGrowthMiB: Math.max(...results.map((r) => mib((r.vmHwm ?? NaN) - r.idleRss))),
        };
      }
      if (!dropRun) {
        rows.push({ size: sizeMiB, cases, resent: NaN, inFlight: NaN, rounding: NaN });
        continue;
      }
      const dropAt = Math.floor(size / 2);
      google.fail({ method: 'PUT', path: /upload_id=/ }, { dropAfterBytes: dropAt });
      const tokens = google.mintTokens(account, ['youtube']);
      const dropped = await runChild({ ...base, case: 'pipeline', size, seed, url: attachment.url, tokens });
      check(dropped, 'pipeline');
      log(`${sizeMiB} MiB pipeline with one drop: re-sent ${dropped.resentBytes ?? NaN} bytes`);
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
    `Upload benchmark — Node ${process.version}, ${cpus().length} CPUs, ${runs} run(s) per case, fakes on loopback in the parent`,
    `(Google fake's session files in ${tmpdir()}), each case in a fresh child process (median; peak RSS: worst run).`,
    'MiB/s: streaming (until the last byte of the source was handed on) and, in brackets, end to end (until',
    "the final answer, which includes the Google fake's completion work: it re-reads and hashes a resumable",
    "session's file, but hashes a multipart upload on the fly — so end to end favours googleapis).",
    '',
    '| Size | Pipeline MiB/s | Raw MiB/s | googleapis MiB/s | Pipeline / raw (≥ 0.9) | Pipeline / googleapis | Peak RSS growth MiB: pipeline / raw / googleapis (≤ 64) | CPU s/GiB: pipeline / raw / googleapis | Re-sent after one drop (≤ 8 MiB) |',
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
  await parent();
}
