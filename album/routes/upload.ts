import type { FastifyPluginAsync } from 'fastify';
import type { AlbumContext } from '../app.ts';
import { concurrencyCap, UPLOAD_CONCURRENCY } from '../concurrency.ts';
import { readMultipart } from '../multipart.ts';
import { AlbumUpload } from '../upload.ts';
import { rateLimited } from './common.ts';

/**
 * The patent's public upload interface: no password. Receiving is this route's: the multipart body read with
 * its bounds (413), a slot taken (429); the other units (extraction, account check, face verification,
 * storage) are album/upload.ts's, and their refusals come back as the API's error codes:
 *   1. signature if UPLOAD_HMAC_SECRET is set (401), username shape (400), image type and size from the header
 *      bytes (400 / 413);
 *   2. account exists (404 unknown_account);
 *   3. already in the album? (200 duplicate: it passed the face check when it was stored);
 *   4. a face in the picture verifies against the account's references (422 no_matching_face, rejected_by_owner):
 *      first only the faces around the packet's face hints (field `faceHints`, when sent), found and described from
 *      the album's own pixels; when none of them verifies, the whole picture, exactly as without hints;
 *   5. original bytes + thumbnail written atomically, then the metadata (201 stored).
 */
export const uploadRoutes: FastifyPluginAsync<AlbumContext> = async (app, ctx) => {
  const takeSlot = concurrencyCap(UPLOAD_CONCURRENCY);
  const upload = new AlbumUpload(ctx);
  app.post('/api/upload', { config: rateLimited(ctx) }, async (request, reply) => {
    const { fields, files } = await readMultipart(request, { fileField: 'picture', maxFiles: 1, maxFileBytes: ctx.config.MAX_UPLOAD_BYTES });
    takeSlot(request, reply);
    const result = await upload.accept({ fields, picture: files[0], headers: request.headers }, request.log);
    return reply.code(result.status === 'stored' ? 201 : 200).send(result);
  });
};
