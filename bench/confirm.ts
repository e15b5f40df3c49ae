// `npm run bench -- confirm`: "is this you?" on the labelled group photos. Each near miss (beyond the group's
// threshold, within the album's 0.62, margin holding) is asked of its member once; the answer comes from
// truth.json: yes delivers it through the album's own check, no makes the face a negative example.
import fs from 'node:fs';
import { verifyFaceAgainstAccount } from '../album/checks.ts';
import { createFaceEngine, DESCRIPTOR_MODEL, type FaceEngine } from '../core/faces/index.ts';
import { applyNegatives, findUnsureFaces, Gallery, MAX_MATCH_DISTANCE, matchFaces, policyForGallery } from '../core/match/index.ts';
import { hasFixtures, loadFixture } from './fixtures.ts';

export interface ConfirmRow {
  fixture: string;
  selfies: number;
  threshold: number;
  expected: number;
  matched: number;
  wrong: number;
  asked: number;
  yes: number;
  no: number;
  confirmedDelivered: number;
  maxQuestionsPerPair: number;
}

async function describe(engine: FaceEngine, files: string[]): Promise<number[][]> {
  const out: number[][] = [];
  for (const f of files) {
    try {
      out.push((await engine.selfie(fs.readFileSync(f))).face.descriptor);
    } catch {
      // a selfie the engine refuses is not a reference
    }
  }
  return out;
}

/** One fixture with k selfies per member: automatic matches, then the questions and their answers. */
export async function confirmRun(engine: FaceEngine, name: 'bbt' | 'knn', k: number, verifyThreshold = MAX_MATCH_DISTANCE): Promise<ConfirmRow> {
  const fx = loadFixture(name);
  const members = [];
  for (const m of fx.members) members.push({ id: m, descriptors: await describe(engine, fx.selfies[m]!.slice(0, k)) });
  const gallery = new Gallery(members);
  const policy = policyForGallery(gallery);
  const negatives = new Map<string, number[][]>();
  const asked = new Map<string, number>();
  const row: ConfirmRow = { fixture: name, selfies: k, threshold: policy.threshold, expected: 0, matched: 0, wrong: 0, asked: 0, yes: 0, no: 0, confirmedDelivered: 0, maxQuestionsPerPair: 0 };
  // Each photo twice: a photo shared again must ask nobody a second time.
  const photos = Object.entries(fx.photos);
  for (const [round, list] of [photos, photos].entries()) {
    for (const [photo, truth] of list) {
      const a = await engine.analyze(fs.readFileSync(photo));
      const matches = applyNegatives(a.faces, matchFaces(a.faces, gallery, policy), negatives);
      if (round === 0) {
        row.expected += truth.length;
        for (const m of matches) if (m.kind === 'match') (truth.includes(m.memberId) ? row.matched++ : row.wrong++);
      }
      for (const u of findUnsureFaces(a.faces, matches, gallery, policy, verifyThreshold, negatives)) {
        const pair = `${photo}\n${u.memberId}`;
        if (asked.has(pair)) continue; // the terminal keeps one sighting per (photo, member)
        asked.set(pair, 1);
        row.asked++;
        const face = a.faces[u.faceIndex]!;
        if (truth.includes(u.memberId)) {
          row.yes++;
          // "Yes" delivers through the album's normal check, against the member's references.
          const member = members.find((m) => m.id === u.memberId)!;
          const verdict = verifyFaceAgainstAccount(a, { descriptorModel: DESCRIPTOR_MODEL, references: member.descriptors.map((descriptor, i) => ({ id: String(i), descriptor, box: face.box, sha256: '', addedAt: '' })) }, verifyThreshold);
          if (verdict.kind === 'match') row.confirmedDelivered++;
        } else {
          row.no++;
          negatives.set(u.memberId, [...(negatives.get(u.memberId) ?? []), face.descriptor]);
        }
      }
    }
  }
  row.maxQuestionsPerPair = Math.max(0, ...asked.values());
  return row;
}

export async function confirmBench(log: (s?: string) => void): Promise<void> {
  log('## "Is this you?" on ../shared/faces (answers from truth.json; yes goes through the album check at 0.62)');
  if (!hasFixtures('bbt') || !hasFixtures('knn')) {
    log('skipped: ../shared/faces not found');
    return;
  }
  const engine = createFaceEngine();
  log('| fixture | selfies/member | threshold | members in photos | matched at once | questions asked | yes | no | delivered after yes | wrong | precision | recall at once | recall with confirmation | most questions per (photo, member) |');
  log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const [name, k] of [['bbt', 1], ['bbt', 3], ['knn', 1], ['knn', 2]] as const) {
    const r = await confirmRun(engine, name, k);
    const right = r.matched + r.confirmedDelivered;
    log(
      `| ${name} | ${k} | ${r.threshold.toFixed(3)} | ${r.expected} | ${r.matched} | ${r.asked} | ${r.yes} | ${r.no} | ${r.confirmedDelivered} | ${r.wrong} | ${(right / Math.max(1, right + r.wrong)).toFixed(2)} | ${(r.matched / r.expected).toFixed(2)} | ${(right / r.expected).toFixed(2)} | ${r.maxQuestionsPerPair} |`,
    );
  }
  log();
  await engine.close();
}
