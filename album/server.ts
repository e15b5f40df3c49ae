import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.ts';
import { sharedFaceEngine, type FaceEngine } from '../core/faces/index.ts';
import { openConfiguredRecords, type Records } from '../core/records/index.ts';
import { buildApp } from './app.ts';

export interface AlbumServer {
  /** Where this server listens (a loopback address when bound to all interfaces). */
  url: string;
  app: FastifyInstance;
  /** The records database and face engine it runs on, for a terminal in the same process to share. */
  records: Records;
  engine: FaceEngine;
  /** Stops listening (in-flight requests finish) and closes the records database if this server opened it. */
  close(): Promise<void>;
}

/**
 * Starts the album server on config.HOST:config.PORT (0 picks a free port). By default it opens
 * config's records database and uses the process's shared face engine, which it leaves open for other users.
 */
export async function startAlbumServer(
  config: Config,
  deps: { records?: Records; engine?: FaceEngine; /** More routes on the same port (serve: the Telegram webhook). */ routes?: (app: FastifyInstance) => void } = {},
): Promise<AlbumServer> {
  const records = deps.records ?? (await openConfiguredRecords(config));
  const engine = deps.engine ?? sharedFaceEngine({ threads: config.FACE_THREADS });
  let app: FastifyInstance;
  try {
    app = await buildApp({ config, records, engine, logger: { level: config.LOG_LEVEL } });
    deps.routes?.(app);
    await app.listen({ host: config.HOST, port: config.PORT, listenTextResolver: (address) => `album server listening at ${address}` });
  } catch (error) {
    if (!deps.records) await records.close();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? '127.0.0.1' : config.HOST;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    url,
    app,
    records,
    engine,
    async close() {
      await app.close();
      if (!deps.records) await records.close();
    },
  };
}
