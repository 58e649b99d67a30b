import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildMetadata, tagsLength, titleFromFilename } from '../src/uploads/metadata.ts';
import { sniffImage, sniffVideo } from '../src/uploads/sniff.ts';
import { UserError } from '../src/errors.ts';

const defaults = { privacy: 'public', categoryId: '22' } as const;
const now = new Date('2026-11-22T12:00:00Z');
const refuses = (input: Parameters<typeof buildMetadata>[0], pattern: RegExp) =>
  assert.throws(
    () => buildMetadata(input, defaults, now),
    (e: unknown) => e instanceof UserError && pattern.test(e.message),
  );

test('defaults follow the reference script: title from the file name, category 22, public', () => {
  const { metadata, requestedPrivacy } = buildMetadata(
    { filename: 'summer_vacation-2026.mp4' },
    defaults,
    now,
  );
  assert.deepEqual(metadata, {
    snippet: { title: 'summer vacation 2026', description: '', categoryId: '22' },
    status: { privacyStatus: 'public' },
  });
  assert.equal(requestedPrivacy, 'public');
  assert.equal(titleFromFilename('.mp4'), 'Untitled video');
  assert.equal([...titleFromFilename(`${'é'.repeat(150)}.mov`)].length, 100);
});

test('every option lands in the resource', () => {
  const { metadata } = buildMetadata(
    {
      filename: 'x.mp4',
      title: ' Surfing ',
      description: 'Had fun surfing in Santa Cruz',
      tags: 'surfing, Santa Cruz, ,',
      categoryId: '17',
      privacy: 'unlisted',
      madeForKids: false,
    },
    defaults,
    now,
  );
  assert.deepEqual(metadata, {
    snippet: {
      title: 'Surfing',
      description: 'Had fun surfing in Santa Cruz',
      tags: ['surfing', 'Santa Cruz'],
      categoryId: '17',
    },
    status: { privacyStatus: 'unlisted', selfDeclaredMadeForKids: false },
  });
});

test('YouTube limits are checked before any byte moves, each with one sentence', () => {
  refuses({ filename: 'x.mp4', title: 'a'.repeat(101) }, /101 characters long; YouTube allows at most 100/);
  refuses({ filename: 'x.mp4', title: 'a <b>' }, /< and > in a title/);
  refuses({ filename: 'x.mp4', description: 'é'.repeat(2501) }, /5002 bytes long/);
  refuses({ filename: 'x.mp4', description: 'x > y' }, /< and > in a description/);
  refuses(
    { filename: 'x.mp4', tags: Array.from({ length: 101 }, () => 'abcd').join(',') },
    /tags add up to 504 characters/,
  );
  refuses({ filename: 'x.mp4', privacy: 'secret' }, /public, unlisted or private/);
  refuses({ filename: 'x.mp4', categoryId: 'music' }, /category/);
  refuses({ filename: 'x.mp4', publishAt: 'tomorrow' }, /could not read publish_at/);
  refuses(
    { filename: 'x.mp4', publishAt: '2026-11-21T12:00:00Z', privacy: 'private' },
    /must be in the future/,
  );
  refuses(
    { filename: 'x.mp4', publishAt: '2026-12-24T18:00:00Z', privacy: 'public' },
    /must be uploaded as private/,
  );
});

test('tags are counted as YouTube counts them', () => {
  assert.equal(tagsLength(['Foo Baz']), 9);
  assert.equal(tagsLength(['a', 'b', 'c']), 5);
  assert.doesNotThrow(() =>
    buildMetadata(
      {
        filename: 'x.mp4',
        tags: Array.from({ length: 100 }, () => 'abcd')
          .join(',')
          .slice(0, 499),
      },
      defaults,
      now,
    ),
  );
  // 70 tags "ab cd" count 70 × 7 + 69 commas = 559, although the plain text is 419 characters.
  refuses(
    { filename: 'x.mp4', tags: Array.from({ length: 70 }, () => 'ab cd').join(',') },
    /tags add up to 559/,
  );
});

test('a scheduled video is private until publish_at, which is normalised to UTC', () => {
  const { metadata } = buildMetadata(
    { filename: 'x.mp4', publishAt: '2026-12-24 18:00+01:00' },
    defaults,
    now,
  );
  assert.deepEqual(metadata.status, { privacyStatus: 'private', publishAt: '2026-12-24T17:00:00.000Z' });
  const utc = buildMetadata(
    { filename: 'x.mp4', publishAt: '2026-12-24T18:00', privacy: 'private' },
    defaults,
    now,
  );
  assert.equal(utc.metadata.status.publishAt, '2026-12-24T18:00:00.000Z');
});

test('video containers are recognised by content; audio, images and text are not videos', () => {
  const hex = (h: string) => Buffer.from(h, 'hex');
  assert.equal(sniffVideo(hex('000000206674797069736f6d0000020069736f6d69736f32'))?.mime, 'video/mp4');
  assert.equal(sniffVideo(hex('0000001466747970717420200000000071742020'))?.mime, 'video/quicktime');
  assert.equal(
    sniffVideo(Buffer.concat([hex('1a45dfa39f4286810142f7810142f2810442f381084282'), Buffer.from('webm')]))
      ?.mime,
    'video/webm',
  );
  assert.equal(
    sniffVideo(Buffer.concat([Buffer.from('RIFF'), hex('00000000'), Buffer.from('AVI LIST')]))?.mime,
    'video/x-msvideo',
  );
  assert.equal(sniffVideo(hex('0000001c667479703367703400000000'))?.mime, 'video/3gpp');
  assert.equal(sniffVideo(hex('00000020667479704d344120000000004d344120')), undefined, 'M4A audio');
  assert.equal(sniffVideo(hex('89504e470d0a1a0a0000000d49484452')), undefined, 'PNG');
  assert.equal(sniffVideo(Buffer.from('just some text, not a video at all')), undefined);
  assert.equal(sniffVideo(Buffer.alloc(0)), undefined);
  assert.equal(sniffImage(hex('ffd8ffe000104a464946'))?.mime, 'image/jpeg');
  assert.equal(sniffImage(hex('89504e470d0a1a0a0000000d49484452'))?.mime, 'image/png');
  assert.equal(sniffImage(Buffer.from('<svg>')), undefined);
});
