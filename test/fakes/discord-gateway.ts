// A fake Discord gateway (API v10, JSON encoding, no compression) on 127.0.0.1: HELLO, IDENTIFY ->
// READY + GUILD_CREATE, heartbeat ACKs, then dispatches driven by the test with increasing sequence numbers.
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { randomToken } from './discord-payloads.ts';

/** GUILD_PRESENCES, GUILD_MEMBERS, MESSAGE_CONTENT: the privileged intents. */
export const PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | (1 << 15);

export interface FakeGatewayOptions {
  token: string;
  /** Whether the application may use privileged intents; when not, IDENTIFY asking for one is closed with 4014. */
  privilegedIntents: boolean;
  ready: () => { user: unknown; application: { id: string; flags: number }; guilds: Array<{ id: string }> };
  /** GUILD_CREATE payloads sent after READY. */
  guilds: () => unknown[];
  heartbeatIntervalMs?: number;
}

interface Session {
  socket: WebSocket;
  seq: number;
  sessionId: string;
  identified: boolean;
}

export class FakeDiscordGateway {
  /** Every IDENTIFY received: its intents and whether it was accepted. */
  readonly identifies: Array<{ intents: number; accepted: boolean; query: string }> = [];
  readonly closeCodes: number[] = [];
  readonly #sessions = new Set<Session>();
  #wss: WebSocketServer | undefined;
  #url = '';

  constructor(readonly options: FakeGatewayOptions) {}

  async listen(): Promise<string> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => wss.once('listening', resolve));
    this.#wss = wss;
    this.#url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
    wss.on('connection', (socket, req) => this.#accept(socket, req.url ?? ''));
    return this.#url;
  }

  get url(): string {
    return this.#url;
  }

  /** Sessions that completed IDENTIFY and got READY. */
  get readySessions(): number {
    return [...this.#sessions].filter((s) => s.identified).length;
  }

  /** Sends a dispatch (op 0) to every ready session, each with its next sequence number. */
  dispatch(t: string, d: unknown): void {
    for (const session of this.#sessions) if (session.identified) this.#send(session, { op: 0, t, s: ++session.seq, d });
  }

  async close(): Promise<void> {
    for (const s of this.#sessions) s.socket.terminate();
    this.#sessions.clear();
    await new Promise<void>((resolve) => (this.#wss ? this.#wss.close(() => resolve()) : resolve()));
  }

  #send(session: Session, payload: unknown): void {
    session.socket.send(JSON.stringify(payload));
  }

  #accept(socket: WebSocket, path: string): void {
    const query = new URL(path, 'ws://x').searchParams;
    // discord.js asks for ?v=10&encoding=json; compression would need zlib-sync, which is not installed.
    if (query.get('v') !== '10' || query.get('encoding') !== 'json' || query.has('compress')) {
      socket.close(4012, 'Invalid API version');
      return;
    }
    const session: Session = { socket, seq: 0, sessionId: randomToken(16), identified: false };
    this.#sessions.add(session);
    socket.on('close', (code) => {
      this.closeCodes.push(code);
      this.#sessions.delete(session);
    });
    socket.on('message', (data) => this.#receive(session, JSON.parse(String(data)) as { op: number; d: unknown }, query.toString()));
    this.#send(session, { op: 10, s: null, t: null, d: { heartbeat_interval: this.options.heartbeatIntervalMs ?? 41_250 } });
  }

  #receive(session: Session, payload: { op: number; d: unknown }, query: string): void {
    switch (payload.op) {
      case 1: // heartbeat
        this.#send(session, { op: 11, s: null, t: null, d: null });
        return;
      case 2: {
        const d = payload.d as { token: string; intents: number };
        if (d.token !== this.options.token) {
          this.identifies.push({ intents: d.intents, accepted: false, query });
          session.socket.close(4004, 'Authentication failed.');
          return;
        }
        if (session.identified) {
          session.socket.close(4005, 'Already authenticated.');
          return;
        }
        if (!this.options.privilegedIntents && (d.intents & PRIVILEGED_INTENTS) !== 0) {
          this.identifies.push({ intents: d.intents, accepted: false, query });
          session.socket.close(4014, 'Disallowed intent(s).');
          return;
        }
        this.identifies.push({ intents: d.intents, accepted: true, query });
        session.identified = true;
        const ready = this.options.ready();
        this.#send(session, {
          op: 0,
          t: 'READY',
          s: ++session.seq,
          d: {
            v: 10,
            user: ready.user,
            guilds: ready.guilds.map((g) => ({ id: g.id, unavailable: true })),
            session_id: session.sessionId,
            resume_gateway_url: this.#url,
            shard: [0, 1],
            application: ready.application,
            private_channels: [],
            relationships: [],
            presences: [],
            guild_join_requests: [],
            user_settings: {},
          },
        });
        for (const g of this.options.guilds()) this.#send(session, { op: 0, t: 'GUILD_CREATE', s: ++session.seq, d: g });
        return;
      }
      case 6: // resume: not kept across connections here; Discord then says "invalid session, do not resume"
        this.#send(session, { op: 9, s: null, t: null, d: false });
        return;
      default:
        return; // presence updates, member requests: ignored
    }
  }
}
