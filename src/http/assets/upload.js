// The upload page: checks the chosen file (a video by its first bytes, within the size limit), then
// sends it with tus-js-client to the bot, by default the whole file in one request (or in chunks of
// UPLOAD_PAGE_CHUNK_MIB, multiples of 256 KiB, behind a proxy that limits bodies), which the bot relays
// to YouTube. Reloading the page and choosing the same file continues where YouTube stopped.
(function () {
  'use strict';
  const app = document.getElementById('app');
  const d = app.dataset;
  const $ = (id) => document.getElementById(id);
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

  const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  function bytes(n) {
    let i = 0;
    while (n >= 1024 && i < UNITS.length - 1) {
      n /= 1024;
      i++;
    }
    return (i === 0 ? String(n) : n.toFixed(1)) + ' ' + UNITS[i];
  }
  function duration(s) {
    if (!isFinite(s)) return '…';
    s = Math.round(s);
    if (s < 60) return s + ' s';
    if (s < 3600) return Math.floor(s / 60) + ' min ' + (s % 60) + ' s';
    return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
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
    say('Every byte is on YouTube — it is creating the video…');
    for (let i = 0; i < 120; i++) {
      const s = await statusOf().catch(() => null);
      if (s && s.videoId) {
        const url = 'https://youtu.be/' + s.videoId;
        message.textContent = 'Done! Your video: ';
        const a = document.createElement('a');
        a.href = url;
        a.textContent = url;
        a.rel = 'noreferrer';
        a.target = '_blank';
        message.appendChild(a);
        message.className = 'ok';
        pause.hidden = true;
        cancel.hidden = true;
        return;
      }
      if (s && s.message) return say(s.message, 'error');
      await new Promise((r) => setTimeout(r, 1000));
    }
    say('The file was sent; the result will show in Discord.', 'ok');
  }

  async function failed(error) {
    const s = await statusOf().catch(() => null);
    if (s && s.message) return say(s.message, 'error');
    const res = error && error.originalResponse;
    const body = res && res.getBody && res.getBody();
    say(
      body
        ? String(body).trim()
        : 'The upload stopped: check your connection and choose the file again to continue.',
      'error',
    );
  }

  function show(sent, total) {
    const now = Date.now();
    samples.push([now, sent]);
    while (samples.length > 2 && now - samples[0][0] > 10000) samples.shift();
    const first = samples[0];
    const speed = now > first[0] ? ((sent - first[1]) * 1000) / (now - first[0]) : 0;
    const percent = total > 0 ? Math.floor((sent / total) * 100) : 0;
    bar.value = percent;
    numbers.textContent =
      percent +
      '% · ' +
      bytes(sent) +
      ' of ' +
      bytes(total) +
      (speed > 0
        ? ' · ' + bytes(speed) + '/s · about ' + duration((total - sent) / speed) + ' left'
        : ' · measuring speed…');
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
    if (file.size === 0) return say('This file is empty.', 'error');
    if (file.size > max)
      return say('This file is ' + bytes(file.size) + ', over the limit of ' + bytes(max) + '.', 'error');
    if (d.size && (String(file.size) !== d.size || file.name !== d.name)) {
      return say(
        'This upload has started with another file: choose ' +
          d.name +
          ' (' +
          bytes(Number(d.size)) +
          ') to continue.',
        'error',
      );
    }
    const head = new Uint8Array(await file.slice(0, 512).arrayBuffer());
    if (!isVideo(head))
      return say(
        file.name + ' is not a video YouTube accepts (MP4, MOV, WebM, MKV, AVI, FLV, WMV, 3GP, MPEG).',
        'error',
      );
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
    else say('Drop one file.', 'error');
  });
  pause.addEventListener('click', () => {
    if (!upload) return;
    if (paused) {
      paused = false;
      pause.textContent = 'Pause';
      samples = [];
      upload.start();
      say('');
    } else {
      paused = true;
      pause.textContent = 'Resume';
      void upload.abort();
      say('Paused. Press Resume to continue.');
    }
  });
  cancel.addEventListener('click', async () => {
    if (!upload) return;
    const current = upload;
    upload = null;
    pause.hidden = true;
    cancel.hidden = true;
    await current.abort(true).catch(() => {});
    say('Cancelled: nothing was published.', 'error');
  });
})();
