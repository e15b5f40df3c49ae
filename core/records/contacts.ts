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
          'INSERT INTO contacts (grp, id, seq, name, album, username, descriptor_model, added_at, untrusted_album, approved, active_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
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
        );
        for (const d of contact.descriptors) await q.run('INSERT INTO contact_faces (grp, contact_id, descriptor) VALUES (?, ?, ?)', group, contact.id, JSON.stringify(d));
        await this.#bump(q, group);
      },
      { locks: [lockKey(group)] },
    );
  }

  /** Adds a reference face; with `replace`, the member's older faces go (another descriptor model). */
  async addFace(group: string, id: string, descriptor: number[], model: string, check: MembersCheck): Promise<Contact | undefined> {
    return this.db.tx(
      async (q) => {
        const members = await this.#list(q, group);
        check(members);
        const contact = members.find((c) => c.id === id);
        if (!contact) return undefined;
        if (contact.descriptorModel !== model) await q.run('DELETE FROM contact_faces WHERE grp = ? AND contact_id = ?', group, id);
        await q.run('UPDATE contacts SET descriptor_model = ? WHERE grp = ? AND id = ?', model, group, id);
        await q.run('INSERT INTO contact_faces (grp, contact_id, descriptor) VALUES (?, ?, ?)', group, id, JSON.stringify(descriptor));
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

  async #bump(q: Queryable, group: string): Promise<void> {
    await q.run('INSERT INTO contact_groups (grp, version) VALUES (?, 1) ON CONFLICT (grp) DO UPDATE SET version = contact_groups.version + 1', group);
  }

  async #list(q: Queryable, group: string, id?: string): Promise<Contact[]> {
    const rows = id === undefined
      ? await q.all<ContactRow>('SELECT * FROM contacts WHERE grp = ? ORDER BY seq', group)
      : await q.all<ContactRow>('SELECT * FROM contacts WHERE grp = ? AND id = ?', group, id);
    if (rows.length === 0) return [];
    const faces = new Map<string, number[][]>();
    const faceRows = id === undefined
      ? await q.all<{ contact_id: string; descriptor: string }>('SELECT contact_id, descriptor FROM contact_faces WHERE grp = ? ORDER BY seq', group)
      : await q.all<{ contact_id: string; descriptor: string }>('SELECT contact_id, descriptor FROM contact_faces WHERE grp = ? AND contact_id = ? ORDER BY seq', group, id);
    for (const f of faceRows) {
      const list = faces.get(f.contact_id) ?? [];
      list.push(JSON.parse(f.descriptor) as number[]);
      faces.set(f.contact_id, list);
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
      descriptorModel: r.descriptor_model,
      addedAt: r.added_at,
      ...(r.untrusted_album ? { untrustedAlbum: true as const } : {}),
      ...(r.approved === 0 ? { approved: false as const } : {}),
      ...(guardians.has(r.id) ? { guardians: guardians.get(r.id)! } : {}),
    }));
  }
}

/** A group's changes run one at a time (each checks the members as they are). */
const lockKey = (group: string) => `contacts:${group}`;
