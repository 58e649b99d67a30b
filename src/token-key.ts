// The key that seals tokens at rest (part of the configuration: loadConfig calls this): TOKEN_ENCRYPTION_KEY,
// TOKEN_ENCRYPTION_KEY_PREVIOUS and TOKEN_ENCRYPTION_KEY_FILE checked with the other variables, then the key file
// read, or generated once (mode 0600) outside the data folder. Reads variables through config.ts's `read`, never
// process.env; the file-system side of the configuration lives here.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Keyring } from './store/seal.ts';

const KEY_FILE = 'token-encryption.key';
const KEY_TEXT = '32 bytes as 64 hex characters or base64';
const KEY_HINT = `${KEY_TEXT} (make one with: node -e "console.log(require('crypto').randomBytes(32).toString('hex'))")`;

function parseKey(text: string): Buffer | undefined {
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(text)) {
    const key = Buffer.from(text, 'base64');
    if (key.length === 32) return key;
  }
  return undefined;
}

export interface KeySettings {
  /** Set when TOKEN_ENCRYPTION_KEY is. */
  current: { key: Buffer; source: string } | undefined;
  previous: Buffer | undefined;
  /** TOKEN_ENCRYPTION_KEY_FILE, resolved. */
  file: string | undefined;
  /** Where a generated key goes by default: $XDG_CONFIG_HOME/tubebridge or ~/.config/tubebridge. */
  defaultFile: string | undefined;
}

/**
 * TOKEN_ENCRYPTION_KEY, TOKEN_ENCRYPTION_KEY_PREVIOUS and TOKEN_ENCRYPTION_KEY_FILE. A store other
 * than SQLite may be shared by several hosts, and a key generated on each would not open the
 * others' records: there the key must be given (in the variable, or in an existing key file).
 */
export function readKeys(
  read: (name: string) => string | undefined,
  storeUrl: string,
  problems: string[],
): KeySettings {
  const keyText = read('TOKEN_ENCRYPTION_KEY');
  let current: KeySettings['current'];
  if (keyText !== undefined) {
    const key = parseKey(keyText);
    if (key === undefined)
      problems.push(`TOKEN_ENCRYPTION_KEY must be ${KEY_HINT}, or unset to generate one.`);
    else current = { key, source: 'TOKEN_ENCRYPTION_KEY' };
  }
  const previousText = read('TOKEN_ENCRYPTION_KEY_PREVIOUS');
  const previous = previousText === undefined ? undefined : parseKey(previousText);
  if (previousText !== undefined && previous === undefined) {
    problems.push(
      `TOKEN_ENCRYPTION_KEY_PREVIOUS must be ${KEY_HINT}: the key TOKEN_ENCRYPTION_KEY replaced.`,
    );
  }
  const fileText = read('TOKEN_ENCRYPTION_KEY_FILE');
  const file = fileText === undefined ? undefined : resolve(fileText);
  // The XDG spec: a relative XDG_CONFIG_HOME is invalid and ignored.
  const xdg = read('XDG_CONFIG_HOME');
  const configHome =
    (xdg !== undefined && isAbsolute(xdg) ? xdg : undefined) ??
    (read('HOME') ? join(read('HOME') ?? '', '.config') : undefined);
  const defaultFile =
    configHome === undefined ? undefined : join(resolve(configHome), 'tubebridge', KEY_FILE);
  if (current === undefined && keyText === undefined) {
    if (!storeUrl.startsWith('sqlite://') && (file === undefined || !existsSync(file))) {
      problems.push(
        file === undefined
          ? 'TOKEN_ENCRYPTION_KEY is required with a STORE_URL other than sqlite://: every host must seal with the same key, so set it to one key shared by all.'
          : `TOKEN_ENCRYPTION_KEY_FILE (${file}) does not exist: with a STORE_URL other than sqlite:// the key is never generated, so put the key shared by all hosts there or set TOKEN_ENCRYPTION_KEY.`,
      );
    } else if (file === undefined && defaultFile === undefined) {
      problems.push(
        'TOKEN_ENCRYPTION_KEY is unset and neither XDG_CONFIG_HOME nor HOME says where to keep a generated key: set TOKEN_ENCRYPTION_KEY or TOKEN_ENCRYPTION_KEY_FILE.',
      );
    }
  }
  return { current, previous, file, defaultFile };
}

/**
 * Where the key file is: TOKEN_ENCRYPTION_KEY_FILE when set; else a key already kept in the data
 * folder (installs from before kept it there; it stays in use, with advice to move it); else the
 * config folder, outside the data folder, so a backup of the data never holds its own key.
 */
function keyFilePath(keys: KeySettings, dataDir: string, notices: string[]): string {
  if (keys.file !== undefined) {
    if (isInside(keys.file, dataDir)) notices.push(insideNotice(keys.file, dataDir));
    return keys.file;
  }
  const legacy = join(dataDir, KEY_FILE);
  if (existsSync(legacy)) {
    notices.push(insideNotice(legacy, dataDir, keys.defaultFile));
    return legacy;
  }
  return keys.defaultFile ?? legacy; // readKeys made sure one of them is known
}

function isInside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

function insideNotice(path: string, dataDir: string, suggested?: string): string {
  return (
    `The token encryption key ${path} is inside the data folder ${dataDir}, so a backup of that folder ` +
    `holds both the sealed tokens and their key. Move it out${suggested ? ` (e.g. to ${suggested})` : ''} and set ` +
    'TOKEN_ENCRYPTION_KEY_FILE to its new path, or put the key in TOKEN_ENCRYPTION_KEY; back it up separately.'
  );
}

/** Why a file operation failed, in a few words an admin can act on (the error code, never a stack trace). */
function fsReason(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'EACCES' || code === 'EPERM') return "the bot's user is not allowed to";
  if (code === 'EISDIR') return 'it is a folder';
  if (code === 'ENOTDIR' || code === 'EEXIST') return 'a part of its path is not a folder';
  if (code === 'ENOENT') return 'it does not exist (a link to nowhere?)';
  if (code === 'EROFS') return 'the file system is read-only';
  return typeof code === 'string' ? code : error instanceof Error ? error.message : String(error);
}

const invalidKey = (path: string) => ({
  problem:
    `${path} does not hold a valid key (${KEY_TEXT}). Restore it from a backup, or delete it ` +
    'to generate a new one (every member then has to run /link again).',
});

const unreadable = (path: string, error: unknown) => ({
  problem:
    `The token encryption key file ${path} could not be read (${fsReason(error)}): let the bot's user read it, ` +
    'or set TOKEN_ENCRYPTION_KEY_FILE to another file or TOKEN_ENCRYPTION_KEY to the key.',
});

/** Waits `ms` without returning to the event loop (configuration is read synchronously, once, at start-up). */
const pause = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * The key in the file at `path`, made first when there is none; a problem (one sentence for config.ts to report)
 * when the file holds no valid key, or cannot be read or made.
 */
function loadOrCreateKey(path: string): { key: Buffer; source: string } | { problem: string } {
  const readKey = (): { key: Buffer; source: string } | { problem: string } | 'empty' => {
    let text: string;
    try {
      text = readFileSync(path, 'utf8').trim();
    } catch (error) {
      return unreadable(path, error);
    }
    if (text === '') return 'empty';
    const key = parseKey(text);
    return key === undefined ? invalidKey(path) : { key, source: path };
  };
  if (existsSync(path)) {
    const found = readKey();
    return found === 'empty' ? invalidKey(path) : found;
  }
  const key = randomBytes(32);
  const notCreated = (error: unknown) => ({
    problem:
      `The token encryption key file ${path} could not be created (${fsReason(error)}): let the bot's user ` +
      `write to ${dirname(path)}, or set TOKEN_ENCRYPTION_KEY_FILE to another file or TOKEN_ENCRYPTION_KEY to the key.`,
  });
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  } catch (error) {
    return notCreated(error);
  }
  try {
    // Exclusive: of two processes making the key at once, one wins and the other uses its key.
    writeFileSync(path, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
    return { key, source: path };
  } catch (error) {
    if ((error as { code?: unknown } | null)?.code !== 'EEXIST') return notCreated(error);
  }
  // Another process made the file between the look and the create: its key, once it is written (it may still be
  // empty for a moment).
  for (let tries = 0; ; tries++) {
    const found = readKey();
    if (found !== 'empty') return found;
    if (tries >= 40) return invalidKey(path);
    pause(25);
  }
}

/**
 * The keyring that seals tokens, and where its key came from ('TOKEN_ENCRYPTION_KEY' or the key file's path):
 * the variable's key, else the key file's (generated when there is none). Advice goes to `notices`; a key file
 * that holds no valid key is a problem for config.ts to report.
 */
export function openTokenKey(
  keys: KeySettings,
  dataDir: string,
  notices: string[],
): { keyring: Keyring; source: string } | { problem: string } {
  const current = keys.current ?? loadOrCreateKey(keyFilePath(keys, dataDir, notices));
  if ('problem' in current) return current;
  return { keyring: new Keyring(current.key, keys.previous), source: current.source };
}
