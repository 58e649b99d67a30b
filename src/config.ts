// The only reader of process.env. Validates every variable once, at start-up, and names every
// problem in one message so a newcomer fixes them all in one go.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Keyring } from './store/seal.ts';
import { REDIS_REFUSED } from './store/driver.ts';
import { openTokenKey, readKeys } from './token-key.ts';
import { readMetricsToken, readShards, type ShardPlan } from './config-ops.ts';

export type { ShardPlan } from './config-ops.ts';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export interface Config {
  readonly discord: {
    readonly token: string;
    readonly applicationId: string;
    readonly guildId: string | undefined;
    /** discord.js `rest.api`: the REST root without the version; the gateway URL is discovered through it. */
    readonly apiUrl: string;
    /** host[:port] entries attachments may be fetched from; nothing else is ever fetched. */
    readonly cdnHosts: readonly string[];
    /**
     * DISCORD_CLIENT_SECRET: when set, a /link page also asks the browser to sign in with Discord and
     * refuses anyone but the member who ran /link. Discord's OAuth2 pages are on DISCORD_API_URL's host.
     */
    readonly clientSecret: string | undefined;
    /** DISCORD_SHARD_COUNT / DISCORD_SHARDS: the gateway shards this process connects. */
    readonly shards: ShardPlan;
  };
  readonly google: {
    readonly clientId: string;
    readonly clientSecret: string;
    readonly authUrl: string;
    readonly tokenUrl: string;
    readonly revokeUrl: string;
  };
  /** Root of Google's APIs, ending in '/': data API under youtube/v3/, uploads under upload/youtube/v3/. */
  readonly youtubeApiUrl: string;
  /** A channel's public Atom feed (no key, no quota), asked with ?channel_id=UC…; polled for announcements. */
  readonly youtubeFeedUrl: string;
  readonly publicUrl: string;
  readonly redirectUri: string;
  readonly httpPort: number;
  readonly storeUrl: string;
  /** Where the bot keeps its own files (the default sqlite file). */
  readonly dataDir: string;
  /**
   * The key that seals tokens at rest (TOKEN_ENCRYPTION_KEY, or the key file), with the key it
   * replaces during a rotation (TOKEN_ENCRYPTION_KEY_PREVIOUS), which only opens.
   */
  readonly tokenEncryptionKey: Keyring;
  /** Where the key came from: 'TOKEN_ENCRYPTION_KEY' or the key file's path. */
  readonly tokenKeySource: string;
  /** Advice to log at start (e.g. a key file found inside the data folder). */
  readonly notices: readonly string[];
  readonly logLevel: LogLevel;
  /** METRICS_TOKEN: the bearer token GET /metrics asks for; open to anyone who reaches the port without it. */
  readonly metricsToken: string | undefined;
  /** The Google Cloud project's daily YouTube quota (raise it here after Google grants more), and the
   * share of its uploads one member, or one server's moderators together, may start a day. */
  readonly quota: {
    readonly units: number;
    readonly inserts: number;
    readonly uploadsPerMember: number;
    readonly uploadsPerServer: number;
  };
  readonly uploads: {
    /** Uploads one member may run at once; more wait in line. */
    readonly perMember: number;
    /** Uploads the whole bot runs at once. */
    readonly global: number;
    /** The largest file the upload page accepts (tus Upload-Length); YouTube's own limit by default. */
    readonly maxBytes: number;
    /** How long an upload page link stays valid until its transfer starts. */
    readonly pageLinkMs: number;
    /** Bytes of each request the upload page sends (a multiple of 256 KiB); 0: the whole file in one. */
    readonly pageChunkBytes: number;
  };
}

/** A configuration that cannot start the bot. `problems` holds one line per variable. */
export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(
      `The bot cannot start: ${problems.length} configuration problem${problems.length === 1 ? '' : 's'}.\n` +
        problems.map((p) => `  - ${p}`).join('\n') +
        '\nSet them in the environment or in a .env file (see .env.example for where to get each value).',
    );
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export const DEFAULTS = {
  DISCORD_API_URL: 'https://discord.com/api',
  DISCORD_CDN_HOSTS: 'cdn.discordapp.com,media.discordapp.net',
  GOOGLE_AUTH_URL: 'https://accounts.google.com/o/oauth2/v2/auth',
  GOOGLE_TOKEN_URL: 'https://oauth2.googleapis.com/token',
  GOOGLE_REVOKE_URL: 'https://oauth2.googleapis.com/revoke',
  YOUTUBE_API_URL: 'https://www.googleapis.com/',
  YOUTUBE_FEED_URL: 'https://www.youtube.com/feeds/videos.xml',
  PUBLIC_URL: 'http://localhost:3000',
  HTTP_PORT: '3000',
  STORE_URL: 'sqlite://data/tubebridge.sqlite',
  LOG_LEVEL: 'info',
  UPLOAD_CONCURRENCY_PER_MEMBER: '1',
  UPLOAD_CONCURRENCY: '3',
  YOUTUBE_QUOTA_UNITS: '10000',
  YOUTUBE_QUOTA_UPLOADS: '100',
  UPLOAD_DAILY_PER_MEMBER: '10',
  UPLOAD_DAILY_PER_SERVER: '25',
} as const;

/** Which parts a program needs: the bot needs all; `npm run register` needs only Discord's. */
export type Need = 'all' | 'discord';

const SNOWFLAKE = /^\d{17,20}$/;

/** Loads `.env` from the working directory when present (real environment variables win). */
export function loadDotEnv(path = '.env'): void {
  if (!existsSync(path)) return;
  const parsed = parseDotEnv(readFileSync(path, 'utf8'));
  for (const [name, value] of Object.entries(parsed)) {
    if (process.env[name] === undefined) process.env[name] = value;
  }
}

function parseDotEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) continue;
    let value = match[2] ?? '';
    const quoted = /^(['"])(.*)\1$/.exec(value);
    if (quoted) value = quoted[2] ?? '';
    else value = value.replace(/\s+#.*$/, '');
    out[match[1] ?? ''] = value;
  }
  return out;
}

/**
 * Reads and validates the configuration. Throws ConfigError naming every problem.
 * When TOKEN_ENCRYPTION_KEY is unset (SQLite only), the key file is read, or generated once (mode 0600)
 * outside the data folder: TOKEN_ENCRYPTION_KEY_FILE, else $XDG_CONFIG_HOME/tubebridge/token-encryption.key.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, need: Need = 'all'): Config {
  const problems: string[] = [];
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === '' ? undefined : value;
  };
  const required = (name: string, hint: string): string => {
    const value = read(name);
    if (value === undefined) problems.push(`${name} is missing: ${hint}.`);
    return value ?? '';
  };
  const url = (name: keyof typeof DEFAULTS, protocols: readonly string[]): string => {
    const value = read(name) ?? DEFAULTS[name];
    try {
      const parsed = new URL(value);
      if (!protocols.includes(parsed.protocol)) throw new Error('protocol');
    } catch {
      problems.push(`${name} is not a valid ${protocols.join(' or ')} URL (got "${value}").`);
    }
    return value;
  };

  const token = required(
    'DISCORD_TOKEN',
    'the bot token from the Discord Developer Portal → your application → Bot',
  );
  const applicationId = required(
    'DISCORD_APPLICATION_ID',
    'the Application ID from the Discord Developer Portal → your application → General Information',
  );
  if (applicationId !== '' && !SNOWFLAKE.test(applicationId)) {
    problems.push(`DISCORD_APPLICATION_ID must be a Discord id (17–20 digits), got "${applicationId}".`);
  }
  const guildId = read('DISCORD_GUILD_ID');
  if (guildId !== undefined && !SNOWFLAKE.test(guildId)) {
    problems.push(`DISCORD_GUILD_ID must be a Discord server id (17–20 digits), got "${guildId}".`);
  }
  const apiUrl = url('DISCORD_API_URL', ['https:', 'http:']).replace(/\/+$/, '');
  const cdnHosts = (read('DISCORD_CDN_HOSTS') ?? DEFAULTS.DISCORD_CDN_HOSTS)
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter((h) => h !== '');
  const badHost = cdnHosts.find((h) => !/^[a-z0-9.-]+(:\d{1,5})?$/.test(h));
  if (cdnHosts.length === 0 || badHost !== undefined) {
    problems.push(
      `DISCORD_CDN_HOSTS must be a comma-separated list of host or host:port entries, got "${badHost ?? ''}".`,
    );
  }

  // Optional; one word of Discord's URL-safe alphabet (Developer Portal → OAuth2 → Client Secret).
  const clientSecret = read('DISCORD_CLIENT_SECRET');
  if (clientSecret !== undefined && !/^[A-Za-z0-9_-]{16,128}$/.test(clientSecret)) {
    problems.push(
      'DISCORD_CLIENT_SECRET must be the client secret from the Discord Developer Portal → your application → OAuth2 (letters, digits, - and _).',
    );
  }

  const shards: ShardPlan = need === 'all' ? readShards(read, problems) : { count: 'auto' };
  const metricsToken = need === 'all' ? readMetricsToken(read, problems) : undefined;

  let google: Config['google'] = { clientId: '', clientSecret: '', authUrl: '', tokenUrl: '', revokeUrl: '' };
  let youtubeApiUrl: string = DEFAULTS.YOUTUBE_API_URL;
  let youtubeFeedUrl: string = DEFAULTS.YOUTUBE_FEED_URL;
  let publicUrl: string = DEFAULTS.PUBLIC_URL;
  let httpPort = 3000;
  let storeUrl: string = DEFAULTS.STORE_URL;
  let logLevel: LogLevel = 'info';
  const count = (
    name:
      | 'UPLOAD_CONCURRENCY_PER_MEMBER'
      | 'UPLOAD_CONCURRENCY'
      | 'YOUTUBE_QUOTA_UNITS'
      | 'YOUTUBE_QUOTA_UPLOADS'
      | 'UPLOAD_DAILY_PER_MEMBER'
      | 'UPLOAD_DAILY_PER_SERVER',
    max: number,
  ): number => {
    const text = read(name) ?? DEFAULTS[name];
    const value = Number(text);
    if (!/^\d+$/.test(text) || value < 1 || value > max) {
      problems.push(`${name} must be a whole number from 1 to ${max}, got "${text}".`);
    }
    return value;
  };
  const whole = (name: string, fallback: string, min: number, max: number): number => {
    const text = read(name) ?? fallback;
    const value = Number(text);
    if (!/^\d+$/.test(text) || value < min || value > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max}, got "${text}".`);
    }
    return value;
  };
  let uploads = {
    perMember: 1,
    global: 3,
    maxBytes: 256 * 1024 ** 3,
    pageLinkMs: 3600_000,
    pageChunkBytes: 0,
  };
  let quota = { units: 10_000, inserts: 100, uploadsPerMember: 10, uploadsPerServer: 25 };
  if (need === 'all') {
    uploads = {
      perMember: count('UPLOAD_CONCURRENCY_PER_MEMBER', 100),
      global: count('UPLOAD_CONCURRENCY', 100),
      maxBytes: whole('UPLOAD_MAX_BYTES', String(256 * 1024 ** 3), 1, 256 * 1024 ** 3),
      pageLinkMs: whole('UPLOAD_LINK_TTL_SECONDS', '3600', 10, 7 * 24 * 3600) * 1000,
      pageChunkBytes: whole('UPLOAD_PAGE_CHUNK_MIB', '0', 0, 1024 * 1024) * 1024 ** 2,
    };
    quota = {
      units: count('YOUTUBE_QUOTA_UNITS', 100_000_000),
      inserts: count('YOUTUBE_QUOTA_UPLOADS', 1_000_000),
      uploadsPerMember: count('UPLOAD_DAILY_PER_MEMBER', 1_000_000),
      uploadsPerServer: count('UPLOAD_DAILY_PER_SERVER', 1_000_000),
    };
    const where =
      'Google Cloud Console → APIs & Services → Credentials → your OAuth client (type "Web application")';
    google = {
      clientId: required('GOOGLE_CLIENT_ID', `the client ID from ${where}`),
      clientSecret: required('GOOGLE_CLIENT_SECRET', `the client secret from ${where}`),
      authUrl: url('GOOGLE_AUTH_URL', ['https:', 'http:']),
      tokenUrl: url('GOOGLE_TOKEN_URL', ['https:', 'http:']),
      revokeUrl: url('GOOGLE_REVOKE_URL', ['https:', 'http:']),
    };
    youtubeApiUrl = url('YOUTUBE_API_URL', ['https:', 'http:']);
    if (!youtubeApiUrl.endsWith('/')) youtubeApiUrl += '/';
    youtubeFeedUrl = url('YOUTUBE_FEED_URL', ['https:', 'http:']);
    publicUrl = url('PUBLIC_URL', ['https:', 'http:']).replace(/\/+$/, '');
    const portText = read('HTTP_PORT') ?? DEFAULTS.HTTP_PORT;
    httpPort = Number(portText);
    if (!/^\d+$/.test(portText) || httpPort > 65535) {
      problems.push(`HTTP_PORT must be a port number from 0 to 65535, got "${portText}".`);
    }
    storeUrl = read('STORE_URL') ?? DEFAULTS.STORE_URL;
    if (/^rediss?:\/\//.test(storeUrl)) problems.push(REDIS_REFUSED);
    else if (!/^(sqlite:\/\/.+|postgres(ql)?:\/\/.+)$/.test(storeUrl)) {
      problems.push(
        `STORE_URL must start with sqlite:// (one process) or postgresql:// (one or more processes) (got "${hideCredentials(storeUrl)}"), e.g. ${DEFAULTS.STORE_URL}.`,
      );
    }
    const level = (read('LOG_LEVEL') ?? DEFAULTS.LOG_LEVEL).toLowerCase();
    if ((LOG_LEVELS as readonly string[]).includes(level)) logLevel = level as LogLevel;
    else problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${level}".`);
  }

  const keys = need === 'all' ? readKeys(read, storeUrl, problems) : undefined;

  if (problems.length > 0) throw new ConfigError(problems);

  const dataDir = resolve(sqliteDir(storeUrl) ?? 'data');
  const notices: string[] = [];
  let tokenEncryptionKey = new Keyring(Buffer.alloc(0));
  let tokenKeySource = 'none';
  if (keys !== undefined) {
    const opened = openTokenKey(keys, dataDir, notices);
    if ('problem' in opened) throw new ConfigError([opened.problem]);
    tokenEncryptionKey = opened.keyring;
    tokenKeySource = opened.source;
  }
  return {
    discord: { token, applicationId, guildId, apiUrl, cdnHosts, clientSecret, shards },
    google,
    youtubeApiUrl,
    youtubeFeedUrl,
    publicUrl,
    redirectUri: `${publicUrl}/oauth/callback`,
    httpPort,
    storeUrl,
    dataDir,
    tokenEncryptionKey,
    tokenKeySource,
    notices,
    logLevel,
    metricsToken,
    uploads,
    quota,
  };
}

/** A URL's user and password replaced, for messages: STORE_URL may hold a database password. */
export function hideCredentials(text: string): string {
  return text.replace(/(\w+:\/\/)[^@/\s]*@/g, '$1***@');
}

/** The folder of a sqlite store file (the default data folder). */
function sqliteDir(storeUrl: string): string | undefined {
  if (!storeUrl.startsWith('sqlite://')) return undefined;
  return dirname(storeUrl.slice('sqlite://'.length));
}
