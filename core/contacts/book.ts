import type { FaceEngine } from '../faces/index.ts';
import { DESCRIPTOR_MODEL } from '../faces/index.ts';
import { bandThreshold, DEFAULT_MATCH_SETTINGS, Gallery, galleryBandShifts, galleryPopulationShift, thresholdForGroup, type AgeBand } from '../match/index.ts';
import { normalize } from '../match/vectors.ts';
import type { Contact, Records } from '../records/index.ts';

export type { Contact } from '../records/index.ts';

export type ContactErrorCode = 'face_already_registered' | 'id_taken' | 'unknown_contact' | 'invalid_album';

export class ContactError extends Error {
  constructor(readonly code: ContactErrorCode, message: string, readonly otherMember?: string) {
    super(message);
    this.name = 'ContactError';
  }
}

/** The smallest group size the registration check assumes (see assertFacesUnclaimed). */
export const DUPLICATE_CHECK_MIN_GROUP = 10;

/**
 * A new selfie is refused when the group's own matching policy would match it to another member: then it is
 * that member's face as far as the terminal can tell, and accepting it would route their photos to a second
 * person. The threshold is the group's: it tightens as the group grows, and with the population shift its
 * members show (core/match/population.ts), so honest look-alikes are not refused as one person: at a fixed
 * 0.62, 2 of the crowd fixture's first 100 members were; at celebrity-calibrated thresholds, ordinary
 * volunteers were.
 */
export function duplicateFaceDistance(groupSize: number, falseMatchRate: number = DEFAULT_MATCH_SETTINGS.falseMatchRate, populationShift = 0): number {
  return thresholdForGroup(groupSize, 1, falseMatchRate, populationShift);
}

export interface NewContact {
  id?: string;
  name: string;
  album: string;
  username: string;
  /** Selfie images (each must hold exactly one clear face)... */
  selfies?: Uint8Array[];
  /** ...or descriptors already computed (import), with their age estimates where known. */
  descriptors?: number[][];
  ages?: Array<number | null>;
  /** A child (a dependent, `--child`): matched with children's tables whatever the age estimate says. */
  minor?: boolean;
  descriptorModel?: string;
  untrustedAlbum?: boolean;
  /** False: held until the group's admins approve the face (approval mode). */
  approved?: boolean;
}

/** The contact book [contact book reading unit]: per group, the members and their reference faces. */
export class ContactBook {
  readonly #galleries = new Map<string, { version: number; contacts: Contact[]; gallery: Gallery }>();

  constructor(
    private readonly records: Records['contacts'],
    private readonly engine: FaceEngine,
    /** The terminal's MATCH_FALSE_MATCH_RATE, which also decides when two selfies are one face. */
    private readonly falseMatchRate: number = DEFAULT_MATCH_SETTINGS.falseMatchRate,
    /** A group whose admins paused matching matches nobody (records.consents.settings). */
    private readonly isPaused: (group: string) => Promise<boolean> = async () => false,
  ) {}

  list(group: string): Promise<Contact[]> {
    return this.records.list(group);
  }

  async get(group: string, id: string): Promise<Contact | undefined> {
    return (await this.list(group)).find((c) => c.id === id);
  }

  groups(): Promise<string[]> {
    return this.records.groups();
  }

  /**
   * Adds a member. Throws SelfieError (no face / several faces), ImageError (not an image), or
   * ContactError (the face belongs to another member of the group, or the id is taken). Stores nothing on error.
   */
  async add(group: string, entry: NewContact): Promise<Contact> {
    const album = normalizeAlbumUrl(entry.album);
    const descriptors = [...(entry.descriptors ?? [])];
    const ages: Array<number | null> = descriptors.map((_, i) => entry.ages?.[i] ?? null);
    for (const selfie of entry.selfies ?? []) {
      const { face } = await this.engine.selfie(selfie);
      descriptors.push(face.descriptor);
      ages.push(face.age ?? null);
    }
    const contact: Contact = {
      id: entry.id ?? entry.name,
      name: entry.name,
      album,
      username: entry.username,
      descriptors,
      ...(ages.some((a) => a !== null) ? { ages } : {}),
      ...(entry.minor ? { minor: true as const } : {}),
      descriptorModel: entry.descriptorModel ?? DESCRIPTOR_MODEL,
      addedAt: new Date().toISOString(),
      ...(entry.untrustedAlbum ? { untrustedAlbum: true as const } : {}),
      ...(entry.approved === false ? { approved: false as const } : {}),
    };
    // The check runs inside the insert's transaction, on the group's members as they are then.
    await this.records.insert(group, contact, (current) => {
      if (current.some((c) => c.id === contact.id)) throw new ContactError('id_taken', `${contact.id} is already in this group.`);
      assertFacesUnclaimed(current, contact.id, descriptors, this.falseMatchRate, newcomerBand(ages, entry.minor ?? false));
    });
    return contact;
  }

  /** Adds another reference selfie to a member (better recall); a model change makes it replace the old ones. */
  async addFace(group: string, id: string, selfie: Uint8Array): Promise<Contact> {
    const { face } = await this.engine.selfie(selfie);
    const updated = await this.records.addFace(
      group,
      id,
      face.descriptor,
      DESCRIPTOR_MODEL,
      (current) => {
        const self = current.find((c) => c.id === id);
        if (!self) throw new ContactError('unknown_contact', `${id} is not registered in this group.`);
        assertFacesUnclaimed(current, id, [face.descriptor], this.falseMatchRate, newcomerBand([...(self.ages ?? []), face.age ?? null], self.minor ?? false));
      },
      face.age ?? null,
    );
    if (!updated) throw new ContactError('unknown_contact', `${id} is not registered in this group.`);
    return updated;
  }

  /** Throws ContactError('face_already_registered') when a descriptor is another member's face in this group. */
  async assertFaceFree(group: string, id: string, descriptors: number[][], ages: Array<number | null> = [], minor = false): Promise<void> {
    assertFacesUnclaimed(await this.list(group), id, descriptors, this.falseMatchRate, newcomerBand(ages, minor));
  }

  /** Removes a member and their face data from the group. Returns the removed contact. */
  remove(group: string, id: string): Promise<Contact | undefined> {
    return this.records.remove(group, id);
  }

  /** Another guardian whose album receives a dependent's photos. */
  addGuardian(group: string, id: string, guardian: { key: string; album: string; username: string }): Promise<void> {
    return this.records.addGuardian(group, id, guardian, Date.now());
  }

  /** The group's gallery for matching, rebuilt only when the group changed. Skips stale-model members. */
  async gallery(group: string): Promise<{ contacts: Contact[]; gallery: Gallery }> {
    const version = await this.records.version(group);
    const cached = this.#galleries.get(group);
    if (cached && cached.version === version) return cached;
    const contacts = await this.list(group);
    // A paused group, and faces its admins have not approved yet, match nothing; they still count as
    // holders of their faces (assertFacesUnclaimed reads every entry).
    const paused = await this.isPaused(group);
    const usable = paused ? [] : contacts.filter((c) => c.descriptorModel === DESCRIPTOR_MODEL && c.descriptors.length > 0 && c.approved !== false);
    const built = { version, contacts, gallery: galleryOf(usable) };
    this.#galleries.set(group, built);
    return built;
  }
}

function galleryOf(contacts: Contact[]): Gallery {
  return new Gallery(contacts.map((c) => ({ id: c.id, descriptors: c.descriptors, ...(c.ages ? { ages: c.ages } : {}), ...(c.minor ? { minor: true } : {}) })));
}

/** The band a newcomer's selfies read as (core/match/age.ts memberBand, before they are a member). */
function newcomerBand(ages: Array<number | null>, minor: boolean): AgeBand {
  return new Gallery([{ id: '', descriptors: [], ages, minor }]).memberBands[0]!;
}

function assertFacesUnclaimed(members: Contact[], selfId: string, descriptors: number[][], falseMatchRate: number, band: AgeBand = 3): void {
  const others = members.filter((c) => c.id !== selfId && c.descriptorModel === DESCRIPTOR_MODEL);
  if (others.length === 0) return;
  const gallery = galleryOf(others);
  // The newcomer is left out of the population estimate: were they someone's double, that pair would look
  // like a population of look-alikes and loosen the very check that should catch it.
  // Refusing claims the two selfies are one person. Below 10 members the pairs cannot show the group's population
  // (core/match/population.ts), so the claim is held to a 10-member group's per-pair rate until they can.
  // Children are held to their band's table (the younger of the newcomer's and the other member's band), so
  // two different young children are not refused as one; a confirmation-only band refuses at its own
  // table's threshold, which the same picture twice is under.
  const size = Math.max(others.length + 1, DUPLICATE_CHECK_MIN_GROUP);
  const shifts = galleryBandShifts(gallery);
  const limits = [0, 1, 2, 3].map((b) => {
    if (b === 3) return duplicateFaceDistance(size, falseMatchRate, galleryPopulationShift(gallery));
    return bandThreshold(b as AgeBand, size, 1, falseMatchRate, shifts[b]).tableThreshold;
  });
  for (const d of descriptors) {
    const distances = gallery.nearestPerMember(normalize(d));
    const i = distances.findIndex((x, m) => x < limits[Math.min(band, gallery.memberBands[m]!)]!);
    if (i >= 0) {
      const other = others[i]!;
      throw new ContactError('face_already_registered', `This face is already registered to ${other.name} in this group.`, other.name);
    }
  }
}

/** Album server base URL: http(s) only, no trailing slash. */
export function normalizeAlbumUrl(input: string): string {
  let url: URL;
  try {
    url = new URL(/^[a-z]+:\/\//i.test(input) ? input : `http://${input}`);
  } catch {
    throw new ContactError('invalid_album', `"${input}" is not an album server address (expected http://host:port).`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ContactError('invalid_album', `The album address must be http or https, not ${url.protocol}`);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}
