// Issue 26, item 8 (the part done): a HEIC photo, which sharp's prebuilt libvips cannot decode (its libheif
// has AV1 only, no HEVC), is refused with a message naming the format, by the CLI and by the album; AVIF, the
// other HEIF, is still read.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { albumForSuite, postForm } from '../album/helpers.ts';
import { demoSamples, tempDir } from '../helpers.ts';
import { runCli } from '../processes.ts';

/** The start of an iPhone's HEIC file: an ISO-BMFF `ftyp` box with brand heic (compatible mif1, heic). */
const heicFile = () => Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypheic'), Buffer.from([0, 0, 0, 0]), Buffer.from('mif1heic'), Buffer.alloc(2048, 7)]);

describe('phone photos (issue 26)', () => {
  const album = albumForSuite('facedrop-phone-');

  it('share names HEIC as the reason (exit 1) and still reads an AVIF', async () => {
    const dir = tempDir('facedrop-phone-cli-');
    fs.writeFileSync(path.join(dir, 'IMG_0001.HEIC'), heicFile());
    fs.writeFileSync(path.join(dir, 'IMG_0002.avif'), await sharp(demoSamples[0]!).avif({ quality: 60 }).toBuffer());
    const r = await runCli(['share', '--json', dir], { DATA_DIR: path.join(dir, 'data'), LOG_LEVEL: 'silent', FACE_THREADS: '1' });
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as { photos: Array<{ file: string; ok: boolean; faces?: number; error?: { code: string; message: string } }> };
    const [heic, avif] = report.photos;
    expect(heic).toMatchObject({ ok: false, error: { code: 'heic_unsupported' } });
    expect(heic!.error!.message).toMatch(/HEIC.*JPEG/);
    expect(avif).toMatchObject({ ok: true });
    expect(avif!.faces).toBeGreaterThan(0);
  });

  it('the album refuses a HEIC upload or selfie with 400 not_an_image saying it is HEIC, and stores nothing', async () => {
    const selfie = await postForm(album.app, '/api/accounts', { username: 'amy' }, [{ field: 'face', bytes: heicFile() }]);
    expect(selfie.statusCode).toBe(400);
    expect(selfie.json()).toMatchObject({ error: 'not_an_image', message: expect.stringMatching(/HEIC/) });
    const upload = await postForm(album.app, '/api/upload', { username: 'amy' }, [{ field: 'picture', bytes: heicFile() }]);
    expect(upload.statusCode).toBe(400);
    expect(upload.json()).toMatchObject({ error: 'not_an_image', message: expect.stringMatching(/HEIC/) });
    expect(fs.existsSync(path.join(album.dir, 'albums'))).toBe(false);
  });
});
