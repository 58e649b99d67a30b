import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  playlistIdFrom,
  requireHttpsLinks,
  requirePlaylistId,
  requireVideoId,
  videoIdFrom,
} from '../src/google/refs.ts';
import { UserError } from '../src/errors.ts';

const ID = 'dQw4w9WgXcQ';

test('every common video reference form gives the id', () => {
  for (const input of [
    ID,
    ` ${ID} `,
    `https://youtu.be/${ID}`,
    `https://youtu.be/${ID}?t=42&si=abc`,
    `youtu.be/${ID}`,
    `https://www.youtube.com/watch?v=${ID}`,
    `https://www.youtube.com/watch?feature=share&v=${ID}&list=PL0123456789abcdef&index=2`,
    `https://youtube.com/shorts/${ID}?feature=share`,
    `https://www.youtube.com/live/${ID}`,
    `https://www.youtube.com/embed/${ID}?start=10`,
    `https://www.youtube-nocookie.com/embed/${ID}`,
    `https://m.youtube.com/watch?v=${ID}`,
    `https://music.youtube.com/watch?v=${ID}&feature=share`,
    `HTTPS://www.youtube.com/watch?v=${ID}`,
    `<https://youtu.be/${ID}>`,
  ]) {
    assert.equal(videoIdFrom(input), ID, input);
  }
});

test('anything else is refused with an example of what works', () => {
  for (const input of [
    '',
    'dQw4w9WgXc',
    'dQw4w9WgXcQQ',
    'https://vimeo.com/123456',
    `https://evil.example/watch?v=${ID}`,
    'https://www.youtube.com/watch?v=short',
    'https://www.youtube.com/@channel',
    'not a link',
  ]) {
    assert.equal(videoIdFrom(input), undefined, input);
  }
  assert.throws(
    () => requireVideoId('https://vimeo.com/1'),
    (e: unknown) => e instanceof UserError && /like https:\/\/youtu\.be\//.test(e.message),
  );
});

test('playlist references: id, a link with list=, or refused', () => {
  const list = 'PLrAXtmErZgOeiKm4sgNOknGvNjby9efdf';
  assert.equal(playlistIdFrom(list), list);
  assert.equal(playlistIdFrom(`https://www.youtube.com/playlist?list=${list}`), list);
  assert.equal(playlistIdFrom(`https://www.youtube.com/watch?v=${ID}&list=${list}&index=3`), list);
  assert.equal(playlistIdFrom(`https://music.youtube.com/playlist?list=${list}`), list);
  assert.equal(playlistIdFrom('Holiday clips'), undefined);
  assert.equal(playlistIdFrom(`https://evil.example/playlist?list=${list}`), undefined);
  assert.throws(() => requirePlaylistId('Holiday clips'), /picked from the list/);
});

test('only https: links are accepted: http: and other schemes are refused with one clear sentence', () => {
  const list = 'PLrAXtmErZgOeiKm4sgNOknGvNjby9efdf';
  for (const input of [
    `http://www.youtube.com/watch?v=${ID}`,
    `http://youtu.be/${ID}`,
    `<http://youtu.be/${ID}>`,
    `ftp://youtu.be/${ID}`,
    `HTTP://youtu.be/${ID}`,
  ]) {
    assert.equal(videoIdFrom(input), undefined, input);
    assert.throws(
      () => requireVideoId(input),
      (e: unknown) =>
        e instanceof UserError &&
        /is not an https:\/\/ link, and I accept only those: give .*https:\/\/youtu\.be\//.test(e.message),
      input,
    );
  }
  const insecureList = `http://www.youtube.com/playlist?list=${list}`;
  assert.equal(playlistIdFrom(insecureList), undefined);
  assert.throws(() => requirePlaylistId(insecureList), /is not an https:\/\/ link/);
  assert.equal(requirePlaylistId(`https://www.youtube.com/playlist?list=${list}`), list);
});

test('text the bot posts for a member may link only https:', () => {
  assert.equal(
    requireHttpsLinks('New: {title} {url} — more at https://example.com/x', 'error.templateInsecureLink'),
    'New: {title} {url} — more at https://example.com/x',
  );
  for (const text of [
    '{url} see http://evil.example/',
    'see [here](http://evil.example) {url}',
    'ftp://files.example/x',
  ]) {
    assert.throws(
      () => requireHttpsLinks(text, 'error.templateInsecureLink'),
      (e: unknown) =>
        e instanceof UserError && /^The template links to ".*", which is not https:\/\//.test(e.message),
      text,
    );
  }
});
