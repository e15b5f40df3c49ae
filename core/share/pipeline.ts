import type { ContactBook } from '../contacts/index.ts';
import type { Box, FaceEngine } from '../faces/index.ts';
import { matchFaces, type FaceMatch, type Gallery, type MatchPolicy } from '../match/index.ts';
import type { DeliveryOutcome, Outbox } from './outbox.ts';

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
}

export interface SharerOptions {
  engine: FaceEngine;
  contacts: ContactBook;
  outbox: Outbox;
  /** The matching policy for a group's gallery (its threshold follows the group's size). */
  policyFor: (gallery: Gallery) => MatchPolicy;
  /** Called for each member whose photo reached (or already was in) their album. */
  onDelivered?: (group: string, memberId: string) => Promise<void>;
}

/**
 * The share pipeline [photo matching + sharing units]: analyse a picture once, match its faces against
 * the group's contacts, queue one packet per matched member, try each at once.
 * Throws ImageError for bytes that are not a readable image (nothing is queued then).
 */
export class Sharer {
  constructor(private readonly options: SharerOptions) {}

  async share(picture: Uint8Array, context: { group: string; filename?: string }): Promise<ShareReport> {
    const { engine, contacts, outbox, policyFor } = this.options;
    const analysis = await engine.analyze(picture, 'photo');
    const { contacts: members, gallery } = await contacts.gallery(context.group);
    const matches = gallery.size === 0 ? analysis.faces.map((_, faceIndex) => ({ kind: 'stranger' as const, faceIndex, reason: 'no_close_member' as const, nearestDistance: Infinity })) : matchFaces(analysis.faces, gallery, policyFor(gallery));
    const matched = matches.flatMap((m) => (m.kind === 'match' ? [m] : []));
    // Queue every packet before trying any: a crash mid-way still delivers the rest on restart.
    const queued = [];
    for (const m of matched) {
      const member = members.find((c) => c.id === m.memberId)!;
      // A dependent's photo goes to each guardian's album. Guardians' albums came from chat users: checked
      // like any typed address (the built-in album passes whatever the mark).
      const recipients = [{ album: member.album, username: member.username, untrusted: Boolean(member.untrustedAlbum) }, ...(member.guardians ?? []).map((g) => ({ ...g, untrusted: true }))];
      for (const to of recipients) {
        const packet = await outbox.enqueue({
          album: to.album,
          username: to.username,
          picture,
          ...(context.filename !== undefined ? { filename: context.filename } : {}),
          group: context.group,
          memberId: member.id,
          ...(to.untrusted ? { untrusted: true } : {}),
        });
        queued.push({ member, packet, distance: m.distance });
      }
    }
    const deliveries = await Promise.all(
      queued.map(async ({ member, packet, distance }) => ({
        memberId: member.id,
        name: member.name,
        album: packet.album,
        username: packet.username,
        distance,
        outcome: await outbox.attempt(packet.id),
      })),
    );
    if (this.options.onDelivered) {
      for (const d of deliveries) if (d.outcome.kind === 'delivered' || d.outcome.kind === 'duplicate') await this.options.onDelivered(context.group, d.memberId).catch(() => {});
    }
    return { sha256: analysis.sha256, width: analysis.width, height: analysis.height, faces: analysis.faces.length, boxes: analysis.faces.map((f) => f.box), matches, deliveries };
  }
}
