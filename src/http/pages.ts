// Small, self-contained HTML pages for people who land on the bot's server from a browser: no
// external assets, readable on a phone, a strict CSP that allows only this page's own style.
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';

const STYLE = `
:root{color-scheme:light dark;--accent:#5865f2;--bad:#d83c3e;--good:#23a55a}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;display:flex;min-height:100vh;align-items:center;justify-content:center;background:Canvas;color:CanvasText}
main{max-width:32rem;margin:1.5rem;padding:1.5rem 1.75rem;border-radius:12px;border:1px solid #8884;box-shadow:0 2px 12px #0002}
h1{font-size:1.35rem;margin:0 0 .75rem;display:flex;gap:.5rem;align-items:center}
.ok h1::before{content:"✔";color:var(--good)}.error h1::before{content:"✖";color:var(--bad)}.info h1::before{content:"ℹ";color:var(--accent)}
p{margin:.5rem 0}.channel{display:flex;gap:.75rem;align-items:center;font-weight:600}
.channel img{width:48px;height:48px;border-radius:50%}small{opacity:.75}
`.trim();
const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');

export const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; img-src https:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
} as const;

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export interface PageContent {
  readonly tone: 'ok' | 'error' | 'info';
  readonly title: string;
  /** Paragraphs of plain text (escaped here). */
  readonly paragraphs: readonly string[];
  readonly channel?: { title: string; thumbnailUrl: string | undefined } | undefined;
}

export function renderPage(content: PageContent): string {
  const channel = content.channel
    ? `<p class="channel">${
        content.channel.thumbnailUrl?.startsWith('https://')
          ? `<img src="${escapeHtml(content.channel.thumbnailUrl)}" alt="">`
          : ''
      }<span>${escapeHtml(content.channel.title)}</span></p>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer"><title>${escapeHtml(content.title)} · TubeBridge</title>
<style>${STYLE}</style></head>
<body><main class="${content.tone}"><h1>${escapeHtml(content.title)}</h1>${channel}
${content.paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n')}
<p><small>TubeBridge · you can close this tab and return to Discord.</small></p></main></body></html>`;
}

export function sendPage(res: ServerResponse, status: number, content: PageContent): void {
  const html = renderPage(content);
  res.writeHead(status, { ...PAGE_HEADERS, 'content-length': Buffer.byteLength(html) });
  res.end(html);
}

/** A redirect that leaks nothing: no referrer, never cached. */
export function sendRedirect(res: ServerResponse, location: string): void {
  res.writeHead(302, {
    location,
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
    'content-length': 0,
  });
  res.end();
}
