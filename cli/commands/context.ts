import { loadConfig, type Config } from '../../config.ts';
import { openTerminal, type Terminal } from '../../core/terminal.ts';

export const DEFAULT_GROUP = 'default';

/** Opens the terminal for one CLI command and always closes it (worker threads would keep the process alive). */
export async function withTerminal<T>(run: (terminal: Terminal, config: Config) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const terminal = await openTerminal(config);
  try {
    return await run(terminal, config);
  } finally {
    await terminal.close();
    await terminal.engine.close();
  }
}

/** Thrown by fail() after its message is printed; cli/main.ts shuts the face workers, then exits with 1. */
export class CliExit extends Error {}

/** Prints a one-line error for expected failures (bad input); the command stops, exit status 1. */
export function fail(message: string): never {
  process.stderr.write(`facedrop: ${message}\n`);
  process.exitCode = 1;
  throw new CliExit(message);
}
