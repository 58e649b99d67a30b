// Public types of the Discord fake (see ../discord.ts). Shapes follow the Discord API v10 JSON.
import type { IncomingHttpHeaders } from 'node:http';
import type { APIEmbed } from 'discord-api-types/v10';

/** A Discord user as the fake knows it; turned into a full API user object when sent. */
export interface FakeUser {
  id: string;
  username: string;
  global_name?: string | null | undefined;
  bot?: boolean | undefined;
}

/** A role; `permissions` is the decimal string of the permission bitfield, as Discord sends it. */
export interface FakeRole {
  id: string;
  name: string;
  permissions: string;
}

/** A guild channel (0 text, 2 voice, 4 category, 5 announcement, 15 forum, ...). */
export interface FakeChannel {
  id: string;
  name: string;
  type: number;
  /** As Discord sends them: `type` 0 = role (the guild id is @everyone), 1 = member; bitfields as strings. */
  permissionOverwrites?: FakeOverwrite[] | undefined;
}

export interface FakeOverwrite {
  id: string;
  type: 0 | 1;
  allow: string;
  deny: string;
}

/** A guild the bot is in. Missing @everyone role, bot member and channels are filled in by the fake. */
export interface FakeGuild {
  id: string;
  name: string;
  ownerId: string;
  roles?: FakeRole[] | undefined;
  channels?: FakeChannel[] | undefined;
  members?: { user: FakeUser; roles: string[] }[] | undefined;
  preferredLocale?: string | undefined;
}

export interface StartOptions {
  /** Token the bot must present (`Authorization: Bot <token>`, IDENTIFY). Generated if absent. */
  botToken?: string | undefined;
  /** The application id (also the bot user id unless `botUser` says otherwise). Generated if absent. */
  applicationId?: string | undefined;
  /** The bot's own user. */
  botUser?: FakeUser | undefined;
  /** Guilds the bot is in; one default guild ("Fake Guild", channel "general", member `defaultUser`) if absent. */
  guilds?: FakeGuild[] | undefined;
  /** Lifetime of interaction tokens on the fake clock (default 15 min). */
  interactionTokenLifetimeMs?: number | undefined;
  /** Time to send the first interaction callback (default 3000 ms). */
  callbackDeadlineMs?: number | undefined;
  /** HELLO heartbeat_interval (default 41250 ms, as Discord sends). */
  heartbeatIntervalMs?: number | undefined;
  /** Privileged intents enabled in the "developer portal" (bits of GuildMembers 1<<1, GuildPresences 1<<8,
   * MessageContent 1<<15). IDENTIFY asking for others closes with 4014, as Discord does. Default 0. */
  allowedPrivilegedIntents?: number | undefined;
  /** The shard count GET /gateway/bot recommends (default: one per 1,000 guilds, at least 1, as Discord). */
  recommendedShards?: number | undefined;
}

/** One uploaded file of a recorded request. */
export interface RecordedFile {
  name: string;
  size: number;
  contentType: string;
}

/** One HTTP request the fake answered (REST or CDN), in arrival order. */
export interface RecordedCall {
  service: 'rest' | 'cdn';
  method: string;
  /** REST: path without the `/api/v10` prefix; CDN: the full path. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body, or the parsed `payload_json` of a multipart body; undefined when there was none. */
  body: unknown;
  files: RecordedFile[];
  /** Status the fake answered (0 while the answer is still being computed). */
  status: number;
  /** Date.now() when the request arrived. */
  at: number;
}

/** A Discord attachment object as the API sends it. */
export interface FakeAttachment {
  id: string;
  filename: string;
  size: number;
  url: string;
  proxy_url: string;
  content_type?: string;
  description?: string;
  ephemeral?: boolean;
}

/** A message component as JSON (loose, so tests can read nested fields without casts). */
export interface FakeComponent {
  type: number;
  id?: number;
  custom_id?: string;
  label?: string;
  style?: number;
  url?: string;
  disabled?: boolean;
  content?: string;
  value?: string;
  components?: FakeComponent[];
  component?: FakeComponent;
  accessory?: FakeComponent;
  [key: string]: unknown;
}

/** An API user object as Discord sends it. */
export interface ApiUser {
  id: string;
  username: string;
  discriminator: string;
  global_name: string | null;
  avatar: string | null;
  bot?: boolean;
  public_flags: number;
  flags: number;
  banner: null;
  accent_color: null;
  avatar_decoration_data: null;
  primary_guild: null;
  collectibles: null;
}

/** A message the bot created (channel send, interaction response, follow-up), with its current state. */
export interface FakeMessage {
  id: string;
  type: number;
  channel_id: string;
  content: string;
  embeds: APIEmbed[];
  components: FakeComponent[];
  /** Message flags; 64 = ephemeral, 128 = loading (deferred, not yet edited). */
  flags: number;
  author: ApiUser;
  attachments: FakeAttachment[];
  timestamp: string;
  edited_timestamp: string | null;
  tts: boolean;
  pinned: boolean;
  mention_everyone: boolean;
  mentions: unknown[];
  mention_roles: string[];
  webhook_id?: string;
  application_id?: string;
  /** As sent on create (a string of up to 25 characters, or an integer). */
  nonce?: string | number;
  interaction_metadata?: {
    id: string;
    type: number;
    user: ApiUser;
    authorizing_integration_owners: Record<string, string>;
    name?: string;
    command_type?: number;
    original_response_message_id?: string;
    interacted_message_id?: string;
  };
  /** Not a Discord field: how many times the message was edited (PATCH, update callback, follow-up into a deferral). */
  edits: number;
}

/** The interaction callback body the bot sent (`POST /interactions/:id/:token/callback`). */
export interface InteractionCallback {
  type: number;
  data?: InteractionCallbackData;
}

/** Loose view of callback `data` (message fields, autocomplete `choices`, modal `custom_id`/`title`). */
export interface InteractionCallbackData {
  content?: string;
  flags?: number;
  embeds?: APIEmbed[];
  components?: FakeComponent[];
  attachments?: { id: string | number; filename?: string; description?: string }[];
  choices?: { name: string; value: string | number }[];
  custom_id?: string;
  title?: string;
  [key: string]: unknown;
}

/** What a test holds after dispatching an interaction. */
export interface InteractionHandle {
  /** Interaction id. */
  readonly id: string;
  /** Interaction token. */
  readonly token: string;
  /** The INTERACTION_CREATE payload that was dispatched. */
  readonly payload: Record<string, unknown>;
  /** Resolves with the first (only) accepted callback; rejects after `timeoutMs` (default 5000). */
  response(timeoutMs?: number): Promise<InteractionCallback>;
  /** Current state of @original (reply, deferral, or the component's message after 6/7), if any. */
  original(): FakeMessage | undefined;
  /** Waits until @original exists and satisfies `predicate` (default timeout 5000 ms). */
  waitForOriginal(predicate: (m: FakeMessage) => boolean, timeoutMs?: number): Promise<FakeMessage>;
  /** Follow-up messages created with the token (a follow-up that completed a deferral is @original instead). */
  followups(): FakeMessage[];
  /** How many gateway sessions got the interaction: live ones now, resumable ones on RESUME. */
  deliveries(): { live: number; resumable: number };
  /** Callbacks Discord refused with 400/40060 because another callback acknowledged it first. */
  lateCallbacks(): number;
}

/** Options of pressButton: a button of a message the bot sent, found by its label. */
export interface PressOptions {
  message: FakeMessage;
  label: string | RegExp;
  user: FakeUser;
  guildId?: string | null | undefined;
  /** The presser's Discord language (default en-US), as every interaction carries it. */
  locale?: string | undefined;
}

/** Options of sendCommand / sendAutocomplete. */
export interface CommandOptions {
  name: string;
  /** Raw API option objects (`{ name, type, value }`, subcommands with nested `options`, `focused: true`). */
  options?: unknown[] | undefined;
  user?: FakeUser | undefined;
  /** Guild id, or null for a DM with the bot; default the first guild. */
  guildId?: string | null | undefined;
  channelId?: string | undefined;
  /** Attachments referenced by attachment options (their `value` is the attachment id). */
  attachments?: FakeAttachment[] | undefined;
  /** Overrides member.permissions (decimal string). */
  memberPermissions?: string | undefined;
  /** 1 chat input (default), 2 user context menu, 3 message context menu. */
  type?: 1 | 2 | 3 | undefined;
  /** Target of a context menu command. */
  targetId?: string | undefined;
  /** Extra resolved data merged over what the fake derives. */
  resolved?: Record<string, unknown> | undefined;
  locale?: string | undefined;
  /** Overrides app_permissions (decimal string). */
  appPermissions?: string | undefined;
  /** The member's upload limit in bytes (`attachment_size_limit`; default 10 MiB). */
  attachmentSizeLimit?: number | undefined;
}

/** The message a component was on (looked up among the bot's messages; a stub is made if unknown). */
export interface ComponentMessageRef {
  id: string;
  channelId?: string | undefined;
  flags?: number | undefined;
  content?: string | undefined;
  components?: FakeComponent[] | undefined;
}

export interface ButtonOptions {
  customId: string;
  message: ComponentMessageRef;
  user?: FakeUser | undefined;
  guildId?: string | null | undefined;
  channelId?: string | undefined;
  /** Component type (default 2 button; 3 string select, 5-8 other selects). */
  componentType?: number | undefined;
  /** Selected values for select menus. */
  values?: string[] | undefined;
  /** The member's upload limit in bytes (`attachment_size_limit`; default 10 MiB). */
  attachmentSizeLimit?: number | undefined;
  /** The presser's Discord language (`locale`, on every interaction; default en-US). */
  locale?: string | undefined;
}

export interface ModalSubmitOptions {
  customId: string;
  /** Text input values by custom_id. */
  fields: Record<string, string>;
  /** File upload components by custom_id (attachments go to data.resolved.attachments). */
  files?: Record<string, FakeAttachment[]> | undefined;
  user?: FakeUser | undefined;
  guildId?: string | null | undefined;
  channelId?: string | undefined;
  /** Set when the modal was opened from a component on this message (enables update/deferUpdate). */
  message?: ComponentMessageRef | undefined;
  /** Send text inputs inside action rows (type 1), the pre-Label shape, instead of Labels (type 18). */
  legacyActionRows?: boolean | undefined;
}

/** What a member fills into a modal the bot showed (FakeDiscord.submitModal). */
export interface ModalFillOptions {
  /** Text input values by custom_id (left out: empty). */
  fields?: Record<string, string> | undefined;
  /** The files the member picks, by File Upload custom_id: stored on the CDN as ephemeral attachments. */
  files?: Record<string, { filename: string; data: Buffer; contentType?: string | undefined }[]> | undefined;
  /** The member's upload limit at submit time (default: the one the opening interaction carried). */
  attachmentSizeLimit?: number | undefined;
}

/** Fault injection: the next matching request(s) get this answer instead of the normal one. */
export interface InjectedResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string> | undefined;
}
