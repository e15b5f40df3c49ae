// `facedrop share` spends its first second loading the CLI's modules on the main thread; the face workers'
// own start-up (modules, models) can run meanwhile on the other cores. bin/facedrop.js calls this first.
import { loadConfig } from '../config.ts';
import { sharedFaceEngine } from '../core/faces/engine.ts';

/** Commands whose first step needs the face engine. */
const FACE_COMMANDS = new Set(['share']);

export function prewarmFaceEngine(argv: readonly string[]): void {
  if (!FACE_COMMANDS.has(argv[2] ?? '')) return;
  try {
    // The same engine openTerminal takes later (sharedFaceEngine), with the configured thread count.
    sharedFaceEngine({ threads: loadConfig().FACE_THREADS });
  } catch {
    // A bad configuration is reported by the command itself, in its own words.
  }
}
