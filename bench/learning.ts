// `npm run bench -- learning`: learned references and the event window (README, "Learned references").
// - bbt and knn through the real terminal and a real album server (one selfie each): recall at once (nothing
//   learned), all photos in one run, one photo per run in a fixed shuffled order, then with every question
//   answered from truth.json; questions asked per delivered photo; wrong deliveries.
// - The crowd and the London volunteers: the bound with more references per member, up to what each person's
//   photos allow (a member's selfies plus their other photo as learned references), against the held-out
//   strangers, at 10, 30 and 100 members.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startAlbumServer } from '../album/server.ts';
import { loadConfig } from '../config.ts';
import { createFaceEngine, type FaceEngine } from '../core/faces/index.ts';
import { DEFAULT_MATCH_SETTINGS, Gallery, LEARNING, matchedMembers, matchFaces, policyForGallery } from '../core/match/index.ts';
import { createAccount, getAlbum } from '../core/share/index.ts';
import { openTerminal } from '../core/terminal.ts';
import { loadCrowd, strangerHalves } from './crowd.ts';
import { hasFixtures, loadFixture, type Fixture } from './fixtures.ts';
import { EXPRESSIONS, hasLondon, londonFile } from './london.ts';

type Mode = 'at once' | 'one run' | 'one per run (shuffled)';

interface Row {
  fixture: string;
  mode: Mode;
  /** Members whose registration was refused (selfie or face check), with why. */
  refused: string[];
  expected: number;
  atOnce: number;
  late: number;
  wrong: number;
  asked: number;
  confirmedRight: number;
  confirmedWrong: number;
}

/** A fixed shuffle: the order of photos a chat might see, the same in every run. */
const shuffleOrder = <T>(xs: T[]): T[] => xs.map((x, i) => [x, (i * 7 + 3) % xs.length] as const).sort((a, b) => a[1] - b[1]).map(([x]) => x);

/**
 * The fixtures the recall rows run on: bbt and knn as they are; the London volunteers as a 31-member group
 * (neutral photo as the selfie; every smiling photo shared, and the 31 others' neutral ones); the crowd as a
 * 100-member group (their first selfie the engine takes) sharing each member's own photo among 1,000 held-out strangers' photos.
 */
function fixtures(): Array<[string, Fixture]> {
  const out: Array<[string, Fixture]> = [];
  for (const name of ['bbt', 'knn'] as const) if (hasFixtures(name)) out.push([name, loadFixture(name)]);
  if (hasLondon()) {
    const ids = fs.readdirSync(path.dirname(londonFile('x', 'neutral'))).filter((f) => f.endsWith('.jpg')).map((f) => f.slice(0, -4)).sort();
    const members = ids.filter((_, i) => i % 2 === 0);
    const photos: Record<string, string[]> = {};
    for (const id of ids) {
      photos[londonFile(id, 'smiling')] = members.includes(id) ? [id] : [];
      if (!members.includes(id)) photos[londonFile(id, EXPRESSIONS[0])] = [];
    }
    out.push(['london', { name: 'london', members, selfies: Object.fromEntries(members.map((id) => [id, [londonFile(id, 'neutral')]])), photos }]);
  }
  if (hasFixtures('crowd')) {
    const crowd = loadFixture('crowd');
    const members = crowd.members.slice(0, 100);
    const entries = Object.entries(crowd.photos);
    const strangers = entries.filter(([, truth]) => truth.length === 0).filter((_, i) => i % 2 === 1).slice(0, 1000);
    const own = entries.filter(([, truth]) => truth.length === 1 && members.includes(truth[0]!));
    out.push(['crowd', { name: 'crowd', members, selfies: Object.fromEntries(members.map((m) => [m, crowd.selfies[m]!.slice(0, 1)])), photos: Object.fromEntries([...own, ...strangers]) }]);
  }
  return out;
}

async function fixtureRun(engine: FaceEngine, name: string, fx: Fixture, mode: Mode): Promise<Row> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facedrop-bench-learning-'));
  const cfg = (d: string, extra: Record<string, string> = {}) => loadConfig({ DATA_DIR: d, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', UPLOAD_RATE_LIMIT: '1000000', STORE_URL: `sqlite://${d}/f.sqlite`, ...extra }, { dotenv: false });
  const album = await startAlbumServer(cfg(path.join(dir, 'album')), { engine });
  const terminal = await openTerminal(cfg(path.join(dir, 'terminal'), mode === 'at once' ? { EVENT_WINDOW_MINUTES: '0' } : {}), { engine });
  const row: Row = { fixture: name, mode, refused: [], expected: 0, atOnce: 0, late: 0, wrong: 0, asked: 0, confirmedRight: 0, confirmedWrong: 0 };
  try {
    const tokens = new Map<string, string>();
    for (const m of fx.members) {
      // A selfie the engine refuses (several faces, none) is followed by the member's next one, as a bot asks.
      let selfie = fs.readFileSync(fx.selfies[m]![0]!);
      for (const file of fx.selfies[m]!) {
        selfie = fs.readFileSync(file);
        if (await engine.selfie(selfie).then(() => true, () => false)) break;
      }
      try {
        tokens.set(m, (await createAccount(album.url, m, [selfie])).token);
        await terminal.contacts.add(name, { name: m, album: album.url, username: m, selfies: [selfie] });
      } catch (error) {
        // Counted, not hidden: a refused member gets none of their photos (recall says so).
        row.refused.push(`${m}: ${(error as Error).message}`);
        tokens.delete(m);
      }
    }
    const files = mode === 'one per run (shuffled)' ? shuffleOrder(Object.keys(fx.photos)) : Object.keys(fx.photos);
    const truthBySha = new Map<string, string[]>();
    for (const file of files) {
      const bytes = fs.readFileSync(file);
      truthBySha.set(crypto.createHash('sha256').update(bytes).digest('hex'), fx.photos[file]!);
      row.expected += fx.photos[file]!.length;
      const report = await terminal.sharer.share(bytes, { group: name, filename: path.basename(file) });
      for (const d of report.deliveries) (fx.photos[file]!.includes(d.memberId) ? row.atOnce++ : row.wrong++);
      for (const d of report.late) (truthBySha.get(d.sha256)!.includes(d.memberId) ? row.late++ : row.wrong++);
    }
    // Every open question answered from the truth (yes teaches too, and may deliver more late).
    for (let q = await terminal.records.notices.openQuestions(name); q.length > 0; q = await terminal.records.notices.openQuestions(name)) {
      for (const s of q) {
        row.asked++;
        const yes = truthBySha.get(s.sha256)?.includes(s.memberId) ?? false;
        await terminal.notices.answer(s.seq, s.memberId, yes);
      }
    }
    // What the albums hold in the end: the confirmed photos and the late ones they caused.
    let held = 0;
    for (const [m, token] of tokens) {
      for (const p of (await getAlbum(album.url, token)).photos) {
        if (truthBySha.get(p.sha256)?.includes(m)) held++;
        else row.confirmedWrong++;
      }
    }
    row.confirmedRight = held;
    row.confirmedWrong = Math.max(0, row.confirmedWrong - row.wrong);
  } finally {
    await terminal.close();
    await album.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return row;
}

/** The bound with k references per member: crowd members' selfies, then their own photo as a learned face. */
async function boundWithReferences(log: (s?: string) => void): Promise<void> {
  if (!hasFixtures('crowd')) return log('skipped: ../shared/faces/crowd not found\n');
  const data = await loadCrowd(log);
  const { heldOut } = strangerHalves(data);
  const own = new Map(data.photos.filter((p) => p.truth.length === 1).map((p) => [p.truth[0]!, p.faces]));
  log(`\n### The bound with more references (crowd: each member's selfies, then the face of their own photo as a learned reference; ${heldOut.length} held-out stranger photos)`);
  log('| members | references per member | members with that many | false deliveries / 1,000 held-out stranger photos | bound |');
  log('|---|---|---|---|---|');
  for (const n of [10, 30, 100]) {
    for (const k of [1, 2, 3, 4]) {
      const members = data.members.slice(0, n).map((m) => {
        const refs = [...data.selfies[m]!.slice(0, 3), ...(own.get(m)?.slice(0, 1).map((f) => f.descriptor) ?? [])];
        const ages = [...data.selfieAges[m]!.slice(0, 3), ...(own.get(m)?.slice(0, 1).map((f) => f.age ?? null) ?? [])];
        return { id: m, descriptors: refs.slice(0, k), ages: ages.slice(0, k) };
      }).filter((m) => m.descriptors.length > 0);
      const gallery = new Gallery(members);
      const policy = policyForGallery(gallery);
      const withK = members.filter((m) => m.descriptors.length === k).length;
      const delivered = heldOut.filter((p) => matchedMembers(matchFaces(p.faces.map((f) => ({ descriptor: f.descriptor, box: { width: f.width, height: f.width }, ...(f.age !== undefined ? { age: f.age } : {}) })), gallery, policy)).length > 0).length;
      log(`| ${n} | up to ${k} | ${withK} | ${((delivered / heldOut.length) * 1000).toFixed(2)} (${delivered}) | ${(DEFAULT_MATCH_SETTINGS.falseMatchRate * 1000).toFixed(2)} |`);
    }
  }
  log(`(members get up to ${LEARNING.cap} learned references; the fixtures hold at most 4 photos of one person, so the bound is measured to 4 and beyond that follows from the union bound the thresholds use)\n`);
}

export async function learningBench(log: (s?: string) => void): Promise<void> {
  log('## Learned references and the event window (one selfie per member, real terminal and album server)');
  const sets = fixtures();
  if (sets.length === 0) {
    log('skipped: ../shared/faces not found');
    return;
  }
  const engine = createFaceEngine();
  const refusals: string[] = [];
  log('| fixture | photos shared | members in photos | at once | late (learned) | recall | wrong | questions asked | recall with every question answered | wrong after answers | questions per delivered photo |');
  log('|---|---|---|---|---|---|---|---|---|---|---|');
  try {
    for (const [name, fx] of sets) {
      for (const mode of ['at once', 'one run', 'one per run (shuffled)'] as const) {
        const r = await fixtureRun(engine, name, fx, mode);
        if (mode === 'at once') refusals.push(...r.refused.map((why) => `${name} ${why}`));
        const found = r.atOnce + r.late;
        log(`| ${name} | ${mode} | ${r.expected} | ${r.atOnce} | ${r.late} | ${(found / r.expected).toFixed(3)} | ${r.wrong} | ${r.asked} | ${(r.confirmedRight / r.expected).toFixed(3)} | ${r.confirmedWrong} | ${(r.asked / Math.max(1, r.confirmedRight)).toFixed(2)} |`);
      }
    }
  } finally {
    await engine.close();
  }
  log(`(photos shared: one after another into one group, as a chat sees them; "one per run" in a fixed shuffled order. London: 31 members, each registered with the neutral photo, sharing every smiling photo and the other 31 volunteers' neutral ones; crowd: 100 members, their first selfie with one clear face, each member's own photo among 1,000 held-out strangers' photos. Members refused at registration: ${refusals.length ? refusals.join('; ') : 'none'})`);
  await boundWithReferences(log);
}
