// The upload page's HTML: who is uploading and what, a file picker and drop zone, and the progress
// view, in the language of the member who ran /upload. No inline script or style: upload.js,
// upload.css and tus-js-client come from the bot (the page's CSP allows only 'self'). What the script
// needs travels in data- attributes, and the sentences it shows in a JSON block it reads (never run).
import type { JobRecord } from '../uploads/records.ts';
import { languageOf, resources, t } from '../i18n/index.ts';
import { formatDateTime } from '../i18n/format.ts';
import { escapeHtml } from './pages.ts';

/**
 * The suggested chunk for proxies that limit request bodies (UPLOAD_PAGE_CHUNK_MIB=64), and how much of a
 * refused PATCH is read before answering: a multiple of YouTube's 256 KiB, so every chunk but the last is valid.
 */
export const CHUNK_BYTES = 64 * 1024 * 1024;

export interface MemberInfo {
  displayName: string;
  username: string;
}

/** The script's sentences (`page.upload.js.*`), its button labels, and the duration words it shares with Discord. */
const SCRIPT_PREFIX = 'page.upload.js.';
const SCRIPT_KEYS = [
  ...Object.keys(resources.get('en') ?? {})
    .filter((key) => key.startsWith(SCRIPT_PREFIX))
    .map((key) => [key.slice(SCRIPT_PREFIX.length), key] as const),
  ['pause', 'page.upload.pauseButton'],
  ['resume', 'page.upload.resumeButton'],
  ['duration.s', 'duration.s'],
  ['duration.min_s', 'duration.min_s'],
  ['duration.h_min', 'duration.h_min'],
] as const;

/** The script's sentences in the language of `locale`, as JSON that is safe inside a <script> element. */
export function scriptTexts(locale: string | undefined): string {
  // Without values, placeholders stay as written ({{name}} …): the script fills them.
  const texts = Object.fromEntries(SCRIPT_KEYS.map(([name, key]) => [name, t(locale, key)]));
  return JSON.stringify(texts).replace(/</g, '\\u003c');
}

/** `key` in `locale`, escaped, with each `html` value (already safe markup) put in its placeholder. */
function withMarkup(locale: string | undefined, key: string, html: Record<string, string>): string {
  const marks = Object.fromEntries(Object.keys(html).map((name) => [name, `\uE000${name}\uE000`]));
  return escapeHtml(t(locale, key, marks)).replace(
    /\uE000(\w+)\uE000/g,
    (_, name: string) => html[name] ?? '',
  );
}

/** A scheduled time as the reader's language writes it (English keeps the exact UTC time it always showed). */
function publishTime(locale: string | undefined, iso: string): string {
  const ms = Date.parse(iso);
  return languageOf(locale) === 'en' || Number.isNaN(ms) ? iso : formatDateTime(locale, new Date(ms));
}

export function uploadPage(o: {
  token: string;
  job: JobRecord;
  member: MemberInfo;
  maxBytes: number;
  /** Bytes per PATCH (UPLOAD_PAGE_CHUNK_MIB); 0 (the default): the rest of the file in one PATCH. */
  chunkBytes?: number | undefined;
  /** The reader's language: the member's own (the job's), else the browser's; English without. */
  locale?: string | undefined;
}): string {
  const { job, locale } = o;
  const say = (key: string, values: Record<string, string> = {}) => t(locale, key, values);
  const m = job.metadata;
  const started = job.status !== 'awaiting';
  const privacy = job.review
    ? say('page.upload.privacyReview', { privacy: say(`privacy.${job.review.requestedPrivacy}`) })
    : say(`privacy.${job.requestedPrivacy}`);
  const rows: [string, string][] = [
    [
      say('page.upload.field.title'),
      job.titleFromFile && !started ? say('page.upload.titleFromFile') : m.snippet.title,
    ],
    ...(m.snippet.description
      ? [[say('page.upload.field.description'), m.snippet.description.slice(0, 300)] as [string, string]]
      : []),
    ...(m.snippet.tags?.length
      ? [[say('page.upload.field.tags'), m.snippet.tags.join(', ')] as [string, string]]
      : []),
    [say('page.upload.field.privacy'), privacy],
    ...(m.status.publishAt
      ? [[say('page.upload.field.publishAt'), publishTime(locale, m.status.publishAt)] as [string, string]]
      : []),
  ];
  const data = {
    endpoint: `/u/${o.token}/files`,
    upload: `/u/${o.token}/files/${job.id}`,
    status: `/u/${o.token}/status`,
    chunk: String(o.chunkBytes ?? 0),
    max: String(o.maxBytes),
    name: started ? job.source.filename : '',
    size: started ? String(job.source.size) : '',
  };
  const attrs = Object.entries(data)
    .map(([k, v]) => `data-${k}="${escapeHtml(v)}"`)
    .join(' ');
  const who = withMarkup(locale, 'page.upload.for', {
    who: `<strong>${escapeHtml(o.member.displayName)}</strong> <small>@${escapeHtml(o.member.username)}</small>`,
  });
  const title = escapeHtml(say('page.upload.title'));
  return `<!doctype html>
<html lang="${escapeHtml(languageOf(locale))}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer"><title>${title} · TubeBridge</title>
<link rel="stylesheet" href="/u/assets/upload.css"></head>
<body><main id="app" ${attrs}>
<h1>${title}</h1>
<p class="who">${who}</p>
<dl>${rows.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl>
${started ? `<p class="note" id="resume-note">${escapeHtml(say('page.upload.resumeNote', { name: job.source.filename }))}</p>` : ''}
<label id="drop" class="drop" for="file"><span>${escapeHtml(say('page.upload.drop'))}</span>
<input id="file" type="file" accept="video/*"></label>
<section id="progress" hidden>
<p id="filename"></p>
<progress id="bar" max="100" value="0"></progress>
<p id="numbers" aria-live="polite"></p>
<p class="buttons"><button id="pause" type="button">${escapeHtml(say('page.upload.pauseButton'))}</button> <button id="cancel" type="button" class="secondary">${escapeHtml(say('page.upload.cancelButton'))}</button></p>
</section>
<p id="message" role="status"></p>
<p><small>${escapeHtml(say('page.upload.footer'))}</small></p>
</main>
<script type="application/json" id="texts">${scriptTexts(locale)}</script>
<script src="/u/assets/tus.min.js"></script>
<script src="/u/assets/upload.js"></script>
</body></html>`;
}
