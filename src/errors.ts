// Errors a person can read. A UserError's text is safe to show in Discord; every other error is
// classified into a short, fixed sentence, and anything unknown gets a generic sentence with a
// reference id that is also in the log. Raw messages from libraries never reach Discord.
import { randomBytes } from 'node:crypto';

/** An error whose message is written for the member and safe to show as it is. */
export class UserError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UserError';
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

const GOOGLE_REASONS: Record<string, { kind: ErrorKind; message: string }> = {
  quotaExceeded: {
    kind: 'quota',
    message:
      "The bot has used up today's YouTube API quota, which every server shares. It resets at midnight Pacific time — please try again then.",
  },
  uploadLimitExceeded: {
    kind: 'quota',
    message: 'Your YouTube channel has reached its daily upload limit. Try again tomorrow.',
  },
  rateLimitExceeded: {
    kind: 'rate_limited',
    message: 'YouTube is asking the bot to slow down. Please try again in a minute.',
  },
  userRateLimitExceeded: {
    kind: 'rate_limited',
    message: 'YouTube is asking the bot to slow down. Please try again in a minute.',
  },
  forbidden: { kind: 'permission', message: 'YouTube refused: your account is not allowed to do that.' },
  insufficientPermissions: {
    kind: 'permission',
    message:
      'Your Google link does not grant the permissions this needs. Run /link again and allow every permission.',
  },
  youtubeSignupRequired: {
    kind: 'permission',
    message:
      'Your Google account has no YouTube channel yet. Create one at https://www.youtube.com/create_channel, then try again.',
  },
  authError: { kind: 'auth_revoked', message: 'Your Google link expired — run /link to connect again.' },
  videoNotFound: {
    kind: 'not_found',
    message: 'That video does not exist, or it is private to someone else.',
  },
  playlistNotFound: {
    kind: 'not_found',
    message: 'That playlist does not exist, or it is private to someone else.',
  },
  invalidTitle: {
    kind: 'user',
    message: 'YouTube rejected the title: it must have 1 to 100 characters and no < or >.',
  },
  invalidDescription: {
    kind: 'user',
    message: 'YouTube rejected the description: it must stay within 5,000 bytes and have no < or >.',
  },
  invalidTags: {
    kind: 'user',
    message: 'YouTube rejected the tags: together they must stay within 500 characters and have no < or >.',
  },
  invalidCategoryId: {
    kind: 'user',
    message: 'YouTube does not accept that category for uploads. Pick another category.',
  },
  invalidPublishAt: {
    kind: 'user',
    message:
      'YouTube rejected the scheduled time: it must be in the future, and only a private video can be scheduled.',
  },
  invalidVideoMetadata: { kind: 'user', message: "YouTube rejected the video's details." },
  playlistForbidden: {
    kind: 'permission',
    message: 'That playlist belongs to another channel, so you cannot change it.',
  },
  playlistItemsNotAccessible: {
    // YouTube answers this both for listing a private playlist of another channel and for changing
    // the entries of any playlist of another channel.
    kind: 'permission',
    message:
      'That playlist belongs to another channel, so you cannot change its videos (or see them, if it is private).',
  },
  playlistItemNotFound: { kind: 'not_found', message: 'That video is not in the playlist.' },
  playlistOperationUnsupported: {
    kind: 'user',
    message:
      'YouTube manages that playlist itself (your uploads or liked videos), so it cannot be changed. Pick one of your own playlists.',
  },
  playlistContainsMaximumNumberOfVideos: {
    kind: 'user',
    message: 'That playlist is full: YouTube allows at most 5,000 videos in one playlist.',
  },
  manualSortRequired: {
    kind: 'user',
    message:
      'That playlist is sorted automatically, so videos cannot be placed at a position. Switch it to manual order in YouTube Studio, or leave the position out.',
  },
  invalidPlaylistItemPosition: {
    kind: 'user',
    message: 'That position is outside the playlist. Positions start at 1 and go up to the number of videos.',
  },
  playlistTitleRequired: { kind: 'user', message: 'A playlist needs a title.' },
  invalidPlaylistSnippet: {
    kind: 'user',
    message: 'YouTube rejected the playlist details: the title must have 1 to 150 characters and no < or >.',
  },
  invalidPageToken: {
    kind: 'user',
    message: 'That page of the list is no longer there (the list changed). Run the command again.',
  },
  videoRatingDisabled: { kind: 'permission', message: 'The owner of that video has turned off likes.' },
  badContent: { kind: 'user', message: 'YouTube does not accept this kind of file as a video.' },
};

/** The member-facing sentence for a Google error reason, if the reason is one the bot knows. */
export function googleReasonMessage(reason: string | undefined): string | undefined {
  return reason === undefined ? undefined : GOOGLE_REASONS[reason]?.message;
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

/** Turns any thrown value into what the member sees and what the log records. */
export function classifyError(error: unknown): Classified {
  if (error instanceof UserError) return { kind: 'user', message: error.message, detail: {} };
  const storeError = storeErrorIn(error);
  if (storeError) {
    // Not "nothing was changed": a YouTube call may have gone through before the store failed.
    const referenceId = newReferenceId();
    return {
      kind: 'store',
      message: `The bot's storage is not answering right now, so I could not finish this — please try again in a minute (reference ${referenceId}).`,
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
      message: 'Your Google link expired or was revoked — run /link to connect again.',
      detail: { reason },
    };
  }
  const known = reason === undefined ? undefined : GOOGLE_REASONS[reason];
  if (known) return { ...known, detail: { reason } };

  if (name === 'DiscordAPIError' || name.startsWith('DiscordAPIError')) {
    const discordCode = typeof code === 'number' ? code : undefined;
    if (discordCode === 50013) {
      return {
        kind: 'permission',
        message:
          'I am missing a Discord permission in this channel (for example Send Messages or Embed Links).',
        detail: { discordCode },
      };
    }
    if (discordCode === 50007) {
      return {
        kind: 'discord',
        message: 'I cannot send you direct messages: your privacy settings block them.',
        detail: { discordCode },
      };
    }
  }
  if (typeof code === 'string' && NETWORK_CODES.has(code)) {
    return {
      kind: 'network',
      message: 'A network problem stopped this. Please try again in a moment.',
      detail: { errorCode: code },
    };
  }
  const referenceId = newReferenceId();
  return {
    kind: 'internal',
    message: `Something went wrong on my side. If it keeps happening, give this reference to the server admins: ${referenceId}.`,
    referenceId,
    detail: {
      errorName: name,
      ...(typeof code === 'string' || typeof code === 'number' ? { errorCode: code } : {}),
    },
  };
}
