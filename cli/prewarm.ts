// `facedrop share` spends its first second loading the CLI's modules on the main thread; the face workers'
// own start-up (modules, models) can run meanwhile on the other cores. cli/entry.ts calls this first,
// before config.ts (zod) loads: FACE_THREADS is read here by config.ts's rule (integer 1-64, default one per
// core), and a value that rule refuses starts nothing (the command then reports it).
import os from 'node:os';
import { config as loadDotenv } from 'dotenv';
import { sharedFaceEngine } from '../core/faces/engine.ts';

/** Commands whose first step needs the face engine. */
const FACE_COMMANDS = new Set(['share']);

export function prewarmFaceEngine(argv: readonly string[]): void {
  if (!FACE_COMMANDS.has(argv[2] ?? '')) return;
  loadDotenv({ quiet: true }); // as loadConfig does; it never overrides what is already set
  const raw = process.env.FACE_THREADS;
  const threads = raw === undefined ? Math.max(1, os.availableParallelism()) : Number(raw.trim() === '' ? NaN : raw);
  if (!Number.isInteger(threads) || threads < 1 || threads > 64) return;
  // The same engine openTerminal takes later (sharedFaceEngine).
  sharedFaceEngine({ threads });
}
