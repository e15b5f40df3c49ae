import { ImageError, SelfieError } from '../../core/faces/index.ts';
import type { AlbumContext } from '../app.ts';
import { AlbumError } from '../errors.ts';
import type { Account } from '../records.ts';

export interface TokenParams {
  token: string;
}

export const tokenParamsSchema = {
  type: 'object',
  required: ['token'],
  properties: { token: { type: 'string', maxLength: 128 } },
} as const;

/** The account a token opens, or 404: unknown, rotated and deleted tokens look the same. */
export async function requireAlbum(ctx: AlbumContext, token: string): Promise<Account> {
  const account = await ctx.records.accountForToken(token);
  if (!account) throw new AlbumError('unknown_album');
  return account;
}

/** The face engine's refusals, in the album's vocabulary. Anything else is rethrown (a 500). */
export function toAlbumError(error: unknown): never {
  if (error instanceof ImageError) {
    if (error.code === 'too_large') throw new AlbumError('image_too_large', error.message, { cause: error });
    throw new AlbumError('not_an_image', error.message, { cause: error });
  }
  if (error instanceof SelfieError) throw new AlbumError(error.code, error.message, { cause: error });
  throw error;
}

export const albumUrl = (ctx: AlbumContext, token: string) => `${ctx.config.PUBLIC_URL}/a/${token}`;

/** Per-address limit for the routes that cost face work (@fastify/rate-limit, keyed by request.ip). */
export const rateLimited = (ctx: AlbumContext) => ({
  rateLimit: { max: ctx.config.UPLOAD_RATE_LIMIT, timeWindow: '1 minute', allowList: (request: { headers: Record<string, string | string[] | undefined> }) => ctx.isTrustedTerminal(request.headers) },
});
