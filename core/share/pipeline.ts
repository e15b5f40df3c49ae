import { createHash } from 'node:crypto';
import type { ContactBook } from '../contacts/index.ts';
import type { Analysis, Box, FaceEngine } from '../faces/index.ts';
import type { Contact } from '../contacts/index.ts';
import { applyNegatives, findUnsureFaces, isConfident, matchFaces, type FaceMatch, type Gallery, type MatchPolicy } from '../match/index.ts';
import type { Records } from '../records/index.ts';
import type { EventLearning } from './learning.ts';
import type { DeliveryOutcome, Outbox } from './outbox.ts';
import { faceCrop, photoThumbnail } from './thumbs.ts';

export interface Delivery {
  memberId: string;
  name: string;
  album: string;
  username: string;
  distance: number;
  outcome: DeliveryOutcome;
}

export interface ShareReport {
  sha256: string;
  width: number;
  height: number;
  faces: number;
  /** Each face's box (original pixels), in detection order. */
  boxes: Box[];
  /** One entry per face, in detection order. */
  matches: FaceMatch[];
  deliveries: Delivery[];
  /**
   * Near misses not delivered: beyond the member's threshold, within the album's verification threshold,
   * margin holding ("is this you?"). `sighting` names the stored question (when the terminal keeps them).
   */
  unsure: UnsureDelivery[];
  /**
   * Earlier photos of the same event delivered now, because this photo taught the terminal a member's face
   * (learned references): each once, through the outbox and the album's check.
   */
  late: LateDelivery[];
}

export interface LateDelivery extends Delivery {
  sha256: string;
  filename: string;
}

export interface UnsureDelivery {
  faceIndex: number;
  memberId: string;
  name: string;
  distance: number;
  sighting?: number;
  /** True the first time this (photo, member) was found unsure: a question is asked at most once. */
  firstTime: boolean;
}

export interface SharerOptions {
  engine: FaceEngine;
  contacts: ContactBook;
  outbox: Outbox;
  /** The matching policy for a group's gallery (its threshold follows the group's size). */
  policyFor: (gallery: Gallery) => MatchPolicy;
  /** Sightings and negatives ("not me"); without it no face is remembered and nothing is asked. */
  notices?: Records['notices'];
  /** The album's verification threshold (ALBUM_VERIFY_THRESHOLD): how far "is this you?" reaches. */
  verifyThreshold?: number;
  /** Whether a member can be asked privately (a chat user); others' near misses are only reported. */
  canAsk?: (memberId: string) => boolean;
  /** Called for each new question (after it is stored), e.g. to queue it in the member's notice. */
  onQuestion?: (memberId: string, sighting: number) => Promise<void>;
  now?: () => number;
  /** Called for each member whose photo reached (or already was in) their album. */
  onDelivered?: (group: string, memberId: string) => Promise<void>;
  /** Learned references and the event window (needs `notices`); without it only selfies are references. */
  learning?: EventLearning;
}

/** Rounds of "learn, then look at the event again" after one photo (each round may teach the next). */
const LEARNING_ROUNDS = 3;

/**
 * The share pipeline [photo matching + sharing units]: analyse a picture once, match its faces against
 * the group's contacts, queue one packet per matched member, try each at once.
 * Throws ImageError for bytes that are not a readable image (nothing is queued then).
 */
export class Sharer {
  constructor(private readonly options: SharerOptions) {}

  async share(picture: Uint8Array, context: { group: string; filename?: string }): Promise<ShareReport> {
    const analysis = await this.options.engine.analyze(picture, 'photo');
    const filename = context.filename ?? `${analysis.sha256.slice(0, 16)}.jpg`;
    // Kept for the event window first, so a photo shared at the same time is looked at again too.
    if (this.options.notices) await this.options.learning?.remember(context.group, analysis, picture, filename);
    const found = await this.#match(analysis, context.group);
    const matched = found.matches.flatMap((m) => (m.kind === 'match' ? [m] : []));
    // Before the packets: a delivered packet's notice names its sighting (notices.ts).
    await this.#recordDelivered(matched, analysis, picture, context.group, filename);
    const unsure = await this.#ask(found.unsureFaces, found.members, analysis, picture, context.group, filename);
    const deliveries = await this.#deliver(
      // Each packet carries where its member's face is, so the album can check that face first (album/README.md).
      matched.map((m) => ({ member: found.members.find((c) => c.id === m.memberId)!, distance: m.distance, box: analysis.faces[m.faceIndex]!.box })),
      picture,
      context.group,
      context.filename,
    );
    const late = await this.#learn(found, analysis, context.group);
    return { sha256: analysis.sha256, width: analysis.width, height: analysis.height, faces: analysis.faces.length, boxes: analysis.faces.map((f) => f.box), matches: found.matches, deliveries, unsure, late };
  }

  /** Matching: each face against the group's members (the policy, then the members' "not me" negatives). */
  async #match(analysis: Analysis, group: string): Promise<{ members: Contact[]; gallery: Gallery; matches: FaceMatch[]; unsureFaces: ReturnType<typeof findUnsureFaces> }> {
    const { contacts, policyFor, notices } = this.options;
    const now = this.options.now ?? Date.now;
    const { contacts: members, gallery } = await contacts.gallery(group);
    if (gallery.size === 0) {
      return { members, gallery, unsureFaces: [], matches: analysis.faces.map((_, faceIndex) => ({ kind: 'stranger' as const, faceIndex, reason: 'no_close_member' as const, nearestDistance: Infinity })) };
    }
    const policy = policyFor(gallery);
    const negatives = notices ? await notices.groupNegatives(group, now()) : new Map<string, number[][]>();
    const matches = applyNegatives(analysis.faces, matchFaces(analysis.faces, gallery, policy), negatives);
    const unsureFaces = this.options.verifyThreshold !== undefined ? findUnsureFaces(analysis.faces, matches, gallery, policy, this.options.verifyThreshold, negatives) : [];
    return { members, gallery, matches, unsureFaces };
  }

  /** What went to whom is remembered, so a member's "not me" can name the face that matched. */
  async #recordDelivered(matched: Array<Extract<FaceMatch, { kind: 'match' }>>, analysis: Analysis, picture: Uint8Array, group: string, filename: string): Promise<void> {
    const { notices } = this.options;
    const now = this.options.now ?? Date.now;
    if (!notices || matched.length === 0) return;
    // The thumbnail is for notices, which only chat members get.
    const thumb = matched.some((m) => this.options.canAsk?.(m.memberId)) ? await photoThumbnail(picture) : Buffer.alloc(0);
    for (const m of matched) {
      const face = analysis.faces[m.faceIndex]!;
      await notices.recordSighting({ group, memberId: m.memberId, sha256: analysis.sha256, kind: 'delivered', descriptor: face.descriptor, box: face.box, distance: m.distance, filename, thumb, createdAt: now() });
    }
  }

  /** The near misses: each is recorded and its member asked "is this you?" once (never one who chose /notify off). */
  async #ask(unsureFaces: ReturnType<typeof findUnsureFaces>, members: Contact[], analysis: Analysis, picture: Uint8Array, group: string, filename: string): Promise<UnsureDelivery[]> {
    const { notices } = this.options;
    const now = this.options.now ?? Date.now;
    const unsure: UnsureDelivery[] = [];
    for (const u of unsureFaces) {
      const member = members.find((c) => c.id === u.memberId)!;
      const entry: UnsureDelivery = { faceIndex: u.faceIndex, memberId: u.memberId, name: member.name, distance: u.distance, firstTime: true };
      // A chat member who chose `/notify off` is asked nothing: nothing about the face is kept for them either.
      const silenced = notices !== undefined && (this.options.canAsk?.(u.memberId) ?? false) && (await notices.mode(u.memberId)) === 'off';
      if (notices && !silenced) {
        const face = analysis.faces[u.faceIndex]!;
        const thumb = await faceCrop(picture, face.box);
        const { sighting, created } = await notices.recordSighting(
          { group, memberId: u.memberId, sha256: analysis.sha256, kind: 'unsure', descriptor: face.descriptor, box: face.box, distance: u.distance, filename, thumb, createdAt: now() },
          picture,
        );
        entry.sighting = sighting.seq;
        entry.firstTime = created && sighting.kind === 'unsure';
        if (entry.firstTime && (this.options.canAsk?.(u.memberId) ?? false)) await this.options.onQuestion?.(u.memberId, sighting.seq);
      }
      unsure.push(entry);
    }
    return unsure;
  }

  /** Learning: confident matches become references, and the event's photos are looked at again. */
  async #learn(found: { members: Contact[]; gallery: Gallery; matches: FaceMatch[] }, analysis: Analysis, group: string): Promise<LateDelivery[]> {
    const { learning, notices, policyFor } = this.options;
    if (!learning || !notices || found.gallery.size === 0) return [];
    const learners = await learning.learnFrom(group, analysis.sha256, analysis.faces, found.matches, found.members, found.gallery, policyFor(found.gallery));
    return this.#revisit(group, learners, analysis.sha256);
  }

  /**
   * A member confirmed a face ("yes" to "is this you?", `share --confirm`): it becomes one of their references,
   * and the event's other photos are looked at again. Returns the late deliveries it caused.
   */
  async learnConfirmed(group: string, memberId: string, sha256: string, face: { descriptor: number[]; age?: number }): Promise<LateDelivery[]> {
    const learning = this.options.learning;
    if (!learning || !this.options.notices) return [];
    const member = await this.options.contacts.get(group, memberId);
    if (!member || !(await learning.learn(group, member, face, sha256, 'confirmed'))) return [];
    return this.#revisit(group, new Set([memberId]), sha256);
  }

  /** Learn, look at the event again, deliver what now matches; what that teaches starts the next round. */
  async #revisit(group: string, learners: Set<string>, exceptSha: string): Promise<LateDelivery[]> {
    const { contacts, notices, policyFor } = this.options;
    const learning = this.options.learning!;
    const late: LateDelivery[] = [];
    for (let round = 0; round < LEARNING_ROUNDS && learners.size > 0; round++) {
      const { contacts: members, gallery } = await contacts.gallery(group);
      const policy = policyFor(gallery);
      const found = await learning.revisit(group, learners, exceptSha, gallery, policy, await notices!.groupNegatives(group));
      learners = new Set();
      for (const f of found) {
        const member = members.find((c) => c.id === f.match.memberId);
        if (!member) continue;
        const { face } = f;
        // The sighting is the once-only mark: a photo already sent, asked about or refused for this member has one.
        const thumb = this.options.canAsk?.(member.id) ? await photoThumbnail(f.photo.bytes) : Buffer.alloc(0);
        const first = await notices!.recordLateMatch({ group, memberId: member.id, sha256: f.photo.sha256, descriptor: face.descriptor, box: face.box, distance: f.match.distance, filename: f.photo.filename, thumb, createdAt: (this.options.now ?? Date.now)() });
        if (!first) continue;
        const sent = await this.#deliver([{ member, distance: f.match.distance, box: face.box }], f.photo.bytes, group, f.photo.filename);
        late.push(...sent.map((d) => ({ ...d, sha256: f.photo.sha256, filename: f.photo.filename })));
        if (isConfident(f.match, face, gallery, policy) && (await learning.learn(group, member, face, f.photo.sha256, 'confident'))) learners.add(member.id);
      }
    }
    return late;
  }

  /** Queues one packet per recipient (a dependent's to each guardian), then tries each at once. */
  async #deliver(matches: Array<{ member: Contact; distance: number; box?: Box }>, picture: Uint8Array, group: string, filename: string | undefined): Promise<Delivery[]> {
    const { outbox } = this.options;
    const sha256 = createHash('sha256').update(picture).digest('hex');
    // Queue every packet before trying any: a crash mid-way still delivers the rest on restart.
    const queued = [];
    const earlier: Delivery[] = [];
    for (const { member, distance, box } of matches) {
      // A dependent's photo goes to each guardian's album. Guardians' albums came from chat users: checked
      // like any typed address (the built-in album passes whatever the mark).
      const recipients = [{ album: member.album, username: member.username, untrusted: Boolean(member.untrustedAlbum) }, ...(member.guardians ?? []).map((g) => ({ ...g, untrusted: true }))];
      for (const to of recipients) {
        // Already in that album from here: reported as a duplicate, with no request (the album would say the same).
        const before = await outbox.deliveredBefore(to.album, to.username, sha256);
        if (before) {
          earlier.push({ memberId: member.id, name: member.name, album: to.album, username: to.username, distance, outcome: { kind: 'duplicate', id: before.id } });
          continue;
        }
        const packet = await outbox.enqueue({
          album: to.album,
          username: to.username,
          picture,
          ...(filename !== undefined ? { filename } : {}),
          group,
          memberId: member.id,
          ...(to.untrusted ? { untrusted: true } : {}),
          ...(box ? { faceHints: [box] } : {}),
        });
        queued.push({ member, packet, distance });
      }
    }
    const sent = await Promise.all(
      queued.map(async ({ member, packet, distance }) => ({
        memberId: member.id,
        name: member.name,
        album: packet.album,
        username: packet.username,
        distance,
        outcome: await outbox.attempt(packet.id),
      })),
    );
    const deliveries = [...earlier, ...sent];
    if (this.options.onDelivered) {
      for (const d of deliveries) if (d.outcome.kind === 'delivered' || d.outcome.kind === 'duplicate') await this.options.onDelivered(group, d.memberId).catch(() => {});
    }
    return deliveries;
  }
}
