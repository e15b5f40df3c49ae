import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { FastifyPluginAsync } from 'fastify';
import type { FaceEngine } from '../../core/faces/index.ts';
import { MAX_SELFIES_PER_REQUEST, type AlbumContext } from '../app.ts';
import { inspectImage, mimeOfExt, parseUsername } from '../checks.ts';
import { ACCOUNT_CONCURRENCY, concurrencyCap } from '../concurrency.ts';
import { AlbumError } from '../errors.ts';
import { readMultipart } from '../multipart.ts';
import { hashToken, newToken, type Account, type Reference } from '../records.ts';
import { albumUrl, rateLimited, requireAlbum, toAlbumError, tokenParamsSchema, type TokenParams } from './common.ts';

interface Selfie {
  reference: Reference;
  bytes: Buffer;
  descriptorModel: string;
}

/** Each file must be an image holding exactly one clear face; its descriptor becomes a reference. */
async function readSelfies(engine: FaceEngine, files: Buffer[]): Promise<Selfie[]> {
  if (files.length === 0) throw new AlbumError('missing_face');
  const selfies: Selfie[] = [];
  for (const bytes of files) {
    const image = await inspectImage(bytes);
    const { face, analysis } = await engine.selfie(bytes).catch(toAlbumError);
    selfies.push({
      bytes,
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

/** The owner may ask to keep the selfie images ("keepSelfies=true"); by default only descriptors are kept. */
const wantsSelfiesKept = (value: string | undefined) => value !== undefined && /^(1|true|yes|on)$/i.test(value);

export const accountRoutes: FastifyPluginAsync<AlbumContext> = async (app, ctx) => {
  const maxFileBytes = ctx.config.MAX_UPLOAD_BYTES;

  app.post('/api/accounts', { config: rateLimited(ctx), onRequest: concurrencyCap(ACCOUNT_CONCURRENCY) }, async (request, reply) => {
    const { fields, files } = await readMultipart(request, { fileField: 'face', maxFiles: MAX_SELFIES_PER_REQUEST, maxFileBytes });
    const username = parseUsername(fields.username);
    // Cheap before costly: a taken name is refused before any face work.
    if (await ctx.records.getAccount(username)) throw new AlbumError('username_taken');
    const selfies = await readSelfies(ctx.engine, files);
    const keep = wantsSelfiesKept(fields.keepSelfies);
    const token = newToken();
    const account: Account = {
      username,
      createdAt: new Date().toISOString(),
      tokenHash: hashToken(token),
      descriptorModel: selfies[0]!.descriptorModel,
      references: selfies.map((s) => withoutKeptImage(s.reference, keep)),
    };
    // Files a deletion interrupted by a crash may have left under this name belong to nobody now.
    await ctx.storage.deleteAlbum(username);
    if (!(await ctx.records.createAccount(account))) throw new AlbumError('username_taken');
    if (keep) for (const s of selfies) await ctx.storage.storeSelfie(username, s.reference.sha256, s.reference.keptImageExt!, s.bytes);
    request.log.info({ references: selfies.length }, 'account created');
    return reply.code(201).send({ username, token, albumUrl: albumUrl(ctx, token) });
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
    const selfies = await readSelfies(ctx.engine, files);
    if (selfies.some((s) => s.descriptorModel !== account.descriptorModel)) {
      throw new AlbumError('bad_request', 'The face model changed since this account was made; delete the account and register again.');
    }
    const keep = wantsSelfiesKept(fields.keepSelfies);
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
  app.delete<{ Params: TokenParams }>('/api/albums/:token/faces', { schema: { params: tokenParamsSchema } }, async (request) => {
    const account = await requireAlbum(ctx, request.params.token);
    await ctx.records.deleteReferences(account.username);
    for (const r of account.references) if (r.keptImageExt) await ctx.storage.deleteSelfie(account.username, r.sha256, r.keptImageExt);
    request.log.info({ references: account.references.length }, 'account faces deleted');
    return { status: 'deleted', references: account.references.length };
  });

  app.post<{ Params: TokenParams }>('/api/albums/:token/token', { schema: { params: tokenParamsSchema } }, async (request) => {
    const account = await requireAlbum(ctx, request.params.token);
    const token = newToken();
    const updated = await ctx.records.rotateToken(account.username, hashToken(token));
    if (!updated) throw new AlbumError('unknown_album');
    return { username: updated.username, token, albumUrl: albumUrl(ctx, token) };
  });

  app.delete<{ Params: TokenParams }>('/api/albums/:token', { schema: { params: tokenParamsSchema } }, async (request) => {
    const account = await requireAlbum(ctx, request.params.token);
    await ctx.records.deleteAccount(account);
    await ctx.storage.deleteAlbum(account.username);
    request.log.info('account deleted');
    return { status: 'deleted' };
  });
};

function withoutKeptImage(reference: Reference, keep: boolean): Reference {
  if (keep) return reference;
  const { keptImageExt: _dropped, ...rest } = reference;
  return rest;
}

