// The album's pure parts and its file layer, without a face engine: fast.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { inspectImage, parseUsername, verifyFaceAgainstAccount } from '../../album/checks.ts';
import { AlbumError, toErrorResponse } from '../../album/errors.ts';
import { redactUrl } from '../../album/app.ts';
import { newToken } from '../../album/records.ts';
import { signUpload, verifyUploadSignature } from '../../album/signature.ts';
import { PhotoStorage, TEMP_PREFIX, writeFileAtomic } from '../../album/storage.ts';
import { signPacket } from '../../core/share/album-client.ts';
import { tempDir, listFiles } from '../helpers.ts';
import { sha256 } from './helpers.ts';

const face = (descriptor: number[]) => ({ box: { x: 1, y: 2, width: 30, height: 30 }, score: 0.9, landmarks: [], descriptor });
const unit = (i: number, dim = 128) => Array.from({ length: dim }, (_, k) => (k === i ? 1 : 0));
const mix = (a: number[], b: number[], t: number) => a.map((v, k) => v * (1 - t) + b[k]! * t);

describe('verifyFaceAgainstAccount', () => {
  const account = { descriptorModel: 'm1', references: [{ id: 'r', descriptor: unit(0).map((v) => v * 3), box: face([]).box, sha256: 'x', addedAt: '' }] };

  it('accepts when the nearest face is closer than the threshold, whatever the descriptor lengths (cosine on normalised vectors)', () => {
    const near = mix(unit(0), unit(1), 0.2); // cosine distance ~0.019
    const verdict = verifyFaceAgainstAccount({ descriptorModel: 'm1', faces: [face(unit(5)), face(near.map((v) => v * 0.5))] }, account, 0.09);
    expect(verdict).toMatchObject({ kind: 'match', box: { x: 1 } });
    expect(verdict.kind === 'match' && verdict.distance).toBeCloseTo(1 - 0.8 / Math.hypot(0.8, 0.2), 5);
  });

  it('refuses when every face is at or beyond the threshold, and when there is no face', () => {
    expect(verifyFaceAgainstAccount({ descriptorModel: 'm1', faces: [face(unit(3)), face(mix(unit(0), unit(1), 0.5))] }, account, 0.09).kind).toBe('no_match');
    expect(verifyFaceAgainstAccount({ descriptorModel: 'm1', faces: [] }, account, 0.09)).toEqual({ kind: 'no_match', distance: Infinity });
  });

  it('takes the best of several references', () => {
    const two = { ...account, references: [...account.references, { ...account.references[0]!, descriptor: unit(7) }] };
    expect(verifyFaceAgainstAccount({ descriptorModel: 'm1', faces: [face(unit(7))] }, two, 0.09).kind).toBe('match');
  });

  it('never compares descriptors of different models', () => {
    expect(verifyFaceAgainstAccount({ descriptorModel: 'm2', faces: [face(unit(0))] }, account, 0.09)).toEqual({ kind: 'model_mismatch' });
  });
});

describe('parseUsername', () => {
  it.each(['sheldon', 'a', 'S.Cooper_73-b', 'x'.repeat(64), '.a', 'a.'])('accepts %j', (u) => expect(parseUsername(u)).toBe(u));
  it.each(['', '.', '..', '...', '../x', 'a/b', 'a\\b', 'x'.repeat(65), 'shеldon', 'é', 'a b', 'a\u0000', undefined, 42])('refuses %j', (u) => {
    expect(() => parseUsername(u)).toThrow(AlbumError);
  });
});

describe('tokens', () => {
  it('are 192 random bits, URL-safe, never repeated', () => {
    const tokens = new Set(Array.from({ length: 1000 }, newToken));
    expect(tokens.size).toBe(1000);
    for (const t of tokens) expect(t).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });

  it('are redacted from logged URLs', () => {
    expect(redactUrl('/a/abc123?x=1')).toBe('/a/[token]?x=1');
    expect(redactUrl('/api/albums/abc123/photos/ff')).toBe('/api/albums/[token]/photos/ff');
  });
});

describe('upload signatures', () => {
  const secret = 'a-shared-secret-of-some-length';
  const hash = 'ab'.repeat(32);
  it("verify the terminal's signPacket and its own signUpload, within five minutes", () => {
    const picture = Buffer.from('picture bytes');
    expect(verifyUploadSignature(secret, { 'x-facedrop-signature': signPacket(secret, 'amy', picture) }, 'amy', sha256(picture))).toBe(true);
    expect(verifyUploadSignature(secret, { 'x-facedrop-signature': signUpload(secret, 'amy', hash) }, 'amy', hash)).toBe(true);
    const old = signUpload(secret, 'amy', hash, Math.floor(Date.now() / 1000) - 301);
    expect(verifyUploadSignature(secret, { 'x-facedrop-signature': old }, 'amy', hash)).toBe(false);
    expect(verifyUploadSignature(secret, { 'x-facedrop-signature': signUpload(secret, 'amy', hash) }, 'bob', hash)).toBe(false);
    expect(verifyUploadSignature(secret, {}, 'amy', hash)).toBe(false);
  });
});

describe('errors', () => {
  it('pass 4xx through as {error, message} and hide 5xx details', () => {
    expect(toErrorResponse(new AlbumError('unknown_account'))).toMatchObject({ status: 404, body: { error: 'unknown_account' } });
    expect(toErrorResponse(Object.assign(new Error('reach files limit'), { code: 'FST_FILES_LIMIT', statusCode: 413 }))).toMatchObject({ status: 413, body: { error: 'too_many_files' } });
    const hidden = toErrorResponse(new Error('ENOENT /secret/path/store.sqlite'));
    expect(hidden.status).toBe(500);
    expect(JSON.stringify(hidden.body)).not.toContain('secret');
  });
});

describe('PhotoStorage', () => {
  it('writes atomically: the final file appears complete, with no temp file left', async () => {
    const dir = tempDir();
    const target = path.join(dir, 'a', 'b.bin');
    await writeFileAtomic(target, Buffer.from('hello'));
    expect(fs.readFileSync(target, 'utf8')).toBe('hello');
    expect(listFiles(dir)).toEqual([path.join('a', 'b.bin')]);
  });

  it('builds paths only from validated parts, inside DATA_DIR/albums', () => {
    const storage = new PhotoStorage(tempDir());
    const id = 'f'.repeat(64);
    expect(storage.photoPath('Sheldon', id, 'jpg')).toBe(path.join(storage.root, 'sheldon', `${id}.jpg`));
    expect(() => storage.albumDir('..')).toThrow();
    expect(() => storage.albumDir('../x')).toThrow();
    expect(() => storage.photoPath('sheldon', '../../etc/passwd', 'jpg')).toThrow();
    expect(() => storage.photoPath('sheldon', id, 'jpg/../x')).toThrow();
  });

  it('sweeps temp files a killed process left behind, and nothing else', async () => {
    const dataDir = tempDir();
    const storage = new PhotoStorage(dataDir);
    const album = storage.albumDir('amy');
    fs.mkdirSync(path.join(album, 'thumbs'), { recursive: true });
    fs.writeFileSync(path.join(album, `${TEMP_PREFIX}1`), 'half');
    fs.writeFileSync(path.join(album, 'thumbs', `${TEMP_PREFIX}2`), 'half');
    fs.writeFileSync(path.join(album, `${'a'.repeat(64)}.jpg`), 'whole');
    expect((await storage.sweepTemporaryFiles()).length).toBe(2);
    expect(listFiles(path.join(dataDir, 'albums'))).toEqual([path.join('amy', `${'a'.repeat(64)}.jpg`)]);
  });
});

describe('inspectImage', () => {
  it('reads type and size from the header and refuses what is not a photo', async () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108020000009077' + '53de0000000c4944415478da63f8ffff3f0005fe02fe0d3b5a5c0000000049454e44ae426082', 'hex');
    expect(await inspectImage(png)).toMatchObject({ ext: 'png', mime: 'image/png', width: 1, height: 1 });
    await expect(inspectImage(Buffer.from('GIF89a nonsense'))).rejects.toMatchObject({ code: 'not_an_image' });
    await expect(inspectImage(Buffer.alloc(0))).rejects.toMatchObject({ code: 'not_an_image' });
  });
});
