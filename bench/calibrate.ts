// `npm run calibrate`: measures how close strangers' faces come to members' references (the impostor
// distance distribution) in each calibration population, and writes core/match/calibration.json:
// - crowd: LFW celebrities (../shared/faces/crowd), the strangers at even positions against the 300 members;
// - london: ordinary volunteers (../shared/faces/london), all 62, each one's photo used as a selfie against
//   every other one's photos. (Half of them was tried: the set's closest look-alike pairs lie across the two
//   halves, so a half's table let 13 of 10,400 stranger faces through on the whole set at 10 members.)
// - children: the children set (../shared/faces/children, UTKFace crops by age, non-commercial research terms):
//   per child age band, its stranger pairs' table and how old the age net reads the band's faces.
// The crowd's other half is held out for `npm run bench`. The table the terminal reads is, at every p, the
// strictest (closest) of the populations': the bound must hold for ordinary people, not only for celebrities.
import fs from 'node:fs';
import path from 'node:path';
import { ANALYSIS_VERSION, DESCRIPTOR_MODEL } from '../core/faces/index.ts';
import { AGE_BANDS, bandOfAge, binomialAtLeast, normalize, populationShift, type AgeCalibration } from '../core/match/index.ts';
import { hasChildren, loadChildren } from './children.ts';
import { loadCrowd, strangerHalves } from './crowd.ts';
import { hasFixtures } from './fixtures.ts';
import { EXPRESSIONS, hasLondon, loadLondon } from './london.ts';

type Points = Array<{ p: number; distance: number }>;
const log = (s: string) => process.stdout.write(`${s}\n`);
if (!hasFixtures('crowd') || !hasLondon() || !hasChildren()) {
  log('skipped: ../shared/faces/crowd, london or children not found');
  process.exit(0);
}
const summary: string[] = [];
const REFERENCES = [1, 2, 3];

/** Distance from a face to the nearest of a member's first k references (unit vectors). */
function nearest(q: Float32Array, refs: Float32Array[], k: number): number {
  let best = Infinity;
  for (const r of refs.slice(0, k)) {
    let dot = 0;
    for (let i = 0; i < q.length; i++) dot += q[i]! * r[i]!;
    best = Math.min(best, 1 - dot);
  }
  return best;
}

/** Empirical quantiles where at least MIN_SUPPORT pairs back them; an exponential fit of the lowest tail below. */
/**
 * The fit's distance at p, moved down to the closest pairs while more pairs lie under it than p makes
 * plausible (binomial, 95%): a tail heavier than the fit's (siblings, twins) must not loosen the table.
 * `people` holds each pair of people once (sorted), so one pair seen from both sides counts once.
 */
function plausible(distance: number, p: number, people: number[]): number {
  let t = distance;
  for (;;) {
    let k = 0;
    while (k < people.length && people[k]! < t) k++;
    if (k === 0 || binomialAtLeast(k, people.length, p) >= 0.05) return t;
    t = people[k - 1]!;
  }
}

function table(name: string, k: number, distances: number[], people?: number[]): Points {
  const n = distances.length;
  distances.sort((a, b) => a - b);
  // ln p is close to linear in distance over the lowest tail (1%, or 120 pairs for a small population); the fit
  // is used only where fewer than MIN_SUPPORT pairs back the empirical point.
  const MIN_SUPPORT = 30;
  const end = Math.min(n, Math.max(Math.floor(n * 0.01), 4 * MIN_SUPPORT));
  const xs = distances.slice(MIN_SUPPORT, end);
  const ys = xs.map((_, i) => Math.log((i + MIN_SUPPORT + 1) / n));
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  const slope = xs.reduce((s, x, i) => s + (x - mx) * (ys[i]! - my), 0) / xs.reduce((s, x) => s + (x - mx) ** 2, 0);
  const intercept = my - slope * mx;
  const points: Points = [];
  for (let e = -8; e <= -1; e += 0.25) {
    const p = 10 ** e;
    const index = Math.floor(p * n);
    // Below MIN_SUPPORT pairs the fit; for children also no further than their closest pairs make plausible.
    const fit = (Math.log(p) - intercept) / slope;
    const distance = index >= MIN_SUPPORT ? distances[index]! : people ? plausible(fit, p, people) : fit;
    points.push({ p: Number(p.toPrecision(4)), distance: Number(distance.toFixed(4)) });
  }
  // Monotone where the fit and the empirical part meet.
  for (let i = 1; i < points.length; i++) points[i]!.distance = Math.max(points[i]!.distance, points[i - 1]!.distance);
  summary.push(`${name} k=${k}: ${n} stranger-member pairs, lowest ${distances.slice(0, 3).map((d) => d.toFixed(3)).join(' ')}, tail ln p = ${slope.toFixed(2)} d ${intercept.toFixed(2)}`);
  return points;
}

const populations: Record<string, { source: string; byReferences: Record<string, Points> }> = {};

{
  // A stranger's face meets a member as the nearest of that member's selfies, so the rate that matters is per
  // member, not per selfie: a member's selfies look alike, and a face close to one is close to the others.
  const data = await loadCrowd(log);
  const { calibration } = strangerHalves(data);
  const memberRefs = data.members.map((m) => data.selfies[m]!.slice(0, 3).map(normalize));
  const faces = calibration.flatMap((photo) => photo.faces.map((f) => normalize(f.descriptor)));
  const byReferences: Record<string, Points> = {};
  for (const k of REFERENCES) {
    const distances: number[] = [];
    for (const q of faces) for (const refs of memberRefs) if (refs.length >= k) distances.push(nearest(q, refs, k));
    byReferences[k] = table('crowd', k, distances);
  }
  populations.crowd = { source: `../shared/faces/crowd: ${calibration.length} stranger photos (even positions; ${faces.length} faces) x ${data.members.length} members' first 1-3 selfies`, byReferences };
}

{
  // Two photos per person: each is a selfie against every other person's two photos. 15,128 pairs show the
  // volunteers' tail only down to about 1 pair in 500, while the thresholds need 1 in 10,000 and beyond. So the
  // tail's shape comes from the crowd, measured over 290,000 pairs, and its position from the volunteers: the
  // crowd table moved closer by the shift that their closest pairs show (core/match/population.ts, the same
  // estimate a group's own members get), with 95% confidence.
  const people = await loadLondon(log);
  const distances: number[] = [];
  for (const a of people) {
    for (const e of EXPRESSIONS) {
      const selfie = a.selfie[e];
      if (!selfie) continue;
      const ref = [normalize(selfie)];
      for (const b of people) if (b !== a) for (const f of EXPRESSIONS) for (const face of b.photo[f]) distances.push(nearest(normalize(face.descriptor), ref, 1));
    }
  }
  distances.sort((a, b) => a - b);
  const crowd = populations.crowd!.byReferences;
  const shift = populationShift(distances, (p) => quantile(crowd[1]!, p));
  const byReferences: Record<string, Points> = {};
  for (const k of REFERENCES) byReferences[k] = crowd[k]!.map(({ p, distance }) => ({ p, distance: Number((distance - shift).toFixed(4)) }));
  summary.push(`london k=1: ${distances.length} stranger-member pairs, lowest ${distances.slice(0, 3).map((d) => d.toFixed(3)).join(' ')}; closer than the crowd by ${shift.toFixed(3)}`);
  populations.london = {
    source: `../shared/faces/london: all ${people.length} volunteers, each photo as a selfie against the others' photos (${distances.length} pairs): the crowd tables ${shift.toFixed(3)} closer`,
    byReferences,
  };
}

function quantile(pts: Points, p: number): number {
  if (p <= pts[0]!.p) return pts[0]!.distance;
  for (let i = 1; i < pts.length; i++) {
    const b = pts[i]!;
    if (p <= b.p) {
      const a = pts[i - 1]!;
      return a.distance + ((Math.log(p) - Math.log(a.p)) / (Math.log(b.p) - Math.log(a.p))) * (b.distance - a.distance);
    }
  }
  return pts[pts.length - 1]!.distance;
}

const byReferences: Record<string, Points> = {};
for (const k of REFERENCES) {
  const tables = Object.values(populations).map((pop) => pop.byReferences[k]!);
  byReferences[k] = tables[0]!.map(({ p }, i) => ({ p, distance: Math.min(...tables.map((t) => t[i]!.distance)) }));
}

// Children. The set holds about one photo per person, so its pairs are pairs of different people, apart from
// the same picture filed twice (re-encoded copies: cosine under 0.10, nearer than two photos of one London
// volunteer from one sitting, median 0.07-0.13): those are dropped and counted.
const NEAR_DUPLICATE = 0.1;
/**
 * How far into a band's own estimates a face may read older before it is taken for the next band. A child's
 * face is judged by the adults' table only when both it and the member's selfie read older (the pair takes
 * the younger band), so for each band the share q that may read older is the largest with
 * q² x (the band's pairs under the adults' threshold) within the bound per pair, at 10, 20 and 100 members.
 */
const QUANTILE_GRID = [0.8, 0.85, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999];
const BOUND = 0.001;
/** A confirmation-only member's guardians are asked about a stranger's face at most this often per pair. */
const ASK_RATE = 0.01;
/** A band is confirmation-only where its threshold finds fewer than this share of members' own photos. */
const USEFUL_RECALL = 0.25;
const ages: AgeCalibration = await (async () => {
  const kids = (await loadChildren(log)).filter((k) => k.selfie && k.photo.length > 0);
  const crowd = await loadCrowd(log);
  // Members' own photos against their first selfie (the crowd's genuine pairs): what a threshold finds.
  const genuine: number[] = [];
  for (const photo of crowd.photos) {
    for (const m of photo.truth) {
      const selfie = crowd.selfies[m]?.[0];
      if (!selfie) continue;
      genuine.push(Math.min(...photo.faces.map((f) => nearest(normalize(f.descriptor), [normalize(selfie)], 1))));
    }
  }
  genuine.sort((a, b) => a - b);
  const usefulDistance = Number(genuine[Math.floor(genuine.length * USEFUL_RECALL)]!.toFixed(4));
  const crowdOne = populations.crowd!.byReferences[1]!;
  const adultOne = byReferences[1]!;
  let cutoff = -Infinity;
  const bands = AGE_BANDS.slice(0, 3).map((name, b) => {
    const own = kids.filter((k) => bandOfAge(k.age) === b);
    const estimates = own.map((k) => k.selfie!.age).sort((x, y) => x - y);
    const distances: number[] = [];
    const people = new Map<string, number>();
    let duplicates = 0;
    for (const [i, a] of own.entries()) {
      const ref = [normalize(a.selfie!.descriptor)];
      for (const [j, other] of own.entries()) {
        if (other === a) continue;
        for (const f of other.photo) {
          const d = nearest(normalize(f.descriptor), ref, 1);
          if (d < NEAR_DUPLICATE) duplicates++;
          else {
            distances.push(d);
            const key = i < j ? `${i}:${j}` : `${j}:${i}`;
            people.set(key, Math.min(people.get(key) ?? Infinity, d));
          }
        }
      }
    }
    const sorted = [...distances].sort((x, y) => x - y);
    const under = (t: number) => { let lo = 0, hi = sorted.length; while (lo < hi) { const mid = (lo + hi) >> 1; if (sorted[mid]! < t) lo = mid + 1; else hi = mid; } return lo / sorted.length; };
    const quantile_ = QUANTILE_GRID.find((q) => [10, 20, 100].every((n) => (1 - q) ** 2 * under(quantile(adultOne, BOUND / n)) <= BOUND / n)) ?? QUANTILE_GRID.at(-1)!;
    cutoff = Math.max(cutoff, estimates[Math.min(estimates.length - 1, Math.floor(estimates.length * quantile_))]!);
    const measured = table(`children ${name}`, 1, distances, [...people.values()].sort((x, y) => x - y));
    // Never looser than the adults' table at any p (and so than the crowd's and the volunteers').
    const points = measured.map((pt, i) => ({ p: pt.p, distance: Math.min(pt.distance, adultOne[i]!.distance, crowdOne[i]!.distance) }));
    summary.push(`children ${name}: ${own.length} faces, estimates q50 ${estimates[Math.floor(estimates.length / 2)]!.toFixed(1)}, read as this band up to ${cutoff.toFixed(1)} (q${(quantile_ * 100).toFixed(1)}; never below a younger band's); ${duplicates} near-duplicate pairs dropped`);
    return {
      name: name as Exclude<(typeof AGE_BANDS)[number], 'adult'>,
      estimateCutoff: Number(cutoff.toFixed(2)),
      estimateQuantile: quantile_,
      table: points,
      source: `../shared/faces/children: ${own.length} faces aged ${name}, each as a selfie against the others' photos (${distances.length} pairs; ${duplicates} near-duplicate pairs under ${NEAR_DUPLICATE} dropped)`,
    };
  });
  summary.push(`useful distance ${usefulDistance} (the crowd's genuine pairs, ${genuine.length}: ${USEFUL_RECALL * 100}% under it)`);
  return { bands, usefulDistance, askRate: ASK_RATE, source: `age bands ${AGE_BANDS.join(', ')}; useful distance: the crowd's ${genuine.length} genuine pairs, ${USEFUL_RECALL * 100}% under it` };
})();

const out = {
  descriptorModel: DESCRIPTOR_MODEL,
  analysisVersion: ANALYSIS_VERSION,
  source: `the strictest at each p of: ${Object.values(populations).map((pop) => pop.source).join('; ')}`,
  byReferences,
  populations,
  ages,
};
const file = path.join(import.meta.dirname, '..', 'core', 'match', 'calibration.json');
fs.writeFileSync(file, `${JSON.stringify(out, null, 1)}\n`);
for (const line of summary) log(line);
for (const band of ages.bands) log(`children ${band.name}: threshold at 10/20/100 members ${[10, 20, 100].map((n) => quantile(band.table, 0.001 / n).toFixed(3)).join(' / ')}`);
for (const n of [10, 20, 30, 60, 100, 300]) log(`threshold at ${n} members, 1 selfie: ${Object.entries(populations).map(([name, pop]) => `${name} ${quantile(pop.byReferences[1]!, 0.001 / n).toFixed(3)}`).join(', ')}`);
log(`wrote ${path.relative(process.cwd(), file)}`);
