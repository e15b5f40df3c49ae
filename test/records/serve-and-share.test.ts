// Must show 2: `facedrop serve` running and three `facedrop share` processes at once on one data folder,
// the members' album server down, then back: every delivery a share reported queued or sent is in its
// album exactly once. On the embedded database, and again with the records and jobs in PostgreSQL.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAlbumServer, type AlbumServer } from '../../album/server.ts';
import { loadConfig } from '../../config.ts';
import { createFaceEngine, type FaceEngine } from '../../core/faces/index.ts';
import { openRecords } from '../../core/records/index.ts';
import { createAccount, getAlbum } from '../../core/share/index.ts';
import { openTerminal } from '../../core/terminal.ts';
import { DEMO_MEMBERS, demoGroupPhoto, demoSelfie } from '../demo-faces.ts';
import { tempDir } from '../helpers.ts';
import { freePort, runCli, startServe, waitUntil } from '../processes.ts';
import { skipReason, startPostgres, type TestPostgres } from '../postgres.ts';

const pgSkip = skipReason();
let engine: FaceEngine;
let postgres: TestPostgres | undefined;
beforeAll(async () => {
  engine = createFaceEngine({ threads: 2 });
  if (!pgSkip) postgres = await startPostgres();
}, 120_000);
afterAll(async () => {
  await engine.close();
  await postgres?.stop();
});

const engines = [
  { name: 'the embedded database', skip: undefined, database: async (dataDir: string) => ({ url: `sqlite://${path.join(dataDir, 'facedrop.sqlite')}`, env: {} }) },
  {
    name: 'PostgreSQL',
    skip: pgSkip,
    database: async () => {
      const url = await postgres!.database();
      return { url, env: { DATABASE_URL: url } };
    },
  },
];

interface ShareJson {
  photos: Array<{ file: string; ok: boolean; deliveries?: Array<{ username: string; outcome: string }> }>;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe.each(engines)('serve and share on one data folder, records on $name', ({ skip, database }) => {
  it.skipIf(!!skip)('every delivery reported queued or sent reaches its album exactly once after the album comes back', { timeout: 600_000 }, async () => {
    const dir = tempDir();
    const dataDir = path.join(dir, 'data');
    const db = await database(dataDir);
    const albumPort = await freePort();
    const albumConfig = loadConfig({ DATA_DIR: path.join(dir, 'album'), HOST: '127.0.0.1', PORT: String(albumPort), LOG_LEVEL: 'silent' }, { dotenv: false });
    const albumUrl = `http://127.0.0.1:${albumPort}`;

    // The members' accounts and contact entries, then their album goes down.
    let album: AlbumServer = await startAlbumServer(albumConfig, { engine });
    const tokens = new Map<string, string>();
    const terminalConfig = loadConfig({ ...db.env, DATA_DIR: dataDir, LOG_LEVEL: 'silent' }, { dotenv: false });
    const setup = await openTerminal(terminalConfig, { engine });
    for (let i = 0; i < DEMO_MEMBERS; i++) {
      const selfie = await demoSelfie(i);
      tokens.set(`m${i}`, (await createAccount(albumUrl, `m${i}`, [selfie])).token);
      await setup.contacts.add('party', { name: `m${i}`, album: albumUrl, username: `m${i}`, selfies: [selfie] });
    }
    await setup.close();
    await album.close();

    const serve = await startServe({ ...db.env, DATA_DIR: dataDir, HOST: '127.0.0.1', PORT: String(await freePort()) });
    try {
      // Each process shares a photo of every member (its own copies) and one photo all three share.
      const folders = await Promise.all(
        [0, 1, 2].map(async (k) => {
          const folder = path.join(dir, `photos-${k}`);
          fs.mkdirSync(folder);
          for (let i = 0; i < DEMO_MEMBERS; i++) fs.writeFileSync(path.join(folder, `m${i}.jpg`), await demoGroupPhoto(i, 900 + 40 * k));
          fs.writeFileSync(path.join(folder, 'common.jpg'), await demoGroupPhoto(0, 800));
          return folder;
        }),
      );
      const runs = await Promise.all(folders.map((folder) => runCli(['share', '--group', 'party', '--json', folder], { ...db.env, DATA_DIR: dataDir })));
      const expected = new Map<string, Set<string>>();
      for (const run of runs) {
        expect(run.code, run.stderr + run.stdout).toBe(0);
        for (const photo of (JSON.parse(run.stdout) as ShareJson).photos) {
          expect(photo.ok).toBe(true);
          for (const d of photo.deliveries ?? []) {
            expect(['queued', 'delivered', 'duplicate']).toContain(d.outcome);
            const set = expected.get(d.username) ?? new Set<string>();
            set.add(sha256(fs.readFileSync(photo.file)));
            expected.set(d.username, set);
          }
        }
      }
      // Every member was matched in their own photos, in each process.
      expect([...expected.keys()].sort()).toEqual(['m0', 'm1', 'm2']);
      expect(expected.get('m0')!.size).toBe(4);

      album = await startAlbumServer(albumConfig, { engine });
      const records = await openRecords(db.url);
      try {
        // serve's outbox retries (with backoff) until every packet is delivered.
        await waitUntil('the outbox to empty', async () => (await records.packets.pending()).length === 0, 300_000);
      } finally {
        await records.close();
      }
      for (const [username, shas] of expected) {
        const photos = (await getAlbum(albumUrl, tokens.get(username)!)).photos.map((p) => p.sha256);
        expect(photos.length, username).toBe(new Set(photos).size);
        expect(new Set(photos), username).toEqual(shas);
      }
    } finally {
      await serve.stop();
      await album.close();
    }
  });
});
