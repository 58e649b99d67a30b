import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../src/config.ts';

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
  assert.equal(config.tokenEncryptionKey.toString('hex'), KEY);
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

test('an unset key is generated once into the data folder with mode 0600 and reused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tb-config-'));
  const env = base({ TOKEN_ENCRYPTION_KEY: '', STORE_URL: `sqlite://${dir}/db/bot.sqlite` });
  const first = loadConfig(env);
  const file = join(dir, 'db', 'token-encryption.key');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(readFileSync(file, 'utf8').trim(), first.tokenEncryptionKey.toString('hex'));
  assert.equal(first.tokenEncryptionKey.length, 32);
  assert.deepEqual(loadConfig(env).tokenEncryptionKey, first.tokenEncryptionKey);

  writeFileSync(file, 'garbage');
  assert.throws(() => loadConfig(env), /does not hold a valid key/);
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

test('a database password in STORE_URL is never echoed', () => {
  assert.throws(
    () => loadConfig(base({ STORE_URL: 'mysql://admin:hunter2@db.example/bot' })),
    (e: unknown) =>
      e instanceof ConfigError &&
      /mysql:\/\/\*\*\*@db\.example/.test(e.message) &&
      !e.message.includes('hunter2'),
  );
});
