// Runs the album server alone: `node --import tsx album/server-main.ts` (configuration from the environment).
import { ConfigError, loadConfig } from '../config.ts';
import { startedSharedFaceEngine } from '../core/faces/engine.ts';
import { sharedFaceEngine } from '../core/faces/index.ts';
import { startAlbumServer } from './server.ts';

let server: Awaited<ReturnType<typeof startAlbumServer>>;
try {
  server = await startAlbumServer(loadConfig());
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  // One line naming the variable, as `facedrop serve` says it; the face workers are shut before exiting.
  process.stderr.write(`album server: ${error.oneLine}\n`);
  await startedSharedFaceEngine()?.close();
  process.exit(1);
}

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  server.app.log.info({ signal }, 'album server stopping');
  await server.close();
  await sharedFaceEngine().close();
  process.exit(0);
}
process.once('SIGTERM', () => void stop('SIGTERM'));
process.once('SIGINT', () => void stop('SIGINT'));
