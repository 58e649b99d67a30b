// Errors a person can read. A UserError's text is safe to show in Discord; every other error is
// classified into a short, fixed sentence, and anything unknown gets a generic sentence with a
// reference id that is also in the log. Raw messages from libraries never reach Discord.
import { randomBytes } from 'node:crypto';
import { t, type Values } from './i18n/index.ts';

/**
 * An error whose message is written for the member and safe to show as it is. Made with `UserError.t`,
 * it names its text by key, so the answer is in the language of whoever reads it; `message` is English.
 */
export class UserError extends Error {
  /** The text's key and values in src/i18n/locales, when the sentence is translated. */
  readonly text: { key: string; values: Values } | undefined;
  constructor(message: string, options?: ErrorOptions & { text?: { key: string; values: Values } }) {
    super(message, options);
    this.name = 'UserError';
    this.text = options?.text;
  }

  /** A UserError whose sentence is the text `key` (with `values`) in the reader's language. */
  static t(key: string, values: Values = {}, options?: ErrorOptions): UserError {
    return new UserError(t('en', key, values), { ...options, text: { key, values } });
  }

  /** The sentence in the language of `locale` (a Discord locale); English when it has no key. */
  in(locale: string | null | undefined): string {
    return this.text ? t(locale, this.text.key, this.text.values) : this.message;
  }
}

/**
 * The store did not answer a read or a write (a database down, a disk failing, a write it refused). Never
 * "nothing there": whoever called must stop instead of acting on a value it does not have.
 */
export class StoreError extends Error {
  readonly operation: 'read' | 'write' | 'delete';
  /** The collection (a key prefix), never the key: keys may be derived from secrets. */
  readonly collection: string;
  constructor(operation: StoreError['operation'], collection: string, options?: ErrorOptions) {
    super(`The bot's storage did not answer a ${operation} of ${collection}.`, options);
    this.name = 'StoreError';
    this.operation = operation;
    this.collection = collection;
  }
}

export type ErrorKind =
  | 'user'
  | 'store'
  | 'quota'
  | 'rate_limited'
  | 'auth_revoked'
  | 'permission'
  | 'not_found'
  | 'network'
  | 'discord'
  | 'internal';

export interface Classified {
  kind: ErrorKind;
  /** What the member sees. */
  message: string;
  /** The sentence's key and values, when it has one: to draw it again later in another language. */
  text?: { key: string; values: Values } | undefined;
  /** Set for unexpected errors: shown to the member and logged, to find the log line. */
  referenceId?: string;
  /** Safe, structured detail for the log (codes and reasons, never tokens). */
  detail: Record<string, string | number | undefined>;
}

/** A short id such as "E7K2QX9A" that a member can quote and an admin can grep for. */
export function newReferenceId(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  return `E${Array.from(randomBytes(7), (b) => alphabet[b % alphabet.length]).join('')}`;
}

/** Google's error reasons the bot knows: their kind, and their sentence (src/i18n/locales `error.google.*`). */
const GOOGLE_REASONS: Record<string, { kind: ErrorKind; key: string }> = {
  quotaExceeded: { kind: 'quota', key: 'error.google.quotaExceeded' },
  uploadLimitExceeded: { kind: 'quota', key: 'error.google.uploadLimitExceeded' },
  rateLimitExceeded: { kind: 'rate_limited', key: 'error.google.rateLimitExceeded' },
  userRateLimitExceeded: { kind: 'rate_limited', key: 'error.google.rateLimitExceeded' },
  forbidden: { kind: 'permission', key: 'error.google.forbidden' },
  insufficientPermissions: { kind: 'permission', key: 'error.google.insufficientPermissions' },
  youtubeSignupRequired: { kind: 'permission', key: 'error.google.youtubeSignupRequired' },
  authError: { kind: 'auth_revoked', key: 'error.google.authError' },
  videoNotFound: { kind: 'not_found', key: 'error.google.videoNotFound' },
  playlistNotFound: { kind: 'not_found', key: 'error.google.playlistNotFound' },
  invalidTitle: { kind: 'user', key: 'error.google.invalidTitle' },
  invalidDescription: { kind: 'user', key: 'error.google.invalidDescription' },
  invalidTags: { kind: 'user', key: 'error.google.invalidTags' },
  invalidCategoryId: { kind: 'user', key: 'error.google.invalidCategoryId' },
  invalidPublishAt: { kind: 'user', key: 'error.google.invalidPublishAt' },
  invalidVideoMetadata: { kind: 'user', key: 'error.google.invalidVideoMetadata' },
  playlistForbidden: { kind: 'permission', key: 'error.google.playlistForbidden' },
  // YouTube answers this both for listing a private playlist of another channel and for changing
  // the entries of any playlist of another channel.
  playlistItemsNotAccessible: { kind: 'permission', key: 'error.google.playlistItemsNotAccessible' },
  playlistItemNotFound: { kind: 'not_found', key: 'error.google.playlistItemNotFound' },
  playlistOperationUnsupported: { kind: 'user', key: 'error.google.playlistOperationUnsupported' },
  playlistContainsMaximumNumberOfVideos: {
    kind: 'user',
    key: 'error.google.playlistContainsMaximumNumberOfVideos',
  },
  manualSortRequired: { kind: 'user', key: 'error.google.manualSortRequired' },
  invalidPlaylistItemPosition: { kind: 'user', key: 'error.google.invalidPlaylistItemPosition' },
  playlistTitleRequired: { kind: 'user', key: 'error.google.playlistTitleRequired' },
  invalidPlaylistSnippet: { kind: 'user', key: 'error.google.invalidPlaylistSnippet' },
  invalidPageToken: { kind: 'user', key: 'error.google.invalidPageToken' },
  videoRatingDisabled: { kind: 'permission', key: 'error.google.videoRatingDisabled' },
  badContent: { kind: 'user', key: 'error.google.badContent' },
};

/** The member-facing sentence for a Google error reason, if the reason is one the bot knows. */
export function googleReasonMessage(reason: string | undefined, locale?: string | null): string | undefined {
  const known = reason === undefined ? undefined : GOOGLE_REASONS[reason];
  return known === undefined ? undefined : t(locale, known.key);
}

/** A UserError (in the reader's language) for a Google error reason the bot knows. */
export function googleReasonError(reason: string | undefined): UserError | undefined {
  const known = reason === undefined ? undefined : GOOGLE_REASONS[reason];
  return known === undefined ? undefined : UserError.t(known.key);
}

interface GoogleErrorBody {
  error?: { code?: number; message?: string; errors?: { reason?: string; domain?: string }[] } | string;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
}

/** Reads Google's error JSON (`{error:{errors:[{reason}]}}`, or OAuth's `{error:'invalid_grant'}`). */
export function googleReason(error: unknown): string | undefined {
  const response = asRecord(asRecord(error)?.['response']);
  const data = (response?.['data'] ?? asRecord(error)?.['body']) as GoogleErrorBody | undefined;
  const body = asRecord(data)?.['error'];
  if (typeof body === 'string') return body;
  const first = (asRecord(body)?.['errors'] as { reason?: string }[] | undefined)?.[0];
  return first?.reason;
}

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'ECONNABORTED',
  'ENETUNREACH',
  'EHOSTUNREACH',
]);

/** A dropped connection, a timeout or a name lookup failure: worth retrying. */
export function isNetworkError(error: unknown): boolean {
  const code = asRecord(error)?.['code'];
  return typeof code === 'string' && NETWORK_CODES.has(code);
}

/** The StoreError behind `error`, if a store failure is what stopped the work (looked for along `cause`). */
export function storeErrorIn(error: unknown): StoreError | undefined {
  let current = error;
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth++) {
    if (current instanceof StoreError) return current;
    current = asRecord(current)?.['cause'];
  }
  return undefined;
}

/** A classified sentence: in the language of `locale`, and by key for drawing it again in another. */
const said = (locale: string | null | undefined, key: string, values: Values = {}) => ({
  message: t(locale, key, values),
  text: { key, values },
});

/**
 * Turns any thrown value into what the member sees (in the language of `locale`, a Discord locale;
 * English without one) and what the log records.
 */
export function classifyError(error: unknown, locale?: string | null): Classified {
  if (error instanceof UserError) {
    const text = error.text ? { text: error.text } : {};
    return { kind: 'user', message: error.in(locale), ...text, detail: {} };
  }
  const storeError = storeErrorIn(error);
  if (storeError) {
    // Not "nothing was changed": a YouTube call may have gone through before the store failed.
    const referenceId = newReferenceId();
    return {
      kind: 'store',
      ...said(locale, 'error.store', { ref: referenceId }),
      referenceId,
      detail: { storeOperation: storeError.operation, storeCollection: storeError.collection },
    };
  }
  const record = asRecord(error);
  const code = record?.['code'];
  const name = typeof record?.['name'] === 'string' ? record['name'] : typeof error;

  const reason = googleReason(error);
  if (reason === 'invalid_grant') {
    return {
      kind: 'auth_revoked',
      ...said(locale, 'error.invalidGrant'),
      detail: { reason },
    };
  }
  const known = reason === undefined ? undefined : GOOGLE_REASONS[reason];
  if (known) return { kind: known.kind, ...said(locale, known.key), detail: { reason } };

  if (name === 'DiscordAPIError' || name.startsWith('DiscordAPIError')) {
    const discordCode = typeof code === 'number' ? code : undefined;
    if (discordCode === 50013) {
      return {
        kind: 'permission',
        ...said(locale, 'error.discordPermission'),
        detail: { discordCode },
      };
    }
    if (discordCode === 50007) {
      return {
        kind: 'discord',
        ...said(locale, 'error.discordDm'),
        detail: { discordCode },
      };
    }
  }
  if (typeof code === 'string' && NETWORK_CODES.has(code)) {
    return {
      kind: 'network',
      ...said(locale, 'error.network'),
      detail: { errorCode: code },
    };
  }
  const referenceId = newReferenceId();
  return {
    kind: 'internal',
    ...said(locale, 'error.internal', { ref: referenceId }),
    referenceId,
    detail: {
      errorName: name,
      ...(typeof code === 'string' || typeof code === 'number' ? { errorCode: code } : {}),
    },
  };
}
