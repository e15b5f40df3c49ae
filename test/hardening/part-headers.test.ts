// Issue 23, finding 12 (second half): a multipart part whose header block is 1 MB was accepted (busboy keeps
// its first 80 KiB and carries on). Now a part header over 8 KiB is refused, 413, and nothing is written.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../album/app.ts';
import { createFaceEngine, type FaceEngine } from '../../core/faces/index.ts';
import { openRecords, type Records } from '../../core/records/index.ts';
import { albumFiles, albumTestConfig, bbt, fileTempDir, postForm, recordingStore, waitHealthy } from '../album/helpers.ts';

const BOUNDARY = 'facedrop-part-header-test';

function body(parts: Array<{ name: string; filename?: string; extraHeader?: string; content: Buffer }>): Buffer {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const disposition = `content-disposition: form-data; name="${p.name}"${p.filename ? `; filename="${p.filename}"` : ''}`;
    chunks.push(Buffer.from(`--${BOUNDARY}\r\n${disposition}\r\n${p.filename ? 'content-type: image/jpeg\r\n' : ''}${p.extraHeader ?? ''}\r\n`), p.content, Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(chunks);
}

describe('multipart part headers', () => {
  const tmp = fileTempDir('facedrop-parthdr-');
  let engine: FaceEngine;
  let records: Records & { writes: string[] };
  let app: Awaited<ReturnType<typeof buildApp>>;
  beforeAll(async () => {
    engine = createFaceEngine({ threads: 2 });
    records = recordingStore(await openRecords(`sqlite://${path.join(tmp.dir, 'store.sqlite')}`));
    app = await buildApp({ config: albumTestConfig(tmp.dir), records, engine });
    await waitHealthy(app);
    const made = await postForm(app, '/api/accounts', { username: 'sheldon' }, [{ field: 'face', bytes: fs.readFileSync(bbt('sheldon/sheldon1.png')), name: 's.png' }]);
    expect(made.statusCode).toBe(201);
  });
  afterAll(async () => {
    await app?.close();
    await records?.close();
    await engine?.close();
    tmp.remove();
  });

  const send = (payload: Buffer) => app.inject({ method: 'POST', url: '/api/upload', payload, headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` } });
  const picture = (file = 'group/bbt2.jpg') => fs.readFileSync(bbt(file));

  it('a 1 MB header on the picture part, or on a text field, is refused 413 and nothing is written', async () => {
    const before = records.writes.length;
    const pad = `x-pad: ${'a'.repeat(1024 * 1024)}\r\n`;
    for (const payload of [
      body([{ name: 'username', content: Buffer.from('sheldon') }, { name: 'picture', filename: 'p.jpg', extraHeader: pad, content: picture() }]),
      body([{ name: 'username', extraHeader: pad, content: Buffer.from('sheldon') }, { name: 'picture', filename: 'p.jpg', content: picture() }]),
    ]) {
      const res = await send(payload);
      expect(res.statusCode).toBe(413);
      expect(res.json()).toMatchObject({ error: 'too_many_parts', message: expect.stringMatching(/header is longer than 8 KiB/) });
    }
    expect(records.writes.length).toBe(before);
    expect(albumFiles(tmp.dir)).toEqual([]);
  });

  it('ordinary part headers, a few hundred bytes with a long file name, still pass', async () => {
    const res = await send(body([{ name: 'username', content: Buffer.from('sheldon') }, { name: 'picture', filename: `${'x'.repeat(200)}.jpg`, extraHeader: `x-note: ${'b'.repeat(2000)}\r\n`, content: picture('group/bbt1.jpg') }]));
    expect(res.statusCode).toBe(201);
  });
});
