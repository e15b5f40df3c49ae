// A throw-away PostgreSQL server for tests, from Debian's `postgresql` package: initdb in a temporary folder,
// started on a free port with its socket in that folder, stopped and removed after. As root, the server
// runs as the `postgres` user (or `nobody`), which owns the folder: PostgreSQL refuses to run as root.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './processes.ts';

const run = promisify(execFile);

/** The folder with initdb and pg_ctl, or why there is none. */
export function postgresBinaries(): { bin: string } | { missing: string } {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root) ? fs.readdirSync(root).filter((v) => fs.existsSync(path.join(root, v, 'bin', 'initdb'))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (newest) return { bin: path.join(root, newest, 'bin') };
  return { missing: `PostgreSQL binaries not found under ${root} (Debian package "postgresql"; scripts/setup.sh installs it)` };
}

/** Says once, on stderr, why PostgreSQL tests are skipped: never a silent skip. */
export function skipReason(): string | undefined {
  const found = postgresBinaries();
  if ('bin' in found) return undefined;
  process.stderr.write(`\n[postgres tests skipped] ${found.missing}\n`);
  return found.missing;
}

export interface TestPostgres {
  /** A new empty database on the server: `postgres://…`. */
  database(name?: string): Promise<string>;
  stop(): Promise<void>;
}

let counter = 0;

export async function startPostgres(): Promise<TestPostgres> {
  const found = postgresBinaries();
  if (!('bin' in found)) throw new Error(found.missing);
  const bin = found.bin;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facedrop-pg-'));
  const user = process.getuid?.() === 0 ? (hasUser('postgres') ? 'postgres' : 'nobody') : undefined;
  if (user) await run('chown', ['-R', user, dir]);
  fs.chmodSync(dir, 0o700);
  const as = (file: string, args: string[]) => (user ? run('runuser', ['-u', user, '--', file, ...args]) : run(file, args));
  const data = path.join(dir, 'data');
  await as(path.join(bin, 'initdb'), ['-D', data, '-U', 'facedrop', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const port = await freePort();
  // Durability is not under test here: fsync off keeps the shared machine's disks out of the timings.
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`;
  await as(path.join(bin, 'pg_ctl'), ['-D', data, '-l', path.join(dir, 'log'), '-o', options, '-w', '-t', '60', 'start']);
  const base = `postgres://facedrop@127.0.0.1:${port}`;
  return {
    async database(name = `t${process.pid}_${++counter}`) {
      const admin = new pg.Client({ connectionString: `${base}/postgres` });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${name}`);
      } finally {
        await admin.end();
      }
      return `${base}/${name}`;
    },
    async stop() {
      await as(path.join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => {});
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function hasUser(name: string): boolean {
  return fs.readFileSync('/etc/passwd', 'utf8').split('\n').some((line) => line.startsWith(`${name}:`));
}
