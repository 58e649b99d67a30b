// The upload page: checks the chosen file (a video by its first bytes, within the size limit), then
// sends it with tus-js-client to the bot, by default the whole file in one request (or in chunks of
// UPLOAD_PAGE_CHUNK_MIB, multiples of 256 KiB, behind a proxy that limits bodies), which the bot relays
// to YouTube. Reloading the page and choosing the same file continues where YouTube stopped. Every
// sentence comes from the page's JSON block (#texts, in the member's language); numbers and sizes are
// written with Intl in the page's language.
(function () {
  'use strict';
  const app = document.getElementById('app');
  const d = app.dataset;
  const $ = (id) => document.getElementById(id);
  const TEXTS = JSON.parse($('texts').textContent);
  const LANG = document.documentElement.lang || 'en';
  /** The sentence `name` with its {{placeholders}} filled (as text, never as HTML). */
  function text(name, values) {
    return String(TEXTS[name]).replace(/\{\{(\w+)\}\}/g, (all, key) =>
      values && key in values ? String(values[key]) : all,
    );
  }
  const input = $('file');
  const drop = $('drop');
  const message = $('message');
  const bar = $('bar');
  const numbers = $('numbers');
  const pause = $('pause');
  const cancel = $('cancel');
  let upload = null;
  let paused = false;
  let samples = [];

  // As the bot writes them (src/i18n/format.ts): binary units, one decimal, the language's own digits.
  const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  const WHOLE = new Intl.NumberFormat(LANG, { maximumFractionDigits: 0, useGrouping: false });
  const ONE_DECIMAL = new Intl.NumberFormat(LANG, {
    minimumFractionDigits: 1,
    maximumFractionDigits: 1,
    useGrouping: false,
  });
  const PERCENT = new Intl.NumberFormat(LANG, { style: 'percent', maximumFractionDigits: 0 });
  function bytes(n) {
    let i = 0;
    while (n >= 1024 && i < UNITS.length - 1) {
      n /= 1024;
      i++;
    }
    return (i === 0 ? WHOLE : ONE_DECIMAL).format(n) + ' ' + UNITS[i];
  }
  function duration(s) {
    if (!isFinite(s)) return '…';
    s = Math.round(s);
    if (s < 60) return text('duration.s', { seconds: s });
    if (s < 3600) return text('duration.min_s', { minutes: Math.floor(s / 60), seconds: s % 60 });
    return text('duration.h_min', { hours: Math.floor(s / 3600), minutes: Math.floor((s % 3600) / 60) });
  }
  function say(text, tone) {
    message.textContent = text;
    message.className = tone || '';
  }

  const ascii = (b, start, len) =>
    String.fromCharCode.apply(null, Array.from(b.subarray(start, start + len)));
  const QUICKTIME = ['moov', 'mdat', 'wide', 'free', 'skip', 'pnot'];
  // The same containers the bot accepts (src/uploads/sniff.ts); the bot checks again.
  function isVideo(b) {
    if (b.length >= 12 && ascii(b, 4, 4) === 'ftyp') return true;
    if (b.length >= 8 && QUICKTIME.indexOf(ascii(b, 4, 4)) >= 0) return true;
    if (b.length >= 4 && b[0] === 0x1a && b[1] === 0x45 && b[2] === 0xdf && b[3] === 0xa3) return true;
    if (b.length >= 12 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'AVI ') return true;
    if (b.length >= 4 && ascii(b, 0, 3) === 'FLV' && b[3] === 1) return true;
    if (b.length >= 16 && b[0] === 0x30 && b[1] === 0x26 && b[2] === 0xb2 && b[3] === 0x75) return true;
    if (b.length >= 4 && b[0] === 0 && b[1] === 0 && b[2] === 1 && (b[3] === 0xba || b[3] === 0xb3))
      return true;
    if (b.length >= 377 && b[0] === 0x47 && b[188] === 0x47 && b[376] === 0x47) return true;
    return false;
  }

  async function statusOf() {
    const res = await fetch(d.status, { cache: 'no-store' });
    if (!res.ok) return null;
    return res.json();
  }

  async function finished() {
    say(text('creating'));
    for (let i = 0; i < 120; i++) {
      const s = await statusOf().catch(() => null);
      if (s && s.videoId) {
        const url = 'https://youtu.be/' + s.videoId;
        // The sentence around the link, wherever the language puts it.
        const [before, after] = text('done').split('{{url}}');
        const a = document.createElement('a');
        a.href = url;
        a.textContent = url;
        a.rel = 'noreferrer';
        a.target = '_blank';
        message.replaceChildren(before, a, after || '');
        message.className = 'ok';
        pause.hidden = true;
        cancel.hidden = true;
        return;
      }
      if (s && s.message) return say(s.message, 'error');
      await new Promise((r) => setTimeout(r, 1000));
    }
    say(text('sent'), 'ok');
  }

  // The bot's refusals that reach this point, by status, in the page's language (the bodies are the tus
  // protocol's English); anything else stopped the upload, which choosing the file again resumes.
  const REFUSALS = { 409: 'alreadyHasFile', 404: 'linkOver', 410: 'linkOver', 429: 'tooMany' };

  async function failed(error) {
    const s = await statusOf().catch(() => null);
    if (s && s.message) return say(s.message, 'error');
    const res = error && error.originalResponse;
    const status = res && res.getStatus && res.getStatus();
    say(text(REFUSALS[status] || 'stopped'), 'error');
  }

  function show(sent, total) {
    const now = Date.now();
    samples.push([now, sent]);
    while (samples.length > 2 && now - samples[0][0] > 10000) samples.shift();
    const first = samples[0];
    const speed = now > first[0] ? ((sent - first[1]) * 1000) / (now - first[0]) : 0;
    const percent = total > 0 ? Math.floor((sent / total) * 100) : 0;
    bar.value = percent;
    const values = { percent: PERCENT.format(percent / 100), sent: bytes(sent), total: bytes(total) };
    numbers.textContent =
      speed > 0
        ? text('progress', { ...values, speed: bytes(speed) + '/s', eta: duration((total - sent) / speed) })
        : text('measuring', values);
  }

  // The file as tus-js-client reads it. A request of the whole file sends the File itself: Chromium
  // uploads a File from its path in the network service, but any slice of it through the blob system
  // of its browser process, which measured twice the CPU and half the speed. Parts are slices.
  const reader = {
    openFile: (file) =>
      Promise.resolve({
        size: file.size,
        slice: (start, end) =>
          Promise.resolve({
            value: start === 0 && end >= file.size ? file : file.slice(start, end),
            done: end >= file.size,
          }),
        close: () => {},
      }),
  };

  async function choose(file) {
    if (!file || upload) return;
    say('');
    const max = Number(d.max);
    if (file.size === 0) return say(text('empty'), 'error');
    if (file.size > max) return say(text('tooBig', { size: bytes(file.size), max: bytes(max) }), 'error');
    if (d.size && (String(file.size) !== d.size || file.name !== d.name)) {
      return say(text('otherFile', { name: d.name, size: bytes(Number(d.size)) }), 'error');
    }
    const head = new Uint8Array(await file.slice(0, 512).arrayBuffer());
    if (!isVideo(head)) return say(text('notVideo', { name: file.name }), 'error');
    $('filename').textContent = file.name;
    $('progress').hidden = false;
    drop.hidden = true;
    const note = $('resume-note');
    if (note) note.hidden = true;
    upload = new tus.Upload(file, {
      endpoint: d.endpoint,
      uploadUrl: d.upload,
      // 0 (UPLOAD_PAGE_CHUNK_MIB=0, the default): the rest of the file in one request.
      chunkSize: Number(d.chunk) || Infinity,
      fileReader: reader,
      retryDelays: [
        0, 1000, 2000, 3000, 5000, 5000, 10000, 10000, 10000, 20000, 20000, 30000, 30000, 30000, 30000, 60000,
        60000, 60000, 60000, 60000,
      ],
      storeFingerprintForResuming: false,
      metadata: { filename: file.name, filetype: file.type || 'application/octet-stream' },
      onProgress: show,
      onSuccess: () => void finished(),
      onError: (error) => {
        upload = null;
        void failed(error);
      },
    });
    samples = [];
    upload.start();
  }

  input.addEventListener('change', () => void choose(input.files && input.files[0]));
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const files = e.dataTransfer && e.dataTransfer.files;
    if (files && files.length === 1) void choose(files[0]);
    else say(text('dropOne'), 'error');
  });
  pause.addEventListener('click', () => {
    if (!upload) return;
    if (paused) {
      paused = false;
      pause.textContent = text('pause');
      samples = [];
      upload.start();
      say('');
    } else {
      paused = true;
      pause.textContent = text('resume');
      void upload.abort();
      say(text('paused'));
    }
  });
  cancel.addEventListener('click', async () => {
    if (!upload) return;
    const current = upload;
    upload = null;
    pause.hidden = true;
    cancel.hidden = true;
    await current.abort(true).catch(() => {});
    say(text('cancelled'), 'error');
  });
})();
