import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';

import { FACES_DIR, loadFixture, type Fixture } from '../bench/fixtures.ts';

export { demoSamples, FACES_DIR, forgedPng, hasFixtures, loadFixture } from '../bench/fixtures.ts';

/**
 * Where the plumbing suites (album, bots, CLI, terminal) read bbt-shaped face photos: the stand-in
 * test/global-setup.ts makes from face-api's demo photos, with or without ../shared.
 */
export const PLUMBING_FACES_DIR = process.env.FACEDROP_PLUMBING_FACES_DIR ?? FACES_DIR;

/** The bbt fixture for plumbing tests (members, selfies, group photos with who is in them). */
export const loadPlumbingFixture = (): Fixture => loadFixture('bbt', PLUMBING_FACES_DIR);

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A fresh temp dir, removed after the current test. */
export function tempDir(prefix = 'facedrop-'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(d);
  return d;
}

/** All files below a dir (relative paths), for "nothing was written" assertions. */
export function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => fs.statSync(path.join(dir, f)).isFile())
    .sort();
}

export const read = (p: string) => fs.readFileSync(p);

/** A TCP listener on a loopback port that counts connections (and drops them): "nothing was sent there". */
export async function connectionCounter(): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  let count = 0;
  const server = net.createServer((socket) => (count++, socket.destroy()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => count,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Polls `probe` every 25 ms until it gives a value, and returns it; fails after `timeoutMs`, naming `what`. */
export async function waitFor<T>(what: string, probe: () => T | undefined | false | null | Promise<T | undefined | false | null>, timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
