// Issue 26, item 8 (location), through the album's HTTP API: a phone photo with its GPS position and XMP is
// stored and served (original, download, zip, thumbnail) without them, pixels and date intact; its id and
// `sha256` stay the received picture's. Medium tier: real face engine and SQLite.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../album/app.ts';
import { exifTakenAt } from '../../album/exif.ts';
import { createFaceEngine, type FaceEngine } from '../../core/faces/index.ts';
import { openRecords, type Records } from '../../core/records/index.ts';
import { albumTestConfig, bbt, fileTempDir, postForm, sha256 } from './helpers.ts';
import { GPS_EXIF, GPS_XMP, holdsLatitude, ifd0Tags } from './location-fixtures.ts';

interface Listed {
  photos: Array<{ id: string; sha256: string; bytes: number; takenAt?: string; url: string; thumbnailUrl: string; downloadUrl: string }>;
}

describe('the album stores and serves photos without their location (issue 26)', () => {
  const tmp = fileTempDir('facedrop-location-');
  let engine: FaceEngine;
  let records: Records;
  let app: Awaited<ReturnType<typeof buildApp>>;
  let token: string;

  beforeAll(async () => {
    engine = createFaceEngine({ threads: 1 });
    records = await openRecords(`sqlite://${path.join(tmp.dir, 'store.sqlite')}`);
    app = await buildApp({ config: albumTestConfig(tmp.dir, { FACE_THREADS: '1' }), records, engine });
    const created = await postForm(app, '/api/accounts', { username: 'sheldon' }, [{ field: 'face', bytes: fs.readFileSync(bbt('sheldon/sheldon1.png')) }]);
    expect(created.statusCode, created.body).toBe(201);
    token = created.json<{ token: string }>().token;
  });
  afterAll(async () => {
    await app?.close();
    await records?.close();
    await engine?.close();
    tmp.remove();
  });

  it('serves a GPS-tagged JPEG without GPS or XMP, same pixels, same date, listed under the sha256 it was sent with', async () => {
    const sent = await sharp(bbt('group/bbt2.jpg')).withExif(GPS_EXIF).withXmp(GPS_XMP).jpeg({ quality: 90 }).toBuffer();
    expect(holdsLatitude(sent)).toBe(true);
    const upload = await postForm(app, '/api/upload', { username: 'sheldon' }, [{ field: 'picture', bytes: sent }]);
    expect(upload.statusCode, upload.body).toBe(201);
    expect(upload.json()).toEqual({ status: 'stored', id: sha256(sent) });

    const photo = (await app.inject({ method: 'GET', url: `/api/albums/${token}` })).json<Listed>().photos[0]!;
    expect(photo.sha256).toBe(sha256(sent));
    expect(photo.takenAt).toBe('2019-07-14T13:30:00.000Z');

    const original = (await app.inject({ method: 'GET', url: photo.url })).rawPayload;
    const download = (await app.inject({ method: 'GET', url: photo.downloadUrl })).rawPayload;
    expect(download.equals(original)).toBe(true);
    expect(photo.bytes).toBe(original.length);
    expect(original.length).toBe(sent.length); // zeroed in place, not cut out (embedded images keep their offsets)
    expect(original.equals(sent)).toBe(false);
    expect(holdsLatitude(original)).toBe(false);
    expect(original.includes('GPSLatitude')).toBe(false);
    expect(await ifd0Tags(original)).not.toContain(0x8825);
    const meta = await sharp(original).metadata();
    expect(meta.xmp).toBeUndefined();
    expect(exifTakenAt(meta.exif)).toBe('2019-07-14T13:30:00.000Z');
    // Lossless: the compressed pixels were not touched.
    expect((await sharp(original).raw().toBuffer()).equals(await sharp(sent).raw().toBuffer())).toBe(true);

    const thumbnail = (await app.inject({ method: 'GET', url: photo.thumbnailUrl })).rawPayload;
    expect((await sharp(thumbnail).metadata()).exif).toBeUndefined();
    expect(holdsLatitude(thumbnail)).toBe(false);

    // The zip stores its entries uncompressed: the served original is in it byte for byte, the latitude is not.
    const zip = (await app.inject({ method: 'GET', url: `/api/albums/${token}/download` })).rawPayload;
    expect(zip.includes(original)).toBe(true);
    expect(holdsLatitude(zip)).toBe(false);

    // Sent again, it is the same photo: the duplicate check still compares the received bytes.
    const again = await postForm(app, '/api/upload', { username: 'sheldon' }, [{ field: 'picture', bytes: sent }]);
    expect(again.json()).toEqual({ status: 'duplicate', id: sha256(sent) });
  });

  it('serves a GPS-tagged PNG and WebP without their location, pixels unchanged', async () => {
    for (const format of ['png', 'webp'] as const) {
      const sent = await sharp(bbt('group/bbt2.jpg')).withExif(GPS_EXIF).withXmp(GPS_XMP)[format](format === 'webp' ? { lossless: true } : {}).toBuffer();
      expect(holdsLatitude(sent)).toBe(true);
      const upload = await postForm(app, '/api/upload', { username: 'sheldon' }, [{ field: 'picture', bytes: sent, type: `image/${format}` }]);
      expect(upload.statusCode, upload.body).toBe(201);
      const original = (await app.inject({ method: 'GET', url: `/api/albums/${token}/photos/${sha256(sent)}` })).rawPayload;
      expect(holdsLatitude(original)).toBe(false);
      expect((await sharp(original).metadata()).xmp).toBeUndefined();
      expect((await sharp(original).raw().toBuffer()).equals(await sharp(sent).raw().toBuffer())).toBe(true);
    }
  });

  it('keeps a selfie (keepSelfies) without its location', async () => {
    const selfie = await sharp(bbt('sheldon/sheldon1.png')).withExif(GPS_EXIF).jpeg({ quality: 92 }).toBuffer();
    expect(holdsLatitude(selfie)).toBe(true);
    const created = await postForm(app, '/api/accounts', { username: 'sheldon-kept', keepSelfies: 'true' }, [{ field: 'face', bytes: selfie }]);
    expect(created.statusCode, created.body).toBe(201);
    const faces = (await app.inject({ method: 'GET', url: `/api/albums/${created.json<{ token: string }>().token}/faces` })).json<{ references: Array<{ imageUrl?: string }> }>();
    const kept = (await app.inject({ method: 'GET', url: faces.references[0]!.imageUrl! })).rawPayload;
    expect(holdsLatitude(kept)).toBe(false);
    expect((await sharp(kept).raw().toBuffer()).equals(await sharp(selfie).raw().toBuffer())).toBe(true);
  });

  it('refuses a JPEG whose metadata segments cannot be walked, before any face work, and stores nothing', async () => {
    const whole = await sharp(bbt('group/bbt2.jpg')).withExif(GPS_EXIF).jpeg().toBuffer();
    // Stray bytes after the EXIF segment: a header reader skips them, but where the metadata ends is no longer
    // certain, so neither is that no location is left.
    const app1 = whole.indexOf(Buffer.from([0xff, 0xe1]));
    const end = app1 + 2 + whole.readUInt16BE(app1 + 2);
    const broken = Buffer.concat([whole.subarray(0, end), Buffer.from('junk'), whole.subarray(end)]);
    expect((await sharp(broken).metadata()).format).toBe('jpeg');
    const before = (await app.inject({ method: 'GET', url: `/api/albums/${token}` })).json<Listed>().photos.length;
    const upload = await postForm(app, '/api/upload', { username: 'sheldon' }, [{ field: 'picture', bytes: broken }]);
    expect(upload.statusCode, upload.body).toBe(400);
    expect(upload.json<{ error: string }>().error).toBe('not_an_image');
    expect(upload.json<{ message: string }>().message).toMatch(/location could not be removed/);
    expect((await app.inject({ method: 'GET', url: `/api/albums/${token}` })).json<Listed>().photos.length).toBe(before);
  });
});
