import fs from 'node:fs/promises';
import type { FastifyPluginAsync } from 'fastify';
import type { Box } from '../../core/faces/index.ts';
import type { AlbumContext } from '../app.ts';
import { PHOTO_ID_PATTERN } from '../checks.ts';
import { AlbumError } from '../errors.ts';
import { accountKey } from '../records.ts';
import { requireAlbum, toAlbumError, tokenParamsSchema, type TokenParams } from './common.ts';

const paramsSchema = {
  type: 'object',
  required: ['token', 'id'],
  properties: { token: { type: 'string', maxLength: 128 }, id: { type: 'string', maxLength: 128 } },
} as const;

/** How far apart two boxes' centres are, in face widths: the stored match box finds its face again. */
const boxGap = (a: Box, b: Box) => Math.hypot(a.x + a.width / 2 - (b.x + b.width / 2), a.y + a.height / 2 - (b.y + b.height / 2)) / Math.max(1, a.width);

/**
 * "Not me" (the album link's token is the credential): the photo leaves the album, and the face that matched
 * its owner becomes one they rejected, so the upload check refuses faces nearer to it than to the owner's
 * references from then on (422 rejected_by_owner). Terminals learn it from that answer.
 */
export const notMeRoutes: FastifyPluginAsync<AlbumContext> = async (app, ctx) => {
  app.post<{ Params: TokenParams & { id: string } }>('/api/albums/:token/photos/:id/not-me', { schema: { params: paramsSchema } }, async (request) => {
    const account = await requireAlbum(ctx, request.params.token);
    if (!PHOTO_ID_PATTERN.test(request.params.id)) throw new AlbumError('unknown_photo');
    const photo = await ctx.records.getPhoto(account.username, request.params.id);
    if (!photo) throw new AlbumError('unknown_photo');
    const bytes = await fs.readFile(ctx.storage.photoPath(account.username, photo.id, photo.ext));
    const analysis = await ctx.engine.analyze(bytes, 'photo').catch(toAlbumError);
    const face = analysis.faces.reduce<(typeof analysis.faces)[number] | undefined>((best, f) => (!best || boxGap(photo.faceBox, f.box) < boxGap(photo.faceBox, best.box) ? f : best), undefined);
    // Recorded before the photo goes: a crash in between leaves the photo, and pressing again finishes it.
    if (face && boxGap(photo.faceBox, face.box) < 0.5) await ctx.rejections.addRejection(accountKey(account.username), photo.id, face.descriptor);
    await ctx.records.removePhoto(account.username, photo.id);
    await ctx.storage.deletePhoto(account.username, photo.id, photo.ext);
    request.log.info('photo removed: not the owner');
    return { status: 'not_me', id: photo.id };
  });

  // The owner's "not me"s, each with an undo: one mistaken tap must not block their own face for ever.
  // Only the photo's id and the time are shown: no picture of the rejected face is kept (it may be a stranger's).
  app.get<{ Params: TokenParams }>('/api/albums/:token/rejections', { schema: { params: tokenParamsSchema } }, async (request, reply) => {
    const account = await requireAlbum(ctx, request.params.token);
    void reply.header('cache-control', 'no-store');
    const rejections = await ctx.rejections.listRejections(accountKey(account.username));
    return { rejections: rejections.map((r) => ({ id: r.sha256, rejectedAt: new Date(r.createdAt).toISOString() })) };
  });

  app.delete<{ Params: TokenParams & { id: string } }>('/api/albums/:token/rejections/:id', { schema: { params: paramsSchema } }, async (request) => {
    const account = await requireAlbum(ctx, request.params.token);
    if (!PHOTO_ID_PATTERN.test(request.params.id) || !(await ctx.rejections.removeRejection(accountKey(account.username), request.params.id))) throw new AlbumError('unknown_rejection');
    request.log.info('"not me" undone');
    return { status: 'deleted', id: request.params.id };
  });
};
