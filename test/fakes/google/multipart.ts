// A streaming multipart/related reader for uploadType=multipart (metadata part + media part, as
// googleapis-common sends them): the media part is handed on chunk by chunk, never buffered whole.
import { ApiError } from './errors.ts';

/**
 * Streaming multipart/related parser. The first part's body is collected (metadata); a part for which
 * `onPartStart` returns true is streamed to `onMedia` without buffering. Parsing errors are ApiErrors.
 */
export async function parseMultipart(
  chunks: AsyncIterable<Buffer>,
  boundary: string,
  onSmallPart: (index: number, headers: Record<string, string>, body: Buffer) => void,
  onPartStart: (index: number, headers: Record<string, string>) => boolean,
  onMedia: (chunk: Buffer) => void,
): Promise<void> {
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  // Pretend the body starts with CRLF so that the first boundary looks like every other delimiter.
  let buf: Buffer = Buffer.from('\r\n');
  let phase: 'preamble' | 'afterDelimiter' | 'headers' | 'body' | 'epilogue' = 'preamble';
  let index = -1;
  let headers: Record<string, string> = {};
  let streaming = false;
  let small: Buffer[] = [];
  const bad = (why: string): ApiError => new ApiError(400, 'badContent', `Malformed multipart body: ${why}`);

  const step = (final: boolean): void => {
    for (;;) {
      if (phase === 'preamble') {
        const at = buf.indexOf(delimiter);
        if (at < 0) {
          buf = buf.subarray(Math.max(0, buf.length - delimiter.length));
          return;
        }
        buf = buf.subarray(at + delimiter.length);
        phase = 'afterDelimiter';
      } else if (phase === 'afterDelimiter') {
        if (buf.length < 2) return;
        if (buf.subarray(0, 2).toString() === '--') {
          phase = 'epilogue';
          return;
        }
        const eol = buf.indexOf('\r\n');
        if (eol < 0) return;
        buf = buf.subarray(eol + 2);
        phase = 'headers';
        index++;
        headers = {};
      } else if (phase === 'headers') {
        const at = buf.indexOf('\r\n\r\n');
        const emptyHeaders = buf.subarray(0, 2).toString() === '\r\n';
        if (at < 0 && !emptyHeaders) {
          if (buf.length > 16384) throw bad('part headers too long');
          return;
        }
        const text = emptyHeaders ? '' : buf.subarray(0, at).toString('utf8');
        buf = buf.subarray(emptyHeaders ? 2 : at + 4);
        for (const line of text.split('\r\n')) {
          const colon = line.indexOf(':');
          if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
        }
        streaming = onPartStart(index, headers);
        small = [];
        phase = 'body';
      } else if (phase === 'body') {
        const at = buf.indexOf(delimiter);
        const safe = at >= 0 ? at : Math.max(0, buf.length - (delimiter.length - 1));
        const data = buf.subarray(0, safe);
        if (data.length > 0) {
          if (streaming) onMedia(data);
          else if (index === 0) {
            small.push(data);
            if (small.reduce((sum, b) => sum + b.length, 0) > 1 << 20) throw bad('metadata part too large');
          }
        }
        buf = buf.subarray(at >= 0 ? at + delimiter.length : safe);
        if (at < 0) return;
        if (!streaming) onSmallPart(index, headers, Buffer.concat(small));
        phase = 'afterDelimiter';
      } else {
        buf = Buffer.alloc(0);
        return;
      }
      if (final && buf.length === 0) return;
    }
  };

  for await (const chunk of chunks) {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    step(false);
  }
  step(true);
  if ((phase as string) !== 'epilogue') throw bad('missing closing boundary');
}
