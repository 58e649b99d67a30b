// Tells a video container from its first bytes. Discord's content_type is optional and can lie,
// so what YouTube will be sent is judged by content. Covers the containers YouTube accepts.

export interface Sniffed {
  /** The media type to announce to YouTube (X-Upload-Content-Type). */
  readonly mime: string;
  /** A short name for messages. */
  readonly format: string;
}

/** How many leading bytes `sniffVideo` needs at most. */
export const SNIFF_BYTES = 512;

const ascii = (bytes: Buffer, start: number, length: number) =>
  bytes.toString('latin1', start, start + length);

/** ISO-BMFF brands that are audio or still images, not video. */
const NOT_VIDEO_BRANDS = new Set([
  'M4A ',
  'M4B ',
  'M4P ',
  'F4A ',
  'F4B ',
  'heic',
  'heix',
  'mif1',
  'msf1',
  'avif',
  'avis',
  'crx ',
]);
const ASF = Buffer.from('3026b2758e66cf11a6d900aa0062ce6c', 'hex');
const QUICKTIME_ATOMS = new Set(['moov', 'mdat', 'wide', 'free', 'skip', 'pnot']);

export function sniffVideo(head: Buffer): Sniffed | undefined {
  if (head.length >= 12 && ascii(head, 4, 4) === 'ftyp') {
    const brand = ascii(head, 8, 4);
    if (NOT_VIDEO_BRANDS.has(brand)) return undefined;
    if (brand === 'qt  ') return { mime: 'video/quicktime', format: 'QuickTime' };
    if (brand.startsWith('3g')) return { mime: 'video/3gpp', format: '3GP' };
    return { mime: 'video/mp4', format: 'MP4' };
  }
  if (head.length >= 8 && QUICKTIME_ATOMS.has(ascii(head, 4, 4)))
    return { mime: 'video/quicktime', format: 'QuickTime' };
  if (head.length >= 4 && head.readUInt32BE(0) === 0x1a45dfa3) {
    // EBML: WebM or Matroska; the DocType sits in the first few dozen bytes.
    return head.includes('webm', 0, 'latin1')
      ? { mime: 'video/webm', format: 'WebM' }
      : { mime: 'video/x-matroska', format: 'Matroska' };
  }
  if (head.length >= 12 && ascii(head, 0, 4) === 'RIFF' && ascii(head, 8, 4) === 'AVI ') {
    return { mime: 'video/x-msvideo', format: 'AVI' };
  }
  if (head.length >= 4 && ascii(head, 0, 3) === 'FLV' && head[3] === 1)
    return { mime: 'video/x-flv', format: 'FLV' };
  if (head.length >= 16 && head.subarray(0, 16).equals(ASF)) return { mime: 'video/x-ms-wmv', format: 'WMV' };
  if (head.length >= 4 && head.readUInt32BE(0) === 0x000001ba)
    return { mime: 'video/mpeg', format: 'MPEG-PS' };
  if (head.length >= 4 && head.readUInt32BE(0) === 0x000001b3) return { mime: 'video/mpeg', format: 'MPEG' };
  if (head.length >= 377 && head[0] === 0x47 && head[188] === 0x47 && head[376] === 0x47) {
    return { mime: 'video/mp2t', format: 'MPEG-TS' };
  }
  return undefined;
}

/** Images YouTube takes as a custom thumbnail (JPEG, PNG; GIF and BMP are accepted too). */
export function sniffImage(head: Buffer): Sniffed | undefined {
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff)
    return { mime: 'image/jpeg', format: 'JPEG' };
  if (head.length >= 8 && head.subarray(0, 8).equals(Buffer.from('89504e470d0a1a0a', 'hex'))) {
    return { mime: 'image/png', format: 'PNG' };
  }
  if (head.length >= 6 && /^GIF8[79]a$/.test(ascii(head, 0, 6))) return { mime: 'image/gif', format: 'GIF' };
  if (head.length >= 2 && ascii(head, 0, 2) === 'BM') return { mime: 'image/bmp', format: 'BMP' };
  return undefined;
}
