// `npm run bench -- children`: does the false-match bound hold for children's faces? Per age band, the age
// net's error and how often it reads a child as an adult; then random groups of 10, 20 and 100 members drawn
// from each band of ../shared/faces/children (made up with the set's adults when the band is smaller), with
// everyone else of the band a stranger.
import { AGE_BANDS, AGE_CALIBRATION, ADULT, bandOfAge, bandThreshold, DEFAULT_MATCH_SETTINGS, estimatedBand } from '../core/match/index.ts';
import { hasChildren, loadChildren } from './children.ts';
import { populationTable, type Person } from './populations.ts';

export async function childrenBench(log: (s?: string) => void): Promise<void> {
  log('## Children: age estimates and the false-match bound per age band (../shared/faces/children)');
  if (!hasChildren() || !AGE_CALIBRATION) {
    log('skipped: ../shared/faces/children not found (or no age calibration)');
    return;
  }
  const kids = (await loadChildren(log)).filter((k) => k.selfie && k.photo.length > 0);
  log('\n### The age net (face-api\'s AgeGenderNet as ONNX) on each band\'s faces');
  log(`A face is read as the youngest band whose cutoff its estimate is under: ${AGE_CALIBRATION.bands.map((b) => `${b.name} up to ${b.estimateCutoff} (q${b.estimateQuantile * 100} of its own faces)`).join(', ')}, adults above.\n`);
  log('| true band | faces | mean absolute error, years | median estimate | read as 0-4 | 5-12 | 13-17 | adult (a child taken for an adult) |');
  log('|---|---|---|---|---|---|---|---|');
  for (const [b, name] of AGE_BANDS.entries()) {
    const own = kids.filter((k) => bandOfAge(k.age) === b);
    const errors = own.map((k) => Math.abs(k.selfie!.age - k.age));
    const estimates = own.map((k) => k.selfie!.age).sort((x, y) => x - y);
    const read = [0, 1, 2, 3].map((r) => own.filter((k) => estimatedBand(k.selfie!.age) === r).length / own.length);
    log(`| ${name} | ${own.length} | ${(errors.reduce((a, e) => a + e, 0) / own.length).toFixed(1)} | ${estimates[Math.floor(estimates.length / 2)]!.toFixed(1)} | ${read.map((r) => `${(r * 100).toFixed(1)}%`).join(' | ')} |`);
  }
  const bound = DEFAULT_MATCH_SETTINGS.falseMatchRate;
  log('\n### Thresholds per band (1 selfie, the table alone, before a group\'s own shift)');
  log('| band | 10 members | 20 | 100 |');
  log('|---|---|---|---|');
  for (const [b, name] of AGE_BANDS.entries()) {
    const cells = [10, 20, 100].map((n) => {
      const t = bandThreshold(b as 0 | 1 | 2 | 3, n, 1, bound);
      return t.confirmationOnly ? `confirmation only (table ${t.tableThreshold.toFixed(3)}; guardians asked under ${t.askDistance.toFixed(3)})` : t.threshold.toFixed(3);
    });
    log(`| ${name} | ${cells.join(' | ')} |`);
  }
  log(`(confirmation only: under ${AGE_CALIBRATION.usefulDistance}, the distance that holds a quarter of the crowd's members' own photos)\n`);
  const person = (k: (typeof kids)[number]): Person => ({ id: k.file, selfies: [k.selfie!.descriptor], ages: [k.selfie!.age], photos: [k.photo], photosAreSelfies: true });
  const adults = kids.filter((k) => bandOfAge(k.age) === ADULT).map(person);
  for (const [b, name] of AGE_BANDS.entries()) {
    if (b === ADULT) continue;
    const people = kids.filter((k) => bandOfAge(k.age) === b).map(person);
    populationTable(`Children ${name}: ${people.length} faces, one photo each (each file the selfie and the photo; groups larger than the band are made up with the set's adults)`, people, {
      selfies: [1],
      draws: 20,
      sizes: [10, 20, 100],
      fill: adults,
      log,
    });
  }
}
