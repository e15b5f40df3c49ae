// A stand-in for ../shared/faces/bbt built from photos that ship with face-api (its demo sample1-6), so
// the plumbing suites (album, bots, CLI, terminal, crash, browser) run on any clone. Same shape and names
// as bbt (8 members with 5 selfies each, 5 group photos with bbt's truth): each member is a face cut from
// a demo photo, each group photo pastes those members' faces (and strangers in bbt2) on one canvas.
// It proves plumbing only: the accuracy tests keep needing the real labelled fixtures.
import fs from 'node:fs';
import path from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { DEMO_DIR } from '../bench/fixtures.ts';

/**
 * Face boxes [x, y, width, height] in the demo photos (found once by face-api's SSD; they only place the crops).
 * Every member is a face the age net reads as an adult in each selfie and group photo (20-37 years; children's
 * faces get their own, stricter, tables: core/match/age.ts): plumbing must not hang on an age estimate.
 */
const DEMO_FACES = {
  amy: [5, [786, 107, 155, 214]],
  bernadette: [5, [1111, 197, 161, 238]],
  howard: [5, [1405, 388, 167, 271]],
  leonard: [1, [823, 400, 216, 268]],
  penny: [5, [377, 862, 172, 298]],
  raj: [1, [1456, 200, 235, 262]],
  sheldon: [6, [1485, 260, 212, 299]],
  stuart: [6, [1179, 306, 190, 278]],
} as const satisfies Record<string, readonly [number, readonly [number, number, number, number]]>;
const STRANGERS = [
  [6, [250, 466, 210, 293]],
  [3, [584, 329, 200, 272]],
] as const;

/** bbt's truth.json: who is in which group photo. */
const PHOTOS: Record<string, string[]> = {
  'group/bbt1.jpg': ['raj', 'leonard', 'howard', 'sheldon'],
  'group/bbt2.jpg': ['leonard', 'sheldon'],
  'group/bbt3.jpg': ['sheldon', 'howard', 'penny', 'raj', 'leonard'],
  'group/bbt4.jpg': ['amy', 'raj', 'bernadette', 'leonard', 'penny', 'sheldon'],
  'group/bbt5.jpg': ['raj', 'penny', 'sheldon', 'leonard', 'howard'],
};

type Face = readonly [number, readonly [number, number, number, number]];

/** The face with `margin` (share of its size) around it, from its demo photo. */
async function cut([sample, [x, y, width, height]]: Face, margin: number): Promise<Sharp> {
  const file = path.join(DEMO_DIR, `sample${sample}.jpg`);
  const { width: w = 0, height: h = 0 } = await sharp(file).metadata();
  const left = Math.max(0, Math.round(x - width * margin));
  const top = Math.max(0, Math.round(y - height * margin));
  return sharp(file).extract({ left, top, width: Math.min(w - left, Math.round(width * (1 + 2 * margin))), height: Math.min(h - top, Math.round(height * (1 + 2 * margin))) });
}

/** Selfie variants: different margins and sizes, one mirrored, so a member's five selfies are five files. */
const SELFIES = [
  { margin: 0.4, width: 300, flop: false },
  { margin: 0.5, width: 260, flop: false },
  { margin: 0.35, width: 320, flop: true },
  { margin: 0.6, width: 280, flop: false },
  { margin: 0.45, width: 240, flop: true },
];

/** Writes the stand-in under `dir` (dir/bbt/...), in bbt's layout; returns `dir`. */
export async function writeDemoBbt(dir: string): Promise<string> {
  const root = path.join(dir, 'bbt');
  for (const [member, face] of Object.entries(DEMO_FACES)) {
    fs.mkdirSync(path.join(root, member), { recursive: true });
    for (const [i, v] of SELFIES.entries()) {
      const image = (await cut(face, v.margin)).resize({ width: v.width });
      await (v.flop ? image.flop() : image).png().toFile(path.join(root, member, `${member}${i + 1}.png`));
    }
  }
  fs.mkdirSync(path.join(root, 'group'), { recursive: true });
  for (const [photo, members] of Object.entries(PHOTOS)) {
    const faces: Face[] = [...members.map((m) => DEMO_FACES[m as keyof typeof DEMO_FACES]), ...(photo.endsWith('bbt2.jpg') ? STRANGERS : [])];
    // Measured: with a 30% margin, three to a row, the detector (SSD before, UltraFace now) finds every face of
    // every photo (4, 4, 5, 6, 5); each lies 0.00-0.04 from its member's first selfie, the strangers 0.75 and
    // 0.83 from anyone, and all 40 selfies register.
    const tile = 320;
    const columns = Math.min(3, faces.length);
    const rows = Math.ceil(faces.length / columns);
    const tiles = await Promise.all(faces.map(async (f) => (await cut(f, 0.3)).resize({ width: tile, height: tile, fit: 'contain', background: '#777' }).toBuffer()));
    await sharp({ create: { width: tile * columns + 40, height: tile * rows + 80, channels: 3, background: '#777' } })
      .composite(tiles.map((input, i) => ({ input, left: 20 + (i % columns) * tile, top: 40 + Math.floor(i / columns) * tile })))
      .jpeg({ quality: 92 })
      .toFile(path.join(root, photo));
  }
  fs.writeFileSync(path.join(root, 'truth.json'), JSON.stringify({ members: Object.keys(DEMO_FACES), selfies: 'bbt/<member>/<member><1..5>.png', photos: PHOTOS, notes: 'Stand-in made from face-api demo photos (test/demo-fixture.ts).' }, null, 2));
  return dir;
}
