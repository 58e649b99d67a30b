// The language checks (issue #13): every language has every text, the same placeholders, every plural
// form its language needs, and no text breaks one of Discord's limits, even with the longest values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  languageFromAcceptLanguage,
  languageOf,
  LANGUAGES,
  resources,
  t,
  TRANSLATED,
} from '../src/i18n/index.ts';
import { formatBytes, formatDuration, formatNumber, formatSpeed } from '../src/i18n/format.ts';
import { commandTextKey } from '../src/i18n/commands.ts';
import { loadCommands } from '../src/discord/loader.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const PLURAL = /_(zero|one|two|few|many|other)$/;
const english = resources.get('en') ?? {};

/** A text's base key: `upload.memberCap_one` → `upload.memberCap`. */
const baseOf = (key: string) => key.replace(PLURAL, '');
const placeholders = (text: string) => [...text.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]).sort();

/** Each base key of a language with the plural categories it has (none for a plain text). */
function bases(texts: Record<string, string>): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const key of Object.keys(texts)) {
    const forms = out.get(baseOf(key)) ?? new Set<string>();
    const plural = PLURAL.exec(key)?.[1];
    if (plural) forms.add(plural);
    out.set(baseOf(key), forms);
  }
  return out;
}

test('the bot speaks English, German, French, Spanish (Spain), Brazilian Portuguese and Japanese', () => {
  assert.deepEqual([...LANGUAGES].sort(), ['de', 'en', 'es-ES', 'fr', 'ja', 'pt-BR']);
});

test('every language has every text, and no text English lacks', () => {
  const wanted = bases(english);
  for (const language of TRANSLATED) {
    const have = bases(resources.get(language) ?? {});
    const missing = [...wanted.keys()].filter((key) => !have.has(key));
    const extra = [...have.keys()].filter((key) => !wanted.has(key));
    assert.deepEqual(missing, [], `${language} lacks these texts`);
    assert.deepEqual(extra, [], `${language} has texts English does not`);
  }
});

test('a plural text has exactly the plural forms its language uses (Intl.PluralRules)', () => {
  for (const language of LANGUAGES) {
    const categories = new Intl.PluralRules(language).resolvedOptions().pluralCategories.slice().sort();
    for (const [key, forms] of bases(resources.get(language) ?? {})) {
      if (forms.size === 0 && !bases(english).get(key)?.size) continue;
      assert.deepEqual(
        [...forms].sort(),
        categories,
        `${language}: ${key} needs the forms ${categories.join(', ')}`,
      );
    }
  }
});

test('every language uses the same placeholders as English in each text', () => {
  for (const language of TRANSLATED) {
    const texts = resources.get(language) ?? {};
    for (const [key, text] of Object.entries(texts)) {
      const englishText = english[key] ?? english[`${baseOf(key)}_other`] ?? '';
      assert.deepEqual(placeholders(text), placeholders(englishText), `${language}: ${key}`);
      // Placeholders in a command description are the template's own ({title}), shown as typed.
      const single = (s: string) => [...s.matchAll(/(?<!\{)\{(\w+)\}(?!\})/g)].map((m) => m[1]).sort();
      assert.deepEqual(single(text), single(englishText), `${language}: ${key} keeps {…} as written`);
    }
  }
});

test('Markdown, mentions and links survive translation: each text keeps English bold markers, URLs and commands', () => {
  for (const language of TRANSLATED) {
    for (const [key, text] of Object.entries(resources.get(language) ?? {})) {
      const englishText = english[key] ?? english[`${baseOf(key)}_other`] ?? '';
      const count = (s: string, pattern: RegExp) => (s.match(pattern) ?? []).length;
      assert.equal(count(text, /\*\*/g), count(englishText, /\*\*/g), `${language}: ${key} keeps its bold`);
      // A sentence's full stop right after a link at its end is not part of the link; a link has a host
      // ("https://" named as a scheme, as in "not https://: only https:// links", is no link).
      for (const pattern of [
        /https:\/\/\w\S*?(?=[\s,)]|\.?$)/g,
        /\/(link|server settings review_channel)\b/g,
      ]) {
        assert.deepEqual(
          (text.match(pattern) ?? []).sort(),
          (englishText.match(pattern) ?? []).sort(),
          `${language}: ${key} keeps links and commands`,
        );
      }
    }
  }
});

test("every localized command description and choice name fits Discord's 1–100 characters", () => {
  for (const language of LANGUAGES) {
    for (const [key, text] of Object.entries(resources.get(language) ?? {})) {
      if (!key.startsWith('cmd.')) continue;
      assert.ok(
        text.length >= 1 && [...text].length <= 100,
        `${language}: ${key} has ${text.length} characters`,
      );
    }
  }
});

test('the English command texts in the files are exactly those of the command modules, and each has a key', () => {
  const seen: string[] = [];
  const walk = (node: Record<string, unknown>, path: string[]) => {
    if (typeof node['description'] === 'string' && node['description'] !== '') {
      const key = commandTextKey([...path, 'description']);
      assert.ok(key, `no text for ${path.join(' ')}'s description`);
      assert.equal(english[key], node['description'], `${key} is the English of ${path.join(' ')}`);
      seen.push(key);
    }
    for (const choice of (node['choices'] ?? []) as { name: string; value: string | number }[]) {
      if (path.at(-1) === 'language' && LANGUAGES.includes(String(choice.value))) {
        assert.equal(choice.name, t(String(choice.value), 'language.name'), 'a language by its own name');
        continue;
      }
      const key = commandTextKey([...path, 'choices', String(choice.value)]);
      assert.ok(key, `no text for the choice ${String(choice.value)} of ${path.join(' ')}`);
      assert.equal(english[key], choice.name);
      seen.push(key);
    }
    for (const option of (node['options'] ?? []) as Record<string, unknown>[])
      walk(option, [...path, String(option['name'])]);
  };
  for (const command of loadCommands().all)
    walk(command.data as unknown as Record<string, unknown>, [command.data.name]);
  const unused = Object.keys(english).filter((key) => key.startsWith('cmd.') && !seen.includes(key));
  assert.deepEqual(unused, [], 'texts no command uses');
});

/** The longest value each placeholder can take in a message (Discord's and YouTube's own limits). */
const LONGEST: Record<string, string> = {
  name: '`' + 'x'.repeat(200) + '`', // a file name as shown (Discord allows long names; the progress quotes it)
  title: 'W'.repeat(100) + '\\'.repeat(100), // YouTube's 100 characters, each escaped at worst
  url: 'https://youtu.be/' + 'x'.repeat(11),
  privacy: 'non répertoriée',
  ref: 'E1234567',
  count: '1000000',
  wait: '23 h 59 min',
  position: '1000',
  attempt: '10',
  tries: '10',
  percent: '100',
  sent: '1,023.9 GiB',
  total: '1,023.9 GiB',
  speed: '1,023.9 MiB/s',
  eta: '999 h 59 min',
  seconds: '59',
  minutes: '59',
  hours: '999',
  command: '/' + 'x'.repeat(32) + ' ' + 'x'.repeat(32),
  description: 'x'.repeat(100),
  language: 'Português (Brasil)',
  channel: 'x'.repeat(100),
  server: 'x'.repeat(100),
  where: ' in the server “' + 'x'.repeat(100) + '”',
  who: 'x'.repeat(32) + ' (@' + 'x'.repeat(32) + ')',
  previous: 'x'.repeat(100),
  role: '1'.repeat(20), // a role id (snowflake)
  n: '10', // files sent with one form (Discord allows 10)
  fields: 'x'.repeat(1000), // unknown {fields} of a template (an option holds 1,000 characters at most)
  known: '{title} {url} {uploader} {channel} {role}',
  when: '2026-12-24T18:00:00.000Z',
  length: '100000',
  bytes: '100000',
  max: '5000',
  channelId: '1'.repeat(20),
  size: '1.023,9 GiB', // a member's Discord upload limit in words
  by: '1'.repeat(20), // the moderator who decided a review (a user id)
  member: '<@' + '1'.repeat(20) + '>', // the uploader, mentioned in the public notice
  reason: 'x'.repeat(500), // a rejection's reason (the form takes 500 characters)
  input: 'x'.repeat(100), // what a member typed as a video or playlist, quoted up to 100 characters
  limit: '1.023,9 GiB', // a file's size limit
  links: Array.from({ length: 3 }, () => 'the server channel of **' + 'x'.repeat(100) + '**').join(', '), // the other links /unlink would end
  username: 'x'.repeat(32), // a Discord username (2–32 characters), on the link pages
  // Views and answers of /playlist, /video, /favorites and /server (#13, views).
  playlist: 'W'.repeat(150) + '\\'.repeat(150), // a playlist's 150 characters, each escaped at worst
  videos: '5000 videos',
  times: '5000',
  from: '5000',
  changes: `renamed from **${'W'.repeat(150)}${'\\'.repeat(150)}**, new description, privacy now unlisted`,
  link: `[${'W'.repeat(150)}${'\\'.repeat(150)}](https://www.youtube.com/playlist?list=PL${'x'.repeat(32)})`,
  page: '1000',
  pages: '1000',
  liked: '100000',
  status: 'processing failed',
  units: '10,000,000',
  unitLimit: '10,000,000',
  inserts: '100,000',
  insertLimit: '100,000',
  day: '2026-12-24',
  category: 'x'.repeat(20),
  value: `<#${'1'.repeat(20)}>`,
  ping: `<@&${'1'.repeat(20)}>`,
  shorts: 'nicht festgelegt',
  live: 'nicht festgelegt',
  members: 'nicht festgelegt',
  unlisted: 'nicht festgelegt',
  template: 'x'.repeat(1000),
  error: 'x'.repeat(400), // what stopped a review decision, as errors.ts words it
};

test('every message text stays within 2,000 characters with the longest values; the button label within 80', () => {
  for (const language of LANGUAGES) {
    for (const [key, text] of Object.entries(resources.get(language) ?? {})) {
      if (key.startsWith('cmd.')) continue;
      const filled = text.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name: string) => {
        assert.ok(name in LONGEST, `the longest value of {{${name}}} (used by ${key}) is known to this test`);
        return LONGEST[name] ?? '';
      });
      assert.ok([...filled].length <= 2000, `${language}: ${key} can reach ${filled.length} characters`);
    }
    for (const [key, text] of Object.entries(resources.get(language) ?? {}))
      if (key.endsWith('Button')) assert.ok([...text].length <= 80, `${language}: the button label ${key}`);
  }
});

test("the upload forms' texts fit Discord's modal limits: title and labels 45 characters, hints 100", () => {
  for (const language of LANGUAGES) {
    for (const [key, text] of Object.entries(resources.get(language) ?? {})) {
      if (!key.startsWith('upload.modal.') && !key.startsWith('review.modal.')) continue;
      const filled = text.replace(/\{\{\s*size\s*\}\}/g, LONGEST['size'] ?? '');
      const max = /Hint$|Placeholder/.test(key) ? 100 : 45;
      assert.ok([...filled].length <= max, `${language}: ${key} is ${filled.length} characters, over ${max}`);
    }
  }
});

test('every text key the code names exists', () => {
  const files = (dir: string): string[] =>
    readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory()
        ? files(join(dir, entry.name))
        : entry.name.endsWith('.ts')
          ? [join(dir, entry.name)]
          : [],
    );
  const keys = new Set<string>();
  for (const file of [...files('src'), ...files('commands')]) {
    // Keys stand in calls of t(…) / UserError.t(…) / say(…) / said(…) / note(…) or as `key:` entries, on the same line.
    for (const line of readFileSync(join(ROOT, file), 'utf8').split('\n')) {
      if (!/\b(t|say|said|note)\(|\bkey: '/.test(line)) continue;
      for (const match of line.matchAll(
        /'((?:cmd|help|duration|privacy|progress|upload|link|error|page|announce|settings|language|delete|confirm|paging|playlist|video|favorite|unfavorite|favorites|server|review)\.[A-Za-z_.*]+)'/g,
      ))
        keys.add(match[1] ?? '');
    }
  }
  const known = bases(english);
  const missing = [...keys].filter((key) => !known.has(key));
  assert.deepEqual(missing, []);
  assert.ok(keys.size > 20, 'the scan finds the keys the code uses');
});

test("Discord's locales map to our languages; everything else is English", () => {
  assert.equal(languageOf('de'), 'de');
  assert.equal(languageOf('fr'), 'fr');
  assert.equal(languageOf('es-ES'), 'es-ES');
  assert.equal(languageOf('es-419'), 'es-ES', 'Latin American Spanish reads Spanish, not English');
  assert.equal(languageOf('pt-BR'), 'pt-BR');
  assert.equal(languageOf('ja'), 'ja');
  assert.equal(languageOf('en-US'), 'en');
  assert.equal(languageOf('en-GB'), 'en');
  assert.equal(languageOf('ko'), 'en');
  assert.equal(languageOf(undefined), 'en');
  assert.equal(languageFromAcceptLanguage('ja-JP,ja;q=0.9,en;q=0.8'), 'ja');
  assert.equal(languageFromAcceptLanguage('en-US,de;q=0.5'), 'en');
  assert.equal(languageFromAcceptLanguage('ko,de;q=0.7'), 'de');
  assert.equal(languageFromAcceptLanguage('*'), 'en');
});

test('plurals: English says "1 upload", not "1 uploads"; Japanese has one form', () => {
  assert.match(
    t('en-US', 'upload.memberCap', { count: 1, wait: '5 min' }),
    /^You have started 1 upload today/,
  );
  assert.match(
    t('en-US', 'upload.memberCap', { count: 2, wait: '5 min' }),
    /^You have started 2 uploads today/,
  );
  assert.match(
    t('de', 'upload.memberCap', { count: 1, wait: '5 min' }),
    /^Du hast heute schon 1 Upload gestartet/,
  );
  assert.match(t('de', 'upload.memberCap', { count: 3, wait: '5 min' }), /3 Uploads gestartet/);
  assert.match(t('fr', 'upload.memberCap', { count: 2, wait: '5 min' }), /2 mises en ligne/);
  assert.match(t('ja', 'upload.memberCap', { count: 1, wait: '5分' }), /1件のアップロード/);
});

test('numbers, sizes, speeds and durations are written the way each language writes them', () => {
  assert.equal(formatNumber('en-US', 1234567), '1,234,567');
  assert.equal(formatNumber('de', 1234567), '1.234.567');
  assert.equal(formatBytes('en-US', 1536 * 1024), '1.5 MiB');
  assert.equal(formatBytes('de', 1536 * 1024), '1,5 MiB');
  assert.equal(formatBytes('fr', 1536 * 1024), '1,5 MiB');
  assert.equal(formatBytes('ja', 1536 * 1024), '1.5 MiB');
  assert.equal(formatBytes('en-US', 512), '512 B');
  assert.equal(formatSpeed('pt-BR', 10.25 * 1024 * 1024), '10,3 MiB/s');
  assert.equal(formatDuration('en-US', 185), '3 min 5 s');
  assert.equal(formatDuration('ja', 185), '3分5秒');
  assert.equal(formatDuration('ja', 3 * 3600 + 120), '3時間2分');
});

test('/help fits one embed description (4,096 characters) in every language, nothing cut', async () => {
  const { helpText } = await import('../src/discord/help.ts');
  for (const language of LANGUAGES) {
    const text = helpText(loadCommands().all, language);
    assert.ok([...text].length < 4096, `${language}: ${text.length} characters`);
    assert.match(text, /video info/, `${language}: the last command is there`);
  }
});
