// `npm run bench -- populations`: does the false-match bound hold for ordinary people as well as celebrities?
// Random groups drawn from each population; everyone not in the group is a stranger.
import { DEFAULT_MATCH_SETTINGS, Gallery, matchedMembers, matchFaces, normalize, pairPolicy, policyForGallery, type MatchableFace } from '../core/match/index.ts';
import type { CachedFace } from './crowd.ts';

const SIZES = [10, 20, 30, 60];

/** A person of a population: reference selfies, and photos of them (each a list of faces found). */
export interface Person {
  id: string;
  selfies: number[][];
  /** The age net's estimate of each selfie's face. */
  ages?: Array<number | null | undefined>;
  photos: CachedFace[][];
  /** photos[i] is the same picture as selfies[i] (the London set): with k selfies, photos[k..] are left for recall. */
  photosAreSelfies?: boolean;
}

export interface PopulationRow {
  members: number;
  selfies: number;
  draws: number;
  thresholdMin: number;
  thresholdMax: number;
  pairs: number;
  pairsUnder: number;
  strangerFaces: number;
  strangerFacesDelivered: number;
  ownPhotos: number;
  ownFound: number;
  wrongMember: number;
  /** Members whose band made them confirmation-only (their photos are asked about, not sent). */
  confirmationOnly: number;
}

/** Deterministic shuffle (mulberry32), so every run draws the same groups. */
function shuffled<T>(items: T[], seed: number): T[] {
  let a = seed >>> 0;
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * For `draws` random groups of n members with k selfies each: the share of (stranger face, member) pairs under
 * the group's threshold, the share of stranger faces delivered to anyone, and the members' own photos found.
 * `extraStrangers` are photos of people who are never members (the crowd's stranger photos).
 */
export function measurePopulation(people: Person[], n: number, k: number, draws: number, extraStrangers: CachedFace[][] = [], fill: Person[] = []): PopulationRow {
  const row: PopulationRow = { members: n, selfies: k, draws, thresholdMin: Infinity, thresholdMax: 0, pairs: 0, pairsUnder: 0, strangerFaces: 0, strangerFacesDelivered: 0, ownPhotos: 0, ownFound: 0, wrongMember: 0, confirmationOnly: 0 };
  const eligible = people.filter((p) => p.selfies.length >= k);
  // A population smaller than the group (a children's band): leave a fifth of it as strangers and make the
  // group up to n with `fill` (adults), whose pairs with the band's strangers are counted like any other.
  const own = fill.length > 0 ? Math.min(n, eligible.length - Math.ceil(eligible.length / 5)) : n;
  for (let draw = 0; draw < draws; draw++) {
    const order = shuffled(eligible, draw * 7919 + n * 31 + k);
    const members = [...order.slice(0, own), ...shuffled(fill, draw).slice(0, n - own)];
    const strangers = [...people.filter((p) => !members.includes(p)).flatMap((p) => p.photos), ...extraStrangers];
    const gallery = new Gallery(members.map((m) => ({ id: m.id, descriptors: m.selfies.slice(0, k), ...(m.ages ? { ages: m.ages.slice(0, k) } : {}) })));
    const policy = policyForGallery(gallery);
    row.thresholdMin = Math.min(row.thresholdMin, policy.threshold);
    row.thresholdMax = Math.max(row.thresholdMax, policy.threshold);
    row.confirmationOnly += gallery.memberBands.filter((b) => policy.ages?.bands[b]?.confirmationOnly).length;
    const face = (f: CachedFace): MatchableFace => ({ descriptor: f.descriptor, box: { width: f.width, height: f.width }, ...(f.age !== undefined ? { age: f.age } : {}) });
    const match = (faces: CachedFace[]) => matchedMembers(matchFaces(faces.map(face), gallery, policy));
    for (const faces of strangers) {
      for (const f of faces) {
        const per = gallery.nearestPerMember(normalize(f.descriptor));
        row.pairs += per.length;
        per.forEach((d, m) => {
          if (d < pairPolicy(policy, face(f), m, gallery).threshold) row.pairsUnder++;
        });
        row.strangerFaces++;
        if (match([f]).length > 0) row.strangerFacesDelivered++;
      }
    }
    for (const m of members) {
      for (const faces of m.photosAreSelfies ? m.photos.slice(k) : m.photos) {
        if (faces.length === 0) continue;
        const got = match(faces);
        row.ownPhotos++;
        if (got.includes(m.id)) row.ownFound++;
        row.wrongMember += got.filter((id) => id !== m.id).length;
      }
    }
  }
  return row;
}

export function populationTable(title: string, people: Person[], opts: { selfies: number[]; draws: number; sizes?: number[]; extraStrangers?: CachedFace[][]; fill?: Person[]; log: (s: string) => void }): PopulationRow[] {
  const { log } = opts;
  const bound = DEFAULT_MATCH_SETTINGS.falseMatchRate;
  log(`### ${title}`);
  log('| members | selfies | groups drawn | adults\' threshold | members confirmation-only (children) | different-person pairs under their pair\'s threshold, per pair | bound per pair | stranger faces delivered to anyone | bound per face | recall on members\' photos | wrong member |');
  log('|---|---|---|---|---|---|---|---|---|---|---|');
  const rows: PopulationRow[] = [];
  for (const n of opts.sizes ?? SIZES) {
    if (n >= people.length && !opts.fill?.length) continue;
    for (const k of opts.selfies) {
      const r = measurePopulation(people, n, k, opts.draws, opts.extraStrangers, opts.fill);
      rows.push(r);
      const perPair = r.pairsUnder / Math.max(1, r.pairs);
      const perFace = r.strangerFacesDelivered / Math.max(1, r.strangerFaces);
      const ok = perPair <= bound / n && perFace <= bound ? '' : ' **over**';
      const recall = r.ownPhotos > 0 ? `${(r.ownFound / r.ownPhotos).toFixed(3)} (${r.ownFound}/${r.ownPhotos})` : 'n/a';
      log(`| ${n} | ${k} | ${r.draws} | ${r.thresholdMin.toFixed(3)}-${r.thresholdMax.toFixed(3)} | ${(r.confirmationOnly / r.draws).toFixed(1)} of ${n} | ${(perPair * 100).toFixed(4)}% (${r.pairsUnder}/${r.pairs})${ok} | ${((bound / n) * 100).toFixed(4)}% | ${(perFace * 1000).toFixed(2)}/1,000 (${r.strangerFacesDelivered}/${r.strangerFaces}) | 1.00/1,000 | ${recall} | ${r.wrongMember} |`);
    }
  }
  log('');
  return rows;
}
