// Small building blocks of the Discord fake: snowflakes, error replies, permissions, request bodies.
import type { IncomingHttpHeaders } from 'node:http';
import { PermissionFlagsBits as P } from 'discord-api-types/v10';

/** What a route answers: status, JSON body (omitted for 204) and extra headers. */
export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

const DISCORD_EPOCH = 1_420_070_400_000n;
let increment = 0n;

/** A snowflake for time `atMs`, unique within the process. */
export function snowflake(atMs: number): string {
  increment = (increment + 1n) & 0xfffn;
  return (((BigInt(Math.floor(atMs)) - DISCORD_EPOCH) << 22n) | (1n << 17n) | increment).toString();
}

/** Discord's JSON error body `{ message, code }` (plus `errors` for form errors). */
export function apiError(status: number, code: number, message: string, errors?: unknown): Reply {
  return { status, body: errors === undefined ? { message, code } : { message, code, errors } };
}

export const E = {
  unauthorized: () => apiError(401, 0, '401: Unauthorized'),
  notFound: () => apiError(404, 0, '404: Not Found'),
  methodNotAllowed: () => apiError(405, 0, '405: Method Not Allowed'),
  unknownChannel: () => apiError(404, 10003, 'Unknown Channel'),
  unknownGuild: () => apiError(404, 10004, 'Unknown Guild'),
  unknownMember: () => apiError(404, 10007, 'Unknown Member'),
  unknownMessage: () => apiError(404, 10008, 'Unknown Message'),
  unknownUser: () => apiError(404, 10013, 'Unknown User'),
  unknownWebhook: () => apiError(404, 10015, 'Unknown Webhook'),
  unknownInteraction: () => apiError(404, 10062, 'Unknown interaction'),
  unknownCommand: () => apiError(404, 10063, 'Unknown application command'),
  tooLarge: () => apiError(413, 40005, 'Request entity too large'),
  alreadyAcknowledged: () => apiError(400, 40060, 'Interaction has already been acknowledged.'),
  missingAccess: () => apiError(403, 50001, 'Missing Access'),
  emptyMessage: () => apiError(400, 50006, 'Cannot send an empty message'),
  cannotDm: () => apiError(403, 50007, 'Cannot send messages to this user'),
  nonTextChannel: () => apiError(400, 50008, 'Cannot send messages in a non-text channel'),
  missingPermissions: () => apiError(403, 50013, 'Missing Permissions'),
  invalidWebhookToken: () => apiError(401, 50027, 'Invalid Webhook Token'),
  invalidJson: () => apiError(400, 50109, 'The request body contains invalid JSON.'),
};

/** One entry of an Invalid Form Body answer, at a path inside the request body. */
export interface FieldError {
  path: (string | number)[];
  code: string;
  message: string;
}

/** 400 `{ code: 50035, message: 'Invalid Form Body', errors: { a: { 0: { b: { _errors: [...] } } } } }`. */
export function invalidFormBody(errors: FieldError[]): Reply {
  const tree: Record<string, unknown> = {};
  for (const error of errors) {
    let node = tree;
    for (const key of error.path) {
      const next = (node[String(key)] ??= {}) as Record<string, unknown>;
      node = next;
    }
    const list = (node['_errors'] ??= []) as { code: string; message: string }[];
    list.push({ code: error.code, message: error.message });
  }
  return apiError(400, 50035, 'Invalid Form Body', tree);
}

/** Every permission bit. */
export const ALL_PERMISSIONS: bigint = Object.values(P).reduce((all, bit) => all | bit, 0n);

/** What @everyone gets in a new guild. */
export const DEFAULT_EVERYONE_PERMISSIONS: bigint =
  P.CreateInstantInvite |
  P.AddReactions |
  P.Stream |
  P.ViewChannel |
  P.SendMessages |
  P.EmbedLinks |
  P.AttachFiles |
  P.ReadMessageHistory |
  P.UseExternalEmojis |
  P.Connect |
  P.Speak |
  P.UseVAD |
  P.ChangeNickname |
  P.UseApplicationCommands |
  P.RequestToSpeak |
  P.CreatePublicThreads |
  P.CreatePrivateThreads |
  P.UseExternalStickers |
  P.SendMessagesInThreads |
  P.UseEmbeddedActivities |
  P.UseSoundboard |
  P.UseExternalSounds |
  P.SendVoiceMessages |
  P.SendPolls |
  P.UseExternalApps;

/** app_permissions in a DM with the bot (documented: ATTACH_FILES | EMBED_LINKS | MENTION_EVERYONE | USE_EXTERNAL_EMOJIS, plus the basics). */
export const DM_APP_PERMISSIONS: bigint =
  P.ViewChannel |
  P.SendMessages |
  P.ReadMessageHistory |
  P.AddReactions |
  P.AttachFiles |
  P.EmbedLinks |
  P.MentionEveryone |
  P.UseExternalEmojis |
  P.UseApplicationCommands;

export { P as PermissionBits };

/** A file of a multipart request. */
export interface UploadedFile {
  /** Index n of the `files[n]` form field. */
  index: number;
  name: string;
  contentType: string;
  data: Buffer;
}

export type ParsedBody = { ok: true; body: unknown; files: UploadedFile[] } | { ok: false; reply: Reply };

/** Parses a JSON or multipart/form-data (`payload_json` + `files[n]`) request body. */
export async function parseBody(headers: IncomingHttpHeaders, raw: Buffer): Promise<ParsedBody> {
  const type = headers['content-type'] ?? '';
  if (type.startsWith('multipart/form-data')) {
    let form: FormData;
    try {
      form = await new Request('http://fake.invalid/', {
        method: 'POST',
        headers: { 'content-type': type },
        body: new Uint8Array(raw),
      }).formData();
    } catch {
      return { ok: false, reply: apiError(400, 50035, 'Invalid Form Body') };
    }
    let body: unknown = undefined;
    const files: UploadedFile[] = [];
    for (const [field, value] of form.entries()) {
      if (typeof value === 'string') {
        if (field === 'payload_json') {
          try {
            body = JSON.parse(value) as unknown;
          } catch {
            return { ok: false, reply: E.invalidJson() };
          }
        }
        continue;
      }
      const match = /^files\[(\d+)\]$/.exec(field) ?? /^file(\d*)$/.exec(field);
      const index = match ? Number(match[1] || 0) : files.length;
      files.push({
        index,
        name: value.name,
        contentType: value.type || 'application/octet-stream',
        data: Buffer.from(await value.arrayBuffer()),
      });
    }
    return { ok: true, body, files };
  }
  if (raw.length === 0) return { ok: true, body: undefined, files: [] };
  try {
    return { ok: true, body: JSON.parse(raw.toString('utf8')) as unknown, files: [] };
  } catch {
    return { ok: false, reply: E.invalidJson() };
  }
}

/** True for a plain JSON object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
