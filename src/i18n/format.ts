// Numbers, sizes, speeds, durations, dates and times as each language writes them (Intl), for the
// language of `locale` (a Discord locale or one of ours).
import { languageOf, t } from './index.ts';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

/**
 * One formatter per language and kind, made once: every progress edit formats a few figures, and a new
 * Intl.NumberFormat each time costs more than the formatting.
 */
const numberFormats = new Map<string, Intl.NumberFormat>();
function numberFormat(language: string, digits: number | undefined): Intl.NumberFormat {
  const key = `${language}|${digits ?? ''}`;
  let format = numberFormats.get(key);
  if (!format) {
    format =
      digits === undefined
        ? new Intl.NumberFormat(language)
        : new Intl.NumberFormat(language, {
            minimumFractionDigits: digits,
            maximumFractionDigits: digits,
            // A unit's figure stays under 1024: "1023.9 MiB", as the bot always wrote it.
            useGrouping: false,
          });
    numberFormats.set(key, format);
  }
  return format;
}

/** 1234567 → "1,234,567" (en), "1.234.567" (de), "1 234 567" (fr). */
export function formatNumber(locale: string | null | undefined, n: number): string {
  return numberFormat(languageOf(locale), undefined).format(n);
}

/** Bytes in binary units with one decimal: "1.5 MiB", "1,5 MiB" (de); IEC units in every language. */
export function formatBytes(locale: string | null | undefined, n: number): string {
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 ? 0 : 1;
  const number = numberFormat(languageOf(locale), digits).format(value);
  return `${number} ${UNITS[unit]}`;
}

/** A speed: "12.3 MiB/s". */
export function formatSpeed(locale: string | null | undefined, bytesPerSecond: number): string {
  return `${formatBytes(locale, bytesPerSecond)}/s`;
}

/** A duration rounded to whole seconds: "42 s", "3 min 5 s", "1 h 20 min" in the language's units. */
export function formatDuration(locale: string | null | undefined, seconds: number): string {
  const s = Math.max(1, Math.round(seconds));
  const values =
    s < 60
      ? { seconds: s }
      : s < 3600
        ? { minutes: Math.floor(s / 60), seconds: s % 60 }
        : { hours: Math.floor(s / 3600), minutes: Math.floor((s % 3600) / 60) };
  const key = s < 60 ? 'duration.s' : s < 3600 ? 'duration.min_s' : 'duration.h_min';
  return t(locale, key, values);
}

/** A date and time in the language's way, in UTC unless a time zone is given (Discord shows no zone). */
export function formatDateTime(locale: string | null | undefined, date: Date, timeZone = 'UTC'): string {
  return new Intl.DateTimeFormat(languageOf(locale), {
    dateStyle: 'medium',
    timeStyle: 'short',
    timeZone,
    timeZoneName: 'short',
  }).format(date);
}
