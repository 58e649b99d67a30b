// The process's Prometheus metrics (prom-client): uploads, bytes, throughput, interaction
// acknowledgement latency, API errors, quota, leases, and Node's own process metrics (event-loop
// lag included). One registry per process; services call the small functions of `metrics`, and
// GET /metrics (src/http/metrics-route.ts) renders the registry.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** What the upload service and the quota report when /metrics is read. */
export interface MetricSources {
  /**
   * Uploads waiting for a slot and uploads sending bytes in this process; the upload leases it holds
   * now and the uploads it took over from a dead process since start.
   */
  uploads?: () => { queued: number; running: number; leasesHeld?: number; takenOver?: number };
  /** Today's use of the shared YouTube quota (the store's count, the same for every process). */
  quota?: () => Promise<{ units: number; inserts: number }>;
}

export const registry = new Registry();
// process_cpu_*, process_resident_memory_bytes, nodejs_eventloop_lag_* (p50/p99…), nodejs_heap_*, GC.
collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });

const sources = new Set<MetricSources>();

new Gauge({
  name: 'tubebridge_uploads_queued',
  help: 'Uploads waiting in line for a slot in this process.',
  registers: [registry],
  collect() {
    this.set(sum((s) => s.uploads?.().queued ?? 0));
  },
});
new Gauge({
  name: 'tubebridge_uploads_running',
  help: 'Uploads sending bytes to YouTube in this process.',
  registers: [registry],
  collect() {
    this.set(sum((s) => s.uploads?.().running ?? 0));
  },
});
const uploadsDone = new Counter({
  name: 'tubebridge_uploads_done_total',
  help: 'Uploads that ended with their video on YouTube.',
  registers: [registry],
});
const uploadsFailed = new Counter({
  name: 'tubebridge_uploads_failed_total',
  help: 'Uploads that ended without a video, by reason (the error kind: quota, auth, network, invalid, …; processing).',
  labelNames: ['reason'],
  registers: [registry],
});
const uploadsCancelled = new Counter({
  name: 'tubebridge_uploads_cancelled_total',
  help: 'Uploads their member cancelled (or whose upload link expired unused) before a video was made.',
  registers: [registry],
});
const bytesSent = new Counter({
  name: 'tubebridge_upload_bytes_sent_total',
  help: 'Bytes sent to YouTube (resent bytes count again).',
  registers: [registry],
});
const throughput = new Histogram({
  name: 'tubebridge_upload_throughput_bytes_per_second',
  help: "An upload's bytes divided by the seconds it sent them, observed when its bytes are in.",
  // 64 KiB/s … 1 GiB/s, doubling.
  buckets: Array.from({ length: 15 }, (_, i) => 65_536 * 2 ** i),
  registers: [registry],
});
const ackLatency = new Histogram({
  name: 'tubebridge_interaction_ack_seconds',
  help: 'From an interaction reaching this process to Discord accepting its first answer (reply, defer, choices).',
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5],
  registers: [registry],
});
const apiErrors = new Counter({
  name: 'tubebridge_api_errors_total',
  help: 'Error answers (HTTP 4xx/5xx) from Discord and Google, by api and status.',
  labelNames: ['api', 'status'],
  registers: [registry],
});
new Gauge({
  name: 'tubebridge_quota_units_used_today',
  help: 'Units of the shared YouTube quota used today (Pacific time), as the store counts them.',
  registers: [registry],
  async collect() {
    const value = await quotaToday();
    if (value) this.set(value.units);
  },
});
new Gauge({
  name: 'tubebridge_quota_uploads_used_today',
  help: 'YouTube uploads (videos.insert) started today (Pacific time), as the store counts them.',
  registers: [registry],
  async collect() {
    const value = await quotaToday();
    if (value) this.set(value.inserts);
  },
});
// Read from the upload service's own counts when /metrics is read (its stats() is the one truth).
new Gauge({
  name: 'tubebridge_leases_held',
  help: 'Upload leases this process holds now.',
  registers: [registry],
  collect() {
    this.set(sum((s) => s.uploads?.().leasesHeld ?? 0));
  },
});
new Counter({
  name: 'tubebridge_leases_taken_over_total',
  help: 'Uploads this process took over from another process whose lease ran out.',
  registers: [registry],
  collect() {
    // The service counts since its start and only upward: the counter shows that count.
    this.reset();
    this.inc(sum((s) => s.uploads?.().takenOver ?? 0));
  },
});

function sum(read: (s: MetricSources) => number): number {
  let total = 0;
  for (const source of sources) total += read(source);
  return total;
}

/** One read of the quota per scrape, shared by its two gauges; a store that does not answer leaves them as they were. */
let quotaRead: { at: number; value: Promise<{ units: number; inserts: number } | undefined> } | undefined;
function quotaToday(): Promise<{ units: number; inserts: number } | undefined> {
  const now = Date.now();
  if (quotaRead && now - quotaRead.at < 1000) return quotaRead.value;
  const source = [...sources].reverse().find((s) => s.quota);
  const value = source?.quota ? source.quota().catch(() => undefined) : Promise.resolve(undefined);
  quotaRead = { at: now, value };
  return value;
}

export const metrics = {
  /** Registers what an app reports when /metrics is read; the returned function removes it (at stop). */
  addSources(source: MetricSources): () => void {
    sources.add(source);
    return () => sources.delete(source);
  },
  uploadDone(): void {
    uploadsDone.inc();
  },
  /** `reason`: the error's kind (quota, auth, network, invalid, …) or 'processing' (YouTube rejected the video). */
  uploadFailed(reason: string): void {
    uploadsFailed.inc({ reason });
  },
  uploadCancelled(): void {
    uploadsCancelled.inc();
  },
  bytesSent(n: number): void {
    if (n > 0) bytesSent.inc(n);
  },
  /** An upload's bytes are in: `bytes` sent in `seconds` by this process. */
  uploadThroughput(bytes: number, seconds: number): void {
    if (bytes > 0 && seconds > 0) throughput.observe(bytes / seconds);
  },
  interactionAcknowledged(seconds: number): void {
    ackLatency.observe(seconds);
  },
  apiError(api: 'discord' | 'google', status: number): void {
    apiErrors.inc({ api, status: String(status) });
  },
  /** The text of GET /metrics. */
  render: (): Promise<string> => registry.metrics(),
  contentType: registry.contentType,
};
