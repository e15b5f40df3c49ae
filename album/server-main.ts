// Runs the album server alone: `node --import tsx album/server-main.ts` (configuration from the environment).
import { loadConfig } from '../config.ts';
import { sharedFaceEngine } from '../core/faces/index.ts';
import { startAlbumServer } from './server.ts';

const config = loadConfig();
const server = await startAlbumServer(config);

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
