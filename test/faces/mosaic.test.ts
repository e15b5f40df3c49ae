// Small faces in a big group photo (issue 14): face-api's six demo photos tiled 3x2 into one 5760 px picture.
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFaceEngine, type FaceEngine } from '../../core/faces/index.ts';
import { cosineDistance, normalize } from '../../core/match/index.ts';
import { demoSamples } from '../helpers.ts';

const W = 1920;
const H = 1280;

describe('a 5760 px mosaic of the six demo photos', () => {
  let engine: FaceEngine;
  beforeAll(() => {
    engine = createFaceEngine({ threads: 2 });
  });
  afterAll(async () => {
    await engine?.close();
  });

  it('finds at least 21 of its 22 faces, each with a descriptor within 0.15 of the same face in its own photo', async () => {
    const tiles = await Promise.all(demoSamples.map((f) => sharp(f).resize(W, H, { fit: 'contain', background: '#000' }).jpeg({ quality: 92 }).toBuffer()));
    const mosaic = await sharp({ create: { width: 3 * W, height: 2 * H, channels: 3, background: '#000' } })
      .composite(tiles.map((input, i) => ({ input, left: (i % 3) * W, top: Math.floor(i / 3) * H })))
      .jpeg({ quality: 92 })
      .toBuffer();
    const whole = await engine.analyze(mosaic);
    expect(whole.width).toBe(3 * W);
    let faces = 0;
    const found: number[] = [];
    for (const [i, tile] of tiles.entries()) {
      const own = await engine.analyze(tile);
      for (const face of own.faces) {
        faces++;
        const cx = face.box.x + face.box.width / 2 + (i % 3) * W;
        const cy = face.box.y + face.box.height / 2 + Math.floor(i / 3) * H;
        const same = whole.faces.find((g) => Math.abs(g.box.x + g.box.width / 2 - cx) < face.box.width / 2 && Math.abs(g.box.y + g.box.height / 2 - cy) < face.box.height / 2);
        if (same) found.push(cosineDistance(normalize(face.descriptor), normalize(same.descriptor)));
      }
    }
    expect(faces).toBe(22);
    expect(found.filter((d) => d <= 0.15).length, found.map((d) => d.toFixed(3)).join(' ')).toBeGreaterThanOrEqual(21);
    // Nothing else: every face of the mosaic is one of the photos' faces.
    expect(whole.faces.length).toBeLessThanOrEqual(22);
  });
});
