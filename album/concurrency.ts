// Requests that cost face work hold a slot while they run: at most `perAddress` at once from one client
// address and `total` from everyone, so one client cannot queue up the face engine (or memory, 5 selfies
// of MAX_UPLOAD_BYTES each) for all. A request over the cap is refused at once: 429 with Retry-After.
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

/** An onRequest hook that holds a slot until the response is sent or the connection closes. */
export function concurrencyCap(limit: ConcurrencyLimit) {
  const byAddress = new Map<string, number>();
  let total = 0;
  return async function capConcurrency(request: FastifyRequest, reply: FastifyReply): Promise<void> {
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
