// Removes location (GPS, XMP, IPTC) from photos the album stored before it did so at upload (album/README.md,
// "Location removed"). Once, best with the album stopped: `node --import tsx album/strip-locations-main.ts`.
import { ConfigError, loadConfig } from '../config.ts';
import { PhotoStorage } from './storage.ts';

try {
  const { checked, stripped, damaged } = await new PhotoStorage(loadConfig().DATA_DIR).stripStoredLocations();
  process.stdout.write(`${checked} stored picture(s) checked, ${stripped.length} cleaned of their location.\n`);
  // Not guessed at: such a file is named, for its owner or the operator to delete.
  if (damaged.length > 0) process.stdout.write(`Left as they were (their metadata cannot be walked): ${damaged.join(', ')}\n`);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`strip-locations: ${error.oneLine}\n`);
  process.exit(1);
}
