// The fake gateway: HELLO, IDENTIFY/READY/GUILD_CREATE, heartbeats, RESUME with replay, dispatches.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import { constants as zlibConstants, createDeflate, deflateSync, type Deflate } from 'node:zlib';
import { WebSocketServer, WebSocket, type RawData } from 'ws';

export interface GatewayConfig {
  token: string;
  /** ws://127.0.0.1:PORT — the url of /gateway/bot and resume_gateway_url. */
  url: string;
  heartbeatIntervalMs: number;
  allowedPrivilegedIntents: number;
  /** READY `d` without session_id / resume_gateway_url / shard. */
  ready(shard: [number, number]): Record<string, unknown>;
  /** GUILD_CREATE payloads of the guilds on this shard. */
  guildCreates(shard: [number, number]): Record<string, unknown>[];
}

interface Dispatch {
  op: 0;
  t: string;
  s: number;
  d: unknown;
}

interface Session {
  id: string;
  seq: number;
  shard: [number, number];
  events: Dispatch[];
  conn: Connection | null;
  invalid: boolean;
}

const PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | (1 << 15);
const GUILDS_INTENT = 1;

/** zlib-stream transport compression: one deflate context per connection, each payload ends with Z_SYNC_FLUSH. */
class ZlibStream {
  private readonly deflate: Deflate = createDeflate();
  private chunks: Buffer[] = [];
  private chain: Promise<void> = Promise.resolve();

  constructor() {
    this.deflate.on('data', (chunk: Buffer) => this.chunks.push(chunk));
  }

  send(ws: WebSocket, text: string): void {
    this.chain = this.chain.then(
      () =>
        new Promise<void>((resolve) => {
          this.deflate.write(text);
          this.deflate.flush(zlibConstants.Z_SYNC_FLUSH, () => {
            const out = Buffer.concat(this.chunks);
            this.chunks = [];
            if (ws.readyState === WebSocket.OPEN) ws.send(out);
            resolve();
          });
        }),
    );
  }

  close(): void {
    this.deflate.close();
  }
}

class Connection {
  readonly ws: WebSocket;
  readonly zlib: ZlibStream | null;
  /** IDENTIFY `compress: true`: each payload is a complete zlib stream sent as binary. */
  compressPayloads = false;
  session: Session | null = null;

  constructor(ws: WebSocket, zlib: ZlibStream | null) {
    this.ws = ws;
    this.zlib = zlib;
  }

  send(payload: unknown): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    const text = JSON.stringify(payload);
    if (this.zlib) this.zlib.send(this.ws, text);
    else if (this.compressPayloads) this.ws.send(deflateSync(text));
    else this.ws.send(text);
  }
}

export class Gateway {
  /** Successful IDENTIFYs so far. */
  identifies = 0;
  private readonly wss: WebSocketServer;
  private readonly config: GatewayConfig;
  private readonly sessions = new Map<string, Session>();
  private readonly connections = new Set<Connection>();

  constructor(server: Server, config: GatewayConfig) {
    this.config = config;
    this.wss = new WebSocketServer({ server, path: '/' });
    this.wss.on('connection', (ws, req) => this.onConnection(ws, req));
  }

  private onConnection(ws: WebSocket, req: IncomingMessage): void {
    const query = new URL(req.url ?? '/', 'http://gateway.invalid').searchParams;
    const compress = query.get('compress');
    const conn = new Connection(ws, compress === 'zlib-stream' ? new ZlibStream() : null);
    this.connections.add(conn);
    ws.on('close', (code) => {
      this.connections.delete(conn);
      conn.zlib?.close();
      const session = conn.session;
      if (session && session.conn === conn) {
        session.conn = null;
        // A normal close (1000/1001) ends the session; anything else leaves it resumable.
        if (code === 1000 || code === 1001) session.invalid = true;
      }
    });
    if (query.get('v') !== '10') {
      ws.close(4012, 'Invalid API version.');
      return;
    }
    if ((query.get('encoding') ?? 'json') !== 'json') {
      ws.close(4002, 'Error while decoding payload.');
      return;
    }
    if (compress !== null && compress !== 'zlib-stream') {
      ws.close(4000, 'Unknown error.');
      return;
    }
    ws.on('message', (data) => this.onMessage(conn, data));
    conn.send({
      op: 10,
      d: { heartbeat_interval: this.config.heartbeatIntervalMs, _trace: ['["fake-gateway",{}]'] },
      s: null,
      t: null,
    });
  }

  private onMessage(conn: Connection, data: RawData): void {
    let payload: { op?: unknown; d?: unknown };
    try {
      const raw = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      payload = JSON.parse(raw.toString('utf8')) as { op?: unknown; d?: unknown };
    } catch {
      conn.ws.close(4002, 'Error while decoding payload.');
      return;
    }
    const d = (typeof payload.d === 'object' && payload.d !== null ? payload.d : {}) as Record<
      string,
      unknown
    >;
    switch (payload.op) {
      case 1:
        conn.send({ op: 11, d: null, s: null, t: null });
        return;
      case 2:
        this.identify(conn, d);
        return;
      case 6:
        this.resume(conn, d);
        return;
      case 3:
      case 4:
      case 8:
      case 31:
        if (!conn.session) conn.ws.close(4003, 'Not authenticated.');
        return;
      default:
        conn.ws.close(4001, 'Unknown opcode.');
    }
  }

  private tokenMatches(token: unknown): boolean {
    return typeof token === 'string' && token.replace(/^Bot\s+/i, '') === this.config.token;
  }

  private identify(conn: Connection, d: Record<string, unknown>): void {
    if (conn.session) {
      conn.ws.close(4005, 'Already authenticated.');
      return;
    }
    if (!this.tokenMatches(d['token'])) {
      conn.ws.close(4004, 'Authentication failed.');
      return;
    }
    const intents = d['intents'];
    if (typeof intents !== 'number' || !Number.isInteger(intents) || intents < 0) {
      conn.ws.close(4013, 'Invalid intent(s).');
      return;
    }
    if (intents & PRIVILEGED_INTENTS & ~this.config.allowedPrivilegedIntents) {
      conn.ws.close(4014, 'Disallowed intent(s).');
      return;
    }
    const shardRaw = d['shard'];
    const shard: [number, number] = Array.isArray(shardRaw)
      ? [Number(shardRaw[0]), Number(shardRaw[1])]
      : [0, 1];
    if (!(shard[1] >= 1 && shard[0] >= 0 && shard[0] < shard[1])) {
      conn.ws.close(4010, 'Invalid shard.');
      return;
    }
    conn.compressPayloads = d['compress'] === true && conn.zlib === null;
    const session: Session = {
      id: randomBytes(16).toString('hex'),
      seq: 0,
      shard,
      events: [],
      conn,
      invalid: false,
    };
    this.sessions.set(session.id, session);
    conn.session = session;
    this.identifies++;
    this.emit(session, 'READY', {
      ...this.config.ready(shard),
      session_id: session.id,
      session_type: 'normal',
      resume_gateway_url: this.config.url,
      shard,
    });
    if (intents & GUILDS_INTENT) {
      for (const guild of this.config.guildCreates(shard)) this.emit(session, 'GUILD_CREATE', guild);
    }
  }

  private resume(conn: Connection, d: Record<string, unknown>): void {
    if (conn.session) {
      conn.ws.close(4005, 'Already authenticated.');
      return;
    }
    if (!this.tokenMatches(d['token'])) {
      conn.ws.close(4004, 'Authentication failed.');
      return;
    }
    const session = typeof d['session_id'] === 'string' ? this.sessions.get(d['session_id']) : undefined;
    const seq = typeof d['seq'] === 'number' ? d['seq'] : -1;
    if (!session || session.invalid || seq < 0 || seq > session.seq) {
      conn.send({ op: 9, d: false, s: null, t: null });
      return;
    }
    if (session.conn && session.conn !== conn) session.conn.ws.close(4000, 'Session resumed elsewhere.');
    session.conn = conn;
    conn.session = session;
    for (const event of session.events) if (event.s > seq) conn.send(event);
    this.emit(session, 'RESUMED', { _trace: ['["fake-gateway",{}]'] });
  }

  private emit(session: Session, t: string, d: unknown): void {
    const event: Dispatch = { op: 0, t, s: ++session.seq, d };
    session.events.push(event);
    session.conn?.send(event);
  }

  /**
   * Test hook for races between processes on one shard: each entry sends the next dispatched event to that live
   * session of the shard only (0: the first to IDENTIFY), instead of every session.
   */
  readonly route: number[] = [];

  /**
   * Dispatches an event to EVERY session of the shard owning `guildId` (shard 0 for DMs), as Discord
   * does when several processes identified for one shard (a zero-downtime deploy): each live session
   * gets it now, a disconnected but resumable one on RESUME. Returns how many live sessions got it
   * now and how many resumable ones will on RESUME (both 0: nobody to send it to).
   */
  dispatch(t: string, d: unknown, guildId: string | null): { live: number; resumable: number } {
    const sent = { live: 0, resumable: 0 };
    // Test hook: the next event goes to this one live session of the shard (by order of IDENTIFY) only.
    const only = this.route.shift();
    if (only !== undefined) {
      const shardOf = (s: Session) =>
        guildId === null ? 0 : Number((BigInt(guildId) >> 22n) % BigInt(s.shard[1]));
      const live = [...this.sessions.values()].filter(
        (s) => !s.invalid && s.conn !== null && s.shard[0] === shardOf(s),
      );
      const target = live[only];
      if (target) this.emit(target, t, d);
      return { live: target ? 1 : 0, resumable: 0 };
    }
    for (const session of this.sessions.values()) {
      if (session.invalid) continue;
      const [id, count] = session.shard;
      const owner = guildId === null ? 0 : Number((BigInt(guildId) >> 22n) % BigInt(count));
      if (owner !== id) continue;
      this.emit(session, t, d);
      if (session.conn) sent.live++;
      else sent.resumable++;
    }
    return sent;
  }

  /** Closes every live connection with `code` (4000 by default, so clients resume). */
  disconnectAll(code = 4000, reason = 'Fake gateway disconnect.'): void {
    for (const conn of this.connections) conn.ws.close(code, reason);
  }

  /** Sends op 7 RECONNECT to every live connection. */
  requestReconnect(): void {
    for (const conn of this.connections) conn.send({ op: 7, d: null, s: null, t: null });
  }

  async close(): Promise<void> {
    for (const conn of this.connections) conn.ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
