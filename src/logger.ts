// Structured logging with pino. Secrets are redacted by configuration as a second line of defence:
// code should never pass a token to the logger in the first place.
import { AsyncLocalStorage } from 'node:async_hooks';
import { hostname } from 'node:os';
import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config.ts';

export type { Logger };

/** Field names that may carry a secret anywhere in a log line (top level or one level down). */
const SECRET_FIELDS = [
  'token',
  'accessToken',
  'access_token',
  'refreshToken',
  'refresh_token',
  'idToken',
  'id_token',
  'code',
  'codeVerifier',
  'code_verifier',
  'state',
  'authorization',
  'Authorization',
  'clientSecret',
  'client_secret',
  'sessionUri',
];

export const REDACT_PATHS = [
  ...SECRET_FIELDS,
  ...SECRET_FIELDS.map((f) => `*.${f}`),
  'headers.authorization',
  '*.headers.authorization',
];

/** Token shapes that must never survive into a log line, whatever field carries them. */
const TOKEN_PATTERN =
  /(ya29\.[\w.-]+|1\/\/[\w.-]+|Bearer\s+[\w.~+/-]+=*|Bot\s+[\w.-]+|\/webhooks\/\d+\/[\w.-]+|\/interactions\/\d+\/[\w.-]+)/g;

export function scrub(text: string): string {
  return text.replace(TOKEN_PATTERN, '[redacted]');
}

/**
 * Errors are logged by name, code, status, message and stack only. pino's default serializer would
 * copy every own property, and library errors (gaxios, undici, discord.js) carry request configs
 * with Authorization headers and interaction tokens in URLs.
 */
export function serializeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { type: typeof error, message: scrub(String(error)) };
  const record = error as Error & { code?: unknown; status?: unknown; cause?: unknown };
  return {
    type: error.name,
    message: scrub(error.message),
    ...(typeof record.code === 'string' || typeof record.code === 'number' ? { errorCode: record.code } : {}),
    ...(typeof record.status === 'number' ? { status: record.status } : {}),
    stack: scrub(error.stack ?? ''),
    ...(record.cause !== undefined ? { cause: serializeError(record.cause) } : {}),
  };
}

/** Fields of the work in progress (the shard an interaction came in on), added to every line it logs. */
const context = new AsyncLocalStorage<Readonly<Record<string, unknown>>>();

/**
 * Runs `work` with `fields` on every log line written while it (and whatever it awaits) runs, whichever
 * logger writes them: the gateway shard of an interaction reaches the dispatcher's and the services' lines.
 */
export function withLogFields<T>(fields: Readonly<Record<string, unknown>>, work: () => T): T {
  return context.run({ ...context.getStore(), ...fields }, work);
}

/**
 * Runs `work` without the fields of the work that started it: an upload's queue and run outlive the
 * interaction that happened to start them, and must not log another member's interaction as theirs.
 */
export function withoutLogFields<T>(work: () => T): T {
  return context.exit(work);
}

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const options = {
    level,
    // pid and host on every line: several processes of the bot may write to one log.
    base: { service: 'tubebridge', pid: process.pid, hostname: hostname() },
    mixin: () => context.getStore() ?? {},
    serializers: { err: serializeError },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(options, destination) : pino(options);
}
