// Must show 1, on SQLite and on PostgreSQL: several processes enqueue into one database without losing a
// packet, and two drainers deliver each packet exactly once to a real album server.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAlbumServer, type AlbumServer } from '../../album/server.ts';
import { loadConfig } from '../../config.ts';
import { createFaceEngine, type FaceEngine } from '../../core/faces/index.ts';
import { openRecords } from '../../core/records/index.ts';
import { createAccount, getAlbum } from '../../core/share/index.ts';
import { demoGroupPhoto, demoSelfie } from '../demo-faces.ts';
import { tempDir } from '../helpers.ts';
import { runScript } from '../processes.ts';
import { skipReason, startPostgres, type TestPostgres } from '../postgres.ts';

const PROCESSES = 3;
const PER_PROCESS = 200;

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
  { name: 'the embedded database (SQLite)', skip: undefined, url: (dir: string) => Promise.resolve(`sqlite://${path.join(dir, 'terminal.sqlite')}`) },
  { name: 'PostgreSQL (jobs on pg-boss)', skip: pgSkip, url: () => postgres!.database() },
];

describe.each(engines)('outbox on $name, several processes', ({ skip, url }) => {
  it.skipIf(!!skip)(`${PROCESSES} processes enqueue ${PER_PROCESS} packets each: all ${PROCESSES * PER_PROCESS} are queued; two drainers send each exactly once`, { timeout: 600_000 }, async () => {
    const dir = tempDir();
    const albumConfig = loadConfig({ DATA_DIR: path.join(dir, 'album'), HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent', UPLOAD_RATE_LIMIT: '1000000' }, { dotenv: false });
    const album: AlbumServer = await startAlbumServer(albumConfig, { engine });
    try {
      // One account per packet, all with the same selfie (analysed once): 600 packets of one picture.
      const selfie = await demoSelfie(0);
      const tokens = new Map<string, string>();
      for (let p = 0; p < PROCESSES; p++) {
        for (let i = 0; i < PER_PROCESS; i++) tokens.set(`p${p}-${i}`, (await createAccount(album.url, `p${p}-${i}`, [selfie])).token);
      }
      const pictureFile = path.join(dir, 'picture.jpg');
      fs.writeFileSync(pictureFile, await demoGroupPhoto(0, 640));
      const db = await url(dir);

      const enqueuers = await Promise.all(
        Array.from({ length: PROCESSES }, (_, p) => runScript('test/records/packets-child.ts', ['enqueue', db, album.url, `p${p}`, String(PER_PROCESS), pictureFile])),
      );
      for (const r of enqueuers) expect(r.code, r.stderr).toBe(0);
      expect(enqueuers.map((r) => JSON.parse(r.stdout) as { enqueued: number })).toEqual(Array.from({ length: PROCESSES }, () => ({ enqueued: PER_PROCESS })));

      const records = await openRecords(db);
      try {
        expect((await records.packets.pending()).length).toBe(PROCESSES * PER_PROCESS);
        expect(await records.jobs.countReady('deliver')).toBe(PROCESSES * PER_PROCESS);

        const drainers = await Promise.all([0, 1].map(() => runScript('test/records/packets-child.ts', ['drain', db])));
        for (const r of drainers) expect(r.code, r.stderr).toBe(0);
        const sent = drainers.map((r) => (JSON.parse(r.stdout) as { sent: number }).sent);
        // Exactly once: the two drainers together made one upload per packet, and both took a share.
        expect(sent.reduce((a, b) => a + b, 0)).toBe(PROCESSES * PER_PROCESS);
        expect(Math.min(...sent)).toBeGreaterThan(0);
        expect(await records.packets.pending()).toEqual([]);
        expect(await records.jobs.countReady('deliver')).toBe(0);
        expect(await records.packets.pictureCount()).toBe(0);
        for (const [username, token] of tokens) {
          const photos = (await getAlbum(album.url, token)).photos;
          expect(photos, username).toHaveLength(1);
        }
      } finally {
        await records.close();
      }
    } finally {
      await album.close();
    }
  });
});
