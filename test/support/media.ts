// Test media: bytes that sniff as a real container, with deterministic content to hash.
import { createHash } from 'node:crypto';

/** An MP4-looking file of `size` bytes: an ftyp box, then a deterministic pattern. */
export function mp4Bytes(size: number, seed = 1): Buffer {
  const bytes = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes.writeUInt32LE(x >>> 0, i <= size - 4 ? i : size - 4);
  }
  Buffer.from('000000206674797069736f6d0000020069736f6d69736f32617663316d703431', 'hex').copy(bytes, 0);
  return bytes;
}

/** A tiny valid-looking PNG. */
export const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d4948445200000001000000010806000000' +
    '1f15c4890000000d4944415478da63f8cfc0f01f0005000201a2dd2c0e0000000049454e44ae426082',
  'hex',
);

export const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
export const MiB = 1024 * 1024;
