// Small, self-contained HTML pages for people who land on the bot's server from a browser: no
// external assets, readable on a phone, a strict CSP that allows only this page's own style.
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { languageOf, t } from '../i18n/index.ts';

const STYLE = `
:root{color-scheme:light dark;--accent:#5865f2;--bad:#d83c3e;--good:#23a55a}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;display:flex;min-height:100vh;align-items:center;justify-content:center;background:Canvas;color:CanvasText}
main{max-width:32rem;margin:1.5rem;padding:1.5rem 1.75rem;border-radius:12px;border:1px solid #8884;box-shadow:0 2px 12px #0002}
h1{font-size:1.35rem;margin:0 0 .75rem;display:flex;gap:.5rem;align-items:center}
.ok h1::before{content:"✔";color:var(--good)}.error h1::before{content:"✖";color:var(--bad)}.info h1::before{content:"ℹ";color:var(--accent)}
p{margin:.5rem 0}.channel,.account{display:flex;gap:.75rem;align-items:center;font-weight:600}
.channel img,.account img{width:48px;height:48px;border-radius:50%}small{opacity:.75}
.account span small{display:block;font-weight:400}.warn{font-weight:600}
button{font:inherit;font-weight:600;margin-top:.75rem;padding:.6rem 1.2rem;border:0;border-radius:8px;background:var(--accent);color:#fff;cursor:pointer}
`.trim();
const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');

/**
 * The headers of every page. The CSP allows this page's own style, images only from the hosts a page
 * shows (a channel's picture on Google's servers, an avatar on Discord's CDN) and a form only to this
 * server — and, since a form's redirects count as its target, to the sign-in pages it leads to.
 */
export function pageHeaders(imageOrigins: readonly string[] = [], formTargets: readonly string[] = []) {
  const img = imageOrigins.length > 0 ? [...new Set(imageOrigins)].join(' ') : "'none'";
  const form = formTargets.length > 0 ? ["'self'", ...new Set(formTargets)].join(' ') : "'none'";
  return {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; img-src ${img}; base-uri 'none'; form-action ${form}; frame-ancestors 'none'`,
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
  } as const;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export interface PageContent {
  /** The reader's locale (a Discord locale or a browser's language): the page's language; English without. */
  readonly locale?: string | undefined;
  readonly tone: 'ok' | 'error' | 'info';
  readonly title: string;
  /** Paragraphs of plain text (escaped here). */
  readonly paragraphs: readonly string[];
  readonly channel?: { title: string; thumbnailUrl: string | undefined } | undefined;
  /** A Discord account: display name, @username and picture. */
  readonly account?: { displayName: string; username: string; avatarUrl: string | undefined } | undefined;
  /** A sentence set apart (the page's one warning). */
  readonly warning?: string | undefined;
  /** One POST form: hidden fields and a button; `targets` are the origins its answer may redirect to. */
  readonly form?:
    | { action: string; fields: Record<string, string>; button: string; targets: readonly string[] }
    | undefined;
}

/** An https image URL, or undefined: nothing else is ever put in a page. */
const httpsImage = (url: string | undefined): URL | undefined =>
  url !== undefined && URL.canParse(url) && new URL(url).protocol === 'https:' ? new URL(url) : undefined;

export function renderPage(content: PageContent): string {
  const thumbnail = httpsImage(content.channel?.thumbnailUrl);
  const channel = content.channel
    ? `<p class="channel">${
        thumbnail ? `<img src="${escapeHtml(thumbnail.href)}" alt="">` : ''
      }<span>${escapeHtml(content.channel.title)}</span></p>`
    : '';
  const avatar = httpsImage(content.account?.avatarUrl);
  const account = content.account
    ? `<p class="account">${avatar ? `<img src="${escapeHtml(avatar.href)}" alt="">` : ''}<span>${escapeHtml(
        content.account.displayName,
      )}<small>@${escapeHtml(content.account.username)}</small></span></p>`
    : '';
  const warning = content.warning ? `<p class="warn">${escapeHtml(content.warning)}</p>` : '';
  const form = content.form
    ? `<form method="post" action="${escapeHtml(content.form.action)}">${Object.entries(content.form.fields)
        .map(([n, v]) => `<input type="hidden" name="${escapeHtml(n)}" value="${escapeHtml(v)}">`)
        .join('')}<button type="submit">${escapeHtml(content.form.button)}</button></form>`
    : '';
  return `<!doctype html>
<html lang="${escapeHtml(languageOf(content.locale))}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer"><title>${escapeHtml(content.title)} · TubeBridge</title>
<style>${STYLE}</style></head>
<body><main class="${content.tone}"><h1>${escapeHtml(content.title)}</h1>${channel}${account}
${content.paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n')}
${warning}${form}
<p><small>${escapeHtml(t(content.locale, 'page.footer'))}</small></p></main></body></html>`;
}

/** The origins of the images a page shows, for its CSP. */
function imageOrigins(content: PageContent): string[] {
  return [httpsImage(content.channel?.thumbnailUrl), httpsImage(content.account?.avatarUrl)].flatMap((u) =>
    u ? [u.origin] : [],
  );
}

export function sendPage(
  res: ServerResponse,
  status: number,
  content: PageContent,
  extra: Record<string, string> = {},
): void {
  const html = renderPage(content);
  res.writeHead(status, {
    ...pageHeaders(imageOrigins(content), content.form?.targets ?? []),
    ...extra,
    'content-length': Buffer.byteLength(html),
  });
  res.end(html);
}

/** A redirect that leaks nothing: no referrer, never cached (303 answers a form: the browser GETs). */
export function sendRedirect(res: ServerResponse, location: string, status: 302 | 303 = 302): void {
  res.writeHead(status, {
    location,
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
    'content-length': 0,
  });
  res.end();
}
