// Interactions: building INTERACTION_CREATE payloads, the callback endpoint and the interaction webhook.
import { randomBytes } from 'node:crypto';
import type { Gateway } from './gateway.ts';
import {
  ATTACHMENT_SIZE_LIMIT,
  type ChannelState,
  type GuildState,
  type Store,
  type StoredMessage,
} from './store.ts';
import type {
  ButtonOptions,
  CommandOptions,
  ComponentMessageRef,
  FakeMessage,
  FakeUser,
  InteractionCallback,
  ModalFillOptions,
  ModalSubmitOptions,
} from './types.ts';
import {
  E,
  invalidFormBody,
  isRecord,
  snowflake,
  type FieldError,
  type Reply,
  type UploadedFile,
} from './util.ts';
import { matchesFileTypes, validateMessage, validateModal } from './validate.ts';

export interface InteractionState {
  id: string;
  token: string;
  /** 2 command, 3 component, 4 autocomplete, 5 modal submit. */
  type: number;
  createdAt: number;
  guildId: string | null;
  channelId: string;
  user: FakeUser;
  commandName?: string;
  commandType?: number;
  /** The message the component (or the component that opened the modal) was on. */
  componentMessageId?: string;
  payload: Record<string, unknown>;
  /** The member's own upload limit (`attachment_size_limit`). */
  attachmentSizeLimit: number;
  /** The modal this interaction answered with (callback 9), as the bot sent it. */
  modal?: Record<string, unknown>;
  callback?: InteractionCallback;
  originalId?: string;
  followupIds: string[];
  /** Sessions that got INTERACTION_CREATE: live now, or resumable (on RESUME). */
  delivered: { live: number; resumable: number };
  /** Callbacks refused with 40060 because another had acknowledged it first. */
  lateCallbacks: number;
}

interface BaseOptions {
  user?: FakeUser | undefined;
  guildId?: string | null | undefined;
  channelId?: string | undefined;
  locale?: string | undefined;
  memberPermissions?: string | undefined;
  appPermissions?: string | undefined;
  /** The member's upload limit in bytes (default 10 MiB; Nitro and boosts raise it). */
  attachmentSizeLimit?: number | undefined;
}

const EPHEMERAL = 64;

export class Interactions {
  readonly byId = new Map<string, InteractionState>();
  private readonly byToken = new Map<string, InteractionState>();
  private readonly commandIds = new Map<string, string>();
  private readonly store: Store;
  private readonly gateway: Gateway;
  private readonly lifetimeMs: number;
  private readonly deadlineMs: number;

  constructor(store: Store, gateway: Gateway, lifetimeMs: number, deadlineMs: number) {
    this.store = store;
    this.gateway = gateway;
    this.lifetimeMs = lifetimeMs;
    this.deadlineMs = deadlineMs;
  }

  // ---- building and dispatching ----

  private base(type: number, opts: BaseOptions, defaultChannel?: ChannelState): InteractionState {
    const store = this.store;
    const user = opts.user ?? store.defaultUser;
    store.rememberUser(user);
    let guildId: string | null;
    if (opts.guildId !== undefined) guildId = opts.guildId;
    else if (opts.channelId !== undefined && store.channels.has(opts.channelId))
      guildId = store.channels.get(opts.channelId)?.guildId ?? null;
    else if (defaultChannel) guildId = defaultChannel.guildId;
    else guildId = store.guilds.keys().next().value ?? null;
    let channel: ChannelState | undefined;
    let guild: GuildState | undefined;
    if (guildId !== null) {
      guild = store.guilds.get(guildId);
      if (!guild) throw new Error(`FakeDiscord: unknown guild ${guildId}`);
      if (!guild.members.has(user.id)) guild.members.set(user.id, { user, roles: [], joinedAt: store.iso() });
      const g = guild;
      const channelId =
        opts.channelId ??
        (defaultChannel?.guildId === guildId ? defaultChannel.id : undefined) ??
        (g.channels.find((c) => c.type === 0) ?? g.channels[0])?.id;
      channel = channelId === undefined ? undefined : store.channels.get(channelId);
      if (!channel) throw new Error(`FakeDiscord: guild ${guildId} has no channel ${String(channelId)}`);
    } else {
      channel = opts.channelId === undefined ? store.dmChannel(user.id) : store.channels.get(opts.channelId);
      if (!channel) throw new Error(`FakeDiscord: unknown channel ${String(opts.channelId)}`);
    }
    const id = snowflake(store.now());
    const token = `aW50ZXJhY3Rpb246${Buffer.from(id).toString('base64url')}${randomBytes(48).toString('base64url')}`;
    const apiChannel = store.apiChannel(channel);
    const payload: Record<string, unknown> = {
      id,
      application_id: store.applicationId,
      type,
      token,
      version: 1,
      channel: apiChannel,
      channel_id: channel.id,
      app_permissions: opts.appPermissions ?? store.botPermissionsIn(channel.id).toString(),
      locale: opts.locale ?? 'en-US',
      entitlements: [],
      authorizing_integration_owners: { '0': guildId ?? '0' },
      context: guildId === null ? 1 : 0,
      attachment_size_limit: opts.attachmentSizeLimit ?? ATTACHMENT_SIZE_LIMIT,
    };
    if (guild) {
      const permissions = opts.memberPermissions ?? store.permissionsOf(guild, user.id).toString();
      apiChannel['permissions'] = permissions;
      Object.assign(payload, {
        guild_id: guild.id,
        guild: { id: guild.id, locale: guild.preferredLocale, features: [] },
        guild_locale: guild.preferredLocale,
        member: { ...store.apiMember(guild, user.id), permissions },
      });
    } else {
      payload['user'] = store.apiUser(user);
    }
    return {
      id,
      token,
      type,
      createdAt: store.now(),
      guildId,
      channelId: channel.id,
      user,
      payload,
      attachmentSizeLimit: opts.attachmentSizeLimit ?? ATTACHMENT_SIZE_LIMIT,
      followupIds: [],
      delivered: { live: 0, resumable: 0 },
      lateCallbacks: 0,
    };
  }

  private commandId(name: string, type: number, guildId: string | null): { id: string; guildId?: string } {
    const inGuild =
      guildId === null
        ? undefined
        : this.store.commands.guild.get(guildId)?.find((c) => c.name === name && c.type === type);
    if (inGuild && guildId !== null) return { id: inGuild.id, guildId };
    const global = this.store.commands.global.find((c) => c.name === name && c.type === type);
    if (global) return { id: global.id };
    const key = `${type}:${name}`;
    let id = this.commandIds.get(key);
    if (id === undefined) {
      id = snowflake(this.store.now());
      this.commandIds.set(key, id);
    }
    return { id };
  }

  private resolveUser(
    resolved: Record<string, Record<string, unknown>>,
    userId: string,
    guild: GuildState | undefined,
  ): void {
    const store = this.store;
    const user = store.users.get(userId) ?? { id: userId, username: `user${userId.slice(-4)}` };
    (resolved['users'] ??= {})[userId] = store.apiUser(user);
    const member = guild ? store.apiMember(guild, userId, false) : undefined;
    if (guild && member)
      (resolved['members'] ??= {})[userId] = {
        ...member,
        permissions: store.permissionsOf(guild, userId).toString(),
      };
  }

  /** Builds a chat input / context menu command (or autocomplete) interaction. */
  command(opts: CommandOptions, autocomplete: boolean): InteractionState {
    const store = this.store;
    const state = this.base(autocomplete ? 4 : 2, opts);
    const type = opts.type ?? 1;
    const guild = state.guildId === null ? undefined : store.guilds.get(state.guildId);
    const cmd = this.commandId(opts.name, type, state.guildId);
    const data: Record<string, unknown> = { id: cmd.id, name: opts.name, type };
    if (cmd.guildId !== undefined) data['guild_id'] = cmd.guildId;
    if (opts.options) data['options'] = opts.options;
    const resolved: Record<string, Record<string, unknown>> = {};
    for (const a of opts.attachments ?? [])
      (resolved['attachments'] ??= {})[a.id] = { ...a, ephemeral: true };
    const walk = (options: unknown[]): void => {
      for (const option of options) {
        if (!isRecord(option)) continue;
        if (Array.isArray(option['options'])) walk(option['options'] as unknown[]);
        const value = typeof option['value'] === 'string' ? option['value'] : undefined;
        if (value === undefined || option['focused'] === true) continue;
        const role = guild?.roles.find((r) => r.id === value);
        if (option['type'] === 6 || (option['type'] === 9 && !role)) this.resolveUser(resolved, value, guild);
        if ((option['type'] === 8 || option['type'] === 9) && guild && role)
          (resolved['roles'] ??= {})[value] = store.apiRole(guild, role);
        const channel = option['type'] === 7 ? store.channels.get(value) : undefined;
        if (channel) {
          const partial = store.apiChannel(channel);
          delete partial['permission_overwrites'];
          (resolved['channels'] ??= {})[value] = {
            ...partial,
            permissions: store.botPermissionsIn(value).toString(),
          };
        }
      }
    };
    walk(opts.options ?? []);
    if (type !== 1) {
      const target = opts.targetId ?? (type === 2 ? state.user.id : undefined);
      if (target === undefined) throw new Error('FakeDiscord: a message context menu command needs targetId');
      data['target_id'] = target;
      if (type === 2) this.resolveUser(resolved, target, guild);
      else {
        const stored = store.messages.get(target);
        (resolved['messages'] ??= {})[target] = stored
          ? store.apiMessage(stored)
          : this.userMessageStub(target, state);
      }
    }
    for (const [key, value] of Object.entries(opts.resolved ?? {})) {
      if (isRecord(value)) Object.assign((resolved[key] ??= {}), value);
    }
    if (Object.keys(resolved).length > 0) data['resolved'] = resolved;
    state.payload['data'] = data;
    state.commandName = opts.name;
    state.commandType = type;
    return this.dispatch(state);
  }

  /** A message by the invoking user, for a message context menu on a message the fake does not know. */
  private userMessageStub(id: string, state: InteractionState): Record<string, unknown> {
    return {
      id,
      type: 0,
      channel_id: state.channelId,
      content: '',
      author: this.store.apiUser(state.user),
      attachments: [],
      embeds: [],
      components: [],
      mentions: [],
      mention_roles: [],
      mention_everyone: false,
      pinned: false,
      tts: false,
      timestamp: this.store.iso(),
      edited_timestamp: null,
      flags: 0,
    };
  }

  private componentMessage(ref: ComponentMessageRef, channelId: string): StoredMessage {
    const existing = this.store.messages.get(ref.id);
    if (existing && !existing.deleted) return existing;
    const body: Record<string, unknown> = { content: ref.content ?? '', components: ref.components ?? [] };
    if (ref.flags !== undefined) body['flags'] = ref.flags;
    return this.store.createMessage({
      id: ref.id,
      channelId,
      body,
      files: [],
      ephemeral: ((ref.flags ?? 0) & EPHEMERAL) !== 0,
    });
  }

  private defaultChannelFor(ref: ComponentMessageRef | undefined): ChannelState | undefined {
    if (!ref) return undefined;
    const channelId = ref.channelId ?? this.store.messages.get(ref.id)?.msg.channel_id;
    return channelId === undefined ? undefined : this.store.channels.get(channelId);
  }

  /** Builds a button press (or select menu) interaction on a message. */
  component(opts: ButtonOptions): InteractionState {
    const state = this.base(3, opts, this.defaultChannelFor(opts.message));
    const stored = this.componentMessage(opts.message, state.channelId);
    const componentType = opts.componentType ?? 2;
    const data: Record<string, unknown> = { custom_id: opts.customId, component_type: componentType };
    if (componentType !== 2) data['values'] = opts.values ?? [];
    state.payload['data'] = data;
    state.payload['message'] = this.store.apiMessage(stored);
    state.componentMessageId = stored.msg.id;
    return this.dispatch(state);
  }

  /** Builds a modal submit interaction (Labels of text inputs / file uploads). */
  modal(opts: ModalSubmitOptions): InteractionState {
    const state = this.base(5, opts, this.defaultChannelFor(opts.message));
    let n = 0;
    const components: Record<string, unknown>[] = [];
    for (const [customId, value] of Object.entries(opts.fields)) {
      const input = { type: 4, id: 0, custom_id: customId, value };
      if (opts.legacyActionRows) {
        components.push({ type: 1, id: ++n, components: [{ ...input, id: ++n }] });
      } else {
        components.push({ type: 18, id: ++n, component: { ...input, id: ++n } });
      }
    }
    const resolved: Record<string, Record<string, unknown>> = {};
    for (const [customId, files] of Object.entries(opts.files ?? {})) {
      components.push({
        type: 18,
        id: ++n,
        component: { type: 19, id: ++n, custom_id: customId, values: files.map((f) => f.id) },
      });
      for (const f of files) (resolved['attachments'] ??= {})[f.id] = { ...f, ephemeral: true };
    }
    const data: Record<string, unknown> = { custom_id: opts.customId, components };
    if (Object.keys(resolved).length > 0) data['resolved'] = resolved;
    state.payload['data'] = data;
    if (opts.message) {
      const stored = this.componentMessage(opts.message, state.channelId);
      state.payload['message'] = this.store.apiMessage(stored);
      state.componentMessageId = stored.msg.id;
    }
    return this.dispatch(state);
  }

  /**
   * The member fills in and submits the modal the bot answered `opener` with, checked the way Discord's
   * client and API check it: required inputs filled, a File Upload's count within min/max_values, each
   * file within the member's upload limit and its `file_types`. Picked files are stored on the CDN as
   * ephemeral attachments; the submit carries every component of the modal, in order, with its value(s),
   * and the files in `data.resolved.attachments`. A modal Discord would not submit throws.
   */
  submitModal(opener: InteractionState, fill: ModalFillOptions): InteractionState {
    const modal = opener.modal;
    if (!modal) throw new Error(`FakeDiscord: interaction ${opener.id} was not answered with a modal`);
    const refuse = (why: string): never => {
      throw new Error(`FakeDiscord: Discord does not submit this modal: ${why}`);
    };
    const limit = fill.attachmentSizeLimit ?? opener.attachmentSizeLimit;
    const state = this.base(5, {
      user: opener.user,
      guildId: opener.guildId,
      channelId: opener.channelId,
      attachmentSizeLimit: limit,
      locale: typeof opener.payload['locale'] === 'string' ? opener.payload['locale'] : undefined,
    });
    let n = 0;
    const nextId = (component: Record<string, unknown>) =>
      typeof component['id'] === 'number' ? (n = Math.max(n, component['id'])) : ++n;
    const resolved: Record<string, Record<string, unknown>> = {};
    const answer = (child: Record<string, unknown>): Record<string, unknown> => {
      const customId = String(child['custom_id']);
      const id = nextId(child);
      const required = child['required'] !== false;
      if (child['type'] === 4) {
        const value = fill.fields?.[customId] ?? '';
        const length = [...value].length;
        const min = typeof child['min_length'] === 'number' ? child['min_length'] : 0;
        const max = typeof child['max_length'] === 'number' ? child['max_length'] : 4000;
        if (required && length === 0) refuse(`the text input "${customId}" is required`);
        if (length > 0 && (length < min || length > max))
          refuse(`the text input "${customId}" takes ${min} to ${max} characters`);
        return { type: 4, id, custom_id: customId, value };
      }
      if (child['type'] === 19) {
        const picked = fill.files?.[customId] ?? [];
        const min = typeof child['min_values'] === 'number' ? child['min_values'] : 1;
        const max = typeof child['max_values'] === 'number' ? child['max_values'] : 1;
        if (picked.length > max) refuse(`the file upload "${customId}" takes at most ${max} file(s)`);
        if ((required || picked.length > 0) && picked.length < min)
          refuse(`the file upload "${customId}" needs at least ${min} file(s)`);
        const types = Array.isArray(child['file_types']) ? (child['file_types'] as string[]) : undefined;
        for (const file of picked) {
          if (file.data.length > limit)
            refuse(
              `${file.filename} (${file.data.length} bytes) is over the member's upload limit of ${limit}`,
            );
          if (!matchesFileTypes(file.filename, types))
            refuse(`${file.filename} is not one of the file types ${JSON.stringify(types)}`);
        }
        const attachments = picked.map((file) =>
          this.store.cdn.add({
            filename: file.filename,
            data: file.data,
            contentType: file.contentType,
            channelId: state.channelId,
            ephemeral: true,
          }),
        );
        for (const a of attachments) (resolved['attachments'] ??= {})[a.id] = a;
        return { type: 19, id, custom_id: customId, values: attachments.map((a) => a.id) };
      }
      return refuse(`the fake does not fill components of type ${String(child['type'])}`);
    };
    const tops = modal['components'] as Record<string, unknown>[];
    const ids = new Set(
      tops.flatMap((top) =>
        [top['component'], ...(Array.isArray(top['components']) ? (top['components'] as unknown[]) : [])].map(
          (c) => (isRecord(c) ? c['custom_id'] : undefined),
        ),
      ),
    );
    for (const key of [...Object.keys(fill.fields ?? {}), ...Object.keys(fill.files ?? {})])
      if (!ids.has(key)) throw new Error(`FakeDiscord: the modal has no component "${key}"`);
    const components = tops.map((top) => {
      if (top['type'] === 18) {
        const id = nextId(top);
        return { type: 18, id, component: answer(top['component'] as Record<string, unknown>) };
      }
      if (top['type'] === 1) {
        const id = nextId(top);
        return {
          type: 1,
          id,
          components: [answer((top['components'] as Record<string, unknown>[])[0] ?? {})],
        };
      }
      return { type: top['type'], id: nextId(top) };
    });
    const data: Record<string, unknown> = { custom_id: modal['custom_id'], components };
    if (Object.keys(resolved).length > 0) data['resolved'] = resolved;
    state.payload['data'] = data;
    // Opened from a button: the submit carries that message (update/deferUpdate edit it).
    const from =
      opener.componentMessageId === undefined
        ? undefined
        : this.store.messages.get(opener.componentMessageId);
    if (from && !from.deleted) {
      state.payload['message'] = this.store.apiMessage(from);
      state.componentMessageId = from.msg.id;
    }
    return this.dispatch(state);
  }

  private dispatch(state: InteractionState): InteractionState {
    this.byId.set(state.id, state);
    this.byToken.set(state.token, state);
    // Every session of the shard gets it (two processes on one shard: both do); the first callback wins.
    state.delivered = this.gateway.dispatch('INTERACTION_CREATE', state.payload, state.guildId);
    if (state.delivered.live + state.delivered.resumable === 0) {
      throw new Error(
        'FakeDiscord: no gateway session to dispatch the interaction to (has the client logged in?)',
      );
    }
    return state;
  }

  // ---- REST: callback ----

  private allowedCallbacks(it: InteractionState): number[] {
    switch (it.type) {
      case 2:
        return [4, 5, 9];
      case 3:
        return [4, 5, 6, 7, 9];
      case 4:
        return [8];
      default:
        return it.componentMessageId === undefined ? [4, 5] : [4, 5, 6, 7];
    }
  }

  private messageType(it: InteractionState): number {
    if (it.type !== 2) return 0;
    return it.commandType === 1 ? 20 : 23;
  }

  private metadata(it: InteractionState): NonNullable<FakeMessage['interaction_metadata']> {
    const meta: NonNullable<FakeMessage['interaction_metadata']> = {
      id: it.id,
      type: it.type,
      user: this.store.apiUser(it.user),
      authorizing_integration_owners: it.payload['authorizing_integration_owners'] as Record<string, string>,
    };
    if (it.commandName !== undefined) meta.name = it.commandName;
    if (it.commandType !== undefined) meta.command_type = it.commandType;
    if (it.componentMessageId !== undefined) meta.interacted_message_id = it.componentMessageId;
    return meta;
  }

  /** POST /interactions/:id/:token/callback */
  callback(id: string, token: string, query: URLSearchParams, body: unknown, files: UploadedFile[]): Reply {
    const store = this.store;
    const it = this.byId.get(id);
    if (!it || it.token !== token) return E.unknownInteraction();
    if (it.callback) {
      it.lateCallbacks++;
      return E.alreadyAcknowledged();
    }
    if (store.now() - it.createdAt > this.deadlineMs) return E.unknownInteraction();
    if (!isRecord(body) || typeof body['type'] !== 'number') {
      return invalidFormBody([
        { path: ['type'], code: 'BASE_TYPE_REQUIRED', message: 'This field is required' },
      ]);
    }
    const type = body['type'];
    const allowed = this.allowedCallbacks(it);
    if (!allowed.includes(type)) {
      return invalidFormBody([
        {
          path: ['type'],
          code: 'BASE_TYPE_CHOICES',
          message: `Value must be one of {${allowed.join(', ')}}.`,
        },
      ]);
    }
    const data = isRecord(body['data']) ? body['data'] : {};
    const flags = typeof data['flags'] === 'number' ? data['flags'] : 0;
    const tooLarge = store.checkFiles(files);
    if (tooLarge) return tooLarge;
    let message: StoredMessage | undefined;
    switch (type) {
      case 4: {
        const bad = validateMessage(data, true, files.length, ['data']);
        if (bad) return bad;
        message = store.createMessage({
          channelId: it.channelId,
          body: data,
          files,
          ephemeral: (flags & EPHEMERAL) !== 0,
          type: this.messageType(it),
          webhook: true,
          interactionMetadata: this.metadata(it),
        });
        it.originalId = message.msg.id;
        break;
      }
      case 5:
        message = store.createMessage({
          channelId: it.channelId,
          body: {},
          files: [],
          ephemeral: (flags & EPHEMERAL) !== 0,
          loading: true,
          type: this.messageType(it),
          webhook: true,
          interactionMetadata: this.metadata(it),
        });
        it.originalId = message.msg.id;
        break;
      case 6:
        if (it.componentMessageId !== undefined) it.originalId = it.componentMessageId;
        break;
      case 7: {
        const stored = store.messages.get(it.componentMessageId ?? '');
        if (!stored || stored.deleted) return E.unknownMessage();
        const bad =
          validateMessage(data, false, files.length, ['data']) ?? store.editMessage(stored, data, files);
        if (bad) return bad;
        message = stored;
        it.originalId = stored.msg.id;
        break;
      }
      case 8: {
        const errors: FieldError[] = [];
        const choices = Array.isArray(data['choices']) ? (data['choices'] as unknown[]) : [];
        if (choices.length > 25)
          errors.push({
            path: ['data', 'choices'],
            code: 'BASE_TYPE_MAX_LENGTH',
            message: 'Must be 25 or fewer in length.',
          });
        choices.forEach((choice, i) => {
          const name = isRecord(choice) ? choice['name'] : undefined;
          if (typeof name !== 'string' || name.length < 1 || name.length > 100) {
            errors.push({
              path: ['data', 'choices', i, 'name'],
              code: 'BASE_TYPE_BAD_LENGTH',
              message: 'Must be between 1 and 100 in length.',
            });
          }
        });
        if (errors.length > 0) return invalidFormBody(errors);
        break;
      }
      case 9: {
        const bad = validateModal(data);
        if (bad) return bad;
        it.modal = data;
        break;
      }
    }
    it.callback = isRecord(body['data']) ? { type, data: body['data'] } : { type };
    if (query.get('with_response') !== 'true') return { status: 204 };
    const interaction: Record<string, unknown> = { id: it.id, type: it.type };
    const original = it.originalId === undefined ? undefined : store.messages.get(it.originalId);
    if (original && (type === 4 || type === 5 || type === 7)) {
      Object.assign(interaction, {
        response_message_id: original.msg.id,
        response_message_loading: original.loading,
        response_message_ephemeral: original.ephemeral,
      });
    }
    const resource: Record<string, unknown> = { type };
    if (message && (type === 4 || type === 7)) resource['message'] = store.apiMessage(message);
    return { status: 200, body: { interaction, resource } };
  }

  // ---- REST: interaction webhook ----

  /** GET/PATCH/DELETE /webhooks/:app/:token/messages/:id|@original and POST /webhooks/:app/:token. */
  webhook(
    method: string,
    appId: string,
    token: string,
    messageId: string | null,
    body: unknown,
    files: UploadedFile[],
  ): Reply {
    const store = this.store;
    const it = this.byToken.get(token);
    if (!it) return E.invalidWebhookToken();
    if (appId !== store.applicationId) return E.unknownWebhook();
    const age = store.now() - it.createdAt;
    if (age > this.lifetimeMs) return E.invalidWebhookToken();
    if (!it.callback) return age > this.deadlineMs ? E.invalidWebhookToken() : E.unknownWebhook();
    if (it.type === 4) return E.unknownWebhook();
    const b = isRecord(body) ? body : {};
    const tooLarge = store.checkFiles(files);
    if (messageId === null) {
      const bad = tooLarge ?? validateMessage(body, true, files.length);
      if (bad) return bad;
      const original = it.originalId === undefined ? undefined : store.messages.get(it.originalId);
      if (original && original.loading && !original.deleted) {
        // Documented: a follow-up right after DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE edits the loading message,
        // keeping the deferral's ephemeral state.
        const failed = store.editMessage(original, b, files);
        return failed ?? { status: 200, body: store.apiMessage(original) };
      }
      const flags = typeof b['flags'] === 'number' ? b['flags'] : 0;
      const meta = this.metadata(it);
      if (it.originalId !== undefined) meta.original_response_message_id = it.originalId;
      const created = store.createMessage({
        channelId: it.channelId,
        body: b,
        files,
        ephemeral: (flags & EPHEMERAL) !== 0,
        type: this.messageType(it),
        webhook: true,
        interactionMetadata: meta,
      });
      it.followupIds.push(created.msg.id);
      return { status: 200, body: store.apiMessage(created) };
    }
    const targetId = messageId === '@original' ? it.originalId : messageId;
    if (targetId === undefined || (targetId !== it.originalId && !it.followupIds.includes(targetId)))
      return E.unknownMessage();
    const stored = store.messages.get(targetId);
    if (!stored || stored.deleted) return E.unknownMessage();
    if (method === 'GET') return { status: 200, body: store.apiMessage(stored) };
    if (method === 'DELETE') {
      store.deleteMessage(stored);
      return { status: 204 };
    }
    const bad = tooLarge ?? validateMessage(body, false, files.length) ?? store.editMessage(stored, b, files);
    return bad ?? { status: 200, body: store.apiMessage(stored) };
  }
}
