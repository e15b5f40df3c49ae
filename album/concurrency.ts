// Requests that cost face work hold a slot while they run: at most `perAddress` at once from one client
// address and `total` from everyone, so one client cannot queue up the face engine (or memory, 5 selfies
// of MAX_UPLOAD_BYTES each) for all. A request over the cap is refused at once: 429 with Retry-After.
// The slot is taken once the body is in: a client that sends slowly holds a socket, never a slot, and
// the body timeouts below close such sockets (slowloris).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AlbumError } from './errors.ts';

export interface ConcurrencyLimit {
  perAddress: number;
  total: number;
  /** Seconds a refused client is told to wait (Retry-After). */
  retryAfterS: number;
}

/** Account creation runs up to 5 selfies through the face engine; uploads one picture. */
export const ACCOUNT_CONCURRENCY: ConcurrencyLimit = { perAddress: 4, total: 16, retryAfterS: 2 };
/** A terminal delivers a photo to each matched member at once, from one address: room for a big group photo. */
export const UPLOAD_CONCURRENCY: ConcurrencyLimit = { perAddress: 16, total: 64, retryAfterS: 1 };

/** Bodies being received at once, from one address and in all (any route): bounds what senders hold open. */
export const BODIES_PER_ADDRESS = 32;
export const BODIES_TOTAL = 256;

/**
 * How long a client may take (README, "Limits"): the request line and headers within `headersMs`; a body
 * at no less than `minBodyBytesPerS` on average once `bodyGraceMs` have passed; the whole request within
 * `requestMs`; a socket silent for `idleMs` is closed.
 */
export const CLIENT_TIMEOUTS = {
  headersMs: 10_000,
  bodyGraceMs: 5_000,
  minBodyBytesPerS: 1024,
  requestMs: 300_000,
  idleMs: 30_000,
  /** How often Node looks for requests past headersMs / requestMs. */
  checkEveryMs: 1_000,
} as const;

/** Takes a slot for the rest of the request, or throws 429 rate_limited. Call once the body is read. */
export function concurrencyCap(limit: ConcurrencyLimit) {
  const byAddress = new Map<string, number>();
  let total = 0;
  return function takeSlot(request: FastifyRequest, reply: FastifyReply): void {
    const address = request.ip;
    const mine = byAddress.get(address) ?? 0;
    if (mine >= limit.perAddress || total >= limit.total) {
      void reply.header('retry-after', String(limit.retryAfterS));
      throw new AlbumError('rate_limited', `Too many requests at once${mine >= limit.perAddress ? ' from this address' : ''}. Try again in ${limit.retryAfterS} s.`);
    }
    byAddress.set(address, mine + 1);
    total++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      total--;
      const left = (byAddress.get(address) ?? 1) - 1;
      if (left > 0) byAddress.set(address, left);
      else byAddress.delete(address);
    };
    reply.raw.once('finish', release);
    reply.raw.once('close', release);
  };
}

/**
 * An onRequest hook for requests with a body: at most BODIES_PER_ADDRESS at once per address (BODIES_TOTAL in
 * all), and a body
 * slower than CLIENT_TIMEOUTS.minBodyBytesPerS (after the grace time) is answered 408 and its socket closed.
 * Bytes are counted on the socket, so the body stream is left untouched for the route.
 */
export function bodyGuard(timeouts: typeof CLIENT_TIMEOUTS = CLIENT_TIMEOUTS) {
  const receiving = new Map<string, number>();
  let total = 0;
  return async function guardBody(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const raw = request.raw;
    if (raw.headers['content-length'] === undefined && raw.headers['transfer-encoding'] === undefined) return;
    if (raw.readableEnded || raw.complete) return;
    const address = request.ip;
    const mine = receiving.get(address) ?? 0;
    if (mine >= BODIES_PER_ADDRESS || total >= BODIES_TOTAL) {
      void reply.header('retry-after', '1');
      throw new AlbumError('rate_limited', `Too many uploads under way${mine >= BODIES_PER_ADDRESS ? ' from this address' : ''}. Try again in 1 s.`);
    }
    receiving.set(address, mine + 1);
    total++;
    const socket = raw.socket;
    const start = Date.now();
    const startBytes = socket.bytesRead;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearInterval(timer);
      total--;
      const left = (receiving.get(address) ?? 1) - 1;
      if (left > 0) receiving.set(address, left);
      else receiving.delete(address);
    };
    const timer = setInterval(() => {
      if (raw.complete) return finish();
      const elapsed = Date.now() - start;
      if (elapsed < timeouts.bodyGraceMs) return;
      if (socket.bytesRead - startBytes >= (timeouts.minBodyBytesPerS * elapsed) / 1000) return;
      finish();
      request.log.info({ elapsedMs: elapsed }, 'request body too slow: connection closed');
      if (!socket.destroyed && !reply.raw.headersSent) {
        const body = JSON.stringify({ error: 'request_timeout', message: 'The request body arrived far too slowly.' });
        socket.end(`HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      }
      setTimeout(() => socket.destroy(), 100).unref();
    }, 1000);
    timer.unref();
    raw.once('end', finish);
    raw.once('close', finish);
    reply.raw.once('close', finish);
  };
}

/** Most selfies one account request may carry. */
export const MAX_SELFIES_PER_REQUEST = 5;
