// The fake REST API under /api/v10: routing, bot auth, rate-limit headers, recording, fault injection.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, sendJson } from '../http.ts';
import type { Interactions } from './interactions.ts';
import type { Store, StoredCommand } from './store.ts';
import type { InjectedResponse, RecordedCall } from './types.ts';
import { E, invalidFormBody, isRecord, parseBody, snowflake, type Reply, type UploadedFile } from './util.ts';
import { validateCommand, validateCommands, validateMessage } from './validate.ts';

export interface Injection {
  method: string | undefined;
  pathPattern: RegExp;
  response: InjectedResponse;
  remaining: number;
}

/** Takes the first injection matching the request, if any (consuming one of its uses). */
export function takeInjection(
  injections: Injection[],
  method: string,
  path: string,
): InjectedResponse | undefined {
  const index = injections.findIndex(
    (i) => (i.method === undefined || i.method.toUpperCase() === method) && i.pathPattern.test(path),
  );
  const found = injections[index];
  if (!found) return undefined;
  if (--found.remaining <= 0) injections.splice(index, 1);
  return found.response;
}

interface Ctx {
  method: string;
  params: string[];
  query: URLSearchParams;
  body: unknown;
  files: UploadedFile[];
}

interface Route {
  method: string;
  template: string;
  pattern: RegExp;
  auth: boolean;
  handle: (ctx: Ctx) => Reply;
}

const RATE_LIMIT = 50;
const RATE_WINDOW_MS = 1000;

export interface RestDeps {
  store: Store;
  interactions: Interactions;
  gatewayUrl: string;
  /** GET /gateway/bot `shards`: the count Discord recommends (one per 1,000 guilds, at least 1). */
  recommendedShards: number;
  calls: RecordedCall[];
  injections: Injection[];
}

export class Rest {
  private readonly routes: Route[] = [];
  private readonly windows = new Map<string, { resetAt: number; count: number }>();
  private readonly deps: RestDeps;

  constructor(deps: RestDeps) {
    this.deps = deps;
    this.defineRoutes();
  }

  private add(method: string, template: string, auth: boolean, handle: (ctx: Ctx) => Reply): void {
    const source = template
      .split('/')
      .map((part) =>
        part.startsWith(':')
          ? part === ':id' || part === ':app'
            ? '(\\d+)'
            : '([^/]+)'
          : part.replace(/[.@]/g, '\\$&'),
      )
      .join('/');
    this.routes.push({ method, template, pattern: new RegExp(`^${source}$`), auth, handle });
  }

  /** The HTTP handler for the REST server. */
  readonly handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://rest.invalid');
    const method = (req.method ?? 'GET').toUpperCase();
    const raw = await readBody(req);
    const version = /^\/api\/v(\d+)(\/.*)?$/.exec(url.pathname);
    const path = version?.[1] === '10' ? (version[2] ?? '/') : url.pathname;
    const parsed = await parseBody(req.headers, raw);
    const call: RecordedCall = {
      service: 'rest',
      method,
      path,
      query: url.searchParams,
      headers: req.headers,
      body: parsed.ok ? parsed.body : undefined,
      files: parsed.ok
        ? parsed.files.map((f) => ({ name: f.name, size: f.data.length, contentType: f.contentType }))
        : [],
      status: 0,
      at: Date.now(),
    };
    this.deps.calls.push(call);
    const { reply, bucket } = this.route(
      method,
      version?.[1] === '10' ? path : null,
      req.headers.authorization,
      url.searchParams,
      parsed,
    );
    call.status = reply.status;
    const headers = { ...this.rateHeaders(method, bucket), ...reply.headers };
    if (reply.status === 204 || reply.body === undefined) {
      res.writeHead(reply.status, headers);
      res.end();
    } else {
      sendJson(res, reply.status, reply.body, headers);
    }
  };

  private route(
    method: string,
    path: string | null,
    authorization: string | undefined,
    query: URLSearchParams,
    parsed: Awaited<ReturnType<typeof parseBody>>,
  ): { reply: Reply; bucket: { template: string; major: string } } {
    const unknown = { template: 'unknown', major: '' };
    if (path === null) return { reply: E.notFound(), bucket: unknown };
    const matching = this.routes.map((r) => ({ r, m: r.pattern.exec(path) })).filter((x) => x.m !== null);
    const found = matching.find((x) => x.r.method === method);
    const bucket = found ? { template: found.r.template, major: found.m?.[1] ?? '' } : unknown;
    const injected = takeInjection(this.deps.injections, method, path);
    if (injected) return { reply: this.injectedReply(injected, method, bucket), bucket };
    if (!found) return { reply: matching.length > 0 ? E.methodNotAllowed() : E.notFound(), bucket };
    if (found.r.auth && authorization !== `Bot ${this.deps.store.botToken}`)
      return { reply: E.unauthorized(), bucket };
    if (!parsed.ok) return { reply: parsed.reply, bucket };
    const params = (found.m ?? []).slice(1).map((p) => decodeURIComponent(p));
    return {
      reply: found.r.handle({ method, params, query, body: parsed.body, files: parsed.files }),
      bucket,
    };
  }

  private bucketHash(method: string, template: string): string {
    return createHash('sha256').update(`${method} ${template}`).digest('hex').slice(0, 32);
  }

  /** Plausible per-route rate-limit headers (50 per second per route and major parameter; never enforced). */
  private rateHeaders(method: string, bucket: { template: string; major: string }): Record<string, string> {
    const key = `${method} ${bucket.template} ${bucket.major}`;
    const now = Date.now();
    let window = this.windows.get(key);
    if (!window || window.resetAt <= now) {
      window = { resetAt: now + RATE_WINDOW_MS, count: 0 };
      this.windows.set(key, window);
    }
    window.count++;
    return {
      'x-ratelimit-limit': String(RATE_LIMIT),
      'x-ratelimit-remaining': String(Math.max(0, RATE_LIMIT - window.count)),
      'x-ratelimit-reset': (window.resetAt / 1000).toFixed(3),
      'x-ratelimit-reset-after': ((window.resetAt - now) / 1000).toFixed(3),
      'x-ratelimit-bucket': this.bucketHash(method, bucket.template),
    };
  }

  /** An injected answer; a 429 gets Discord's body and headers unless the test gave its own. */
  private injectedReply(injected: InjectedResponse, method: string, bucket: { template: string }): Reply {
    if (injected.status !== 429) {
      const body =
        injected.body === undefined
          ? { message: `${injected.status}: injected failure`, code: 0 }
          : injected.body;
      return { status: injected.status, body, headers: injected.headers ?? {} };
    }
    const body = isRecord(injected.body)
      ? injected.body
      : { message: 'You are being rate limited.', retry_after: 0.1, global: false };
    const retryAfter = typeof body['retry_after'] === 'number' ? body['retry_after'] : 0.1;
    const headers: Record<string, string> = {
      'retry-after': String(Math.ceil(retryAfter)),
      'x-ratelimit-limit': '5',
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': ((Date.now() + retryAfter * 1000) / 1000).toFixed(3),
      'x-ratelimit-reset-after': retryAfter.toFixed(3),
      'x-ratelimit-bucket': this.bucketHash(method, bucket.template),
      'x-ratelimit-scope': body['global'] === true ? 'global' : 'user',
    };
    if (body['global'] === true) headers['x-ratelimit-global'] = 'true';
    return { status: 429, body, headers: { ...headers, ...injected.headers } };
  }

  private defineRoutes(): void {
    const { store, interactions } = this.deps;
    const ok = (body: unknown): Reply => ({ status: 200, body });
    const guildOf = (id: string) => store.guilds.get(id);

    // Gateway and identity
    this.add('GET', '/gateway', false, () => ok({ url: this.deps.gatewayUrl }));
    this.add('GET', '/gateway/bot', true, () =>
      ok({
        url: this.deps.gatewayUrl,
        shards: this.deps.recommendedShards,
        session_start_limit: { total: 1000, remaining: 999, reset_after: 0, max_concurrency: 1 },
      }),
    );
    this.add('GET', '/users/@me', true, () =>
      ok({ ...store.apiUser(store.botUser), verified: true, mfa_enabled: false, locale: 'en-US' }),
    );
    this.add('GET', '/users/:id', true, ({ params }) => {
      const user = store.users.get(params[0] ?? '');
      return user ? ok(store.apiUser(user)) : E.unknownUser();
    });
    const application = (): Reply =>
      ok({
        id: store.applicationId,
        name: store.botUser.username,
        icon: null,
        description: '',
        summary: '',
        type: null,
        bot: store.apiUser(store.botUser),
        bot_public: true,
        bot_require_code_grant: false,
        verify_key: createHash('sha256').update(store.applicationId).digest('hex'),
        flags: 0,
        team: null,
        owner: store.apiUser(store.defaultUser),
        approximate_guild_count: store.guilds.size,
        approximate_user_install_count: 0,
        integration_types_config: { '0': {} },
        install_params: { scopes: ['bot', 'applications.commands'], permissions: '0' },
        tags: [],
        redirect_uris: [],
        interactions_endpoint_url: null,
        event_webhooks_status: 1,
      });
    this.add('GET', '/applications/@me', true, application);
    this.add('GET', '/oauth2/applications/@me', true, application);

    // DMs
    this.add('POST', '/users/@me/channels', true, ({ body }) => {
      const recipient = isRecord(body) ? body['recipient_id'] : undefined;
      if (typeof recipient !== 'string' || !/^\d+$/.test(recipient)) {
        return invalidFormBody([
          { path: ['recipient_id'], code: 'BASE_TYPE_REQUIRED', message: 'This field is required' },
        ]);
      }
      return ok(store.apiChannel(store.dmChannel(recipient)));
    });

    // Guilds
    this.add('GET', '/guilds/:id', true, ({ params }) => {
      const guild = guildOf(params[0] ?? '');
      return guild ? ok(store.apiGuild(guild)) : E.unknownGuild();
    });
    this.add('GET', '/guilds/:id/channels', true, ({ params }) => {
      const guild = guildOf(params[0] ?? '');
      if (!guild) return E.unknownGuild();
      return ok(
        guild.channels.flatMap((c) => {
          const s = store.channels.get(c.id);
          return s ? [store.apiChannel(s)] : [];
        }),
      );
    });
    this.add('GET', '/guilds/:id/roles', true, ({ params }) => {
      const guild = guildOf(params[0] ?? '');
      return guild ? ok(guild.roles.map((r) => store.apiRole(guild, r))) : E.unknownGuild();
    });
    this.add('GET', '/guilds/:id/members/:user', true, ({ params }) => {
      const guild = guildOf(params[0] ?? '');
      if (!guild) return E.unknownGuild();
      const member = store.apiMember(guild, params[1] ?? '');
      return member ? ok(member) : E.unknownMember();
    });

    // Channels and messages
    const channelOf = (id: string) => store.channels.get(id);
    const channelMessage = (channelId: string, messageId: string) => {
      const stored = store.messages.get(messageId);
      return stored && !stored.deleted && !stored.ephemeral && stored.msg.channel_id === channelId
        ? stored
        : undefined;
    };
    this.add('GET', '/channels/:id', true, ({ params }) => {
      const channel = channelOf(params[0] ?? '');
      return channel ? ok(store.apiChannel(channel)) : E.unknownChannel();
    });
    this.add('POST', '/channels/:id/messages', true, ({ params, body, files }) => {
      const channel = channelOf(params[0] ?? '');
      if (!channel) return E.unknownChannel();
      const bad =
        store.canPost(channel) ?? store.checkFiles(files) ?? validateMessage(body, true, files.length);
      if (bad) return bad;
      const fields = isRecord(body) ? body : {};
      // enforce_nonce: the same nonce from the same author within a few minutes creates nothing new.
      const earlier = store.enforcedNonce(fields);
      if (earlier) return ok(store.apiMessage(earlier));
      const created = store.createMessage({ channelId: channel.id, body: fields, files });
      store.rememberNonce(fields, created);
      return ok(store.apiMessage(created));
    });
    this.add('GET', '/channels/:id/messages', true, ({ params, query }) => {
      const channel = channelOf(params[0] ?? '');
      if (!channel) return E.unknownChannel();
      const limit = Math.min(100, Math.max(1, Number(query.get('limit') ?? 50) || 50));
      const before = query.get('before');
      const after = query.get('after');
      for (const [key, value] of [
        ['before', before],
        ['after', after],
      ] as const) {
        if (value !== null && !/^\d+$/.test(value)) {
          return invalidFormBody([
            { path: [key], code: 'NUMBER_TYPE_COERCE', message: `Value "${value}" is not snowflake.` },
          ]);
        }
      }
      const list = store
        .channelMessages(channel.id)
        .filter(
          (m) =>
            (before === null || BigInt(m.id) < BigInt(before)) &&
            (after === null || BigInt(m.id) > BigInt(after)),
        )
        .reverse()
        .slice(0, limit);
      return ok(
        list.map((m) => {
          const s = store.messages.get(m.id);
          return s ? store.apiMessage(s) : m;
        }),
      );
    });
    this.add('GET', '/channels/:id/messages/:mid', true, ({ params }) => {
      if (!channelOf(params[0] ?? '')) return E.unknownChannel();
      const stored = channelMessage(params[0] ?? '', params[1] ?? '');
      return stored ? ok(store.apiMessage(stored)) : E.unknownMessage();
    });
    this.add('PATCH', '/channels/:id/messages/:mid', true, ({ params, body, files }) => {
      if (!channelOf(params[0] ?? '')) return E.unknownChannel();
      const stored = channelMessage(params[0] ?? '', params[1] ?? '');
      if (!stored) return E.unknownMessage();
      const bad =
        store.checkFiles(files) ??
        validateMessage(body, false, files.length) ??
        store.editMessage(stored, isRecord(body) ? body : {}, files);
      return bad ?? ok(store.apiMessage(stored));
    });
    this.add('DELETE', '/channels/:id/messages/:mid', true, ({ params }) => {
      if (!channelOf(params[0] ?? '')) return E.unknownChannel();
      const stored = channelMessage(params[0] ?? '', params[1] ?? '');
      if (!stored) return E.unknownMessage();
      store.deleteMessage(stored);
      return { status: 204 };
    });

    // Interactions (no Authorization header: the token in the path is the credential)
    this.add('POST', '/interactions/:id/:token/callback', false, ({ params, query, body, files }) =>
      interactions.callback(params[0] ?? '', params[1] ?? '', query, body, files),
    );
    this.add('POST', '/webhooks/:app/:token', false, ({ params, body, files }) =>
      interactions.webhook('POST', params[0] ?? '', params[1] ?? '', null, body, files),
    );
    for (const method of ['GET', 'PATCH', 'DELETE']) {
      this.add(method, '/webhooks/:app/:token/messages/:mid', false, ({ params, body, files }) =>
        interactions.webhook(method, params[0] ?? '', params[1] ?? '', params[2] ?? '', body, files),
      );
    }

    // Application commands
    const commandList = (app: string, guildId: string | undefined): StoredCommand[] | Reply => {
      if (app !== store.applicationId) return E.missingAccess();
      if (guildId === undefined) return store.commands.global;
      if (!store.guilds.has(guildId)) return E.missingAccess();
      return store.commands.guild.get(guildId) ?? [];
    };
    const saveList = (guildId: string | undefined, list: StoredCommand[]): void => {
      if (guildId === undefined) store.commands.global = list;
      else store.commands.guild.set(guildId, list);
    };
    const toStored = (
      raw: Record<string, unknown>,
      previous: StoredCommand[],
      guildId: string | undefined,
    ): StoredCommand => {
      const type = typeof raw['type'] === 'number' ? raw['type'] : 1;
      const name = String(raw['name']);
      const prev = previous.find((c) => c.name === name && c.type === type);
      const command: StoredCommand = {
        default_member_permissions: null,
        nsfw: false,
        contexts: null,
        integration_types: [0],
        ...raw,
        id: prev?.id ?? snowflake(store.now()),
        application_id: store.applicationId,
        version: snowflake(store.now()),
        type,
        name,
        description: typeof raw['description'] === 'string' ? raw['description'] : '',
      };
      if (guildId !== undefined) command.guild_id = guildId;
      return command;
    };
    for (const scoped of [false, true]) {
      const base = scoped ? '/applications/:app/guilds/:guild/commands' : '/applications/:app/commands';
      const guildParam = (params: string[]): string | undefined => (scoped ? params[1] : undefined);
      const cmdParam = (params: string[]): string => (scoped ? params[2] : params[1]) ?? '';
      this.add('GET', base, true, ({ params }) => {
        const list = commandList(params[0] ?? '', guildParam(params));
        return Array.isArray(list) ? ok(list) : list;
      });
      this.add('PUT', base, true, ({ params, body }) => {
        const guildId = guildParam(params);
        const list = commandList(params[0] ?? '', guildId);
        if (!Array.isArray(list)) return list;
        const bad = validateCommands(body);
        if (bad) return bad;
        const next = (body as Record<string, unknown>[]).map((raw) => toStored(raw, list, guildId));
        saveList(guildId, next);
        return ok(next);
      });
      this.add('POST', base, true, ({ params, body }) => {
        const guildId = guildParam(params);
        const list = commandList(params[0] ?? '', guildId);
        if (!Array.isArray(list)) return list;
        if (!isRecord(body))
          return invalidFormBody([
            { path: [], code: 'DICT_TYPE_CONVERT', message: 'Only dictionaries may be used in a DictType' },
          ]);
        const errors = validateCommand(body);
        if (errors.length > 0) return invalidFormBody(errors);
        const command = toStored(body, list, guildId);
        const existed = list.some((c) => c.id === command.id);
        saveList(guildId, [...list.filter((c) => c.id !== command.id), command]);
        return { status: existed ? 200 : 201, body: command };
      });
      this.add('GET', `${base}/:cmd`, true, ({ params }) => {
        const list = commandList(params[0] ?? '', guildParam(params));
        if (!Array.isArray(list)) return list;
        const command = list.find((c) => c.id === cmdParam(params));
        return command ? ok(command) : E.unknownCommand();
      });
      this.add('DELETE', `${base}/:cmd`, true, ({ params }) => {
        const guildId = guildParam(params);
        const list = commandList(params[0] ?? '', guildId);
        if (!Array.isArray(list)) return list;
        if (!list.some((c) => c.id === cmdParam(params))) return E.unknownCommand();
        saveList(
          guildId,
          list.filter((c) => c.id !== cmdParam(params)),
        );
        return { status: 204 };
      });
    }
  }
}
