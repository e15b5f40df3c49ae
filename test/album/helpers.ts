// Shared by the album tests: multipart bodies for inject, a store that counts writes, a test config.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll } from 'vitest';
import { buildApp } from '../../album/app.ts';
import { createFaceEngine, type FaceEngine } from '../../core/faces/index.ts';
import { openRecords } from '../../core/records/index.ts';
import { loadConfig, type Config } from '../../config.ts';
import type { Records } from '../../core/records/index.ts';

type AlbumApp = Awaited<ReturnType<typeof buildApp>>;
import { PLUMBING_FACES_DIR } from '../helpers.ts';

/** A file of the plumbing suites' bbt-shaped fixture (../shared/faces/bbt, or its demo stand-in). */
export const bbt = (file: string) => path.join(PLUMBING_FACES_DIR, 'bbt', file);

export const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

export interface FilePart {
  field: string;
  bytes: Uint8Array;
  name?: string;
  type?: string;
}

export function formOf(fields: Record<string, string>, files: FilePart[] = []): FormData {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  for (const f of files) form.append(f.field, new Blob([f.bytes as Uint8Array<ArrayBuffer>], { type: f.type ?? 'image/jpeg' }), f.name ?? 'photo.jpg');
  return form;
}

/** Serialises a FormData the way fetch would, for `app.inject`. */
export async function encodeForm(form: FormData): Promise<{ payload: Buffer; headers: Record<string, string> }> {
  const request = new Request('http://localhost/', { method: 'POST', body: form });
  return { payload: Buffer.from(await request.arrayBuffer()), headers: { 'content-type': request.headers.get('content-type')! } };
}

export async function postForm(
  app: FastifyInstance,
  url: string,
  fields: Record<string, string>,
  files: FilePart[] = [],
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  const { payload, headers: formHeaders } = await encodeForm(formOf(fields, files));
  return app.inject({ method: 'POST', url, payload, headers: { ...formHeaders, ...headers } });
}

/** The records with a log of row changes since they were opened, so a test can say "nothing was written". */
export function recordingStore(inner: Records): Records & { writes: string[] } {
  const base = inner.changes();
  return {
    ...inner,
    get writes() {
      return Array.from({ length: inner.changes() - base }, (_, i) => `row change ${i + 1}`);
    },
  };
}

export function albumTestConfig(dataDir: string, env: Record<string, string> = {}): Config {
  return loadConfig(
    { DATA_DIR: dataDir, PUBLIC_URL: 'http://album.test', HOST: '127.0.0.1', PORT: '0', UPLOAD_RATE_LIMIT: '10000', LOG_LEVEL: 'silent', FACE_THREADS: '2', ...env },
    { dotenv: false },
  );
}

/** A temp dir for a whole test file (test/helpers.ts's tempDir is removed after each test). */
export function fileTempDir(prefix: string): { dir: string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Polls /healthz until 200 (the engine has answered once). */
export async function waitHealthy(app: FastifyInstance, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    if (res.statusCode === 200) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('album server did not become healthy');
}

/** Every file under DATA_DIR/albums, relative paths. */
export function albumFiles(dataDir: string): string[] {
  const root = path.join(dataDir, 'albums');
  if (!fs.existsSync(root)) return [];
  return (fs.readdirSync(root, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(root, f)).isFile()).sort();
}

/**
 * An album app (over `inject`) with a face engine and a SQLite file of its own, open for the describe block
 * that calls this: built before its tests, closed and removed after them.
 */
export function albumForSuite(prefix: string, env: Record<string, string> = {}): { readonly app: AlbumApp; readonly dir: string } {
  const tmp = fileTempDir(prefix);
  let engine: FaceEngine | undefined;
  let records: Records | undefined;
  let app: AlbumApp | undefined;
  beforeAll(async () => {
    engine = createFaceEngine({ threads: 1 });
    records = await openRecords(`sqlite://${path.join(tmp.dir, 'store.sqlite')}`);
    app = await buildApp({ config: albumTestConfig(tmp.dir, { FACE_THREADS: '1', ...env }), records, engine });
  });
  afterAll(async () => {
    await app?.close();
    await records?.close();
    await engine?.close();
    tmp.remove();
  });
  return {
    get app() {
      if (!app) throw new Error('albumForSuite: the album is built in beforeAll');
      return app;
    },
    dir: tmp.dir,
  };
}
