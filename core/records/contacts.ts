import type { Db, Queryable } from './db.ts';
import { forgetFaceTraces } from './notices.ts';

/** One member of a group [contact entry]: where their album is and what their face looks like. */
export interface Contact {
  /** Unique within the group: the display name for the CLI, a platform user id for bots. */
  id: string;
  name: string;
  /** Album server base URL, e.g. http://host:8080. */
  album: string;
  /** Account name on that album server. */
  username: string;
  /** Raw descriptors of the member's reference selfies. */
  descriptors: number[][];
  /** The age net's estimate for each of them (null where none was made, e.g. imported descriptors). */
  ages?: Array<number | null>;
  /** Registered as a child (a dependent, `--child`): matched with children's tables whatever the estimate. */
  minor?: true;
  /** Where each reference came from, where any was learned (absent: all selfies)... */
  sources?: ReferenceSource[];
  /** ...and for a learned one, the photo it was learned from. */
  learnedFrom?: Array<string | null>;
  /** The model that made `descriptors`; a different current model means the member must send a new selfie. */
  descriptorModel: string;
  addedAt: string;
  /** The album address came from a chat user, not the machine's owner: deliveries check where it leads. */
  untrustedAlbum?: true;
  /** Set while an approval-mode group's admins have not approved this face: it matches nothing. */
  approved?: false;
  /** Other albums that receive this member's photos (a dependent's further guardians). */
  guardians?: Array<{ key: string; album: string; username: string }>;
}

interface ContactRow {
  id: string;
  name: string;
  album: string;
  username: string;
  descriptor_model: string;
  added_at: string;
  untrusted_album: number;
  approved: number;
  minor: number;
}

/** A selfie, or a face learned from a group photo: matched with high confidence, or confirmed by the member. */
export type ReferenceSource = 'selfie' | 'confident' | 'confirmed';

export interface LearnedFace {
  descriptor: number[];
  age: number | null;
  /** The photo it came from. */
  sha256: string;
  source: Exclude<ReferenceSource, 'selfie'>;
  /** The photo whose learned face made this match, if one did (a "not me" on it removes this one too). */
  cause?: string;
  at: number;
}

/** Checks a change against the group's members as they are inside the transaction; throws to refuse it. */
export type MembersCheck = (members: Contact[]) => void;

/**
 * Contact entries: one row per member per group, one row per reference face. Each change runs in one
 * write transaction that first reads the group's current members for the caller's check (is this face
 * already someone else's?), so two registrations cannot both pass it. Every change bumps the group's
 * version, which is how a cached gallery knows it is stale.
 */
export class ContactRepository {
  constructor(private readonly db: Db) {}

  async list(group: string): Promise<Contact[]> {
    return this.#list(this.db, group);
  }

  async groups(): Promise<string[]> {
    // SQLite: in the order they were first seen (its rowid); Postgres has no such order, so by name.
    const order = this.db.dialect === 'sqlite' ? 'rowid' : 'grp';
    return (await this.db.all<{ grp: string }>(`SELECT grp FROM contact_groups ORDER BY ${order}`)).map((r) => r.grp);
  }

  /** Changes with every add, new face or removal in the group. */
  async version(group: string): Promise<number> {
    return (await this.db.get<{ version: number }>('SELECT version FROM contact_groups WHERE grp = ?', group))?.version ?? 0;
  }

  async insert(group: string, contact: Contact, check: MembersCheck): Promise<void> {
    await this.db.tx(
      async (q) => {
        check(await this.#list(q, group));
        const seq = (await q.get<{ n: number }>('SELECT COALESCE(MAX(seq), 0) + 1 AS n FROM contacts WHERE grp = ?', group))!.n;
        await q.run(
          'INSERT INTO contacts (grp, id, seq, name, album, username, descriptor_model, added_at, untrusted_album, approved, active_at, minor) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
          group,
          contact.id,
          seq,
          contact.name,
          contact.album,
          contact.username,
          contact.descriptorModel,
          contact.addedAt,
          contact.untrustedAlbum ? 1 : 0,
          contact.approved === false ? 0 : 1,
          Date.parse(contact.addedAt) || Date.now(),
          contact.minor ? 1 : 0,
        );
        for (const [i, d] of contact.descriptors.entries()) await q.run('INSERT INTO contact_faces (grp, contact_id, descriptor, age) VALUES (?, ?, ?, ?)', group, contact.id, JSON.stringify(d), contact.ages?.[i] ?? null);
        await this.#bump(q, group);
      },
      { locks: [lockKey(group)] },
    );
  }

  /** Adds a reference face; with `replace`, the member's older faces go (another descriptor model). */
  async addFace(group: string, id: string, descriptor: number[], model: string, check: MembersCheck, age: number | null = null): Promise<Contact | undefined> {
    return this.db.tx(
      async (q) => {
        const members = await this.#list(q, group);
        check(members);
        const contact = members.find((c) => c.id === id);
        if (!contact) return undefined;
        if (contact.descriptorModel !== model) await q.run('DELETE FROM contact_faces WHERE grp = ? AND contact_id = ?', group, id);
        await q.run('UPDATE contacts SET descriptor_model = ? WHERE grp = ? AND id = ?', model, group, id);
        await q.run('INSERT INTO contact_faces (grp, contact_id, descriptor, age) VALUES (?, ?, ?, ?)', group, id, JSON.stringify(descriptor), age);
        await this.#bump(q, group);
        return (await this.#list(q, group, id))[0];
      },
      { locks: [lockKey(group)] },
    );
  }

  async remove(group: string, id: string): Promise<Contact | undefined> {
    return this.db.tx(
      async (q) => {
        const removed = (await this.#list(q, group, id))[0];
        if (!removed) return undefined;
        await q.run('DELETE FROM contacts WHERE grp = ? AND id = ?', group, id);
        await q.run('DELETE FROM contact_faces WHERE grp = ? AND contact_id = ?', group, id);
        await q.run('DELETE FROM guardians WHERE grp = ? AND contact_id = ?', group, id);
        // Every removal path (the CLI's `contacts remove`, /forget, an admin, retention) leaves no face behind.
        await forgetFaceTraces(q, group, id);
        await this.#bump(q, group);
        return removed;
      },
      { locks: [lockKey(group)] },
    );
  }

  /** Approves a face held back by approval mode; false when there is no such entry. */
  async approve(group: string, id: string): Promise<boolean> {
    return this.db.tx(
      async (q) => {
        const changed = (await q.run('UPDATE contacts SET approved = 1 WHERE grp = ? AND id = ?', group, id)) > 0;
        if (changed) await this.#bump(q, group);
        return changed;
      },
      { locks: [lockKey(group)] },
    );
  }

  /** Another guardian whose album receives this dependent's photos. */
  async addGuardian(group: string, id: string, guardian: { key: string; album: string; username: string }, at: number): Promise<void> {
    await this.db.tx(
      async (q) => {
        await q.run(
          'INSERT INTO guardians (grp, contact_id, guardian_key, album, username, added_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (grp, contact_id, guardian_key) DO NOTHING',
          group,
          id,
          guardian.key,
          guardian.album,
          guardian.username,
          at,
        );
        await this.#bump(q, group);
      },
      { locks: [lockKey(group)] },
    );
  }

  /** A guardian stops receiving a dependent's photos. False when they were not one. */
  async removeGuardian(group: string, id: string, guardianKey: string): Promise<boolean> {
    return this.db.tx(
      async (q) => {
        const removed = (await q.run('DELETE FROM guardians WHERE grp = ? AND contact_id = ? AND guardian_key = ?', group, id, guardianKey)) > 0;
        if (removed) await this.#bump(q, group);
        return removed;
      },
      { locks: [lockKey(group)] },
    );
  }

  /**
   * Keeps a learned face as one more reference of the member, unless one of their references is within
   * `diversity` of it (it would add nothing). Past `cap` learned faces the oldest learned one goes; selfies
   * stay. Returns whether it was kept.
   */
  async learn(group: string, id: string, face: LearnedFace, rule: { cap: number; diversity: number }): Promise<boolean> {
    return this.db.tx(
      async (q) => {
        const member = (await this.#list(q, group, id))[0];
        if (!member) return false;
        const unit = unitOf(face.descriptor);
        if (member.descriptors.some((d) => 1 - dot(unitOf(d), unit) < rule.diversity)) return false;
        if ((await q.get('SELECT 1 AS x FROM contact_faces WHERE grp = ? AND contact_id = ? AND sha256 = ?', group, id, face.sha256))) return false;
        await q.run(
          'INSERT INTO contact_faces (grp, contact_id, descriptor, age, source, sha256, learned_at, cause) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
          group,
          id,
          JSON.stringify(face.descriptor),
          face.age,
          face.source,
          face.sha256,
          face.at,
          face.cause ?? null,
        );
        const learned = await q.all<{ seq: number }>("SELECT seq FROM contact_faces WHERE grp = ? AND contact_id = ? AND source <> 'selfie' ORDER BY learned_at DESC, seq DESC", group, id);
        for (const old of learned.slice(rule.cap)) await q.run('DELETE FROM contact_faces WHERE seq = ?', old.seq);
        await this.#bump(q, group);
        return true;
      },
      { locks: [lockKey(group)] },
    );
  }

  /**
   * "Not me" on a photo: the face learned from it goes, and every face learned through it (a match it made,
   * and so on). Returns the photos whose learned faces were removed.
   */
  async forgetLearned(group: string, id: string, sha256: string): Promise<string[]> {
    return this.db.tx(
      async (q) => {
        const rows = await q.all<{ sha256: string; cause: string | null }>("SELECT sha256, cause FROM contact_faces WHERE grp = ? AND contact_id = ? AND source <> 'selfie'", group, id);
        const gone = new Set([sha256]);
        for (let grew = true; grew; ) {
          grew = false;
          for (const r of rows) if (r.cause && gone.has(r.cause) && !gone.has(r.sha256)) (gone.add(r.sha256), (grew = true));
        }
        let removed = 0;
        for (const sha of gone) removed += await q.run("DELETE FROM contact_faces WHERE grp = ? AND contact_id = ? AND source <> 'selfie' AND sha256 = ?", group, id, sha);
        if (removed > 0) await this.#bump(q, group);
        return removed > 0 ? [...gone] : [];
      },
      { locks: [lockKey(group)] },
    );
  }

  async #bump(q: Queryable, group: string): Promise<void> {
    await q.run('INSERT INTO contact_groups (grp, version) VALUES (?, 1) ON CONFLICT (grp) DO UPDATE SET version = contact_groups.version + 1', group);
  }

  async #list(q: Queryable, group: string, id?: string): Promise<Contact[]> {
    const rows = id === undefined
      ? await q.all<ContactRow>('SELECT * FROM contacts WHERE grp = ? ORDER BY seq', group)
      : await q.all<ContactRow>('SELECT * FROM contacts WHERE grp = ? AND id = ?', group, id);
    if (rows.length === 0) return [];
    const faces = new Map<string, number[][]>();
    const ages = new Map<string, Array<number | null>>();
    const sources = new Map<string, ReferenceSource[]>();
    const from = new Map<string, Array<string | null>>();
    type FaceRow = { contact_id: string; descriptor: string; age: number | null; source: ReferenceSource; sha256: string | null };
    const faceRows = id === undefined
      ? await q.all<FaceRow>('SELECT contact_id, descriptor, age, source, sha256 FROM contact_faces WHERE grp = ? ORDER BY seq', group)
      : await q.all<FaceRow>('SELECT contact_id, descriptor, age, source, sha256 FROM contact_faces WHERE grp = ? AND contact_id = ? ORDER BY seq', group, id);
    for (const f of faceRows) {
      faces.set(f.contact_id, [...(faces.get(f.contact_id) ?? []), JSON.parse(f.descriptor) as number[]]);
      ages.set(f.contact_id, [...(ages.get(f.contact_id) ?? []), f.age === null ? null : Number(f.age)]);
      sources.set(f.contact_id, [...(sources.get(f.contact_id) ?? []), f.source]);
      from.set(f.contact_id, [...(from.get(f.contact_id) ?? []), f.sha256]);
    }
    const guardians = new Map<string, Array<{ key: string; album: string; username: string }>>();
    for (const g of await q.all<{ contact_id: string; guardian_key: string; album: string; username: string }>('SELECT contact_id, guardian_key, album, username FROM guardians WHERE grp = ? ORDER BY added_at', group)) {
      guardians.set(g.contact_id, [...(guardians.get(g.contact_id) ?? []), { key: g.guardian_key, album: g.album, username: g.username }]);
    }
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      album: r.album,
      username: r.username,
      descriptors: faces.get(r.id) ?? [],
      ...(ages.get(r.id)?.some((a) => a !== null) ? { ages: ages.get(r.id)! } : {}),
      ...(r.minor ? { minor: true as const } : {}),
      ...(sources.get(r.id)?.some((x) => x !== 'selfie') ? { sources: sources.get(r.id)!, learnedFrom: from.get(r.id)! } : {}),
      descriptorModel: r.descriptor_model,
      addedAt: r.added_at,
      ...(r.untrusted_album ? { untrustedAlbum: true as const } : {}),
      ...(r.approved === 0 ? { approved: false as const } : {}),
      ...(guardians.has(r.id) ? { guardians: guardians.get(r.id)! } : {}),
    }));
  }
}

const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);
function unitOf(d: ArrayLike<number>): Float64Array {
  const v = Float64Array.from(d as ArrayLike<number>);
  const n = Math.hypot(...v) || 1;
  return v.map((x) => x / n);
}

/** A group's changes run one at a time (each checks the members as they are). */
const lockKey = (group: string) => `contacts:${group}`;
