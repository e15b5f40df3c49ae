// Issue 23, finding 4: every deletion path removes what was derived from a face. `facedrop contacts remove`
// (the CLI, real processes) leaves no sighting, descriptor or crop of the member in the terminal's database;
// `DELETE /api/albums/:token` drops the faces its owner marked "not me", so a new account under the same
// name inherits nothing. Each path ends with a scan of every table and column.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAlbumServer, type AlbumServer } from '../../album/server.ts';
import { loadConfig } from '../../config.ts';
import { createFaceEngine, type FaceEngine } from '../../core/faces/index.ts';
import { cosineDistance, normalize } from '../../core/match/vectors.ts';
import { runCli } from '../processes.ts';
import { loadPlumbingFixture } from '../helpers.ts';
import { fileTempDir } from '../album/helpers.ts';

const read = (p: string) => new Uint8Array(fs.readFileSync(p));

/** Every array of 128+ numbers in any table and column of an SQLite file (JSON text, nested too). */
function storedDescriptors(file: string): number[][] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const found: number[][] = [];
    const visit = (value: unknown): void => {
      if (Array.isArray(value)) {
        if (value.length >= 128 && value.every((x) => typeof x === 'number')) found.push(value as number[]);
        else value.forEach(visit);
      } else if (value && typeof value === 'object') Object.values(value).forEach(visit);
    };
    for (const { name } of db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>) {
      for (const row of db.prepare(`SELECT * FROM "${name}"`).all() as Array<Record<string, unknown>>) {
        for (const cell of Object.values(row)) {
          const text = typeof cell === 'string' ? cell : Buffer.isBuffer(cell) ? cell.toString('utf8') : undefined;
          if (!text?.includes('[')) continue;
          try {
            visit(JSON.parse(text));
          } catch {
            // not JSON: a picture, a name
          }
        }
      }
    }
    return found;
  } finally {
    db.close();
  }
}

/** Rows of any table whose text mentions `needle` (a member id, a username). */
function rowsMentioning(file: string, needle: string): string[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const hits: string[] = [];
    for (const { name } of db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>) {
      if (name === 'consents' || name === 'schema_migrations') continue;
      for (const row of db.prepare(`SELECT * FROM "${name}"`).all() as Array<Record<string, unknown>>) {
        if (Object.values(row).some((v) => typeof v === 'string' && v.toLowerCase() === needle.toLowerCase())) hits.push(name);
      }
    }
    return hits;
  } finally {
    db.close();
  }
}

describe('every deletion path removes what was derived from a face', () => {
  const bbt = loadPlumbingFixture();
  const temp = fileTempDir('facedrop-del-');
  let engine: FaceEngine;
  let album: AlbumServer;
  const albumDb = () => path.join(temp.dir, 'album', 'facedrop.sqlite');
  const near = async (file: string, selfie: Uint8Array) => {
    const mine = normalize((await engine.selfie(selfie)).face.descriptor);
    return storedDescriptors(file).filter((d) => cosineDistance(mine, normalize(d)) < 0.35);
  };

  beforeAll(async () => {
    engine = createFaceEngine({ threads: 2 });
    album = await startAlbumServer(loadConfig({ DATA_DIR: path.join(temp.dir, 'album'), PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' }, { dotenv: false }), { engine });
  });
  afterAll(async () => {
    await album?.close();
    await engine?.close();
    temp.remove();
  });

  const createAccount = async (username: string, selfie: Uint8Array) => {
    const form = new FormData();
    form.set('username', username);
    form.append('face', new Blob([selfie as Uint8Array<ArrayBuffer>]), 'selfie.png');
    const response = await fetch(`${album.url}/api/accounts`, { method: 'POST', body: form });
    expect(response.status).toBe(201);
    return ((await response.json()) as { token: string }).token;
  };
  const upload = async (username: string, picture: Uint8Array) => {
    const form = new FormData();
    form.set('username', username);
    form.append('picture', new Blob([picture as Uint8Array<ArrayBuffer>]), 'group.jpg');
    const response = await fetch(`${album.url}/api/upload`, { method: 'POST', body: form });
    return { status: response.status, body: (await response.json()) as { id?: string; error?: string } };
  };

  it('`facedrop contacts remove` drops the member’s sightings (descriptor and face crop) with the entry', async () => {
    const cliData = path.join(temp.dir, 'cli');
    fs.mkdirSync(cliData);
    const env = { DATA_DIR: cliData, LOG_LEVEL: 'silent', FACE_THREADS: '1' };
    const selfie = bbt.selfies.penny![0]!;
    await createAccount('penny', read(selfie));
    const added = await runCli(['contacts', 'add', '--name', 'penny', '--album', album.url, '--username', 'penny', '--photo', selfie], env);
    expect(added.code, added.stderr).toBe(0);
    const photo = Object.entries(bbt.photos).find(([, who]) => who.includes('penny'))![0];
    const shared = await runCli(['share', '--json', photo], env);
    expect(JSON.parse(shared.stdout).photos[0].matched, shared.stderr).toContain('penny');
    const terminalDb = path.join(cliData, 'facedrop.sqlite');
    // The entry's selfie and the photo's sighting both hold her face.
    expect((await near(terminalDb, read(selfie))).length).toBeGreaterThanOrEqual(2);

    const removed = await runCli(['contacts', 'remove', 'penny'], env);
    expect(removed.code, removed.stderr).toBe(0);
    expect(await near(terminalDb, read(selfie))).toEqual([]);
    expect(rowsMentioning(terminalDb, 'penny').filter((t) => t !== 'packets')).toEqual([]);
  }, 120_000);

  it('DELETE /api/albums/:token drops the faces its owner said were not them: a new account under that name inherits none', async () => {
    const leonard = read(bbt.selfies.leonard![0]!);
    const token = await createAccount('shared-name', leonard);
    const photo = read(Object.entries(bbt.photos).find(([, who]) => who.includes('leonard'))![0]);
    const stored = await upload('shared-name', photo);
    expect(stored.status).toBe(201);
    expect((await fetch(`${album.url}/api/albums/${token}/photos/${stored.body.id}/not-me`, { method: 'POST' })).status).toBe(200);
    expect(await upload('shared-name', photo)).toMatchObject({ status: 422, body: { error: 'rejected_by_owner' } });

    expect((await fetch(`${album.url}/api/albums/${token}`, { method: 'DELETE' })).status).toBe(200);
    expect(await near(albumDb(), leonard)).toEqual([]);
    expect(rowsMentioning(albumDb(), 'shared-name')).toEqual([]);

    // Someone else registers the free name; their photos are not refused for the old owner's "not me".
    await createAccount('shared-name', leonard);
    expect(await upload('shared-name', photo)).toMatchObject({ status: 201 });
  }, 120_000);
});
