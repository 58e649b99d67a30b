// Progress as text: a bar, percent, bytes, speed and ETA for each phase of an upload, and a
// throttle so the message is edited at most every 2 seconds (phase changes go out at once).

export type Phase =
  | 'queued'
  | 'starting'
  | 'uploading'
  | 'retrying'
  | 'paused'
  | 'finishing'
  | 'processing'
  /** The bot's store does not answer: the job waits for it (nothing is lost). */
  | 'storage'
  | 'done'
  | 'failed'
  | 'cancelled';

export interface ProgressView {
  readonly phase: Phase;
  readonly filename: string;
  /** The bytes come from the member's browser (the upload page), not an attachment. */
  readonly fromBrowser?: boolean | undefined;
  readonly title: string;
  readonly total: number;
  readonly sent: number;
  readonly bytesPerSecond: number | undefined;
  readonly queuePosition?: number | undefined;
  readonly retry?: { attempt: number; tries: number; inMs: number } | undefined;
  readonly videoUrl?: string | undefined;
  readonly privacy?: string | undefined;
  /** Plain sentences appended under the main line (notes, warnings, the failure reason). */
  readonly notes?: readonly string[] | undefined;
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(n: number): string {
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${UNITS[unit]}`;
}

export function formatDuration(seconds: number): string {
  const s = Math.max(1, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

export function bar(fraction: number, width = 20): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
}

const escape = (text: string) => text.replace(/([*_`~|\\>[\]])/g, '\\$1');

export function renderProgress(view: ProgressView): string {
  const name = `\`${view.filename.replace(/`/g, "'")}\`${view.fromBrowser ? ' from your browser' : ''}`;
  const fraction = view.total > 0 ? view.sent / view.total : 0;
  const percent = Math.floor(fraction * 100);
  const meter = `\`${bar(fraction)}\` ${percent}% · ${formatBytes(view.sent)} of ${formatBytes(view.total)}`;
  const speed =
    view.bytesPerSecond && view.bytesPerSecond > 0
      ? `${formatBytes(view.bytesPerSecond)}/s · about ${formatDuration((view.total - view.sent) / view.bytesPerSecond)} left`
      : 'measuring speed…';
  const lines: string[] = [];
  switch (view.phase) {
    case 'queued':
      lines.push(
        `⏳ **Queued** ${name} — position ${view.queuePosition ?? 1} in line. It starts as soon as an upload slot frees up.`,
      );
      break;
    case 'starting':
      lines.push(`📡 **Starting** ${name} → YouTube…`);
      break;
    case 'uploading':
      lines.push(`📤 **Uploading** ${name} → YouTube`, meter, speed);
      break;
    case 'retrying':
      lines.push(
        `🔁 **Connection trouble** — retrying in ${formatDuration((view.retry?.inMs ?? 0) / 1000)} (try ${view.retry?.attempt ?? 1} of ${view.retry?.tries ?? 10}). Nothing is lost: the upload continues where YouTube stopped.`,
        meter,
      );
      break;
    case 'paused':
      lines.push(
        `⏸️ **Paused** — the bot is restarting. ${name} continues from where YouTube stopped as soon as it is back.`,
        meter,
      );
      break;
    case 'finishing':
      lines.push(
        `⏳ **Finishing on YouTube…** — every byte of ${name} is sent; YouTube is creating the video.`,
        meter,
      );
      break;
    case 'processing':
      lines.push(`⚙️ **Uploaded** — YouTube is processing **${escape(view.title)}**: ${view.videoUrl ?? ''}`);
      break;
    case 'storage':
      lines.push(
        `⏳ **Waiting for the bot's storage…** — it is not answering right now, so the bot cannot record where ${name} stands. Nothing is lost: it goes on by itself as soon as the storage answers.`,
      );
      break;
    case 'done':
      lines.push(
        `✅ **${escape(view.title)}** is on YouTube: ${view.videoUrl ?? ''} · privacy: ${view.privacy ?? 'unknown'}`,
      );
      break;
    case 'failed':
      lines.push(`❌ **Upload failed** — ${name}`);
      break;
    case 'cancelled':
      lines.push(`🛑 **Cancelled** — ${name} was not published.`);
      break;
  }
  for (const note of view.notes ?? []) lines.push(note);
  return lines.join('\n').slice(0, 2000);
}

/** Speed over a sliding window of samples, so a stall shows quickly and a burst does not dominate. */
export class SpeedMeter {
  private samples: { at: number; bytes: number }[] = [];
  private readonly windowMs: number;
  constructor(windowMs = 10_000) {
    this.windowMs = windowMs;
  }
  add(at: number, bytes: number): void {
    this.samples.push({ at, bytes });
    while (this.samples.length > 2 && (this.samples[0]?.at ?? at) < at - this.windowMs) this.samples.shift();
  }
  bytesPerSecond(): number | undefined {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || last.at - first.at < 500) return undefined;
    return Math.max(0, ((last.bytes - first.bytes) * 1000) / (last.at - first.at));
  }
}

/** Lets an edit through at most every `intervalMs`, except when the phase changes. */
export class Throttle {
  private lastAt = Number.NEGATIVE_INFINITY;
  private lastPhase: Phase | undefined;
  private readonly intervalMs: number;
  constructor(intervalMs = 2000) {
    this.intervalMs = intervalMs;
  }
  allow(now: number, phase: Phase): boolean {
    if (phase !== this.lastPhase || now - this.lastAt >= this.intervalMs) {
      this.lastAt = now;
      this.lastPhase = phase;
      return true;
    }
    return false;
  }
}
