import multipart from '@fastify/multipart';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import sharp from 'sharp';
import type { Config } from '../config.ts';
import { EngineClosedError, type FaceEngine } from '../core/faces/index.ts';
import { carriesLocalTerminalKey, LOCAL_TERMINAL_HEADER, LOCAL_TERMINAL_KV_KEY } from '../core/wire/index.ts';
import type { Records } from '../core/records/index.ts';
import { AlbumError, installErrorHandler } from './errors.ts';
import { bodyGuard, CLIENT_TIMEOUTS } from './concurrency.ts';
import { AlbumRecords } from './records.ts';
import { notMeRoutes } from './routes/not-me.ts';
import { accountRoutes } from './routes/accounts.ts';
import { albumRoutes } from './routes/albums.ts';
import { pageRoutes } from './routes/page.ts';
import { uploadRoutes } from './routes/upload.ts';
import { PhotoStorage } from './storage.ts';
import { MAX_SKEW_SECONDS, SIGNATURE_HEADER } from './signature.ts';

/** The slice of the configuration the album server reads. */
export type AlbumConfig = Pick<
  Config,
  'DATA_DIR' | 'PUBLIC_URL' | 'ALBUM_VERIFY_THRESHOLD' | 'MAX_UPLOAD_BYTES' | 'UPLOAD_RATE_LIMIT' | 'UPLOAD_HMAC_SECRET'
> &
  Partial<Pick<Config, 'TRUST_PROXY' | 'MAX_UPLOAD_PIXELS' | 'ACCOUNT_SIGNATURE_REQUIRED'>>;

export interface AlbumDeps {
  config: AlbumConfig;
  records: Records;
  engine: FaceEngine;
  /** false (default) for silence, true or pino options to log; album tokens are redacted from logged URLs. */
  logger?: boolean | Record<string, unknown>;
}

/** What every route plugin gets: its dependencies, built once. */
export interface AlbumContext {
  config: AlbumConfig;
  engine: FaceEngine;
  records: AlbumRecords;
  storage: PhotoStorage;
  /** Faces each owner said are not them ("not me"): refused from then on. */
  rejections: Pick<Records['notices'], 'addRejection' | 'rejections' | 'listRejections' | 'removeRejection'>;
  health: { ready: boolean; problem?: string };
  /** Terminals not rate-limited like strangers: the ones sharing this database, and signed uploads. */
  isTrustedTerminal: (headers: Record<string, string | string[] | undefined>) => Promise<boolean>;
}

// Kept here for its importers; it lives with the other limits (a route importing app.ts made a cycle).
export { MAX_SELFIES_PER_REQUEST } from './concurrency.ts';

/** Builds the album server; never listens (server.ts does), so tests drive it with `inject`. */
export async function buildApp(deps: AlbumDeps): Promise<FastifyInstance> {
  const { config, engine } = deps;
  const app = Fastify({
    logger: loggerOptions(deps.logger),
    bodyLimit: 64 * 1024, // only multipart carries files, and it has its own limits
    return503OnClosing: true,
    // Behind a reverse proxy, the client address (for the rate limit) comes from X-Forwarded-For.
    trustProxy: config.TRUST_PROXY ?? false,
    // No client may hold a connection open for free (README, "Limits"): Fastify's own defaults are no timeout.
    connectionTimeout: CLIENT_TIMEOUTS.idleMs,
    requestTimeout: CLIENT_TIMEOUTS.requestMs,
    http: { headersTimeout: CLIENT_TIMEOUTS.headersMs, connectionsCheckingInterval: CLIENT_TIMEOUTS.checkEveryMs },
  });
  // A client that half-closes its socket after sending still gets its answer (Node aborts it by default).
  (app.server as typeof app.server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  app.addHook('onRequest', bodyGuard());
  installErrorHandler(app);

  const storage = new PhotoStorage(config.DATA_DIR);
  const swept = await storage.sweepTemporaryFiles();
  if (swept.length > 0) app.log.warn({ count: swept.length }, 'removed temp files left by an interrupted write');

  // Ids a record names, per account folder: photos and kept selfies (undefined: no such account).
  const albumRecords = new AlbumRecords(deps.records.albums);
  const orphans = await storage.sweepOrphans(async (key) => {
    const account = await albumRecords.getAccount(key);
    if (!account) return undefined;
    return new Set([...(await albumRecords.listPhotos(account.username)).map((p) => p.id), ...account.references.map((r) => r.sha256)]);
  });
  if (orphans.length > 0) app.log.warn({ count: orphans.length }, 'removed files no record names (a failed write or an interrupted deletion)');

  const ctx: AlbumContext = {
    config,
    engine,
    records: albumRecords,
    storage,
    rejections: deps.records.notices,
    health: { ready: false },
    isTrustedTerminal: trustedTerminalCheck(config, deps.records.kv),
  };
  warmUp(engine, ctx.health, app);

  await app.register(multipart, {
    limits: { fileSize: config.MAX_UPLOAD_BYTES, files: 1, parts: 20, fields: 10, fieldSize: 1024 },
  });
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) => new AlbumError('rate_limited', `Too many requests from this address. Try again in ${context.after}.`),
  });

  app.get('/healthz', async (_request, reply) => {
    if (ctx.health.ready) return { status: 'ok' };
    return reply.code(503).send({ status: ctx.health.problem ? 'error' : 'starting' });
  });

  await app.register(accountRoutes, ctx);
  await app.register(uploadRoutes, ctx);
  await app.register(albumRoutes, ctx);
  await app.register(pageRoutes, ctx);
  await app.register(notMeRoutes, ctx);
  return app;
}

/**
 * A request from a terminal this album trusts: it carries the database's local key, or (with
 * UPLOAD_HMAC_SECRET) a fresh signature header. The signature binds the picture, so it is verified once the
 * body is read, still before any face work: a forged one costs only that read, then 401.
 */
function trustedTerminalCheck(config: AlbumConfig, kv: Records['kv']): AlbumContext['isTrustedTerminal'] {
  let key: string | undefined;
  return async (headers) => {
    if (headers[LOCAL_TERMINAL_HEADER] !== undefined) {
      key ??= await kv.get<string>(LOCAL_TERMINAL_KV_KEY); // read until a terminal has made it (the album writes none), then kept
      if (key !== undefined && carriesLocalTerminalKey(headers, key)) return true;
    }
    const signature = headers[SIGNATURE_HEADER];
    if (!config.UPLOAD_HMAC_SECRET || typeof signature !== 'string') return false;
    const t = Number(/(?:^|,)\s*t=(\d+)/.exec(signature)?.[1] ?? NaN);
    return Math.abs(Date.now() / 1000 - t) <= MAX_SKEW_SECONDS;
  };
}

/** Runs the engine once on a tiny blank image, so the first real upload does not pay for model loading. */
function warmUp(engine: FaceEngine, health: AlbumContext['health'], app: FastifyInstance): void {
  void sharp({ create: { width: 64, height: 64, channels: 3, background: '#808080' } })
    .png()
    .toBuffer()
    .then((png) => engine.analyze(png, 'photo'))
    .then(
      () => {
        health.ready = true;
      },
      (error: unknown) => {
        if (error instanceof EngineClosedError) return; // the process stopped before the warm-up ran
        health.problem = error instanceof Error ? error.message : String(error);
        app.log.error({ err: error }, 'face engine failed to start');
      },
    );
}

// Album tokens are the only key to an album: they must never reach a log line.
const TOKEN_IN_URL = /(\/a\/|\/api\/albums\/)[^/?#]+/g;
export const redactUrl = (url: string) => url.replace(TOKEN_IN_URL, '$1[token]');

function loggerOptions(logger: AlbumDeps['logger']): NonNullable<FastifyServerOptions['logger']> {
  if (!logger) return false;
  const base = logger === true ? {} : logger;
  return {
    ...base,
    serializers: {
      req: (req: { method: string; url: string; ip?: string }) => ({ method: req.method, url: redactUrl(req.url), remoteAddress: req.ip }),
    },
  } as NonNullable<FastifyServerOptions['logger']>;
}
