// The group learns its members' faces (README, "Learned references"): a face matched with high confidence, or
// confirmed by its member, becomes one more reference of theirs in that group; then the photos of the same
// event (shared within the event window) are matched again, and a new match is delivered late, once.
import { LRUCache } from 'lru-cache';
import type { Contact } from '../contacts/index.ts';
import type { Analysis, Face } from '../faces/index.ts';
import { applyNegatives, cosineDistance, isConfident, LEARNING, matchFaces, normalize, type FaceMatch, type Gallery, type MatchPolicy, type Negatives } from '../match/index.ts';
import type { EventPhoto, Records } from '../records/index.ts';

export interface LearningOptions {
  records: Pick<Records, 'contacts' | 'events' | 'notices'>;
  /** Photos of one group shared within this long of each other are one event. */
  windowMs: number;
  /** Whether this member agreed to matched faces being kept as references (consent text version). */
  canLearn: (group: string, memberId: string) => Promise<boolean>;
  /** The face engine's analysis (cached by the picture's SHA-256): event photos keep no face data. */
  analyze: (picture: Uint8Array) => Promise<Analysis>;
  now: () => number;
}

/** A match found when an event's photo was looked at again. */
export interface LateMatch {
  photo: EventPhoto;
  face: Face;
  match: Extract<FaceMatch, { kind: 'match' }>;
}

/**
 * How many event photos' faces are kept in memory for revisits: each new reference looks at the whole event
 * again, and re-running the detector on every photo of a 1,000-photo wedding for each one is minutes of CPU.
 * In memory only, for this process and the event window (event_photos keeps no face data); about 15 KB a photo.
 */
const EVENT_FACES_CACHED = 4096;

export class EventLearning {
  readonly #faces: LRUCache<string, Promise<Analysis['faces']>>;

  constructor(private readonly o: LearningOptions) {
    // Never kept past the event window, like the photos themselves.
    this.#faces = new LRUCache({ max: EVENT_FACES_CACHED, ttl: Math.max(1, o.windowMs), ttlAutopurge: true });
  }

  /** An event photo's faces, analysed once per process while they stay in the cache. */
  #facesOf(photo: EventPhoto): Promise<Analysis['faces']> {
    let faces = this.#faces.get(photo.sha256);
    if (!faces) {
      faces = this.o.analyze(photo.bytes).then((a) => a.faces);
      this.#faces.set(photo.sha256, faces);
      faces.catch(() => this.#faces.delete(photo.sha256));
    }
    return faces;
  }

  /** Keeps the photo and its faces for the event window (and drops what the window has passed). */
  async remember(group: string, analysis: Analysis, picture: Uint8Array, filename: string): Promise<void> {
    const now = this.o.now();
    await this.o.records.events.purge(now - this.o.windowMs);
    if (analysis.faces.length === 0) return;
    this.#faces.set(analysis.sha256, Promise.resolve(analysis.faces));
    await this.o.records.events.add({ group, sha256: analysis.sha256, filename, bytes: picture, createdAt: now });
  }

  /**
   * Keeps a face as a reference of its member when it may be (consent) and adds something (LEARNING's cap and
   * diversity). `cause`: the learned reference that matched it, if one did. Returns whether it was kept.
   */
  async learn(group: string, member: Contact, face: { descriptor: number[]; age?: number | undefined }, sha256: string, source: 'confident' | 'confirmed'): Promise<boolean> {
    if (!(await this.o.canLearn(group, member.id))) return false;
    const cause = nearestLearned(member, face.descriptor);
    return this.o.records.contacts.learn(
      group,
      member.id,
      { descriptor: face.descriptor, age: face.age ?? null, sha256, source, ...(cause ? { cause } : {}), at: this.o.now() },
      { cap: LEARNING.cap, diversity: LEARNING.diversity },
    );
  }

  /** The confident matches of a photo, each learned; returns the members who got a new reference. */
  async learnFrom(group: string, sha256: string, faces: Analysis['faces'], matches: FaceMatch[], contacts: Contact[], gallery: Gallery, policy: MatchPolicy): Promise<Set<string>> {
    const learned = new Set<string>();
    for (const m of matches) {
      if (m.kind !== 'match' || !isConfident(m, faces[m.faceIndex]!, gallery, policy)) continue;
      const member = contacts.find((c) => c.id === m.memberId);
      if (member && (await this.learn(group, member, faces[m.faceIndex]!, sha256, 'confident'))) learned.add(m.memberId);
    }
    return learned;
  }

  /**
   * The event's other photos matched again against the group as it is now: the new matches of these members
   * that nothing was sent, refused or answered for yet.
   */
  async revisit(group: string, members: ReadonlySet<string>, exceptSha: string, gallery: Gallery, policy: MatchPolicy, negatives: Negatives): Promise<LateMatch[]> {
    const photos = await this.o.records.events.since(group, this.o.now() - this.o.windowMs);
    const out: LateMatch[] = [];
    for (const photo of photos) {
      if (photo.sha256 === exceptSha) continue;
      const faces = await this.#facesOf(photo);
      const matches = applyNegatives(faces, matchFaces(faces, gallery, policy), negatives);
      for (const match of matches) {
        if (match.kind !== 'match' || !members.has(match.memberId)) continue;
        // Sent, refused or answered already: never again. An open question is settled by the match.
        const seen = await this.o.records.notices.findSighting(group, match.memberId, photo.sha256);
        if (seen && !(seen.kind === 'unsure' && seen.state === 'open')) continue;
        out.push({ photo, face: faces[match.faceIndex]!, match });
      }
    }
    return out;
  }
}

/** The photo a member's nearest learned reference came from, when their nearest reference is a learned one. */
function nearestLearned(member: Contact, descriptor: number[]): string | undefined {
  const q = normalize(descriptor);
  let best = Infinity;
  let from: string | undefined;
  member.descriptors.forEach((d, i) => {
    const dist = cosineDistance(q, normalize(d));
    if (dist < best) {
      best = dist;
      from = member.learnedFrom?.[i] ?? undefined;
    }
  });
  return from;
}
