// Progress as text: a bar, percent, bytes, speed and ETA for each phase of an upload, and a
// throttle so the message is edited at most every 2 seconds (phase changes go out at once).
import { formatBytes as formatBytesIn, formatDuration, formatSpeed } from '../i18n/format.ts';
import { t, type Values } from '../i18n/index.ts';
import { noteText, type Note } from './notes.ts';

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
  /** Sentences appended under the main line (notes, warnings, the failure reason), in the member's language. */
  readonly notes?: readonly Note[] | undefined;
  /** The member's Discord locale: the message is in their language. */
  readonly locale?: string | null | undefined;
}

/** Bytes in binary units ("1.5 MiB"), in English; `formatBytes` of src/i18n/format.ts for a language. */
export function formatBytes(n: number): string {
  return formatBytesIn('en', n);
}

export function bar(fraction: number, width = 20): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
}

const escape = (text: string) => text.replace(/([*_`~|\\>[\]])/g, '\\$1');

/** The progress message in the language of `view.locale` (the member's; English without one). */
export function renderProgress(view: ProgressView): string {
  const locale = view.locale;
  const say = (key: string, values: Values = {}) => t(locale, key, values);
  const quoted = `\`${view.filename.replace(/`/g, "'")}\``;
  const name = view.fromBrowser ? say('progress.fromBrowser', { name: quoted }) : quoted;
  const fraction = view.total > 0 ? view.sent / view.total : 0;
  const percent = Math.floor(fraction * 100);
  const meter = `\`${bar(fraction)}\` ${say('progress.meter', {
    percent,
    sent: formatBytesIn(locale, view.sent),
    total: formatBytesIn(locale, view.total),
  })}`;
  const speed =
    view.bytesPerSecond && view.bytesPerSecond > 0
      ? say('progress.speed', {
          speed: formatSpeed(locale, view.bytesPerSecond),
          eta: formatDuration(locale, (view.total - view.sent) / view.bytesPerSecond),
        })
      : say('progress.measuring');
  const privacy =
    view.privacy && ['public', 'unlisted', 'private'].includes(view.privacy) ? view.privacy : 'unknown';
  const lines: string[] = [];
  switch (view.phase) {
    case 'queued':
      lines.push(say('progress.queued', { name, position: view.queuePosition ?? 1 }));
      break;
    case 'starting':
      lines.push(say('progress.starting', { name }));
      break;
    case 'uploading':
      lines.push(say('progress.uploading', { name }), meter, speed);
      break;
    case 'retrying':
      lines.push(
        say('progress.retrying', {
          wait: formatDuration(locale, (view.retry?.inMs ?? 0) / 1000),
          attempt: view.retry?.attempt ?? 1,
          tries: view.retry?.tries ?? 10,
        }),
        meter,
      );
      break;
    case 'paused':
      lines.push(say('progress.paused', { name }), meter);
      break;
    case 'finishing':
      lines.push(say('progress.finishing', { name }), meter);
      break;
    case 'processing':
      lines.push(say('progress.processing', { title: escape(view.title), url: view.videoUrl ?? '' }));
      break;
    case 'storage':
      lines.push(say('progress.storage', { name }));
      break;
    case 'done':
      lines.push(
        say('progress.done', {
          title: escape(view.title),
          url: view.videoUrl ?? '',
          privacy: say(`privacy.${privacy}`),
        }),
      );
      break;
    case 'failed':
      lines.push(say('progress.failed', { name }));
      break;
    case 'cancelled':
      lines.push(say('progress.cancelled', { name }));
      break;
  }
  for (const note of view.notes ?? []) lines.push(noteText(locale, note));
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
