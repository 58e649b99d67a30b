// State of the Discord fake (guilds, users, channels, messages) and the API objects built from it.
import type { Cdn } from './cdn.ts';
import type {
  ApiUser,
  FakeAttachment,
  FakeChannel,
  FakeGuild,
  FakeMessage,
  FakeOverwrite,
  FakeRole,
  FakeUser,
} from './types.ts';
import {
  ALL_PERMISSIONS,
  DEFAULT_EVERYONE_PERMISSIONS,
  DM_APP_PERMISSIONS,
  E,
  isRecord,
  PermissionBits,
  snowflake,
  type Reply,
  type UploadedFile,
} from './util.ts';
import { isEmptyMessage, IS_COMPONENTS_V2 } from './validate.ts';

export interface GuildState {
  id: string;
  name: string;
  ownerId: string;
  preferredLocale: string;
  roles: FakeRole[];
  channels: FakeChannel[];
  members: Map<string, { user: FakeUser; roles: string[]; joinedAt: string }>;
  joinedAt: string;
}

export interface ChannelState {
  id: string;
  type: number;
  name: string | null;
  guildId: string | null;
  recipientId?: string;
  permissionOverwrites?: FakeOverwrite[];
}

export interface StoredMessage {
  msg: FakeMessage;
  ephemeral: boolean;
  deleted: boolean;
  /** A deferred response (flag 128) not edited yet. */
  loading: boolean;
}

export interface StoredCommand {
  id: string;
  application_id: string;
  version: string;
  type: number;
  name: string;
  description: string;
  guild_id?: string;
  [key: string]: unknown;
}

const EPHEMERAL = 64;
const LOADING = 128;
/** Flags a bot may set when sending: SUPPRESS_EMBEDS, SUPPRESS_NOTIFICATIONS, IS_VOICE_MESSAGE, IS_COMPONENTS_V2. */
const SENDABLE_FLAGS = 4 | 4096 | 8192 | IS_COMPONENTS_V2;
/** Flags an edit may change. */
const EDITABLE_FLAGS = 4 | IS_COMPONENTS_V2;
/** Per-file upload limit for a bot in an unboosted guild. */
export const ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024;
/** Channel types that hold messages (text, DM, voice, group DM, announcement, threads, stage). */
const TEXT_TYPES = new Set([0, 1, 2, 3, 5, 10, 11, 12, 13]);

export class Store {
  readonly botToken: string;
  readonly applicationId: string;
  readonly botUser: FakeUser;
  readonly defaultUser: FakeUser;
  readonly guilds = new Map<string, GuildState>();
  readonly users = new Map<string, FakeUser>();
  readonly channels = new Map<string, ChannelState>();
  readonly dmByUser = new Map<string, string>();
  readonly messages = new Map<string, StoredMessage>();
  readonly channelOrder = new Map<string, string[]>();
  readonly deniedChannels = new Set<string>();
  readonly closedDms = new Set<string>();
  readonly commands = { global: [] as StoredCommand[], guild: new Map<string, StoredCommand[]>() };
  /**
   * Messages created with `enforce_nonce: true`, by author and nonce: another create with the same nonce by
   * the same author within `nonceWindowMs` ("a few minutes", Discord says) returns this message instead.
   */
  readonly nonces = new Map<string, { messageId: string; at: number }>();
  nonceWindowMs = 3 * 60_000;
  /** Fake clock offset added to Date.now(). */
  offset = 0;
  cdn!: Cdn;

  constructor(botToken: string, applicationId: string, botUser: FakeUser, guilds: FakeGuild[] | undefined) {
    this.botToken = botToken;
    this.applicationId = applicationId;
    this.botUser = botUser;
    this.users.set(botUser.id, botUser);
    this.defaultUser = { id: snowflake(Date.now()), username: 'tester', global_name: 'Tester' };
    this.users.set(this.defaultUser.id, this.defaultUser);
    const specs = guilds ?? [
      {
        id: snowflake(Date.now()),
        name: 'Fake Guild',
        ownerId: this.defaultUser.id,
        channels: [{ id: snowflake(Date.now()), name: 'general', type: 0 }],
        members: [{ user: this.defaultUser, roles: [] }],
      },
    ];
    for (const spec of specs) this.addGuild(spec);
  }

  now(): number {
    return Date.now() + this.offset;
  }

  iso(): string {
    return new Date(this.now()).toISOString();
  }

  private addGuild(spec: FakeGuild): void {
    const joinedAt = new Date(Date.now() - 86_400_000).toISOString();
    const roles = [...(spec.roles ?? [])];
    if (!roles.some((r) => r.id === spec.id)) {
      roles.unshift({ id: spec.id, name: '@everyone', permissions: DEFAULT_EVERYONE_PERMISSIONS.toString() });
    }
    const channels = spec.channels ?? [{ id: snowflake(Date.now()), name: 'general', type: 0 }];
    const guild: GuildState = {
      id: spec.id,
      name: spec.name,
      ownerId: spec.ownerId,
      preferredLocale: spec.preferredLocale ?? 'en-US',
      roles,
      channels,
      members: new Map(),
      joinedAt,
    };
    for (const m of spec.members ?? []) {
      guild.members.set(m.user.id, { user: m.user, roles: m.roles, joinedAt });
      this.users.set(m.user.id, m.user);
    }
    if (!guild.members.has(this.botUser.id))
      guild.members.set(this.botUser.id, { user: this.botUser, roles: [], joinedAt });
    for (const c of channels)
      this.channels.set(c.id, {
        id: c.id,
        type: c.type,
        name: c.name,
        guildId: spec.id,
        permissionOverwrites: c.permissionOverwrites ?? [],
      });
    this.guilds.set(spec.id, guild);
  }

  /** The normalized guilds (with @everyone, bot member, default channel). */
  guildSpecs(): FakeGuild[] {
    return [...this.guilds.values()].map((g) => ({
      id: g.id,
      name: g.name,
      ownerId: g.ownerId,
      roles: g.roles,
      channels: g.channels,
      members: [...g.members.values()].map((m) => ({ user: m.user, roles: m.roles })),
      preferredLocale: g.preferredLocale,
    }));
  }

  rememberUser(user: FakeUser): void {
    if (!this.users.has(user.id)) this.users.set(user.id, user);
  }

  // ---- API objects ----

  apiUser(user: FakeUser): ApiUser {
    const out: ApiUser = {
      id: user.id,
      username: user.username,
      discriminator: user.bot ? '0000' : '0',
      global_name: user.global_name ?? null,
      avatar: null,
      public_flags: 0,
      flags: 0,
      banner: null,
      accent_color: null,
      avatar_decoration_data: null,
      primary_guild: null,
      collectibles: null,
    };
    if (user.bot) out.bot = true;
    return out;
  }

  apiRole(guild: GuildState, role: FakeRole): Record<string, unknown> {
    return {
      id: role.id,
      name: role.name,
      color: 0,
      colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
      hoist: false,
      icon: null,
      unicode_emoji: null,
      position: role.id === guild.id ? 0 : guild.roles.indexOf(role),
      permissions: role.permissions,
      managed: false,
      mentionable: false,
      flags: 0,
    };
  }

  apiChannel(channel: ChannelState): Record<string, unknown> {
    if (channel.guildId === null) {
      const recipient = this.users.get(channel.recipientId ?? '');
      return {
        id: channel.id,
        type: channel.type,
        last_message_id: this.channelOrder.get(channel.id)?.at(-1) ?? null,
        flags: 0,
        recipients: recipient ? [this.apiUser(recipient)] : [],
      };
    }
    const guild = this.guilds.get(channel.guildId);
    const out: Record<string, unknown> = {
      id: channel.id,
      type: channel.type,
      guild_id: channel.guildId,
      name: channel.name,
      position: guild ? guild.channels.findIndex((c) => c.id === channel.id) : 0,
      flags: 0,
      parent_id: null,
      permission_overwrites: channel.permissionOverwrites ?? [],
      nsfw: false,
    };
    if (channel.type === 2 || channel.type === 13) {
      Object.assign(out, {
        bitrate: 64000,
        user_limit: 0,
        rtc_region: null,
        rate_limit_per_user: 0,
        last_message_id: null,
      });
    } else if (channel.type !== 4) {
      Object.assign(out, {
        topic: null,
        rate_limit_per_user: 0,
        last_message_id: this.channelOrder.get(channel.id)?.at(-1) ?? null,
      });
    }
    return out;
  }

  apiMember(guild: GuildState, userId: string, withUser = true): Record<string, unknown> | undefined {
    const member = guild.members.get(userId);
    if (!member) return undefined;
    const out: Record<string, unknown> = {
      avatar: null,
      banner: null,
      communication_disabled_until: null,
      flags: 0,
      joined_at: member.joinedAt,
      nick: null,
      pending: false,
      premium_since: null,
      roles: member.roles,
      unusual_dm_activity_until: null,
    };
    if (withUser) Object.assign(out, { user: this.apiUser(member.user), deaf: false, mute: false });
    return out;
  }

  /** The guild as REST `GET /guilds/:id` sends it. */
  apiGuild(guild: GuildState): Record<string, unknown> {
    return {
      id: guild.id,
      name: guild.name,
      icon: null,
      splash: null,
      discovery_splash: null,
      banner: null,
      description: null,
      owner_id: guild.ownerId,
      afk_channel_id: null,
      afk_timeout: 300,
      widget_enabled: false,
      verification_level: 0,
      default_message_notifications: 0,
      explicit_content_filter: 0,
      roles: guild.roles.map((r) => this.apiRole(guild, r)),
      emojis: [],
      stickers: [],
      features: [],
      mfa_level: 0,
      application_id: null,
      system_channel_id: null,
      system_channel_flags: 0,
      rules_channel_id: null,
      public_updates_channel_id: null,
      safety_alerts_channel_id: null,
      max_members: 500000,
      max_video_channel_users: 25,
      max_stage_video_channel_users: 50,
      vanity_url_code: null,
      premium_tier: 0,
      premium_subscription_count: 0,
      preferred_locale: guild.preferredLocale,
      nsfw_level: 0,
      premium_progress_bar_enabled: false,
      incidents_data: null,
    };
  }

  /** The GUILD_CREATE payload: the guild plus the gateway-only fields discord.js caches from. */
  guildCreate(guild: GuildState): Record<string, unknown> {
    return {
      ...this.apiGuild(guild),
      joined_at: guild.joinedAt,
      large: false,
      unavailable: false,
      lazy: true,
      member_count: guild.members.size,
      members: [...guild.members.keys()].map((id) => this.apiMember(guild, id)),
      channels: guild.channels.map((c) => {
        const state = this.channels.get(c.id);
        const api = state ? this.apiChannel(state) : {};
        delete api['guild_id'];
        return api;
      }),
      threads: [],
      presences: [],
      voice_states: [],
      stage_instances: [],
      guild_scheduled_events: [],
      soundboard_sounds: [],
      embedded_activities: [],
    };
  }

  // ---- permissions ----

  /** Guild-level permissions of a member (owner and Administrator get everything). */
  permissionsOf(guild: GuildState, userId: string): bigint {
    if (userId === guild.ownerId) return ALL_PERMISSIONS;
    const member = guild.members.get(userId);
    let bits = 0n;
    for (const role of guild.roles) {
      if (role.id === guild.id || member?.roles.includes(role.id)) bits |= BigInt(role.permissions);
    }
    return bits & PermissionBits.Administrator ? ALL_PERMISSIONS : bits;
  }

  /**
   * A member's permissions in a channel, Discord's way: the guild-level bits, then the channel's @everyone
   * overwrite, the member's roles' overwrites (denies, then allows), and the member's own overwrite.
   */
  permissionsIn(guild: GuildState, channel: ChannelState, userId: string): bigint {
    let bits = this.permissionsOf(guild, userId);
    if (bits & PermissionBits.Administrator) return ALL_PERMISSIONS;
    const overwrites = channel.permissionOverwrites ?? [];
    const apply = (o: FakeOverwrite | undefined) => {
      if (o) bits = (bits & ~BigInt(o.deny)) | BigInt(o.allow);
    };
    apply(overwrites.find((o) => o.type === 0 && o.id === guild.id));
    const roles = guild.members.get(userId)?.roles ?? [];
    const mine = overwrites.filter((o) => o.type === 0 && roles.includes(o.id));
    let deny = 0n;
    let allow = 0n;
    for (const o of mine) {
      deny |= BigInt(o.deny);
      allow |= BigInt(o.allow);
    }
    bits = (bits & ~deny) | allow;
    apply(overwrites.find((o) => o.type === 1 && o.id === userId));
    return bits;
  }

  /** The bot's permissions in a channel (SendMessages removed where setChannelPermissionDenied). */
  botPermissionsIn(channelId: string): bigint {
    const channel = this.channels.get(channelId);
    if (!channel || channel.guildId === null) return DM_APP_PERMISSIONS;
    const guild = this.guilds.get(channel.guildId);
    let bits = guild ? this.permissionsIn(guild, channel, this.botUser.id) : 0n;
    if (this.deniedChannels.has(channelId))
      bits &= ~(PermissionBits.SendMessages | PermissionBits.SendMessagesInThreads);
    return bits;
  }

  // ---- DM channels ----

  dmChannel(userId: string): ChannelState {
    const existing = this.dmByUser.get(userId);
    const found = existing === undefined ? undefined : this.channels.get(existing);
    if (found) return found;
    if (!this.users.has(userId)) this.users.set(userId, { id: userId, username: `user${userId.slice(-4)}` });
    const channel: ChannelState = {
      id: snowflake(this.now()),
      type: 1,
      name: null,
      guildId: null,
      recipientId: userId,
    };
    this.channels.set(channel.id, channel);
    this.dmByUser.set(userId, channel.id);
    return channel;
  }

  // ---- messages ----

  /** Checks that the channel can hold messages and the bot may post there (50008, 50013, 50007). */
  canPost(channel: ChannelState): Reply | undefined {
    if (!TEXT_TYPES.has(channel.type)) return E.nonTextChannel();
    if (this.deniedChannels.has(channel.id)) return E.missingPermissions();
    if (channel.guildId !== null) {
      // A channel the bot cannot see answers 50001; one it sees but may not write in, 50013.
      const bits = this.botPermissionsIn(channel.id);
      if (!(bits & PermissionBits.ViewChannel)) return E.missingAccess();
      if (!(bits & PermissionBits.SendMessages)) return E.missingPermissions();
    }
    if (
      channel.guildId === null &&
      channel.recipientId !== undefined &&
      this.closedDms.has(channel.recipientId)
    ) {
      return E.cannotDm();
    }
    return undefined;
  }

  /** Checks uploaded files against the size limit (413 / 40005). */
  checkFiles(files: UploadedFile[]): Reply | undefined {
    return files.some((f) => f.data.length > ATTACHMENT_SIZE_LIMIT) ? E.tooLarge() : undefined;
  }

  private attachmentsFor(
    body: Record<string, unknown>,
    files: UploadedFile[],
    channelId: string,
  ): FakeAttachment[] {
    const meta = Array.isArray(body['attachments'])
      ? (body['attachments'] as unknown[]).filter(isRecord)
      : [];
    return files.map((file) => {
      const m = meta.find((a) => String(a['id']) === String(file.index));
      return this.cdn.add({
        filename: typeof m?.['filename'] === 'string' ? m['filename'] : file.name,
        data: file.data,
        contentType: file.contentType === 'application/octet-stream' ? undefined : file.contentType,
        channelId,
        description: typeof m?.['description'] === 'string' ? m['description'] : undefined,
      });
    });
  }

  /** Creates a message of the bot; non-ephemeral ones are listed in the channel. */
  createMessage(opts: {
    id?: string;
    channelId: string;
    body: Record<string, unknown>;
    files: UploadedFile[];
    ephemeral?: boolean;
    loading?: boolean;
    type?: number;
    webhook?: boolean;
    interactionMetadata?: FakeMessage['interaction_metadata'];
  }): StoredMessage {
    const { body } = opts;
    const keep = SENDABLE_FLAGS & (typeof body['flags'] === 'number' ? body['flags'] : 0);
    const msg: FakeMessage = {
      id: opts.id ?? snowflake(this.now()),
      type: opts.type ?? 0,
      channel_id: opts.channelId,
      content: typeof body['content'] === 'string' ? body['content'] : '',
      embeds: Array.isArray(body['embeds']) ? (body['embeds'] as FakeMessage['embeds']) : [],
      components: Array.isArray(body['components']) ? (body['components'] as FakeMessage['components']) : [],
      flags: keep | (opts.ephemeral ? EPHEMERAL : 0) | (opts.loading ? LOADING : 0),
      author: this.apiUser(this.botUser),
      attachments: this.attachmentsFor(body, opts.files, opts.channelId),
      timestamp: this.iso(),
      edited_timestamp: null,
      tts: body['tts'] === true,
      pinned: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      edits: 0,
    };
    if (opts.webhook) {
      msg.webhook_id = this.applicationId;
      msg.application_id = this.applicationId;
    }
    if (opts.interactionMetadata) msg.interaction_metadata = opts.interactionMetadata;
    const nonce = body['nonce'];
    if (typeof nonce === 'string' || typeof nonce === 'number') msg.nonce = nonce;
    const stored: StoredMessage = {
      msg,
      ephemeral: !!opts.ephemeral,
      deleted: false,
      loading: !!opts.loading,
    };
    this.messages.set(msg.id, stored);
    if (!stored.ephemeral) {
      const list = this.channelOrder.get(opts.channelId) ?? [];
      list.push(msg.id);
      this.channelOrder.set(opts.channelId, list);
    }
    return stored;
  }

  /**
   * The message an earlier create with the same nonce made, when this create asks for `enforce_nonce` and the
   * same author sent that nonce within the window (the bot is the only author that creates through REST).
   */
  enforcedNonce(body: Record<string, unknown>): StoredMessage | undefined {
    const nonce = body['nonce'];
    if (body['enforce_nonce'] !== true || (typeof nonce !== 'string' && typeof nonce !== 'number'))
      return undefined;
    const seen = this.nonces.get(`${this.botUser.id}:${String(nonce)}`);
    if (!seen || this.now() - seen.at > this.nonceWindowMs) return undefined;
    return this.messages.get(seen.messageId);
  }

  /** Remembers a created message's nonce when it was sent with `enforce_nonce`. */
  rememberNonce(body: Record<string, unknown>, stored: StoredMessage): void {
    const nonce = body['nonce'];
    if (body['enforce_nonce'] !== true || (typeof nonce !== 'string' && typeof nonce !== 'number')) return;
    this.nonces.set(`${this.botUser.id}:${String(nonce)}`, { messageId: stored.msg.id, at: this.now() });
  }

  /** Applies an edit body (fields present replace; `attachments` lists the ones to keep). */
  editMessage(
    stored: StoredMessage,
    body: Record<string, unknown>,
    files: UploadedFile[],
  ): Reply | undefined {
    const msg = stored.msg;
    const next = {
      content: 'content' in body ? (typeof body['content'] === 'string' ? body['content'] : '') : msg.content,
      embeds: 'embeds' in body ? ((body['embeds'] ?? []) as FakeMessage['embeds']) : msg.embeds,
      components:
        'components' in body ? ((body['components'] ?? []) as FakeMessage['components']) : msg.components,
    };
    let attachments = msg.attachments;
    if (Array.isArray(body['attachments'])) {
      const keepIds = new Set(
        (body['attachments'] as unknown[]).filter(isRecord).map((a) => String(a['id'])),
      );
      attachments = msg.attachments.filter((a) => keepIds.has(a.id));
    }
    const added = this.attachmentsFor(body, files, msg.channel_id);
    attachments = [...attachments, ...added];
    const flagBody = typeof body['flags'] === 'number' ? body['flags'] : undefined;
    const flags =
      flagBody === undefined ? msg.flags : (msg.flags & ~EDITABLE_FLAGS) | (flagBody & EDITABLE_FLAGS);
    if (isEmptyMessage({ ...next }, attachments.length)) return E.emptyMessage();
    Object.assign(msg, next, { attachments, flags });
    if (stored.loading) {
      stored.loading = false;
      msg.flags &= ~LOADING;
    } else {
      msg.edited_timestamp = this.iso();
    }
    msg.edits++;
    return undefined;
  }

  deleteMessage(stored: StoredMessage): void {
    stored.deleted = true;
    const list = this.channelOrder.get(stored.msg.channel_id);
    if (list)
      this.channelOrder.set(
        stored.msg.channel_id,
        list.filter((id) => id !== stored.msg.id),
      );
  }

  /** The message as the API sends it (a copy without the fake's `edits` counter). */
  apiMessage(stored: StoredMessage): Record<string, unknown> {
    const copy: Partial<FakeMessage> = structuredClone(stored.msg);
    delete copy.edits;
    return copy;
  }

  /** A snapshot of the message for tests. */
  snapshot(stored: StoredMessage): FakeMessage {
    return structuredClone(stored.msg);
  }

  /** Non-ephemeral, non-deleted messages of a channel, oldest first. */
  channelMessages(channelId: string): FakeMessage[] {
    return (this.channelOrder.get(channelId) ?? []).flatMap((id) => {
      const stored = this.messages.get(id);
      return stored && !stored.deleted ? [this.snapshot(stored)] : [];
    });
  }
}
