import { createHash } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { AlbumContext } from '../app.ts';
import { parseFaceHints, type Analysis } from '../../core/faces/index.ts';
import { inspectImage, parseUsername, verifyWithRejections, type Verification } from '../checks.ts';
import { withoutLocation } from '../location.ts';
import { accountKey } from '../records.ts';
import { concurrencyCap, UPLOAD_CONCURRENCY } from '../concurrency.ts';
import { AlbumError } from '../errors.ts';
import { readMultipart } from '../multipart.ts';
import type { PhotoRecord } from '../records.ts';
import { checkUploadSignature } from '../signature.ts';
import { rateLimited, toAlbumError } from './common.ts';

/** Optional sender metadata: short printable text, or dropped. */
const metadataText = (value: string | undefined) =>
  value !== undefined && value.length > 0 && value.length <= 200 && !/[\u0000-\u001f\u007f]/.test(value) ? value : undefined;

/**
 * The patent's public upload interface: no password. Checks run cheapest first, and nothing is
 * written until every check has passed:
 *   1. buffer within limits (413), signature if UPLOAD_HMAC_SECRET is set (401), username shape (400),
 *      image type and size from the header bytes (400 / 413);
 *   2. account exists (404 unknown_account);
 *   3. already in the album? (200 duplicate: it passed the face check when it was stored);
 *   4. a face in the picture verifies against the account's references (422 no_matching_face): first only the
 *      faces around the packet's face hints (field `faceHints`, when sent), found and described from the album's
 *      own pixels; when none of them verifies, the whole picture, exactly as without hints;
 *   5. original bytes + thumbnail written atomically, then the metadata (201 stored).
 */
export const uploadRoutes: FastifyPluginAsync<AlbumContext> = async (app, ctx) => {
  const takeSlot = concurrencyCap(UPLOAD_CONCURRENCY);
  app.post('/api/upload', { config: rateLimited(ctx) }, async (request, reply) => {
    const { fields, files } = await readMultipart(request, { fileField: 'picture', maxFiles: 1, maxFileBytes: ctx.config.MAX_UPLOAD_BYTES });
    takeSlot(request, reply);
    const picture = files[0];
    if (!picture) throw new AlbumError('missing_picture');
    const sha256 = createHash('sha256').update(picture).digest('hex');
    const secret = ctx.config.UPLOAD_HMAC_SECRET;
    if (secret) {
      const signature = checkUploadSignature(secret, request.headers, { username: fields.username ?? '', sha256, group: fields.group, groupName: fields.groupName, terminal: fields.terminal });
      if (signature.kind === 'bad') throw new AlbumError('bad_signature');
      // A captured packet replayed within its window (after the owner deleted the photo, say) is refused.
      if (!(await ctx.records.rememberNonce(signature.replayKey, signature.expiresAt))) throw new AlbumError('bad_signature', 'This signed upload was already received once; a terminal signs each attempt anew.');
    }
    const username = parseUsername(fields.username);
    const image = await inspectImage(picture, ctx.config.MAX_UPLOAD_PIXELS);
    // What is stored and served: the picture without its location. The id stays the received bytes' sha256.
    const stored = withoutLocation(picture, image.format);

    const account = await ctx.records.getAccount(username);
    if (!account) throw new AlbumError('unknown_account');

    if (await ctx.records.getPhoto(username, sha256)) return reply.code(200).send({ status: 'duplicate', id: sha256 });

    const rejections = await ctx.rejections.rejections(accountKey(username));
    const verify = (a: Analysis) => verifyWithRejections(a, account, rejections, ctx.config.ALBUM_VERIFY_THRESHOLD);
    // The hinted check can only accept: any other answer leaves the decision to the whole picture's check.
    const hints = parseFaceHints(fields.faceHints);
    let analysis: Analysis | undefined;
    let verdict: Verification | undefined;
    let checked: 'hints' | 'whole' = 'whole';
    if (hints && ctx.engine.analyzeAround) {
      const around = await ctx.engine.analyzeAround(picture, hints).catch(toAlbumError);
      const hinted = verify(around);
      if (hinted.kind === 'match') [analysis, verdict, checked] = [around, hinted, 'hints'];
      request.log.debug({ hints: hints.length, faces: around.faces.length, verdict: hinted.kind }, 'hinted face check');
    }
    if (!analysis || !verdict) {
      analysis = await ctx.engine.analyze(picture, 'photo').catch(toAlbumError);
      verdict = verify(analysis);
    }
    if (verdict.kind === 'model_mismatch') {
      request.log.warn('account descriptors come from another face model; the owner must register again');
      throw new AlbumError('no_matching_face', 'The account owner must register their face again before photos can be verified.');
    }
    if (verdict.kind === 'rejected') {
      request.log.info({ faces: analysis.faces.length }, 'upload refused: the owner said this face is not them');
      throw new AlbumError('rejected_by_owner');
    }
    if (verdict.kind === 'no_match') {
      request.log.info({ faces: analysis.faces.length, distance: round(verdict.distance) }, 'upload refused: no matching face');
      throw new AlbumError('no_matching_face');
    }

    try {
      await ctx.storage.storePhoto(username, sha256, image.ext, stored);
    } catch (error) {
      // A failed write (a full disk) leaves no file without a record: the original may be written already.
      if (!(await ctx.records.getPhoto(username, sha256))) await ctx.storage.deletePhoto(username, sha256, image.ext).catch(() => {});
      throw error;
    }
    const group = metadataText(fields.group);
    const terminal = metadataText(fields.terminal);
    const groupName = metadataText(fields.groupName);
    const record: PhotoRecord = {
      id: sha256,
      ext: image.ext,
      mime: image.mime,
      bytes: stored.byteLength,
      width: analysis.width,
      height: analysis.height,
      receivedAt: new Date().toISOString(),
      ...(image.takenAt ? { takenAt: image.takenAt } : {}),
      ...(group ? { group } : {}),
      ...(terminal ? { terminal } : {}),
      ...(groupName ? { groupName } : {}),
      faceBox: verdict.box,
      distance: round(verdict.distance),
    };
    const { outcome } = await ctx.records.addPhoto(username, record).catch(async (error: unknown) => {
      await ctx.storage.deletePhoto(username, sha256, image.ext).catch(() => {});
      throw error;
    });
    if (outcome === 'gone') {
      // The owner deleted the account while this photo was being checked: leave nothing behind.
      await ctx.storage.deleteAlbum(username);
      throw new AlbumError('unknown_account');
    }
    request.log.info({ outcome, distance: record.distance, checked }, 'upload accepted');
    return reply.code(outcome === 'stored' ? 201 : 200).send({ status: outcome, id: sha256 });
  });
};

const round = (n: number) => (Number.isFinite(n) ? Math.round(n * 10000) / 10000 : n);
