// The registration state machine, chat-agnostic: a pending registration (deep link, consent, selfie, face
// pick) becomes a contact entry; a dependent gets a one-time code its second guardian joins with, and that
// guardian's photo must show the enrolled dependent.
import { randomBytes } from 'node:crypto';
import { ContactError, duplicateFaceDistance, normalizeAlbumUrl } from '../contacts/index.ts';
import type { Membership } from '../contacts/consent.ts';
import { ImageError, SelfieError } from '../faces/index.ts';
import { drawFaceCrop } from '../faces/face-crop.ts';
import { drawFacePreview } from '../faces/preview.ts';
import { drawNumberedFaces, selfieCandidates } from '../faces/selfie-pick.ts';
import { cosineDistance, normalize } from '../match/vectors.ts';
import type { Members } from '../members.ts';
import { assertAlbumAddressAllowed } from '../share/album-address.ts';
import { AlbumAddressError, AlbumApiError, AlbumHttpError } from '../share/index.ts';
import type { Terminal } from '../terminal.ts';
import type { ConsentOutcome, Refusal, Registration, RegistrationBase, RegistrationOutcome, RegistrationState } from './types.ts';

const DAY = 24 * 60 * 60_000;
/** A registration link or question is good for a day; a second guardian's code for a week. */
const REGISTRATION_TTL = DAY;
const GUARDIAN_CODE_TTL = 7 * DAY;
/** The face picker offers at most this many numbers (one row of buttons). */
export const MAX_PICK = 8;

export const newToken = (bytes = 12) => randomBytes(bytes).toString('base64url');

export class RegistrationFlow {
  constructor(
    private readonly terminal: Terminal,
    private readonly members: Members,
    private readonly membership: Membership,
    /** PUBLIC_URL: the built-in album, which an album address may always name. */
    private readonly builtInAlbum: string,
  ) {}

  get #consents() {
    return this.terminal.records.consents;
  }

  /** An album address typed in the chat is checked before anything is stored: bad input changes nothing. */
  async checkAlbum(album: { url: string } | undefined): Promise<Refusal | undefined> {
    if (!album) return undefined;
    try {
      await assertAlbumAddressAllowed(normalizeAlbumUrl(album.url), { ...this.terminal.albumPolicy, builtIn: this.builtInAlbum });
      return undefined;
    } catch (error) {
      if (error instanceof AlbumAddressError || error instanceof ContactError) return { kind: 'refused', code: 'album_address', error };
      throw error;
    }
  }

  /** Starts a registration (state 'link'): the token is the deep link's payload or the consent button's. */
  async open<D extends RegistrationBase>(userKey: string, group: string, data: D): Promise<Registration<D>> {
    const now = this.membership.now();
    const reg: Registration<D> = { token: newToken(), userKey, group, kind: data.kind, state: 'link', data, createdAt: now, expiresAt: now + REGISTRATION_TTL };
    await this.#consents.putRegistration(reg);
    return reg;
  }

  /** A registration by its token, only for the user it was made for. */
  async mine<D extends RegistrationBase>(token: string, userKey: string): Promise<Registration<D> | undefined> {
    const reg = await this.#consents.registration<D>(token, this.membership.now());
    return reg && reg.userKey === userKey ? reg : undefined;
  }

  /** The user's newest registration in one of these states (the selfie a private photo answers). */
  latest<D extends RegistrationBase>(userKey: string, states: RegistrationState[]): Promise<Registration<D> | undefined> {
    return this.#consents.latestRegistration<D>(userKey, states, this.membership.now());
  }

  async moveTo<D extends RegistrationBase>(reg: Registration<D>, state: RegistrationState): Promise<void> {
    reg.state = state;
    await this.#consents.putRegistration(reg);
  }

  /** True when this face already has consent in force in the group (a held selfie is used at once). */
  async hasConsent(reg: Registration): Promise<boolean> {
    return (await this.membership.consentOf(reg.group, reg.data.subjectKey)) !== undefined;
  }

  /** "I agree" pressed: the consent goes on record and the outcome says what comes next. */
  async consent<D extends RegistrationBase>(token: string, userKey: string, held: (reg: Registration<D>) => boolean): Promise<ConsentOutcome<D>> {
    const reg = await this.mine<D>(token, userKey);
    if (!reg) return { kind: 'not_yours' };
    if (reg.state !== 'consent') return { kind: 'already_answered' };
    await this.membership.consent(reg.userKey, reg.group, reg.data.subjectKey);
    // A second guardian's photo of the dependent may be held too (Discord's /join carries it).
    if (held(reg)) {
      // A second guardian's refused photo may be followed by another; any other refusal starts over.
      await this.moveTo(reg, reg.data.kind === 'guardian' ? 'selfie' : 'selfie-held');
      return { kind: 'consented', reg, next: 'held_selfie' };
    }
    if (reg.data.kind !== 'guardian' && reg.data.profile) return { kind: 'consented', reg, next: 'profile' };
    await this.moveTo(reg, 'selfie');
    return { kind: 'consented', reg, next: 'ask_photo' };
  }

  /**
   * Registers the face of `selfie` for the registration (or, for a second guardian, checks it shows the
   * dependent). Several faces of similar size and no pick yet: the numbered picture to pick from.
   */
  async useSelfie<D extends RegistrationBase>(reg: Registration<D>, selfie: Uint8Array, faceIndex?: number): Promise<RegistrationOutcome<D>> {
    if (reg.data.kind === 'guardian') return this.#addSecondGuardian(reg, selfie);
    const { approval } = await this.membership.settings(reg.group);
    try {
      const result = await this.members.register({
        group: reg.group,
        userKey: reg.data.subjectKey,
        displayName: reg.data.name,
        usernameHint: reg.data.usernameHint,
        selfies: [selfie],
        ...(reg.data.album ? { album: reg.data.album } : {}),
        ...(faceIndex !== undefined ? { faceIndex } : {}),
        ...(approval ? { approved: false } : {}),
        ...(reg.data.kind === 'child' ? { albumOf: reg.userKey } : {}),
      });
      await this.#consents.deleteRegistration(reg.token);
      const guardianCode = reg.data.kind === 'child' ? await this.#guardianCode(reg) : undefined;
      const approvalPicture = approval ? await this.approvalPicture(selfie, reg.data.name, faceIndex) : undefined;
      return {
        kind: 'registered',
        reg,
        contact: result.contact,
        link: result.link,
        suggestAnotherSelfie: result.suggestAnotherSelfie,
        approval,
        ...(guardianCode ? { guardianCode } : {}),
        ...(approvalPicture ? { approvalPicture } : {}),
      };
    } catch (error) {
      if (error instanceof SelfieError && error.code === 'several_faces' && faceIndex === undefined) return this.#askWhichFace(reg, selfie);
      return refusalOf(error);
    }
  }

  /** The numbered faces drawn on the selfie; the registration waits in state 'pick'. */
  async #askWhichFace<D extends RegistrationBase>(reg: Registration<D>, selfie: Uint8Array): Promise<RegistrationOutcome<D>> {
    const candidates = selfieCandidates(await this.terminal.engine.analyze(selfie, 'selfie'));
    await this.moveTo(reg, 'pick');
    const picture = await drawNumberedFaces(selfie, candidates);
    return { kind: 'pick_face', reg, picture, faces: candidates.length };
  }

  /** The admins' picture in approval mode: the registered face with a margin, boxed and labelled. */
  async approvalPicture(selfie: Uint8Array, name: string, faceIndex?: number): Promise<Buffer> {
    const analysis = await this.terminal.engine.analyze(selfie, 'selfie');
    const face = faceIndex !== undefined ? selfieCandidates(analysis)[faceIndex - 1] : (await this.terminal.engine.selfie(selfie)).face;
    return face ? drawFaceCrop(selfie, face.box, name) : drawFacePreview(selfie, [], 800);
  }

  /** A one-time code (7 days) for a dependent's second guardian. */
  async #guardianCode<D extends RegistrationBase>(reg: Registration<D>): Promise<string> {
    const code = newToken(6);
    const now = this.membership.now();
    await this.#consents.putRegistration<D>({ token: `g-${code}`, userKey: '*', group: reg.group, kind: 'guardian-code', state: 'code', data: { ...reg.data, kind: 'guardian' }, createdAt: now, expiresAt: now + GUARDIAN_CODE_TTL });
    return code;
  }

  /**
   * `/join <code>`: the code is used up and a guardian registration made for `userKey` (state 'link'; the
   * bot asks for consent). `strip` drops the first guardian's platform fields (where to answer, their selfie).
   */
  async join<D extends RegistrationBase>(code: string, userKey: string, usernameHint: string, strip: (data: D) => D): Promise<Registration<D> | undefined> {
    const now = this.membership.now();
    const held = /^[\w-]{4,16}$/.test(code) ? await this.#consents.registration<D>(`g-${code}`, now) : undefined;
    if (!held) return undefined;
    await this.#consents.deleteRegistration(held.token); // one-time
    const reg: Registration<D> = { ...held, token: newToken(), userKey, kind: 'guardian', state: 'link', data: strip({ ...held.data, kind: 'guardian', usernameHint }), createdAt: now, expiresAt: now + REGISTRATION_TTL };
    await this.#consents.putRegistration(reg);
    return reg;
  }

  async #addSecondGuardian<D extends RegistrationBase>(reg: Registration<D>, photo: Uint8Array): Promise<RegistrationOutcome<D>> {
    const dependent = (await this.members.list(reg.group)).find((c) => c.id === reg.data.subjectKey);
    if (!dependent) return { kind: 'refused', code: 'dependent_gone' };
    let face;
    try {
      ({ face } = await this.terminal.engine.selfie(photo));
    } catch (error) {
      return refusalOf(error);
    }
    // The photo must show the enrolled dependent: a code alone must not route a child's photos to a stranger.
    const limit = duplicateFaceDistance(10);
    const q = normalize(face.descriptor);
    if (!dependent.descriptors.some((d) => cosineDistance(q, normalize(d)) < limit)) return { kind: 'refused', code: 'wrong_child' };
    const link = await this.members.albumFor(reg.userKey, reg.data.usernameHint, [photo]);
    await this.terminal.contacts.addGuardian(reg.group, dependent.id, { key: reg.userKey, album: link.album, username: link.username });
    await this.#consents.deleteRegistration(reg.token);
    return { kind: 'guardian_joined', reg, link };
  }
}

/** The refusal a member can act on; anything unexpected is thrown on. */
export function refusalOf(error: unknown): Refusal {
  if (error instanceof SelfieError) return { kind: 'refused', code: error.code, error };
  if (error instanceof ImageError) return { kind: 'refused', code: 'bad_image', error };
  if (error instanceof AlbumAddressError) return { kind: 'refused', code: 'album_address', error };
  if (error instanceof ContactError) {
    if (error.code === 'face_already_registered') return { kind: 'refused', code: 'face_taken', error, ...(error.otherMember ? { otherMember: error.otherMember } : {}) };
    if (error.code === 'id_taken') return { kind: 'refused', code: 'already_registered', error };
    if (error.code === 'unknown_contact') return { kind: 'refused', code: 'not_registered', error };
    return { kind: 'refused', code: 'album_address', error };
  }
  if (error instanceof AlbumApiError || error instanceof AlbumHttpError) return { kind: 'refused', code: 'album_failed', error };
  throw error;
}
