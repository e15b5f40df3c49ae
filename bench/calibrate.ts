// `npm run calibrate`: measures how close strangers' faces come to members' references (the impostor
// distance distribution) on half of the crowd fixture's strangers, and writes core/match/calibration.json.
import fs from 'node:fs';
import path from 'node:path';
import { DESCRIPTOR_MODEL } from '../core/faces/index.ts';
import { normalize } from '../core/match/index.ts';
import { loadCrowd, strangerHalves } from './crowd.ts';
import { hasFixtures } from './fixtures.ts';

const log = (s: string) => process.stdout.write(`${s}\n`);
if (!hasFixtures('crowd')) {
  log('skipped: ../shared/faces/crowd not found');
  process.exit(0);
}
const data = await loadCrowd(log);
const { calibration } = strangerHalves(data);
// A stranger's face meets a member as the nearest of that member's selfies, so the rate that matters is per
// member, not per selfie: a member's selfies look alike, and a face close to one is close to the others.
// One table per number of selfies (1-3), of the distance to the nearest of a member's first k selfies.
const memberRefs = data.members.map((m) => data.selfies[m]!.slice(0, 3).map(normalize));
const faces = calibration.flatMap((photo) => photo.faces.map((f) => normalize(f.descriptor)));
const byReferences: Record<string, Array<{ p: number; distance: number }>> = {};
const summary: string[] = [];
for (const k of [1, 2, 3]) {
  const distances: number[] = [];
  for (const q of faces) {
    for (const refs of memberRefs) {
      if (refs.length < k) continue;
      let nearest = Infinity;
      for (const r of refs.slice(0, k)) {
        let dot = 0;
        for (let i = 0; i < q.length; i++) dot += q[i]! * r[i]!;
        nearest = Math.min(nearest, 1 - dot);
      }
      distances.push(nearest);
    }
  }
  const { points, slope, intercept } = table(distances.sort((a, b) => a - b));
  byReferences[k] = points;
  summary.push(`k=${k}: ${distances.length} stranger-member pairs, lowest ${distances.slice(0, 3).map((d) => d.toFixed(3)).join(' ')}, tail ln p = ${slope.toFixed(2)} d ${intercept.toFixed(2)}`);
}

/** Empirical quantiles where at least MIN_SUPPORT pairs back them; an exponential fit of the lowest 1% below. */
function table(distances: number[]) {
  const n = distances.length;
  // ln p is close to linear in distance over the lowest 1% of the tail; the fit is used only where fewer than
  // MIN_SUPPORT pairs back the empirical point.
  const MIN_SUPPORT = 30;
  const xs = distances.slice(MIN_SUPPORT, Math.floor(n * 0.01));
  const ys = xs.map((_, i) => Math.log((i + MIN_SUPPORT + 1) / n));
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  const slope = xs.reduce((s, x, i) => s + (x - mx) * (ys[i]! - my), 0) / xs.reduce((s, x) => s + (x - mx) ** 2, 0);
  const intercept = my - slope * mx;
  const points: Array<{ p: number; distance: number }> = [];
  for (let e = -8; e <= -1; e += 0.25) {
    const p = 10 ** e;
    const index = Math.floor(p * n);
    const distance = index >= MIN_SUPPORT ? distances[index]! : (Math.log(p) - intercept) / slope;
    points.push({ p: Number(p.toPrecision(4)), distance: Number(distance.toFixed(4)) });
  }
  // Monotone where the fit and the empirical part meet.
  for (let i = 1; i < points.length; i++) points[i]!.distance = Math.max(points[i]!.distance, points[i - 1]!.distance);
  return { points, slope, intercept };
}

const out = {
  descriptorModel: DESCRIPTOR_MODEL,
  source: `../shared/faces/crowd: ${calibration.length} stranger photos (even positions; ${faces.length} faces) x ${data.members.length} members' first 1-3 selfies`,
  byReferences,
};
const file = path.join(import.meta.dirname, '..', 'core', 'match', 'calibration.json');
fs.writeFileSync(file, `${JSON.stringify(out, null, 1)}\n`);
for (const line of summary) log(line);
log(`wrote ${path.relative(process.cwd(), file)}`);
