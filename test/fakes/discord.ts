// A local fake of Discord (REST /api/v10, gateway over WebSocket, CDN) that the real discord.js runs against.
// Behaviour follows the Discord API docs: error bodies `{ message, code }` with Discord's status codes, the
// 3-second callback deadline, 15-minute interaction tokens, signed expiring CDN URLs with Range support.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { close, listen, readBody, waitFor } from './http.ts';
import { Cdn, GeneratedContent, type AddAttachmentOptions } from './discord/cdn.ts';

export { GeneratedContent } from './discord/cdn.ts';
import { Gateway } from './discord/gateway.ts';
import { Interactions, type InteractionState } from './discord/interactions.ts';
import { Rest, takeInjection, type Injection } from './discord/rest.ts';
import { DiscordOAuth } from './discord/oauth.ts';
import { Store, type StoredCommand } from './discord/store.ts';
import type {
  ButtonOptions,
  CommandOptions,
  FakeAttachment,
  FakeGuild,
  FakeMessage,
  FakeUser,
  InjectedResponse,
  InteractionCallback,
  InteractionHandle,
  ModalFillOptions,
  ModalSubmitOptions,
  PressOptions,
  RecordedCall,
  StartOptions,
} from './discord/types.ts';
import { snowflake } from './discord/util.ts';

export type * from './discord/types.ts';
export type { StoredCommand } from './discord/store.ts';

const FIFTEEN_MINUTES = 15 * 60 * 1000;

class Handle implements InteractionHandle {
  readonly id: string;
  readonly token: string;
  readonly payload: Record<string, unknown>;
  private readonly state: InteractionState;
  private readonly store: Store;

  constructor(state: InteractionState, store: Store) {
    this.state = state;
    this.store = store;
    this.id = state.id;
    this.token = state.token;
    this.payload = state.payload;
  }

  async response(timeoutMs = 5000): Promise<InteractionCallback> {
    return waitFor(() => this.state.callback, `the callback of interaction ${this.id}`, timeoutMs);
  }

  original(): FakeMessage | undefined {
    const stored =
      this.state.originalId === undefined ? undefined : this.store.messages.get(this.state.originalId);
    return stored && !stored.deleted ? this.store.snapshot(stored) : undefined;
  }

  async waitForOriginal(predicate: (m: FakeMessage) => boolean, timeoutMs = 5000): Promise<FakeMessage> {
    try {
      return await waitFor(
        () => {
          const m = this.original();
          return m && predicate(m) ? m : undefined;
        },
        `@original of interaction ${this.id} to match`,
        timeoutMs,
      );
    } catch (error) {
      // Say what the message did read: a timeout alone leaves the reader guessing.
      const last = this.original()?.content;
      throw new Error(`${(error as Error).message}; it reads ${JSON.stringify(last ?? null)}`, {
        cause: error,
      });
    }
  }

  deliveries(): { live: number; resumable: number } {
    return { ...this.state.delivered };
  }

  lateCallbacks(): number {
    return this.state.lateCallbacks;
  }

  followups(): FakeMessage[] {
    return this.state.followupIds.flatMap((id) => {
      const stored = this.store.messages.get(id);
      return stored && !stored.deleted ? [this.store.snapshot(stored)] : [];
    });
  }
}

export class FakeDiscord {
  /** Token the bot must use. */
  readonly botToken: string;
  /** Application id (= bot user id by default). */
  readonly applicationId: string;
  /** The bot's user. */
  readonly botUser: FakeUser;
  /** A user that is a member (and owner) of the default guild; the default invoker of interactions. */
  readonly defaultUser: FakeUser;
  /** `http://127.0.0.1:PORT/api` — give it to discord.js as `rest.api` (it appends /v10). */
  readonly apiUrl: string;
  /** `ws://127.0.0.1:PORT` — what GET /gateway/bot answers (same port as REST). */
  readonly gatewayUrl: string;
  /** `http://127.0.0.1:CDNPORT` — the CDN server serving attachment URLs. */
  readonly cdnOrigin: string;
  /** `127.0.0.1:CDNPORT`. */
  readonly cdnHost: string;
  /** Every REST and CDN request in arrival order, with the status the fake answered. */
  readonly calls: RecordedCall[] = [];
  /** OAuth2 ("Sign in with Discord"): the client secret, registered redirects, who consents and how. */
  readonly oauth: DiscordOAuth;
  /** CDN fault switches: `ignoreRange` answers 200 to Range requests; `dropAfterBytes` cuts the next GET body. */
  readonly cdn: { ignoreRange: boolean; dropAfterBytes: number | null };

  private readonly store: Store;
  private readonly gateway: Gateway;
  private readonly interactions: Interactions;
  private readonly injections: Injection[] = [];
  private readonly restServer: Server;
  private readonly cdnServer: Server;

  private constructor(parts: {
    store: Store;
    restServer: Server;
    restOrigin: string;
    cdnServer: Server;
    cdnOrigin: string;
    cdnPort: number;
    restPort: number;
    options: StartOptions;
    setRestHandler: (h: (req: IncomingMessage, res: ServerResponse) => Promise<void>) => void;
    setCdnHandler: (h: (req: IncomingMessage, res: ServerResponse) => Promise<void>) => void;
  }) {
    const { store, options } = parts;
    this.store = store;
    this.botToken = store.botToken;
    this.applicationId = store.applicationId;
    this.botUser = store.botUser;
    this.defaultUser = store.defaultUser;
    this.apiUrl = `${parts.restOrigin}/api`;
    this.gatewayUrl = `ws://127.0.0.1:${parts.restPort}`;
    this.cdnOrigin = parts.cdnOrigin;
    this.cdnHost = `127.0.0.1:${parts.cdnPort}`;
    this.restServer = parts.restServer;
    this.cdnServer = parts.cdnServer;
    const firstChannel = [...store.channels.values()][0]?.id ?? snowflake(Date.now());
    const cdn = new Cdn(this.cdnOrigin, () => store.now(), firstChannel);
    store.cdn = cdn;
    this.cdn = cdn;
    this.gateway = new Gateway(this.restServer, {
      token: this.botToken,
      url: this.gatewayUrl,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 41_250,
      allowedPrivilegedIntents: options.allowedPrivilegedIntents ?? 0,
      ready: () => ({
        v: 10,
        user: { ...store.apiUser(store.botUser), verified: true, mfa_enabled: false, email: null },
        user_settings: {},
        guilds: [...store.guilds.keys()].map((id) => ({ id, unavailable: true })),
        private_channels: [],
        relationships: [],
        presences: [],
        guild_join_requests: [],
        geo_ordered_rtc_regions: ['fake'],
        application: { id: store.applicationId, flags: 0 },
        _trace: ['["fake-gateway",{}]'],
      }),
      guildCreates: ([shard, count]) =>
        [...store.guilds.values()]
          .filter((g) => Number((BigInt(g.id) >> 22n) % BigInt(count)) === shard)
          .map((g) => store.guildCreate(g)),
    });
    this.interactions = new Interactions(
      store,
      this.gateway,
      options.interactionTokenLifetimeMs ?? FIFTEEN_MINUTES,
      options.callbackDeadlineMs ?? 3000,
    );
    const rest = new Rest({
      store,
      interactions: this.interactions,
      gatewayUrl: this.gatewayUrl,
      recommendedShards: options.recommendedShards ?? Math.max(1, Math.ceil(store.guilds.size / 1000)),
      calls: this.calls,
      injections: this.injections,
    });
    const oauth = new DiscordOAuth(store, this.calls, this.injections);
    this.oauth = oauth;
    parts.setRestHandler(async (req, res) => {
      if (!(await oauth.handle(req, res))) await rest.handle(req, res);
    });
    parts.setCdnHandler(async (req, res) => {
      await readBody(req);
      const url = new URL(req.url ?? '/', 'http://cdn.invalid');
      const method = (req.method ?? 'GET').toUpperCase();
      const call: RecordedCall = {
        service: 'cdn',
        method,
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: undefined,
        files: [],
        status: 0,
        at: Date.now(),
      };
      this.calls.push(call);
      const injected = takeInjection(this.injections, method, url.pathname);
      if (injected) {
        call.status = injected.status;
        const text =
          typeof injected.body === 'string'
            ? injected.body
            : injected.body === undefined
              ? ''
              : JSON.stringify(injected.body);
        res.writeHead(injected.status, {
          'content-type':
            typeof injected.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
          'content-length': Buffer.byteLength(text),
          ...injected.headers,
        });
        res.end(text);
        return;
      }
      cdn.handle(req, res, call);
    });
  }

  /** Starts the REST+gateway server and the CDN server on loopback ports. */
  static async start(options: StartOptions = {}): Promise<FakeDiscord> {
    const applicationId = options.applicationId ?? options.botUser?.id ?? snowflake(Date.now());
    const botUser = options.botUser ?? {
      id: applicationId,
      username: 'TubeBridge',
      global_name: null,
      bot: true,
    };
    const botToken =
      options.botToken ??
      `${Buffer.from(botUser.id).toString('base64url')}.${randomBytes(4).toString('base64url')}.${randomBytes(27).toString('base64url')}`;
    const store = new Store(botToken, applicationId, botUser, options.guilds);
    let restHandler: ((req: IncomingMessage, res: ServerResponse) => Promise<void>) | undefined;
    let cdnHandler: ((req: IncomingMessage, res: ServerResponse) => Promise<void>) | undefined;
    const rest = await listen((req, res) => restHandler?.(req, res));
    const cdn = await listen((req, res) => cdnHandler?.(req, res));
    return new FakeDiscord({
      store,
      restServer: rest.server,
      restOrigin: rest.origin,
      restPort: rest.port,
      cdnServer: cdn.server,
      cdnOrigin: cdn.origin,
      cdnPort: cdn.port,
      options,
      setRestHandler: (h) => (restHandler = h),
      setCdnHandler: (h) => (cdnHandler = h),
    });
  }

  /** Registered application commands from bulk overwrite / create: `global` and per guild id. */
  get commands(): { global: StoredCommand[]; guild: Map<string, StoredCommand[]> } {
    return this.store.commands;
  }

  /** The guilds the bot is in, normalized (with @everyone role, bot member and channels filled in). */
  get guilds(): FakeGuild[] {
    return this.store.guildSpecs();
  }

  /**
   * Test hook for races between processes on one shard: the next dispatched event goes to this live session
   * of the shard only (0: the first to IDENTIFY), not to every session as Discord sends it.
   */
  deliverNextTo(session: number): void {
    this.gateway.route.push(session);
  }

  /** Number of successful IDENTIFYs so far. */
  identified(): number {
    return this.gateway.identifies;
  }

  /** Resolves once at least one IDENTIFY succeeded (immediately if one already did). */
  async waitForIdentify(timeoutMs = 10_000): Promise<void> {
    await waitFor(() => (this.gateway.identifies > 0 ? true : undefined), 'a gateway IDENTIFY', timeoutMs);
  }

  /** Stores a file on the CDN and returns its attachment object with a signed URL (expires in 24 h by default). */
  addAttachment(opts: {
    filename: string;
    data: Buffer;
    contentType?: string | undefined;
    channelId?: string | undefined;
    expiresInMs?: number | undefined;
  }): FakeAttachment {
    const add: AddAttachmentOptions = {
      filename: opts.filename,
      data: opts.data,
      contentType: opts.contentType,
    };
    if (opts.channelId !== undefined) add.channelId = opts.channelId;
    if (opts.expiresInMs !== undefined) add.expiresInMs = opts.expiresInMs;
    return this.store.cdn.add(add);
  }

  /**
   * Stores a generated file of `size` deterministic bytes (see GeneratedContent: nothing is held in memory
   * but one 1 MiB block), served like any attachment, Range and faults included. For benchmark-sized files.
   */
  addGeneratedAttachment(opts: {
    filename: string;
    size: number;
    seed: number;
    /** The file's first bytes instead of generated ones (e.g. an MP4 header for the bot's content sniff). */
    head?: Buffer | undefined;
    contentType?: string | undefined;
    expiresInMs?: number | undefined;
  }): FakeAttachment {
    const add: AddAttachmentOptions = {
      filename: opts.filename,
      data: new GeneratedContent(opts.size, opts.seed, opts.head),
      contentType: opts.contentType,
    };
    if (opts.expiresInMs !== undefined) add.expiresInMs = opts.expiresInMs;
    return this.store.cdn.add(add);
  }

  /** The bytes of an attachment (one the bot uploaded, or one added with addAttachment). */
  attachmentData(id: string): Buffer | undefined {
    return this.store.cdn.data(id);
  }

  /** Dispatches an APPLICATION_COMMAND interaction (chat input by default; `type` 2/3 for context menus). */
  sendCommand(opts: CommandOptions): InteractionHandle {
    return new Handle(this.interactions.command(opts, false), this.store);
  }

  /** Dispatches an APPLICATION_COMMAND_AUTOCOMPLETE interaction (mark the focused option `focused: true`). */
  sendAutocomplete(opts: CommandOptions): InteractionHandle {
    return new Handle(this.interactions.command(opts, true), this.store);
  }

  /** Dispatches a MESSAGE_COMPONENT interaction (a button press by default) on `message`. */
  sendButton(opts: ButtonOptions): InteractionHandle {
    return new Handle(this.interactions.component(opts), this.store);
  }

  /**
   * A member presses a button (found by its label) on a message the bot sent: the press reaches
   * every gateway session of the message's shard, as Discord delivers it. Throws when the message
   * has no such button, or it is a link button (those open a URL, not an interaction).
   */
  pressButton(opts: PressOptions): InteractionHandle {
    const { message, label, user } = opts;
    const matches = (text: string | undefined) =>
      text !== undefined && (typeof label === 'string' ? text === label : label.test(text));
    const button = message.components
      .flatMap((row) => row.components ?? [])
      .find((c) => c.type === 2 && matches(c.label));
    if (!button?.custom_id)
      throw new Error(`FakeDiscord: message ${message.id} has no button labelled ${String(label)}`);
    const channelId = message.channel_id;
    return this.sendButton({
      customId: button.custom_id,
      user,
      channelId,
      ...(opts.guildId !== undefined ? { guildId: opts.guildId } : {}),
      ...(opts.locale !== undefined ? { locale: opts.locale } : {}),
      message: { id: message.id, channelId, flags: message.flags },
    });
  }

  /** Dispatches a MODAL_SUBMIT built from what the test gives, unchecked against any modal the bot showed
   * (a payload Discord would not send is possible: use submitModal for what a member can submit). */
  sendModalSubmit(opts: ModalSubmitOptions): InteractionHandle {
    return new Handle(this.interactions.modal(opts), this.store);
  }

  /**
   * The member fills in and submits the modal the bot opened in answer to `opened` (a command, button or
   * modal handle), checked as Discord checks it (required fields, file counts, the member's upload limit,
   * `file_types`); throws where Discord's client would not let the member submit.
   */
  submitModal(opened: InteractionHandle, fill: ModalFillOptions = {}): InteractionHandle {
    const opener = this.interactions.byId.get(opened.id);
    if (!opener) throw new Error(`FakeDiscord: unknown interaction ${opened.id}`);
    return new Handle(this.interactions.submitModal(opener, fill), this.store);
  }

  /** Messages of the bot in a channel (channel sends and non-ephemeral interaction responses), oldest first. */
  channelMessages(channelId: string): FakeMessage[] {
    return this.store.channelMessages(channelId);
  }

  /** Messages of the bot in its DM channel with a user, oldest first. */
  dmMessages(userId: string): FakeMessage[] {
    const channelId = this.store.dmByUser.get(userId);
    return channelId === undefined ? [] : this.store.channelMessages(channelId);
  }

  /** A message of the bot by id (ephemeral ones included), or undefined if unknown or deleted. */
  message(id: string): FakeMessage | undefined {
    const stored = this.store.messages.get(id);
    return stored && !stored.deleted ? this.store.snapshot(stored) : undefined;
  }

  /** Denies the bot SendMessages in a channel: POSTs there answer 403 Missing Permissions (50013). */
  setChannelPermissionDenied(channelId: string, denied: boolean): void {
    if (denied) this.store.deniedChannels.add(channelId);
    else this.store.deniedChannels.delete(channelId);
  }

  /** Closes a user's DMs: sends to their DM channel answer 403 Cannot send messages to this user (50007). */
  setDmsClosed(userId: string, closed: boolean): void {
    if (closed) this.store.closedDms.add(userId);
    else this.store.closedDms.delete(userId);
  }

  /** Answers the next `times` requests (REST path without /api/v10, or CDN path) matching with `response`.
   * A 429 without body/headers gets Discord's `{ message, retry_after: 0.1, global: false }` and rate-limit headers. */
  failNext(
    match: { method?: string | undefined; pathPattern: RegExp },
    response: InjectedResponse,
    times = 1,
  ): void {
    this.injections.push({
      method: match.method,
      pathPattern: match.pathPattern,
      response,
      remaining: times,
    });
  }

  /** Moves the fake clock forward (interaction token lifetime, callback deadline, CDN URL expiry). */
  advanceTime(ms: number): void {
    this.store.offset += ms;
  }

  /** Closes every gateway connection with `code` (default 4000: clients reconnect and RESUME). */
  disconnectGateway(code = 4000): void {
    this.gateway.disconnectAll(code);
  }

  /** Stops all servers and drops every connection. */
  async close(): Promise<void> {
    await this.gateway.close();
    await Promise.all([close(this.restServer), close(this.cdnServer)]);
  }
}
