// Issue 24: a packet may carry the terminal's face boxes as hints (`faceHints`). The album looks there first, with
// its own detector windows, landmarks and descriptors from its own pixels, and checks the whole picture whenever no
// hinted face verifies: a hint can make the check cheaper, never make a picture pass or be refused differently.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../album/app.ts';
import { verifyFaceAgainstAccount } from '../../album/checks.ts';
import { createFaceEngine, formatFaceHints, MAX_FACE_HINTS, parseFaceHints, type Box, type FaceEngine } from '../../core/faces/index.ts';
import { uploadPicture } from '../../core/share/album-client.ts';
import { openRecords, type Records } from '../../core/records/index.ts';
import { albumTestConfig, bbt, fileTempDir, postForm, sha256 } from './helpers.ts';

describe('face hints in the upload packet', () => {
  const tmp = fileTempDir('facedrop-hints-');
  const config = albumTestConfig(tmp.dir);
  const oldTmp = fileTempDir('facedrop-hints-old-');
  let engine: FaceEngine;
  let records: Records;
  let oldRecords: Records;
  let app: Awaited<ReturnType<typeof buildApp>>;
  /** An album whose engine predates hints (no analyzeAround): it checks every picture whole, whatever is sent. */
  let oldApp: Awaited<ReturnType<typeof buildApp>>;
  let bbt2: Buffer, bbt4: Buffer;
  /** bbt2's faces as the terminal found them: Sheldon's and another's (there is no Howard in it). */
  let sheldonBox: Box, leonardBox: Box;

  beforeAll(async () => {
    bbt2 = fs.readFileSync(bbt('group/bbt2.jpg'));
    bbt4 = fs.readFileSync(bbt('group/bbt4.jpg'));
    // No cache: every upload below really analyses (a cached whole analysis would answer a hinted check too).
    engine = createFaceEngine({ threads: 2, cacheEntries: 0 });
    records = await openRecords(`sqlite://${path.join(tmp.dir, 'store.sqlite')}`);
    oldRecords = await openRecords(`sqlite://${path.join(oldTmp.dir, 'store.sqlite')}`);
    app = await buildApp({ config, records, engine });
    const oldEngine: FaceEngine = { threads: engine.threads, analyze: (b, m) => engine.analyze(b, m), selfie: (b) => engine.selfie(b), close: async () => {} };
    oldApp = await buildApp({ config: albumTestConfig(oldTmp.dir), records: oldRecords, engine: oldEngine });
    for (const [a, name] of [[app, 'sheldon'], [app, 'howard'], [oldApp, 'sheldon']] as const) {
      const res = await postForm(a, '/api/accounts', { username: name }, [{ field: 'face', bytes: fs.readFileSync(bbt(`${name}/${name}1.png`)) }]);
      expect(res.statusCode, name).toBe(201);
    }
    // The terminal's side: which of bbt2's faces is Sheldon's, by the album's own verification rule.
    const account = (await records.albums.account('sheldon'))!;
    const terminal = await engine.analyze(bbt2);
    const isSheldon = (f: (typeof terminal.faces)[number]) => verifyFaceAgainstAccount({ faces: [f], descriptorModel: terminal.descriptorModel }, account, config.ALBUM_VERIFY_THRESHOLD).kind === 'match';
    expect(terminal.faces.filter(isSheldon)).toHaveLength(1);
    expect(terminal.faces.length).toBeGreaterThanOrEqual(2);
    sheldonBox = terminal.faces.find(isSheldon)!.box;
    leonardBox = terminal.faces.find((f) => !isSheldon(f))!.box;
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await oldApp?.close();
    await records?.close();
    await oldRecords?.close();
    await engine?.close();
    tmp.remove();
    oldTmp.remove();
  });

  const upload = (a: typeof app, username: string, picture: Uint8Array, hints?: string) =>
    postForm(a, '/api/upload', { username, ...(hints !== undefined ? { faceHints: hints } : {}) }, [{ field: 'picture', bytes: picture }]);
  const spies = () => ({ whole: vi.spyOn(engine, 'analyze'), around: vi.spyOn(engine, 'analyzeAround' as never) as unknown as ReturnType<typeof vi.fn> });

  it("stores a picture whose hint points at the owner's face after looking only there (the whole picture is not analysed)", async () => {
    const { whole, around } = spies();
    try {
      const res = await upload(app, 'sheldon', bbt2, formatFaceHints([sheldonBox]));
      expect(res.statusCode).toBe(201);
      expect(res.json()).toEqual({ status: 'stored', id: sha256(bbt2) });
      expect(around).toHaveBeenCalledTimes(1);
      expect(whole).not.toHaveBeenCalled();
      const stored = (await records.albums.listPhotos('sheldon')).find((p) => p.id === sha256(bbt2))!;
      // The record names the face the album found itself, where the hint pointed.
      expect(Math.abs(stored.faceBox!.x - sheldonBox.x)).toBeLessThan(2);
    } finally {
      vi.restoreAllMocks();
    }
  });

  it("refuses a picture whose hint points at a stranger's face, or at no face, exactly as it refuses it without hints", async () => {
    const without = await upload(app, 'howard', bbt2);
    expect(without.statusCode).toBe(422);
    for (const hints of [formatFaceHints([sheldonBox]), formatFaceHints([leonardBox]), formatFaceHints([sheldonBox, leonardBox]), formatFaceHints([{ x: 0, y: 0, width: 60, height: 60 }])]) {
      const { whole, around } = spies();
      try {
        const res = await upload(app, 'howard', bbt2, hints);
        expect(res.statusCode, hints).toBe(without.statusCode);
        expect(res.json(), hints).toEqual(without.json());
        // Looked where the hint said, found nothing verifying, then checked the whole picture as without hints.
        expect(around).toHaveBeenCalledTimes(1);
        expect(whole).toHaveBeenCalledTimes(1);
      } finally {
        vi.restoreAllMocks();
      }
    }
    expect(await records.albums.listPhotos('howard')).toEqual([]);
  });

  it("stores a picture holding the owner whose hint points at someone else's face, by the whole check", async () => {
    const { whole, around } = spies();
    try {
      const res = await upload(app, 'sheldon', bbt4, formatFaceHints([{ x: 0, y: 0, width: 80, height: 80 }]));
      expect(res.statusCode).toBe(201);
      expect(around).toHaveBeenCalledTimes(1);
      expect(whole).toHaveBeenCalledTimes(1);
    } finally {
      vi.restoreAllMocks();
    }
  });

  it('checks an upload with no hints, or with malformed ones, as before: the whole picture, nothing else', async () => {
    for (const hints of [undefined, 'not json', '[[1,2,3]]', '[[-5,0,10,10]]', JSON.stringify(Array.from({ length: MAX_FACE_HINTS + 1 }, () => [0, 0, 10, 10]))]) {
      expect(parseFaceHints(hints)).toBeUndefined();
      const { whole, around } = spies();
      try {
        const res = await upload(app, 'howard', bbt4, hints);
        expect(res.statusCode, String(hints)).toBe(422);
        expect(around).not.toHaveBeenCalled();
        expect(whole).toHaveBeenCalledTimes(1);
      } finally {
        vi.restoreAllMocks();
      }
    }
  });

  it('interoperates across versions: an old packet (no hints) is stored; a new terminal with hints is stored by an album that ignores them', async () => {
    await app.listen({ host: '127.0.0.1', port: 0 });
    await oldApp.listen({ host: '127.0.0.1', port: 0 });
    const address = (a: typeof app) => {
      const at = a.server.address();
      return `http://127.0.0.1:${typeof at === 'object' && at ? at.port : 0}`;
    };
    // Old terminal, new album.
    const bbt5 = fs.readFileSync(bbt('group/bbt5.jpg'));
    const old = await uploadPicture({ album: address(app), username: 'sheldon', picture: bbt5 });
    expect(old).toEqual({ status: 'stored', id: sha256(bbt5) });
    // New terminal (hints at every face it could send: the most a packet carries), album that predates hints.
    const boxes = Array.from({ length: MAX_FACE_HINTS }, () => ({ x: 99_999.4, y: 99_999.4, width: 99_999.4, height: 99_999.4 }));
    expect(Buffer.byteLength(formatFaceHints(boxes))).toBeLessThan(1024); // an album's text field limit (app.ts)
    const fresh = await uploadPicture({ album: address(oldApp), username: 'sheldon', picture: bbt2, faceHints: [sheldonBox, ...boxes.slice(1)] });
    expect(fresh).toEqual({ status: 'stored', id: sha256(bbt2) });
    // And the new album with the new terminal's real hint.
    expect(await uploadPicture({ album: address(app), username: 'howard', picture: bbt2, faceHints: [sheldonBox] }).catch((e: { code?: string }) => e.code)).toBe('no_matching_face');
  });
});
