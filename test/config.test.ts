import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ConfigError, loadConfig } from '../src/config.ts';
import { keyId } from '../src/store/seal.ts';
import { startBot } from './support/bot.ts';

const KEY = 'a'.repeat(64);
const base = (over: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  DISCORD_TOKEN: 'bot-token',
  DISCORD_APPLICATION_ID: '123456789012345678',
  GOOGLE_CLIENT_ID: 'client.apps.googleusercontent.com',
  GOOGLE_CLIENT_SECRET: 'secret',
  TOKEN_ENCRYPTION_KEY: KEY,
  ...over,
});

test('defaults follow the documented table', () => {
  const config = loadConfig(base());
  assert.equal(config.discord.apiUrl, 'https://discord.com/api');
  assert.deepEqual(config.discord.cdnHosts, ['cdn.discordapp.com', 'media.discordapp.net']);
  assert.equal(config.discord.guildId, undefined);
  assert.equal(config.google.authUrl, 'https://accounts.google.com/o/oauth2/v2/auth');
  assert.equal(config.google.tokenUrl, 'https://oauth2.googleapis.com/token');
  assert.equal(config.google.revokeUrl, 'https://oauth2.googleapis.com/revoke');
  assert.equal(config.youtubeApiUrl, 'https://www.googleapis.com/');
  assert.equal(config.youtubeFeedUrl, 'https://www.youtube.com/feeds/videos.xml');
  assert.equal(config.publicUrl, 'http://localhost:3000');
  assert.equal(config.redirectUri, 'http://localhost:3000/oauth/callback');
  assert.equal(config.httpPort, 3000);
  assert.equal(config.storeUrl, 'sqlite://data/tubebridge.sqlite');
  assert.equal(config.logLevel, 'info');
  assert.equal(config.tokenEncryptionKey.currentId, keyId(Buffer.from(KEY, 'hex')));
  assert.equal(config.tokenEncryptionKey.previousId, undefined);
  assert.equal(config.tokenKeySource, 'TOKEN_ENCRYPTION_KEY');
});

test('every missing or malformed variable is named in one error', () => {
  const error = (() => {
    try {
      loadConfig({
        DISCORD_APPLICATION_ID: 'abc',
        DISCORD_GUILD_ID: '12',
        DISCORD_CDN_HOSTS: 'cdn.discordapp.com,https://evil/',
        YOUTUBE_API_URL: 'not a url',
        HTTP_PORT: '70000',
        STORE_URL: 'mysql://x',
        TOKEN_ENCRYPTION_KEY: 'short',
        LOG_LEVEL: 'loud',
      });
    } catch (e) {
      return e;
    }
    return undefined;
  })();
  assert.ok(error instanceof ConfigError);
  const text = error.problems.join('\n');
  for (const name of [
    'DISCORD_TOKEN is missing',
    'DISCORD_APPLICATION_ID must be',
    'DISCORD_GUILD_ID must be',
    'DISCORD_CDN_HOSTS must be',
    'GOOGLE_CLIENT_ID is missing',
    'GOOGLE_CLIENT_SECRET is missing',
    'YOUTUBE_API_URL is not a valid',
    'HTTP_PORT must be',
    'STORE_URL must start',
    'TOKEN_ENCRYPTION_KEY must be',
    'LOG_LEVEL must be',
  ]) {
    assert.match(text, new RegExp(name), `expected a problem about ${name}`);
  }
  assert.equal(error.problems.length, 11);
  assert.match(error.message, /11 configuration problems/);
});

const idOfFile = (file: string) => keyId(Buffer.from(readFileSync(file, 'utf8').trim(), 'hex'));

test('an unset key is generated once outside the data folder, mode 0600, and reused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tb-config-'));
  const env = base({
    TOKEN_ENCRYPTION_KEY: '',
    STORE_URL: `sqlite://${dir}/db/bot.sqlite`,
    XDG_CONFIG_HOME: join(dir, 'config'),
    HOME: join(dir, 'home'),
  });
  const first = loadConfig(env);
  const file = join(dir, 'config', 'tubebridge', 'token-encryption.key');
  assert.equal(first.tokenKeySource, file);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.match(readFileSync(file, 'utf8').trim(), /^[0-9a-f]{64}$/);
  assert.equal(first.tokenEncryptionKey.currentId, idOfFile(file));
  assert.ok(!existsSync(join(dir, 'db', 'token-encryption.key')), 'no key beside the database');
  assert.deepEqual(first.notices, []);
  assert.equal(loadConfig(env).tokenEncryptionKey.currentId, first.tokenEncryptionKey.currentId);

  writeFileSync(file, 'garbage');
  assert.throws(
    () => loadConfig(env),
    (e: unknown) =>
      e instanceof ConfigError &&
      /does not hold a valid key \(32 bytes as 64 hex characters or base64\)/.test(e.message),
  );
});

test('without XDG_CONFIG_HOME the key goes to ~/.config/tubebridge; TOKEN_ENCRYPTION_KEY_FILE puts it anywhere', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tb-config-'));
  const store = { TOKEN_ENCRYPTION_KEY: '', STORE_URL: `sqlite://${dir}/db/bot.sqlite` };
  const home = loadConfig(base({ ...store, HOME: join(dir, 'home') }));
  assert.equal(home.tokenKeySource, join(dir, 'home', '.config', 'tubebridge', 'token-encryption.key'));
  const file = join(dir, 'secrets', 'bot.key');
  const chosen = loadConfig(base({ ...store, HOME: join(dir, 'home'), TOKEN_ENCRYPTION_KEY_FILE: file }));
  assert.equal(chosen.tokenKeySource, file);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(chosen.tokenEncryptionKey.currentId, idOfFile(file));
  assert.throws(
    () => loadConfig(base(store)),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.problems.length === 1 &&
      /TOKEN_ENCRYPTION_KEY is unset and neither XDG_CONFIG_HOME nor HOME/.test(e.message),
  );
});

test('a key already kept in the data folder stays in use, with advice to move it out', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tb-config-'));
  mkdirSync(join(dir, 'db'));
  const legacy = join(dir, 'db', 'token-encryption.key');
  writeFileSync(legacy, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  const config = loadConfig(
    base({
      TOKEN_ENCRYPTION_KEY: '',
      STORE_URL: `sqlite://${dir}/db/bot.sqlite`,
      XDG_CONFIG_HOME: join(dir, 'config'),
    }),
  );
  assert.equal(config.tokenKeySource, legacy);
  assert.equal(config.tokenEncryptionKey.currentId, idOfFile(legacy));
  assert.equal(config.notices.length, 1);
  assert.match(config.notices[0] ?? '', /inside the data folder/);
  assert.match(config.notices[0] ?? '', /TOKEN_ENCRYPTION_KEY_FILE/);
  assert.ok(!existsSync(join(dir, 'config', 'tubebridge', 'token-encryption.key')), 'no second key made');
});

test('a store other than SQLite requires TOKEN_ENCRYPTION_KEY (or an existing key file)', () => {
  for (const url of ['postgresql://bot@db.example/bot', 'postgres://bot@db.example/bot']) {
    assert.throws(
      () => loadConfig(base({ TOKEN_ENCRYPTION_KEY: '', STORE_URL: url, HOME: tmpdir() })),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.problems.length === 1 &&
        /TOKEN_ENCRYPTION_KEY is required with a STORE_URL other than sqlite:\/\//.test(e.message),
      url,
    );
  }
  const file = join(mkdtempSync(join(tmpdir(), 'tb-config-')), 'shared.key');
  const shared = { TOKEN_ENCRYPTION_KEY: '', STORE_URL: 'postgresql://db.example/bot' };
  assert.throws(
    () => loadConfig(base({ ...shared, TOKEN_ENCRYPTION_KEY_FILE: file })),
    /TOKEN_ENCRYPTION_KEY_FILE .* does not exist/,
  );
  assert.ok(!existsSync(file), 'never generated for a shared store');
  writeFileSync(file, KEY);
  assert.equal(
    loadConfig(base({ ...shared, TOKEN_ENCRYPTION_KEY_FILE: file })).tokenEncryptionKey.currentId,
    keyId(Buffer.from(KEY, 'hex')),
  );
  assert.equal(
    loadConfig(base({ STORE_URL: 'postgresql://db.example/bot' })).tokenKeySource,
    'TOKEN_ENCRYPTION_KEY',
  );
});

test('the bot exits with code 2 and one sentence when a shared store has no TOKEN_ENCRYPTION_KEY', async () => {
  const bot = startBot({ ...base({ TOKEN_ENCRYPTION_KEY: '' }), STORE_URL: 'postgresql://db.example/bot' });
  assert.equal(await bot.exited, 2);
  const text = bot.lines.join('\n');
  assert.match(text, /1 configuration problem\./);
  assert.match(text, /TOKEN_ENCRYPTION_KEY is required with a STORE_URL other than sqlite:\/\//);
});

test('a key file that cannot be read or made ends in exit 2 with one sentence, never a stack trace', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tb-config-'));
  const store = { TOKEN_ENCRYPTION_KEY: '', STORE_URL: `sqlite://${dir}/db/bot.sqlite` };
  // A folder where the key file should be: it cannot be read.
  const folder = join(dir, 'a-folder');
  mkdirSync(folder);
  assert.throws(
    () => loadConfig(base({ ...store, TOKEN_ENCRYPTION_KEY_FILE: folder })),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.problems.length === 1 &&
      e.problems[0]?.startsWith(`The token encryption key file ${folder} could not be read`) === true,
  );
  // A regular file where its folder should be: it cannot be made.
  writeFileSync(join(dir, 'not-a-folder'), 'x');
  const under = join(dir, 'not-a-folder', 'bot.key');
  assert.throws(
    () => loadConfig(base({ ...store, TOKEN_ENCRYPTION_KEY_FILE: under })),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.problems.length === 1 &&
      e.problems[0]?.startsWith(`The token encryption key file ${under} could not be created`) === true,
  );
  // A link to nowhere: the exclusive create finds a file there (EEXIST), and reading it fails.
  const dangling = join(dir, 'dangling.key');
  symlinkSync(join(dir, 'nowhere', 'bot.key'), dangling);
  assert.throws(
    () => loadConfig(base({ ...store, TOKEN_ENCRYPTION_KEY_FILE: dangling })),
    (e: unknown) => e instanceof ConfigError && e.problems.length === 1,
  );

  const bot = startBot({ ...base(store), TOKEN_ENCRYPTION_KEY_FILE: folder });
  assert.equal(await bot.exited, 2);
  const text = bot.lines.join('\n');
  assert.match(text, /1 configuration problem\./);
  assert.match(text, /could not be read/);
  assert.doesNotMatch(text, /^\s+at /m, 'no stack trace');
});

test('processes that start together all end with the one key the first of them made', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tb-config-'));
  const file = join(dir, 'config', 'bot.key');
  const script = [
    `import { loadConfig } from ${JSON.stringify(join(import.meta.dirname, '..', 'src', 'config.ts'))};`,
    `process.stdout.write(loadConfig(process.env).tokenEncryptionKey.currentId);`,
  ].join('\n');
  const env = {
    PATH: process.env['PATH'],
    ...base({
      TOKEN_ENCRYPTION_KEY: '',
      STORE_URL: `sqlite://${dir}/db/bot.sqlite`,
      TOKEN_ENCRYPTION_KEY_FILE: file,
    }),
  };
  const runs = Array.from(
    { length: 6 },
    () =>
      new Promise<{ code: number | null; out: string; err: string }>((done) => {
        const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env });
        let out = '';
        let err = '';
        child.stdout.on('data', (c: Buffer) => (out += c.toString()));
        child.stderr.on('data', (c: Buffer) => (err += c.toString()));
        child.on('close', (code) => done({ code, out, err }));
      }),
  );
  const results = await Promise.all(runs);
  for (const r of results) assert.equal(r.code, 0, r.err);
  assert.deepEqual(new Set(results.map((r) => r.out)), new Set([idOfFile(file)]));
});

test('a relative XDG_CONFIG_HOME is ignored, as the XDG spec says: the key goes under HOME', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tb-config-'));
  const config = loadConfig(
    base({
      TOKEN_ENCRYPTION_KEY: '',
      STORE_URL: `sqlite://${dir}/db/bot.sqlite`,
      XDG_CONFIG_HOME: 'relative/config',
      HOME: join(dir, 'home'),
    }),
  );
  assert.equal(config.tokenKeySource, join(dir, 'home', '.config', 'tubebridge', 'token-encryption.key'));
});

test('TOKEN_ENCRYPTION_KEY_PREVIOUS is the rotated-out key: it opens, and must be a key', () => {
  const previous = randomBytes(32);
  const config = loadConfig(base({ TOKEN_ENCRYPTION_KEY_PREVIOUS: previous.toString('base64') }));
  assert.equal(config.tokenEncryptionKey.previousId, keyId(previous));
  assert.throws(
    () => loadConfig(base({ TOKEN_ENCRYPTION_KEY_PREVIOUS: 'old' })),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.problems.length === 1 &&
      /TOKEN_ENCRYPTION_KEY_PREVIOUS must be/.test(e.message),
  );
});

test('register needs only the Discord variables', () => {
  const config = loadConfig({ DISCORD_TOKEN: 't', DISCORD_APPLICATION_ID: '123456789012345678' }, 'discord');
  assert.equal(config.discord.token, 't');
  assert.throws(
    () => loadConfig({}, 'discord'),
    (e: unknown) => e instanceof ConfigError && e.problems.length === 2,
  );
});

test('urls lose trailing slashes where the libraries append paths, and the API root keeps one', () => {
  const config = loadConfig(
    base({
      DISCORD_API_URL: 'http://127.0.0.1:9/api/',
      YOUTUBE_API_URL: 'http://127.0.0.1:8',
      PUBLIC_URL: 'https://bot.example/',
      DISCORD_CDN_HOSTS: ' 127.0.0.1:7 , CDN.discordapp.com ',
    }),
  );
  assert.equal(config.discord.apiUrl, 'http://127.0.0.1:9/api');
  assert.equal(config.youtubeApiUrl, 'http://127.0.0.1:8/');
  assert.equal(config.redirectUri, 'https://bot.example/oauth/callback');
  assert.deepEqual(config.discord.cdnHosts, ['127.0.0.1:7', 'cdn.discordapp.com']);
});

test('YOUTUBE_FEED_URL points the announcement poller elsewhere, and must be an http(s) URL', () => {
  assert.equal(
    loadConfig(base({ YOUTUBE_FEED_URL: 'http://127.0.0.1:8/feeds/videos.xml' })).youtubeFeedUrl,
    'http://127.0.0.1:8/feeds/videos.xml',
  );
  assert.throws(
    () => loadConfig(base({ YOUTUBE_FEED_URL: 'ftp://feeds' })),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.problems.length === 1 &&
      /YOUTUBE_FEED_URL is not a valid/.test(e.message),
  );
});

test('redis:// is refused with one sentence naming PostgreSQL (it cannot make updates atomic across processes)', () => {
  assert.throws(
    () => loadConfig(base({ STORE_URL: 'redis://:hunter2@cache.example:6379' })),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.problems.length === 1 &&
      /^STORE_URL=redis:\/\/… is no longer supported\b.*postgresql:\/\/.*\.$/.test(e.problems[0] ?? '') &&
      !e.message.includes('hunter2'),
  );
});

test('a database password in STORE_URL is never echoed', () => {
  assert.throws(
    () => loadConfig(base({ STORE_URL: 'mysql://admin:hunter2@db.example/bot' })),
    (e: unknown) =>
      e instanceof ConfigError &&
      /mysql:\/\/\*\*\*@db\.example/.test(e.message) &&
      !e.message.includes('hunter2'),
  );
});

test('the running bot keeps its generated key outside the data folder and logs its id, never the key', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tb-config-'));
  const env = {
    ...base({ TOKEN_ENCRYPTION_KEY: '' }),
    STORE_URL: `sqlite://${dir}/data/tubebridge.sqlite`,
    XDG_CONFIG_HOME: join(dir, 'config'),
    HTTP_PORT: '0',
    DISCORD_API_URL: 'http://127.0.0.1:9/api', // nothing listens: the bot stops after start-up
  };
  const fresh = startBot(env);
  const line = await fresh
    .waitForLog((e) => e['msg'] === 'token encryption key', 'the key line')
    .finally(() => fresh.stop('SIGKILL'));
  const file = join(dir, 'config', 'tubebridge', 'token-encryption.key');
  assert.equal(line['keySource'], file);
  assert.equal(line['keyId'], idOfFile(file));
  assert.ok(existsSync(join(dir, 'data', 'tubebridge.sqlite')), 'the store is in the data folder');
  assert.ok(!existsSync(join(dir, 'data', 'token-encryption.key')), 'the key is not');
  assert.ok(!fresh.lines.join('\n').includes(readFileSync(file, 'utf8').trim()), 'the key is never logged');

  // An install from before, with its key beside the database: kept, with a warning to move it.
  writeFileSync(join(dir, 'data', 'token-encryption.key'), `${randomBytes(32).toString('hex')}\n`, {
    mode: 0o600,
  });
  const legacy = startBot(env);
  const warning = await legacy
    .waitForLog((e) => /inside the data folder/.test(String(e['msg'])), 'the advice to move the key')
    .finally(() => legacy.stop('SIGKILL'));
  assert.equal(warning['level'], 40);
  assert.match(String(warning['msg']), /TOKEN_ENCRYPTION_KEY_FILE/);
});

test('the upload page: UPLOAD_MAX_BYTES (256 GiB) and UPLOAD_LINK_TTL_SECONDS (an hour), checked', () => {
  const defaults = loadConfig(base());
  assert.equal(defaults.uploads.maxBytes, 256 * 1024 ** 3);
  assert.equal(defaults.uploads.pageLinkMs, 3600_000);
  const set = loadConfig(base({ UPLOAD_MAX_BYTES: '1073741824', UPLOAD_LINK_TTL_SECONDS: '600' }));
  assert.equal(set.uploads.maxBytes, 1024 ** 3);
  assert.equal(set.uploads.pageLinkMs, 600_000);
  assert.throws(
    () => loadConfig(base({ UPLOAD_MAX_BYTES: '300000000000', UPLOAD_LINK_TTL_SECONDS: 'soon' })),
    (e: unknown) =>
      e instanceof ConfigError &&
      /UPLOAD_MAX_BYTES must be a whole number from 1 to 274877906944/.test(e.problems.join('\n')) &&
      /UPLOAD_LINK_TTL_SECONDS must be/.test(e.problems.join('\n')),
  );
});

test('UPLOAD_PAGE_CHUNK_MIB: the whole file in one request by default, chunks when set, checked', () => {
  assert.equal(loadConfig(base()).uploads.pageChunkBytes, 0);
  assert.equal(loadConfig(base({ UPLOAD_PAGE_CHUNK_MIB: '64' })).uploads.pageChunkBytes, 64 * 1024 ** 2);
  assert.equal(loadConfig(base({ UPLOAD_PAGE_CHUNK_MIB: '0' })).uploads.pageChunkBytes, 0);
  assert.equal(loadConfig(base({ UPLOAD_PAGE_CHUNK_MIB: '16' })).uploads.pageChunkBytes, 16 * 1024 ** 2);
  assert.throws(
    () => loadConfig(base({ UPLOAD_PAGE_CHUNK_MIB: '0.5' })),
    (e: unknown) => e instanceof ConfigError && /UPLOAD_PAGE_CHUNK_MIB must be/.test(e.problems.join('\n')),
  );
});
