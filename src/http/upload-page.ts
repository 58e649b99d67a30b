// The upload page's HTML: who is uploading and what, a file picker and drop zone, and the progress
// view. No inline script or style: upload.js, upload.css and tus-js-client come from the bot (the
// page's CSP allows only 'self'). What the script needs travels in data- attributes.
import type { JobRecord } from '../uploads/records.ts';
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

export function uploadPage(o: {
  token: string;
  job: JobRecord;
  member: MemberInfo;
  maxBytes: number;
  /** Bytes per PATCH (UPLOAD_PAGE_CHUNK_MIB); 0 (the default): the rest of the file in one PATCH. */
  chunkBytes?: number | undefined;
}): string {
  const { job } = o;
  const m = job.metadata;
  const started = job.status !== 'awaiting';
  const privacy = job.review
    ? `private until a moderator reviews it (then ${job.review.requestedPrivacy})`
    : job.requestedPrivacy;
  const rows: [string, string][] = [
    ['Title', job.titleFromFile && !started ? 'from the file name' : m.snippet.title],
    ...(m.snippet.description
      ? [['Description', m.snippet.description.slice(0, 300)] as [string, string]]
      : []),
    ...(m.snippet.tags?.length ? [['Tags', m.snippet.tags.join(', ')] as [string, string]] : []),
    ['Privacy', privacy],
    ...(m.status.publishAt ? [['Goes public', m.status.publishAt] as [string, string]] : []),
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
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer"><title>Upload to YouTube · TubeBridge</title>
<link rel="stylesheet" href="/u/assets/upload.css"></head>
<body><main id="app" ${attrs}>
<h1>Upload to YouTube</h1>
<p class="who">For <strong>${escapeHtml(o.member.displayName)}</strong> <small>@${escapeHtml(o.member.username)}</small></p>
<dl>${rows.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl>
${started ? `<p class="note" id="resume-note">This upload has started: choose the same file again (${escapeHtml(job.source.filename)}) to continue where it stopped.</p>` : ''}
<label id="drop" class="drop" for="file"><span>Choose the video, or drop it here</span>
<input id="file" type="file" accept="video/*"></label>
<section id="progress" hidden>
<p id="filename"></p>
<progress id="bar" max="100" value="0"></progress>
<p id="numbers" aria-live="polite"></p>
<p class="buttons"><button id="pause" type="button">Pause</button> <button id="cancel" type="button" class="secondary">Cancel</button></p>
</section>
<p id="message" role="status"></p>
<p><small>TubeBridge · this page is for you only: do not share its address.</small></p>
</main>
<script src="/u/assets/tus.min.js"></script>
<script src="/u/assets/upload.js"></script>
</body></html>`;
}
