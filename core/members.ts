// Chat-agnostic member registration, shared by every bot: a member registers with a selfie, gets an
// account on an album server (the built-in one by default) and a contact entry in the group.
import type { Contact } from './contacts/index.ts';
import { ContactError, normalizeAlbumUrl } from './contacts/index.ts';
import type { AlbumLink } from './records/index.ts';
import { DESCRIPTOR_MODEL, SelfieError, type Face } from './faces/index.ts';
import { isolateFace, selfieCandidates } from './faces/selfie-pick.ts';
import { assertAlbumAddressAllowed } from './share/album-address.ts';
import type { NewJob } from './jobs/queue.ts';
import { noticeQueue, type Records } from './records/index.ts';
import { addAlbumFaces, AlbumApiError, createAccount, deleteAccountByKey, deleteAccountFacesByKey, deleteAlbum, deleteAlbumFaces, isRetryable, requestDeletionKey } from './share/index.ts';
import type { Terminal } from './terminal.ts';

export type { AlbumLink } from './records/index.ts';

export interface RegisterRequest {
  group: string;
  /** Platform-qualified user key, e.g. "tg:12345" or "dc:9876". */
  userKey: string;
  displayName: string;
  /** Used to derive the album account name on the built-in server. */
  usernameHint: string;
  selfies: Uint8Array[];
  /** Register an album on another server instead of creating one on the built-in server. */
  album?: { url: string; username: string };
  /** A selfie with several faces: which one (1-based, left to right, see selfieCandidates) is the member's. */
  faceIndex?: number;
  /** False in an approval-mode group: the face matches nothing until an admin approves it. */
  approved?: boolean;
  /** A dependent: the guardian whose album receives the photos (and learns the dependent's face). */
  albumOf?: string;
}

export interface RegisterResult {
  contact: Contact;
  link: AlbumLink;
  createdAccount: boolean;
  /** A second selfie would clearly help (see weakSelfie): the bots suggest one, once. */
  suggestAnotherSelfie: boolean;
}

/**
 * From the crowd measurements (README, "Safe for everyone"): from 10 members on, a member with one selfie is
 * found in fewer photos than with three (0.80 against 0.85 at 10 members, 0.76 against 0.84 at 20), and a
 * selfie whose face the detector was unsure of (a hard crop) makes a weak reference at any size.
 */
export function weakSelfie(groupSize: number, selfies: number, detectionScore: number): boolean {
  return selfies < 2 && (groupSize >= 10 || detectionScore < 0.8);
}

/** Album account names are 1-64 of [A-Za-z0-9_.-] (ARCHITECTURE.md). */
export function deriveUsername(hint: string, suffix = ''): string {
  const base = hint.normalize('NFKD').replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '') || 'member';
  return `${base.slice(0, 64 - suffix.length)}${suffix}`;
}

export class Members {
  constructor(
    private readonly terminal: Terminal,
    /** The built-in album server's base URL (PUBLIC_URL). */
    private readonly builtInAlbum: string,
  ) {}

  /**
   * Registers a member in a group. Throws SelfieError (no face / several faces), ImageError, ContactError
   * (face already registered to another member, or already registered here), AlbumAddressError (an album
   * address that leads to a loopback, private or metadata address) or AlbumApiError/AlbumHttpError.
   * Nothing is stored when it throws.
   */
  async register(request: RegisterRequest): Promise<RegisterResult> {
    const { contacts, engine, records } = this.terminal;
    if (request.selfies.length === 0) throw new Error('register needs at least one selfie');
    if (request.album) {
      const url = normalizeAlbumUrl(request.album.url);
      await assertAlbumAddressAllowed(url, { ...this.terminal.albumPolicy, builtIn: this.builtInAlbum });
    }
    const descriptors: number[][] = [];
    const ages: Array<number | null> = [];
    // What the album server gets as reference: with a picked face, the others blacked out.
    const albumSelfies: Uint8Array[] = [];
    let lowestScore = 1;
    for (const selfie of request.selfies) {
      let face: Face;
      if (request.faceIndex !== undefined) {
        const analysis = await engine.analyze(selfie, 'selfie');
        const candidates = selfieCandidates(analysis);
        const picked = candidates[request.faceIndex - 1];
        if (!picked) throw new SelfieError(candidates.length === 0 ? 'no_face' : 'several_faces', candidates.length);
        face = picked;
        albumSelfies.push(analysis.faces.length > 1 ? await isolateFace(selfie, picked, analysis.faces) : selfie);
      } else {
        face = (await engine.selfie(selfie)).face;
        albumSelfies.push(selfie);
      }
      descriptors.push(face.descriptor);
      ages.push(face.age ?? null);
      lowestScore = Math.min(lowestScore, face.score);
    }
    if (await contacts.get(request.group, request.userKey)) {
      throw new ContactError('id_taken', `${request.userKey} is already registered in this group.`);
    }
    // A dependent is a child: matched with children's tables (core/match/age.ts) whatever the estimate says.
    const minor = request.albumOf !== undefined;
    await contacts.assertFaceFree(request.group, request.userKey, descriptors, ages, minor);

    let link: AlbumLink;
    let createdAccount = false;
    const owner = request.albumOf ?? request.userKey;
    if (request.album) {
      link = { album: request.album.url, username: request.album.username };
    } else {
      const existing = await records.members.link(owner);
      if (existing?.token && existing.album === this.builtInAlbum) {
        link = existing;
        // The album checks every photo for a face it knows: teach it this one (a dependent's, or the
        // member's own again after /forget deleted the album's faces).
        await addAlbumFaces(link.album, existing.token, albumSelfies);
      } else {
        link = await this.#createBuiltInAccount(request.usernameHint, albumSelfies);
        createdAccount = true;
      }
    }
    await records.members.setLink(owner, link);
    const contact = await contacts.add(request.group, {
      id: request.userKey,
      name: request.displayName,
      album: link.album,
      username: link.username,
      descriptors,
      ages,
      minor,
      // Typed by a chat user: every delivery re-checks where the address leads (DNS may change).
      ...(request.album ? { untrustedAlbum: true } : {}),
      ...(request.approved === false ? { approved: false } : {}),
    });
    const groupSize = (await contacts.list(request.group)).length;
    return { contact, link, createdAccount, suggestAnotherSelfie: weakSelfie(groupSize, descriptors.length, lowestScore) };
  }

  async #createBuiltInAccount(hint: string, selfies: Uint8Array[]): Promise<AlbumLink> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const username = deriveUsername(hint, attempt === 0 ? '' : `-${attempt + 1}`);
      try {
        const created = await createAccount(this.builtInAlbum, username, selfies, { hmacSecret: this.terminal.albumSecret });
        return {
          album: this.builtInAlbum,
          username: created.username,
          token: created.token,
          albumUrl: created.albumUrl,
          ...(created.deletionKey ? { deletionKey: created.deletionKey } : {}),
        };
      } catch (error) {
        if (error instanceof AlbumApiError && error.status === 409) continue; // name taken: next suffix
        throw error;
      }
    }
    throw new Error('Could not find a free album account name');
  }

  /**
   * The album that receives a user's photos, made on the built-in server if they have none, and taught
   * these faces (a second guardian's album learns the dependent's face).
   */
  async albumFor(userKey: string, usernameHint: string, selfies: Uint8Array[]): Promise<AlbumLink> {
    const existing = await this.link(userKey);
    if (existing?.token && existing.album === this.builtInAlbum) {
      await addAlbumFaces(existing.album, existing.token, selfies);
      return existing;
    }
    if (existing) return existing;
    const link = await this.#createBuiltInAccount(usernameHint, selfies);
    await this.terminal.records.members.setLink(userKey, link);
    return link;
  }

  /**
   * Deletes the reference faces of the user's album on the built-in server (its photos stay): after
   * /forget no descriptor of theirs is left, and the album accepts nothing new. False without such an album.
   * Throws when the album did not confirm it: AlbumApiError when it refused, AlbumDeletionPending when it did
   * not answer (a durable job tries again and tells the member). A failure is never reported as done.
   */
  async forgetAlbumFaces(userKey: string): Promise<boolean> {
    const outcome = await deleteAlbumOfLink(this.terminal.records, userKey, 'faces');
    if (outcome.kind === 'none') return false;
    if (outcome.kind === 'deleted') return true;
    if (outcome.kind === 'failed') throw outcome.error;
    await this.terminal.records.jobs.enqueue(albumDeletionJob(userKey, 1, Date.now(), Date.now(), 'faces'));
    throw new AlbumDeletionPending({ cause: outcome.error }, 'faces');
  }

  /**
   * Gets a deletion key for each built-in album made before deletion keys (while its link still works), so
   * /forget no longer depends on the link the owner holds. Returns how many links got one. Run at start.
   */
  async addMissingDeletionKeys(): Promise<number> {
    const { members } = this.terminal.records;
    let added = 0;
    for (const userKey of await members.withoutDeletionKey()) {
      const link = await members.link(userKey);
      if (!link?.token || link.album !== this.builtInAlbum) continue;
      try {
        await members.addDeletionKey(userKey, await requestDeletionKey(link.album, link.token));
        added++;
      } catch (error) {
        // Link renewed by its owner (404) or a key given to another process (409): deletions say so when asked.
        if (!(error instanceof AlbumApiError)) throw error;
      }
    }
    return added;
  }

  /** Another reference selfie for a registered member (better recall). */
  addFace(group: string, userKey: string, selfie: Uint8Array): Promise<Contact> {
    return this.terminal.contacts.addFace(group, userKey, selfie);
  }

  /** The member's album link, if this terminal created their account. */
  link(userKey: string): Promise<AlbumLink | undefined> {
    return this.terminal.records.members.link(userKey);
  }

  /** Removes the member and their face data from one group (with what notices kept of their faces there). */
  async forget(group: string, userKey: string): Promise<Contact | undefined> {
    const removed = await this.terminal.contacts.remove(group, userKey);
    await this.terminal.records.notices.forgetMember(group, userKey);
    return removed;
  }

  /**
   * Deletes the member's album on the built-in server, with every photo in it, through the account's deletion
   * key (a link the owner rotated on the album page does not stop it). False without such an album. Throws
   * AlbumApiError when the album refused (the link is kept), or AlbumDeletionPending when it did not answer:
   * then a durable job tries again and the member is told how it ended (bots/shared/notices.ts).
   */
  async deleteAlbum(userKey: string): Promise<boolean> {
    const outcome = await deleteAlbumOfLink(this.terminal.records, userKey);
    if (outcome.kind === 'none') return false;
    if (outcome.kind === 'deleted') return true;
    if (outcome.kind === 'failed') throw outcome.error;
    await this.terminal.records.jobs.enqueue(albumDeletionJob(userKey, 1, Date.now()));
    throw new AlbumDeletionPending({ cause: outcome.error });
  }

  /**
   * Members of the group whose selfies came from another descriptor model (they match nobody until they
   * send a new one), each returned once per model, so a bot asks each of them once.
   */
  async takeStaleReminders(group: string): Promise<Contact[]> {
    const stale = (await this.terminal.contacts.list(group)).filter((c) => c.descriptorModel !== DESCRIPTOR_MODEL);
    const fresh: Contact[] = [];
    for (const c of stale) if (await this.terminal.records.members.firstReminder(group, c.id, DESCRIPTOR_MODEL)) fresh.push(c);
    return fresh;
  }

  list(group: string): Promise<Contact[]> {
    return this.terminal.contacts.list(group);
  }
}

/**
 * Which album errors mean "nothing left to delete": only a 404 unknown_account to the deletion key (the name
 * is gone). A 404 to a link token may only mean the owner made a new link, so it is a failure (link_changed).
 */
function albumGoneOrFailed(error: unknown, link: AlbumLink): unknown {
  if (!(error instanceof AlbumApiError && error.status === 404)) return error;
  if (link.deletionKey && error.code === 'unknown_account') return undefined;
  if (link.deletionKey) return error;
  return new AlbumApiError(
    404,
    'link_changed',
    'The album no longer opens with the link I hold (a new link was made on the album page, or it was deleted), so I could not delete it from here. Open your album page and delete it there.',
  );
}

/** The album server did not answer a deletion; a durable job tries again (ALBUM_DELETION) and tells the member. */
export class AlbumDeletionPending extends Error {
  constructor(options: { cause: unknown }, readonly what: 'album' | 'faces' = 'album') {
    super(
      what === 'album'
        ? 'Your album is not deleted yet: the album server did not answer. I keep trying, and I will tell you when it is done.'
        : 'Your face is not deleted from your album yet: the album server did not answer. I keep trying, and I will tell you when it is done.',
      options,
    );
    this.name = 'AlbumDeletionPending';
  }
}

/** The job kind, in the member's platform notice queue, that tries an album deletion again. */
export const ALBUM_DELETION = 'album-deletion';
/** How long a deletion is tried again before the member is told it failed. */
export const ALBUM_DELETION_GIVE_UP_MS = 7 * 86_400_000;

export interface AlbumDeletionPayload {
  userKey: string;
  attempt: number;
  since: number;
  /** The whole album (/forget album) or only its reference faces (the last /forget); absent: the album. */
  what?: 'album' | 'faces';
}

/** The next try of a deletion: 5 s, doubling to 30 minutes (then every 30 minutes for a week). */
export function albumDeletionJob(userKey: string, attempt: number, since: number, now = Date.now(), what: 'album' | 'faces' = 'album'): NewJob<AlbumDeletionPayload> & { runAt: number } {
  return {
    id: `${ALBUM_DELETION}:${what}:${userKey}:${since}:${attempt}`,
    queue: noticeQueue(userKey),
    kind: ALBUM_DELETION,
    payload: { userKey, attempt, since, what },
    runAt: now + Math.min(30 * 60_000, 5_000 * 2 ** (attempt - 1)),
  };
}

export type AlbumDeletionOutcome = { kind: 'none' } | { kind: 'deleted' } | { kind: 'failed'; error: unknown } | { kind: 'retry'; error: unknown };

/**
 * Deletes the album of the link the terminal holds for `userKey` (through its deletion key, else its token)
 * and then the link. 'retry' when the album did not answer (transport, 5xx, 429), 'failed' when it refused.
 */
export async function deleteAlbumOfLink(records: Pick<Records, 'members'>, userKey: string, what: 'album' | 'faces' = 'album'): Promise<AlbumDeletionOutcome> {
  const link = await records.members.link(userKey);
  if (!link?.token) return { kind: 'none' };
  try {
    if (what === 'faces') {
      if (link.deletionKey) await deleteAccountFacesByKey(link.album, link.username, link.deletionKey);
      else await deleteAlbumFaces(link.album, link.token);
    } else if (link.deletionKey) await deleteAccountByKey(link.album, link.username, link.deletionKey);
    else await deleteAlbum(link.album, link.token);
  } catch (error) {
    const failure = albumGoneOrFailed(error, link);
    if (failure) return isRetryable(failure) ? { kind: 'retry', error: failure } : { kind: 'failed', error: failure };
  }
  // The link stays with the album; only a deleted album takes it along.
  if (what === 'album') await records.members.deleteLink(userKey);
  return { kind: 'deleted' };
}
