// Child processes for multi-process tests: the facedrop CLI and small scripts run with tsx.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '..');
export const BIN = path.join(ROOT, 'bin', 'facedrop.js');

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

const baseEnv = () => ({ PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'warn', FACE_THREADS: '1' });

/** Runs `command <args>` from the project root with only PATH and HOME of this environment, plus `env`. */
export function runCommand(command: string, args: string[], env: Record<string, string>): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs `node <args>` from the project root with a clean environment (quiet logs, one face thread) plus `env`. */
export const runNode = (args: string[], env: Record<string, string>): Promise<Finished> => runCommand(process.execPath, args, { ...baseEnv(), ...env });

/** `facedrop <args>`. */
export const runCli = (args: string[], env: Record<string, string>) => runNode([BIN, ...args], env);

/** A TypeScript script under test/, run with tsx. */
export const runScript = (script: string, args: string[], env: Record<string, string> = {}) => runNode(['--import', 'tsx', path.join(ROOT, script), ...args], env);

/** `facedrop serve`, resolved once its album server listens; output is kept for failure messages. */
export async function startServe(env: Record<string, string>): Promise<{ child: ChildProcess; output: () => string; stop(signal?: NodeJS.Signals): Promise<void> }> {
  const child = spawn(process.execPath, [BIN, 'serve'], { cwd: ROOT, env: { ...baseEnv(), LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      output += d.toString();
      if (output.includes('album server listening')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`facedrop serve exited (${code}):\n${output}`)));
  });
  return {
    child,
    output: () => output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function waitUntil(what: string, probe: () => Promise<boolean> | boolean, timeoutMs = 120_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
