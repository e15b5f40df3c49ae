// Issue 23, finding 7: a captured signed upload replayed within its 5-minute window (after the owner deleted
// the photo) must not store it again, and no field of a signed upload can be changed by whoever replays it.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAlbumServer, type AlbumServer } from '../../album/server.ts';
import { createFaceEngine, type FaceEngine } from '../../core/faces/index.ts';
import { signPacket, signPacketV2, uploadPicture } from '../../core/share/album-client.ts';
import { albumTestConfig, bbt, encodeForm, fileTempDir, formOf, waitHealthy } from '../album/helpers.ts';

const SECRET = 'a-long-shared-terminal-secret';

describe('signed uploads cannot be replayed', () => {
  const tmp = fileTempDir('facedrop-replay-');
  let engine: FaceEngine;
  let album: AlbumServer;
  let token: string;
  beforeAll(async () => {
    engine = createFaceEngine({ threads: 2 });
    album = await startAlbumServer(albumTestConfig(tmp.dir, { UPLOAD_HMAC_SECRET: SECRET }), { engine });
    await waitHealthy(album.app);
    const form = new FormData();
    form.set('username', 'sheldon');
    form.append('face', new Blob([fs.readFileSync(bbt('sheldon/sheldon1.png'))]), 's.png');
    token = ((await (await fetch(`${album.url}/api/accounts`, { method: 'POST', body: form })).json()) as { token: string }).token;
  });
  afterAll(async () => {
    await album?.close();
    await engine?.close();
    tmp.remove();
  });

  /** The exact bytes of one upload, as a captured request: sent again unchanged. */
  const capture = async (fields: Record<string, string>, picture: Buffer, signature: string) => {
    const { payload, headers } = await encodeForm(formOf(fields, [{ field: 'picture', bytes: picture }]));
    return () => fetch(`${album.url}/api/upload`, { method: 'POST', body: new Uint8Array(payload), headers: { ...headers, 'x-facedrop-signature': signature } });
  };
  const photos = async () => ((await (await fetch(`${album.url}/api/albums/${token}`)).json()) as { photos: Array<{ id: string; group?: string }> }).photos;
  const answer = async (response: Response) => ({ ...((await response.json()) as { status?: string; error?: string; id?: string }), http: response.status });
  const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

  it('a v2 packet replayed after the owner deleted its photo is refused (401) and the photo stays deleted', async () => {
    const picture = fs.readFileSync(bbt('group/bbt2.jpg'));
    const fields = { username: 'sheldon', group: 'tg:-1', groupName: 'Physics', terminal: 'facedrop-serve' };
    const send = await capture(fields, picture, signPacketV2(SECRET, fields, picture));
    const first = await answer(await send());
    expect(first.http).toBe(201);
    expect((await fetch(`${album.url}/api/albums/${token}/photos/${first.id}`, { method: 'DELETE' })).status).toBe(200);
    expect(await answer(await send())).toMatchObject({ http: 401, error: 'bad_signature' });
    expect((await photos()).map((p) => p.id)).not.toContain(sha(picture));
  });

  it('the same for a v1 packet (no nonce: the signature itself is remembered)', async () => {
    const picture = fs.readFileSync(bbt('group/bbt1.jpg'));
    const send = await capture({ username: 'sheldon' }, picture, signPacket(SECRET, 'sheldon', picture));
    const first = await answer(await send());
    expect(first.http).toBe(201);
    expect((await fetch(`${album.url}/api/albums/${token}/photos/${first.id}`, { method: 'DELETE' })).status).toBe(200);
    expect(await answer(await send())).toMatchObject({ http: 401, error: 'bad_signature' });
    expect((await photos()).map((p) => p.id)).not.toContain(sha(picture));
  });

  it('v2 signs every field: a captured signature with another group, group name or terminal is refused, nothing stored', async () => {
    const picture = fs.readFileSync(bbt('group/bbt3.jpg'));
    const fields = { username: 'sheldon', group: 'tg:-1', groupName: 'Physics', terminal: 'facedrop-serve' };
    const signature = signPacketV2(SECRET, fields, picture);
    for (const changed of [{ group: 'tg:-666' }, { groupName: 'Adverts' }, { terminal: 'evil' }, { group: '' }]) {
      const send = await capture({ ...fields, ...changed }, picture, signature);
      expect(await answer(await send()), JSON.stringify(changed)).toMatchObject({ http: 401, error: 'bad_signature' });
    }
    expect((await photos()).map((p) => p.id)).not.toContain(sha(picture));
  });

  it('the terminal’s client signs each attempt anew: a resend of the same packet is a duplicate, not a replay', async () => {
    const packet = { album: album.url, username: 'sheldon', picture: fs.readFileSync(bbt('group/bbt4.jpg')), group: 'tg:-1', groupName: 'Physics', terminal: 't1' };
    expect(await uploadPicture(packet, { hmacSecret: SECRET })).toMatchObject({ status: 'stored' });
    expect(await uploadPicture(packet, { hmacSecret: SECRET })).toMatchObject({ status: 'duplicate' });
    expect((await photos()).filter((p) => p.id === sha(packet.picture)).map((p) => p.group)).toEqual(['tg:-1']);
  });
});
