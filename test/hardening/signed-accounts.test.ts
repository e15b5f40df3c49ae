// Issue 23, finding 7 (accounts): with ACCOUNT_SIGNATURE_REQUIRED=true an album creates accounts only for
// terminals holding UPLOAD_HMAC_SECRET; each signed request counts once.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAlbumServer, type AlbumServer } from '../../album/server.ts';
import { loadConfig } from '../../config.ts';
import { createFaceEngine, type FaceEngine } from '../../core/faces/index.ts';
import { AlbumApiError, createAccount, signAccount } from '../../core/share/album-client.ts';
import { albumFiles, albumTestConfig, bbt, encodeForm, fileTempDir, formOf, waitHealthy } from '../album/helpers.ts';

const SECRET = 'a-long-shared-terminal-secret';

describe('signed account creation', () => {
  const tmp = fileTempDir('facedrop-signacc-');
  let engine: FaceEngine;
  let album: AlbumServer;
  const selfie = () => new Uint8Array(fs.readFileSync(bbt('penny/penny1.png')));
  beforeAll(async () => {
    engine = createFaceEngine({ threads: 2 });
    album = await startAlbumServer(albumTestConfig(tmp.dir, { UPLOAD_HMAC_SECRET: SECRET, ACCOUNT_SIGNATURE_REQUIRED: 'true' }), { engine });
    await waitHealthy(album.app);
  });
  afterAll(async () => {
    await album?.close();
    await engine?.close();
    tmp.remove();
  });

  it('refuses unsigned, wrongly signed and replayed requests (401, nothing stored); the terminal’s signed request creates the account', async () => {
    for (const secret of [undefined, 'not-the-secret-at-all']) {
      const error = await createAccount(album.url, 'penny', [selfie()], { hmacSecret: secret }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AlbumApiError);
      expect(error).toMatchObject({ status: 401, code: 'bad_signature' });
    }
    expect(albumFiles(tmp.dir)).toEqual([]);

    const { payload, headers } = await encodeForm(formOf({ username: 'penny' }, [{ field: 'face', bytes: selfie(), name: 'selfie-1.jpg' }]));
    const signature = signAccount(SECRET, 'penny', [selfie()]);
    const send = () => fetch(`${album.url}/api/accounts`, { method: 'POST', body: new Uint8Array(payload), headers: { ...headers, 'x-facedrop-signature': signature } });
    expect((await send()).status).toBe(201);
    // The same captured request again: refused; its signature on a request for another name: refused.
    const again = await send();
    expect([again.status, ((await again.json()) as { error: string }).error]).toEqual([401, 'bad_signature']);
    const other = signAccount(SECRET, 'penny', [selfie()]);
    const renamed = await encodeForm(formOf({ username: 'someone-else' }, [{ field: 'face', bytes: selfie(), name: 'selfie-1.jpg' }]));
    expect((await fetch(`${album.url}/api/accounts`, { method: 'POST', body: new Uint8Array(renamed.payload), headers: { ...renamed.headers, 'x-facedrop-signature': other } })).status).toBe(401);

    expect(await createAccount(album.url, 'penny-2', [selfie()], { hmacSecret: SECRET })).toMatchObject({ username: 'penny-2' });
  });

  it('the setting needs the secret: ACCOUNT_SIGNATURE_REQUIRED=true without UPLOAD_HMAC_SECRET stops the start, naming the variable', () => {
    expect(() => loadConfig({ ACCOUNT_SIGNATURE_REQUIRED: 'true' }, { dotenv: false })).toThrow(/UPLOAD_HMAC_SECRET: required when ACCOUNT_SIGNATURE_REQUIRED=true/);
  });
});
