import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { FastifyBaseLogger, FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { FaceEngine } from '../../core/faces/index.ts';
import type { AlbumContext } from '../app.ts';
import { inspectImage, mimeOfExt, parseUsername } from '../checks.ts';
import { ACCOUNT_CONCURRENCY, concurrencyCap, MAX_SELFIES_PER_REQUEST } from '../concurrency.ts';
import { AlbumError } from '../errors.ts';
import { withoutLocation } from '../location.ts';
import { readMultipart } from '../multipart.ts';
import { checkAccountSignature } from '../signature.ts';
import { hashToken, newToken, type Account, type Reference } from '../records.ts';
import { albumUrl, rateLimited, requireAlbum, toAlbumError, tokenParamsSchema, type TokenParams } from './common.ts';

interface Selfie {
  reference: Reference;
  bytes: Buffer;
  descriptorModel: string;
}

/** Each file must be an image holding exactly one clear face; its descriptor becomes a reference. */
async function readSelfies(engine: FaceEngine, files: Buffer[], maxPixels: number | undefined, keep: boolean): Promise<Selfie[]> {
  if (files.length === 0) throw new AlbumError('missing_face');
  const selfies: Selfie[] = [];
  for (const bytes of files) {
    const image = await inspectImage(bytes, maxPixels);
    // A kept selfie is stored without its location, like a photo (a damaged one is refused before face work).
    const stored = keep ? withoutLocation(bytes, image.format) : bytes;
    const { face, analysis } = await engine.selfie(bytes).catch(toAlbumError);
    selfies.push({
      bytes: stored,
      descriptorModel: analysis.descriptorModel,
      reference: {
        id: randomUUID(),
        descriptor: face.descriptor,
        box: face.box,
        sha256: analysis.sha256,
        addedAt: new Date().toISOString(),
        keptImageExt: image.ext,
      },
    });
  }
  return selfies;
}

const usernameParamsSchema = {
  type: 'object',
  required: ['username'],
  properties: { username: { type: 'string', maxLength: 64 } },
} as const;

/** The owner may ask to keep the selfie images ("keepSelfies=true"); by default only descriptors are kept. */
const wantsSelfiesKept = (value: string | undefined) => value !== undefined && /^(1|true|yes|on)$/i.test(value);

export const accountRoutes: FastifyPluginAsync<AlbumContext> = async (app, ctx) => {
  const maxFileBytes = ctx.config.MAX_UPLOAD_BYTES;
  const takeSlot = concurrencyCap(ACCOUNT_CONCURRENCY);

  app.post('/api/accounts', { config: rateLimited(ctx) }, async (request, reply) => {
    const { fields, files } = await readMultipart(request, { fileField: 'face', maxFiles: MAX_SELFIES_PER_REQUEST, maxFileBytes });
    takeSlot(request, reply);
    const secret = ctx.config.UPLOAD_HMAC_SECRET;
    if (ctx.config.ACCOUNT_SIGNATURE_REQUIRED && secret) {
      const faceSha256s = files.map((f) => createHash('sha256').update(f).digest('hex'));
      const signature = checkAccountSignature(secret, request.headers, { username: fields.username ?? '', faceSha256s, keepSelfies: fields.keepSelfies });
      if (signature.kind === 'bad' || !(await ctx.records.rememberNonce(signature.replayKey, signature.expiresAt))) {
        throw new AlbumError('bad_signature', 'This server creates accounts only for trusted terminals; the signature is missing, wrong, stale or used before.');
      }
    }
    const username = parseUsername(fields.username);
    // Cheap before costly: a taken name is refused before any face work.
    if (await ctx.records.getAccount(username)) throw new AlbumError('username_taken');
    const keep = wantsSelfiesKept(fields.keepSelfies);
    const selfies = await readSelfies(ctx.engine, files, ctx.config.MAX_UPLOAD_PIXELS, keep);
    const token = newToken();
    // Held by the terminal alone: /forget deletes through it even after the owner made a new link.
    const deletionKey = newToken();
    const account: Account = {
      username,
      createdAt: new Date().toISOString(),
      tokenHash: hashToken(token),
      deletionKeyHash: hashToken(deletionKey),
      descriptorModel: selfies[0]!.descriptorModel,
      references: selfies.map((s) => withoutKeptImage(s.reference, keep)),
    };
    // Files a deletion interrupted by a crash may have left under this name belong to nobody now.
    await ctx.storage.deleteAlbum(username);
    if (!(await ctx.records.createAccount(account))) throw new AlbumError('username_taken');
    if (keep) for (const s of selfies) await ctx.storage.storeSelfie(username, s.reference.sha256, s.reference.keptImageExt!, s.bytes);
    request.log.info({ references: selfies.length }, 'account created');
    return reply.code(201).send({ username, token, albumUrl: albumUrl(ctx, token), deletionKey });
  });

  // Does this album have the account? What an upload's 404 already tells anyone, asked without a picture:
  // a terminal checks a contact's address before it stores it (facedrop contacts add).
  app.get<{ Params: { username: string } }>('/api/accounts/:username', { config: rateLimited(ctx) }, async (request) => {
    const account = await ctx.records.getAccount(parseUsername(request.params.username));
    if (!account) throw new AlbumError('unknown_account');
    return { username: account.username };
  });

  // Owner actions: the album token is the only key.
  app.post<{ Params: TokenParams }>('/api/albums/:token/faces', { schema: { params: tokenParamsSchema }, config: rateLimited(ctx) }, async (request, reply) => {
    const account = await requireAlbum(ctx, request.params.token);
    const { fields, files } = await readMultipart(request, { fileField: 'face', maxFiles: MAX_SELFIES_PER_REQUEST, maxFileBytes });
    const keep = wantsSelfiesKept(fields.keepSelfies);
    const selfies = await readSelfies(ctx.engine, files, ctx.config.MAX_UPLOAD_PIXELS, keep);
    if (selfies.some((s) => s.descriptorModel !== account.descriptorModel)) {
      throw new AlbumError('bad_request', 'The face model changed since this account was made; delete the account and register again.');
    }
    const updated = await ctx.records.addReferences(account.username, selfies.map((s) => withoutKeptImage(s.reference, keep)));
    if (!updated) throw new AlbumError('unknown_album');
    if (keep) for (const s of selfies) await ctx.storage.storeSelfie(account.username, s.reference.sha256, s.reference.keptImageExt!, s.bytes);
    return reply.code(201).send({ username: updated.username, references: updated.references.length });
  });

  app.get<{ Params: TokenParams }>('/api/albums/:token/faces', { schema: { params: tokenParamsSchema } }, async (request, reply) => {
    const account = await requireAlbum(ctx, request.params.token);
    void reply.header('cache-control', 'no-store');
    return {
      username: account.username,
      references: account.references.map((r) => ({
        id: r.id,
        addedAt: r.addedAt,
        box: r.box,
        ...(r.keptImageExt ? { imageUrl: `/api/albums/${request.params.token}/faces/${r.id}` } : {}),
      })),
    };
  });

  app.get<{ Params: TokenParams & { id: string } }>('/api/albums/:token/faces/:id', async (request, reply) => {
    const account = await requireAlbum(ctx, request.params.token);
    const reference = account.references.find((r) => r.id === request.params.id);
    if (!reference?.keptImageExt) throw new AlbumError('not_found', 'No kept selfie with that id.');
    const file = ctx.storage.selfiePath(account.username, reference.sha256, reference.keptImageExt);
    return reply.header('cache-control', 'private, no-store').type(mimeOfExt(reference.keptImageExt)).send(createReadStream(file));
  });

  // The owner withdrew their face (facedrop's /forget): the album keeps its photos but no face, so it accepts
  // nothing until faces are added again.
  const deleteFaces = async (account: Account, log: FastifyBaseLogger) => {
    await ctx.records.deleteReferences(account.username);
    for (const r of account.references) if (r.keptImageExt) await ctx.storage.deleteSelfie(account.username, r.sha256, r.keptImageExt);
    log.info({ references: account.references.length }, 'account faces deleted');
    return { status: 'deleted', references: account.references.length };
  };
  const deleteAccount = async (account: Account, log: FastifyBaseLogger) => {
    await ctx.records.deleteAccount(account);
    await ctx.storage.deleteAlbum(account.username);
    log.info('account deleted');
    return { status: 'deleted' };
  };
  /** The account a deletion key (`Authorization: Bearer <key>`) opens; 404 when it is gone, 401 for a wrong key. */
  const requireDeletionKey = async (request: FastifyRequest<{ Params: { username: string } }>): Promise<Account> => {
    const username = parseUsername(request.params.username);
    const bearer = /^Bearer ([A-Za-z0-9_-]{1,128})$/.exec(request.headers.authorization ?? '')?.[1];
    const found = await ctx.records.accountForDeletionKey(username, bearer);
    if (found === 'unknown') throw new AlbumError('unknown_account');
    if (found === 'refused') throw new AlbumError('bad_deletion_key');
    return found;
  };

  app.delete<{ Params: TokenParams }>('/api/albums/:token/faces', { schema: { params: tokenParamsSchema } }, async (request) =>
    deleteFaces(await requireAlbum(ctx, request.params.token), request.log),
  );
  // The same deletions through the deletion key the account was created with (a new link leaves it).
  app.delete<{ Params: { username: string } }>('/api/accounts/:username/faces', { schema: { params: usernameParamsSchema }, config: rateLimited(ctx) }, async (request) =>
    deleteFaces(await requireDeletionKey(request), request.log),
  );
  app.delete<{ Params: { username: string } }>('/api/accounts/:username', { schema: { params: usernameParamsSchema }, config: rateLimited(ctx) }, async (request) =>
    deleteAccount(await requireDeletionKey(request), request.log),
  );

  // Accounts made before deletion keys: the link's holder (the terminal that made it) gets one, once.
  app.post<{ Params: TokenParams }>('/api/albums/:token/deletion-key', { schema: { params: tokenParamsSchema } }, async (request) => {
    const account = await requireAlbum(ctx, request.params.token);
    const deletionKey = newToken();
    if (!(await ctx.records.setDeletionKeyHash(account.username, hashToken(deletionKey)))) throw new AlbumError('deletion_key_exists');
    return { username: account.username, deletionKey };
  });

  app.post<{ Params: TokenParams }>('/api/albums/:token/token', { schema: { params: tokenParamsSchema } }, async (request) => {
    const account = await requireAlbum(ctx, request.params.token);
    const token = newToken();
    const updated = await ctx.records.rotateToken(account.username, hashToken(token));
    if (!updated) throw new AlbumError('unknown_album');
    return { username: updated.username, token, albumUrl: albumUrl(ctx, token) };
  });

  app.delete<{ Params: TokenParams }>('/api/albums/:token', { schema: { params: tokenParamsSchema } }, async (request) =>
    deleteAccount(await requireAlbum(ctx, request.params.token), request.log),
  );
};

function withoutKeptImage(reference: Reference, keep: boolean): Reference {
  if (keep) return reference;
  const { keptImageExt: _dropped, ...rest } = reference;
  return rest;
}

