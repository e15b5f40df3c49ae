// Issue 23, finding 1 for members registered before deletion keys: `facedrop serve` gets their built-in albums
// a deletion key at start (while the terminal's link still works), so a link renewed on the album page
// afterwards no longer stops /forget album. Real processes: an older data folder is made first, then served.
import path from 'node:path';
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { startAlbumServer } from '../../album/server.ts';
import { loadConfig } from '../../config.ts';
import { createFaceEngine } from '../../core/faces/index.ts';
import { openConfiguredRecords } from '../../core/records/index.ts';
import { deleteAccountByKey } from '../../core/share/album-client.ts';
import { freePort, startServe, waitUntil } from '../processes.ts';
import { fileTempDir } from '../album/helpers.ts';
import { loadPlumbingFixture } from '../helpers.ts';

describe('member links from before deletion keys', () => {
  const bbt = loadPlumbingFixture();
  const temp = fileTempDir('facedrop-legacy-');
  afterAll(() => temp.remove());

  it('facedrop serve gives each a deletion key at start; after the owner renews the link, the key still deletes the album', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const env = { DATA_DIR: temp.dir, HOST: '127.0.0.1', PORT: String(port), PUBLIC_URL: url, LOG_LEVEL: 'silent', FACE_THREADS: '1' };
    const config = loadConfig(env, { dotenv: false });
    const dbFile = path.join(temp.dir, 'facedrop.sqlite');

    // An older data folder: an account without a deletion key, and the terminal's link holding only its token.
    const engine = createFaceEngine({ threads: 1 });
    const album = await startAlbumServer(config, { engine });
    const form = new FormData();
    form.set('username', 'penny');
    form.append('face', new Blob([fs.readFileSync(bbt.selfies.penny![0]!)]), 'penny.png');
    const { token, albumUrl } = (await (await fetch(`${url}/api/accounts`, { method: 'POST', body: form })).json()) as { token: string; albumUrl: string };
    await album.close();
    await engine.close();
    const raw = new Database(dbFile);
    raw.prepare('UPDATE accounts SET deletion_key_hash = NULL').run();
    raw.prepare('INSERT INTO member_links (user_key, album, username, token, album_url) VALUES (?, ?, ?, ?, ?)').run('tg:8501', url, 'penny', token, albumUrl);
    raw.close();

    const serve = await startServe({ ...env, LOG_LEVEL: 'info' });
    try {
      const keyed = () => {
        const db = new Database(dbFile, { readonly: true });
        try {
          return (db.prepare("SELECT deletion_key FROM member_links WHERE user_key = 'tg:8501'").get() as { deletion_key: string | null }).deletion_key !== null;
        } finally {
          db.close();
        }
      };
      await waitUntil('the deletion key added', keyed, 60_000);
      // The owner renews the link on the album page: the terminal's token is dead now.
      const renewed = ((await (await fetch(`${url}/api/albums/${token}/token`, { method: 'POST' })).json()) as { token: string }).token;
      expect((await fetch(`${url}/api/albums/${token}`)).status).toBe(404);
      // Whoever holds the link now gets no second key: the terminal's is the only one.
      const second = await fetch(`${url}/api/albums/${renewed}/deletion-key`, { method: 'POST' });
      expect([second.status, ((await second.json()) as { error: string }).error]).toEqual([409, 'deletion_key_exists']);
      // What the terminal holds (sealed in the database) still deletes the album.
      const records = await openConfiguredRecords(config);
      const link = await records.members.link('tg:8501');
      await records.close();
      expect(link?.deletionKey).toMatch(/^[A-Za-z0-9_-]{32}$/);
      await deleteAccountByKey(url, 'penny', link!.deletionKey!);
      expect((await fetch(`${url}/api/albums/${renewed}`)).status).toBe(404);
    } finally {
      await serve.stop();
    }
  }, 120_000);
});
