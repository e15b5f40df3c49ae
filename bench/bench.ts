// `npm run bench`: throughput against the naive reference, accuracy on the labelled fixtures, matching at scale.
import fs from 'node:fs';
import os from 'node:os';
import { createFaceEngine, ImageError, type FaceEngine } from '../core/faces/index.ts';
import { DEFAULT_MATCH_SETTINGS, Gallery, matchedMembers, matchFaces, normalize, policyForGallery } from '../core/match/index.ts';
import { demoSamples, forgedPng, hasFixtures, loadFixture } from './fixtures.ts';
import { naiveAnalyze } from './naive.ts';
import { recordsBench } from './records.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const fmt = (n: number, d = 0) => n.toFixed(d);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const log = (s = '') => process.stdout.write(`${s}\n`);

async function throughput(): Promise<void> {
  const photos = demoSamples.map((f) => fs.readFileSync(f));
  log(`## Throughput: face-api demo samples 1-6 (${photos.length} photos x ${ROUNDS} rounds, naive and facedrop taking turns), ${os.availableParallelism()} cores`);

  // Naive reference in this process's main thread; facedrop's engine in its worker pool, cache off so every
  // round really analyses. Warm-up passes first (WASM kernels compile, onnxruntime allocates on first use).
  // Then the two take turns, a round each, so load from elsewhere on the machine falls on both alike.
  for (const p of photos) await naiveAnalyze(p);
  const engine = createFaceEngine({ cacheEntries: 0 });
  await Promise.all(photos.map((p) => engine.analyze(p)));
  const warm = await Promise.all(photos.map((p) => engine.analyze(p)));
  // The match stage against real 512-d descriptors: every face of the six photos is a member.
  const gallery = new Gallery(warm.flatMap((a, i) => a.faces.map((f, j) => ({ id: `sample${i + 1}-${j}`, descriptors: [f.descriptor] }))));
  const naive = { decode: 0, detect: 0, describe: 0, total: 0, faces: 0 };
  const stages = { decode: 0, detect: 0, landmarks: 0, describe: 0, match: 0 };
  let naiveWall = 0;
  let engineWall = 0;
  let faces = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const tn = performance.now();
    let extra = 0;
    for (const p of photos) {
      const t = await naiveAnalyze(p);
      naive.decode += t.decode; naive.detect += t.detect; naive.describe += t.describe; naive.total += t.total; naive.faces += t.faces;
      extra += t.detect;
    }
    naiveWall += performance.now() - tn - extra; // minus the extra detection used to split stages
    const te = performance.now();
    await Promise.all(
      photos.map(async (p) => {
        const a = await engine.analyze(p);
        const tm = performance.now();
        matchFaces(a.faces, gallery, policyForGallery(gallery));
        stages.match += performance.now() - tm;
        stages.decode += a.timings.decode; stages.detect += a.timings.detect; stages.landmarks += a.timings.landmarks; stages.describe += a.timings.describe;
        faces += a.faces.length;
      }),
    );
    engineWall += performance.now() - te;
  }
  const n = photos.length * ROUNDS;
  await engine.close();

  const naivePps = (n / naiveWall) * 1000;
  const enginePps = (n / engineWall) * 1000;
  log('| | photos/s | decode ms | detect ms | landmarks ms | descriptors ms | match ms | faces |');
  log('|---|---|---|---|---|---|---|---|');
  log(`| naive reference (face-api Node demo: canvas, main thread, one at a time) | ${fmt(naivePps, 2)} | ${fmt(naive.decode / n, 1)} | ${fmt(naive.detect / n, 1)} | ${fmt(naive.describe / n, 1)} (with descriptors) | - | - | ${naive.faces / ROUNDS} |`);
  log(`| facedrop engine (${engine.threads} worker threads, sharp, onnxruntime) | ${fmt(enginePps, 2)} | ${fmt(stages.decode / n, 1)} | ${fmt(stages.detect / n, 1)} | ${fmt(stages.landmarks / n, 1)} | ${fmt(stages.describe / n, 1)} | ${fmt(stages.match / n, 2)} | ${faces / ROUNDS} |`);
  log(`\nfacedrop / naive throughput: **${fmt(enginePps / naivePps, 2)}x** (per-stage figures are per photo, per thread)`);
  log(`per face: landmarks ${fmt(stages.landmarks / faces, 1)} ms (all faces of a photo in one run), 512-d descriptor ${fmt(stages.describe / faces, 1)} ms\n`);
}

/** How long hostile files take to be refused (README, "Reliability"); timings live here, not in the tests. */
async function hostileInput(): Promise<void> {
  log('## Hostile input: time from analyze() to ImageError (median of 5, engine warm)');
  const engine = createFaceEngine({ threads: 1, cacheEntries: 0 });
  const sample = fs.readFileSync(demoSamples[0]!);
  await engine.analyze(sample);
  const cases: Array<[string, Buffer]> = [
    ['a text file', Buffer.from('this is not an image at all')],
    ['an empty file', Buffer.alloc(0)],
    ['a truncated JPEG (60%)', sample.subarray(0, Math.floor(sample.length * 0.6))],
    ['a 50000x50000 PNG header', await forgedPng(50_000, 50_000)],
  ];
  log('| input | ImageError code | ms |');
  log('|---|---|---|');
  for (const [name, bytes] of cases) {
    const times: number[] = [];
    let code = 'none';
    for (let r = 0; r < 5; r++) {
      const t = performance.now();
      code = await engine.analyze(bytes).then(() => 'none (analysed)', (e: unknown) => (e instanceof ImageError ? e.code : String(e)));
      times.push(performance.now() - t);
    }
    log(`| ${name} | ${code} | ${fmt(median(times), 1)} |`);
  }
  await engine.close();
  log();
}

async function describeSelfies(engine: FaceEngine, files: string[]): Promise<{ descriptors: number[][]; ages: Array<number | null>; refused: number }> {
  const descriptors: number[][] = [];
  const ages: Array<number | null> = [];
  let refused = 0;
  for (const f of files) {
    try {
      const { face } = await engine.selfie(fs.readFileSync(f));
      descriptors.push(face.descriptor);
      ages.push(face.age ?? null);
    } catch {
      refused++;
    }
  }
  return { descriptors, ages, refused };
}

async function accuracy(): Promise<void> {
  log(`## Accuracy on ../shared/faces (default policy: at most ${DEFAULT_MATCH_SETTINGS.falseMatchRate} false matches per stranger face, margin ${DEFAULT_MATCH_SETTINGS.margin}, one-to-one)`);
  if (!hasFixtures('bbt') || !hasFixtures('knn')) {
    log('skipped: ../shared/faces not found');
    return;
  }
  const engine = createFaceEngine();
  log('| fixture | selfies/member | threshold | photos | members in photos | matched right | wrong | precision | recall |');
  log('|---|---|---|---|---|---|---|---|---|');
  for (const [name, k] of [['bbt', 1], ['bbt', 3], ['knn', 1], ['knn', 2]] as const) {
    const fx = loadFixture(name);
    const members = [];
    for (const m of fx.members) {
      const { descriptors, ages } = await describeSelfies(engine, fx.selfies[m]!.slice(0, k));
      members.push({ id: m, descriptors, ages });
    }
    const gallery = new Gallery(members);
    let tp = 0, fp = 0, expected = 0;
    for (const [photo, truth] of Object.entries(fx.photos)) {
      const a = await engine.analyze(fs.readFileSync(photo));
      for (const m of matchedMembers(matchFaces(a.faces, gallery, policyForGallery(gallery)))) truth.includes(m) ? tp++ : fp++;
      expected += truth.length;
    }
    log(`| ${name} | ${k} | ${fmt(policyForGallery(gallery).threshold, 3)} | ${Object.keys(fx.photos).length} | ${expected} | ${tp} | ${fp} | ${fmt(tp / Math.max(1, tp + fp), 2)} | ${fmt(tp / expected, 2)} |`);
  }
  log();
  await engine.close();
}

function matchingAtScale(): void {
  const rows = 100_000;
  log(`## Matching at scale: 10 faces against ${rows.toLocaleString('en')} reference descriptors`);
  // Descriptors of the matching model's size (512), random: the scan's cost does not depend on their values.
  const rand = () => Array.from({ length: 512 }, () => Math.random() - 0.5);
  const gallery = new Gallery(Array.from({ length: rows / 2 }, (_, i) => ({ id: `m${i}`, descriptors: [rand(), rand()] })));
  const faces = Array.from({ length: 10 }, () => ({ descriptor: normalize(rand()) }));
  const policy = policyForGallery(gallery);
  const times: number[] = [];
  for (let r = 0; r < 25; r++) {
    const t = performance.now();
    matchFaces(faces, gallery, policy);
    times.push(performance.now() - t);
  }
  log(`median ${fmt(median(times.slice(5)), 1)} ms, best ${fmt(Math.min(...times), 1)} ms (usearch's int8 SIMD scan of every reference, float32 re-rank of the top candidates)\n`);
}

const only = process.argv.slice(2);
const want = (s: string) => only.length === 0 || only.includes(s);
if (want('throughput')) await throughput();
if (want('accuracy')) await accuracy();
if (want('scale')) matchingAtScale();
if (want('hostile')) await hostileInput();
if (want('crowd')) await crowdTable();
if (want('records')) await recordsBench();
if (want('populations')) await populations();
if (want('whole')) await (await import('./whole.ts')).wholeProcesses(log);
if (want('serve')) await (await import('./serve.ts')).shareIntoServe(log);
if (want('chat')) await (await import('./chat.ts')).chatLatency(log);
if (want('confirm')) await (await import('./confirm.ts')).confirmBench(log);
if (want('children')) await (await import('./children-bench.ts')).childrenBench(log);
if (want('learning')) await (await import('./learning.ts')).learningBench(log);

async function populations(): Promise<void> {
  log('## Populations: celebrities and ordinary volunteers, random groups (everyone else a stranger)');
  const { hasLondon, loadLondon, EXPRESSIONS } = await import('./london.ts');
  if (!hasFixtures('crowd') || !hasLondon()) {
    log('skipped: ../shared/faces/crowd or ../shared/faces/london not found');
    return;
  }
  const { populationTable } = await import('./populations.ts');
  const { loadCrowd, strangerHalves } = await import('./crowd.ts');
  const crowd = await loadCrowd(log);
  const crowdPeople = crowd.members
    .filter((m) => crowd.selfies[m]!.length > 0)
    .map((m) => ({ id: m, selfies: crowd.selfies[m]!, ages: crowd.selfieAges[m]!, photos: crowd.photos.filter((p) => p.truth.length === 1 && p.truth[0] === m).map((p) => p.faces) }));
  log(`Bound: ${DEFAULT_MATCH_SETTINGS.falseMatchRate * 1000} stranger face in 1,000 delivered to anyone; per member-stranger pair, that over the group's size.\n`);
  populationTable('LFW celebrities (crowd fixture: 300 members\' selfies and photos; the held-out half of the stranger photos)', crowdPeople, {
    selfies: [1, 3], draws: 10, extraStrangers: strangerHalves(crowd).heldOut.map((p) => p.faces), log,
  });
  const london = await loadLondon(log);
  const toPerson = (p: (typeof london)[number]) => ({
    id: p.id,
    selfies: EXPRESSIONS.flatMap((e) => (p.selfie[e] ? [p.selfie[e]] : [])),
    ages: EXPRESSIONS.flatMap((e) => (p.selfie[e] ? [p.selfieAge[e]] : [])),
    photos: EXPRESSIONS.map((e) => p.photo[e]),
    photosAreSelfies: true,
  });
  const note = 'one photo the selfie, the other the photo of them; with 2 selfies both photos are selfies and none is left for recall';
  populationTable(`London volunteers, all ${london.length} (they made the calibration; ${note})`, london.map(toPerson), { selfies: [1, 2], draws: 100, log });
}

async function crowdTable(): Promise<void> {
  log('## Crowd: false matches and recall as the group grows (../shared/faces/crowd)');
  if (!hasFixtures('crowd')) {
    log('skipped: ../shared/faces/crowd not found');
    return;
  }
  const { loadCrowd, strangerHalves } = await import('./crowd.ts');
  const data = await loadCrowd(log);
  const { heldOut, calibration } = strangerHalves(data);
  log(`Strangers: ${heldOut.length} photos not used for calibration (${calibration.length} were); members' own photos: one each.`);
  log(`Default bound: ${DEFAULT_MATCH_SETTINGS.falseMatchRate * 1000} false match per 1,000 stranger faces, margin ${DEFAULT_MATCH_SETTINGS.margin}.\n`);
  log('| members | selfies | threshold | false deliveries / 1,000 held-out stranger photos | (all strangers) | recall on members\' photos | wrong member | ms/photo for matching |');
  log('|---|---|---|---|---|---|---|---|');
  for (const n of [10, 30, 100, 300]) {
    for (const k of [1, 3]) {
      const members = data.members.slice(0, n);
      const gallery = new Gallery(members.filter((m) => data.selfies[m]!.length > 0).map((m) => ({ id: m, descriptors: data.selfies[m]!.slice(0, k), ages: data.selfieAges[m]!.slice(0, k) })));
      const policy = policyForGallery(gallery);
      let matchMs = 0;
      let matchCalls = 0;
      const matched = (faces: typeof data.photos[number]['faces']) => {
        const t = performance.now();
        const r = matchedMembers(matchFaces(faces.map((f) => ({ descriptor: f.descriptor, box: { width: f.width, height: f.width }, ...(f.age !== undefined ? { age: f.age } : {}) })), gallery, policy));
        matchMs += performance.now() - t;
        matchCalls++;
        return r;
      };
      const falseIn = (photos: typeof heldOut) => photos.filter((p) => matched(p.faces).length > 0).length;
      const fpHeld = falseIn(heldOut);
      const fpAll = fpHeld + falseIn(calibration);
      const own = data.photos.filter((p) => p.truth.length === 1 && members.includes(p.truth[0]!));
      let hits = 0;
      let wrong = 0;
      for (const p of own) {
        const got = matched(p.faces);
        if (got.includes(p.truth[0]!)) hits++;
        wrong += got.filter((m) => m !== p.truth[0]).length;
      }
      log(`| ${n} | ${k === 1 ? '1' : 'up to 3'} | ${fmt(policy.threshold, 3)} | ${fmt((fpHeld / heldOut.length) * 1000, 2)} (${fpHeld}) | ${fmt((fpAll / (heldOut.length + calibration.length)) * 1000, 2)} | ${fmt(hits / own.length, 3)} (${hits}/${own.length}) | ${wrong} | ${fmt(matchMs / matchCalls, 3)} |`);
    }
  }
  log();
}
