import fs from 'node:fs';
import { ZipArchive } from 'archiver';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { AlbumContext } from '../app.ts';
import { PHOTO_ID_PATTERN } from '../checks.ts';
import { AlbumError } from '../errors.ts';
import type { Account, PhotoCursor, PhotoRecord } from '../records.ts';
import { requireAlbum, tokenParamsSchema, type TokenParams } from './common.ts';

interface PhotoParams extends TokenParams {
  id: string;
}

const photoParamsSchema = {
  type: 'object',
  required: ['token', 'id'],
  properties: { token: { type: 'string', maxLength: 128 }, id: { type: 'string', maxLength: 128 } },
} as const;

/** Public shape of a photo in `GET /api/albums/:token`. */
export function photoView(token: string, photo: PhotoRecord) {
  const base = `/api/albums/${token}/photos/${photo.id}`;
  return {
    id: photo.id,
    url: base,
    thumbnailUrl: `${base}/thumbnail`,
    downloadUrl: `${base}?download=1`,
    sha256: photo.id,
    receivedAt: photo.receivedAt,
    ...(photo.takenAt ? { takenAt: photo.takenAt } : {}),
    mime: photo.mime,
    bytes: photo.bytes,
    width: photo.width,
    height: photo.height,
    ...(photo.group ? { group: photo.group } : {}),
    ...(photo.terminal ? { terminal: photo.terminal } : {}),
    ...(photo.groupName ? { groupName: photo.groupName } : {}),
  };
}

/** Photos per page of `GET /api/albums/:token` when no limit is asked, and the most one page holds. */
export const PAGE_DEFAULT = 200;
export const PAGE_MAX = 1000;

/** Where the next page starts: the last photo's time and id, opaque to clients. */
export const encodeCursor = (photo: PhotoRecord) => Buffer.from(JSON.stringify([photo.takenAt ?? photo.receivedAt, photo.id])).toString('base64url');

export function decodeCursor(text: string): PhotoCursor {
  try {
    const [receivedAt, id] = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown[];
    if (typeof receivedAt === 'string' && typeof id === 'string' && PHOTO_ID_PATTERN.test(id)) return { receivedAt, id };
  } catch {
    // falls through to the error below
  }
  throw new AlbumError('bad_request', 'The cursor is not one this album gave.');
}

/** One page, newest first, and the cursor of the next one (null on the last page). */
export async function photoPage(ctx: AlbumContext, username: string, query: { cursor?: string; limit?: number }): Promise<{ photos: PhotoRecord[]; nextCursor: string | null }> {
  const limit = query.limit ?? PAGE_DEFAULT;
  const cursor = query.cursor ? decodeCursor(query.cursor) : undefined;
  const rows = await ctx.records.listPhotos(username, { ...(cursor ? { cursor } : {}), limit: limit + 1 });
  const photos = rows.slice(0, limit);
  return { photos, nextCursor: rows.length > limit ? encodeCursor(photos.at(-1)!) : null };
}

/** A download name a person can read: the date received and the start of the hash. */
export const downloadName = (photo: PhotoRecord) => `facedrop-${(photo.takenAt ?? photo.receivedAt).slice(0, 10)}-${photo.id.slice(0, 12)}.${photo.ext}`;

async function requirePhoto(ctx: AlbumContext, params: PhotoParams): Promise<{ account: Account; photo: PhotoRecord }> {
  const account = await requireAlbum(ctx, params.token);
  // Ids are checked against a strict pattern and then looked up in the album's records: no request text reaches a path.
  if (!PHOTO_ID_PATTERN.test(params.id)) throw new AlbumError('unknown_photo');
  const photo = await ctx.records.getPhoto(account.username, params.id);
  if (!photo) throw new AlbumError('unknown_photo');
  return { account, photo };
}

function sendFile(reply: FastifyReply, file: string, mime: string): FastifyReply {
  const stream = fs.createReadStream(file);
  // no-store: a deleted, "not me" or old-link photo must not outlive its deletion in a browser's cache
  // (a year, with the old immutable header); the cost is a thumbnail fetched again on each visit.
  return reply.header('cache-control', 'private, no-store').header('x-content-type-options', 'nosniff').type(mime).send(stream);
}

export const albumRoutes: FastifyPluginAsync<AlbumContext> = async (app, ctx) => {
  // Paginated: the first page has today's shape plus `nextCursor`; pass it back as ?cursor= for the next.
  app.get<{ Params: TokenParams; Querystring: { cursor?: string; limit?: number } }>(
    '/api/albums/:token',
    {
      schema: {
        params: tokenParamsSchema,
        querystring: { type: 'object', properties: { cursor: { type: 'string', maxLength: 512 }, limit: { type: 'integer', minimum: 1, maximum: PAGE_MAX } } },
      },
    },
    async (request, reply) => {
      const account = await requireAlbum(ctx, request.params.token);
      const { photos, nextCursor } = await photoPage(ctx, account.username, request.query);
      void reply.header('cache-control', 'no-store');
      return { username: account.username, photos: photos.map((p) => photoView(request.params.token, p)), nextCursor };
    },
  );

  app.get<{ Params: PhotoParams; Querystring: { download?: string } }>(
    '/api/albums/:token/photos/:id',
    { schema: { params: photoParamsSchema } },
    async (request, reply) => {
      const { account, photo } = await requirePhoto(ctx, request.params);
      if (request.query.download !== undefined) void reply.header('content-disposition', `attachment; filename="${downloadName(photo)}"`);
      return sendFile(reply, ctx.storage.photoPath(account.username, photo.id, photo.ext), photo.mime);
    },
  );

  app.get<{ Params: PhotoParams }>('/api/albums/:token/photos/:id/thumbnail', { schema: { params: photoParamsSchema } }, async (request, reply) => {
    const { account, photo } = await requirePhoto(ctx, request.params);
    return sendFile(reply, ctx.storage.thumbnailPath(account.username, photo.id), 'image/jpeg');
  });

  app.delete<{ Params: PhotoParams }>('/api/albums/:token/photos/:id', { schema: { params: photoParamsSchema } }, async (request) => {
    const { account, photo } = await requirePhoto(ctx, request.params);
    // Record first: the photo leaves the album at once, and a crash before the files go leaves only an orphan file.
    await ctx.records.removePhoto(account.username, photo.id);
    await ctx.storage.deletePhoto(account.username, photo.id, photo.ext);
    return { status: 'deleted', id: photo.id };
  });

  // Download all: a zip streamed as it is built (photos are already compressed, so entries are stored).
  app.get<{ Params: TokenParams }>('/api/albums/:token/download', { schema: { params: tokenParamsSchema } }, async (request, reply) => {
    const account = await requireAlbum(ctx, request.params.token);
    const photos = await ctx.records.listPhotos(account.username);
    const zip = new ZipArchive({ store: true });
    zip.on('warning', (error) => request.log.warn({ err: error }, 'zip warning'));
    zip.on('error', (error) => {
      request.log.error({ err: error }, 'zip failed');
      zip.destroy(error);
    });
    for (const photo of photos) {
      zip.file(ctx.storage.photoPath(account.username, photo.id, photo.ext), { name: downloadName(photo), date: new Date(photo.receivedAt) });
    }
    zip.finalize().catch((error: unknown) => request.log.error({ err: error }, 'zip failed'));
    return reply
      .header('cache-control', 'no-store')
      .header('content-disposition', `attachment; filename="facedrop-${account.username}.zip"`)
      .type('application/zip')
      .send(zip);
  });
};
