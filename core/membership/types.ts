// The typed states and outcomes of membership: codes and data, never a sentence (bots word them).
import type { Contact } from '../contacts/index.ts';
import type { AlbumLink, PendingRegistration } from '../records/index.ts';

export type RegistrationKind = 'self' | 'child' | 'guardian';

/** What every pending registration holds, whatever the chat; a bot adds its own fields (where to answer, the selfie's reference). */
export interface RegistrationBase {
  /** The group's display name, for the member's messages. */
  title: string;
  kind: RegistrationKind;
  /** Whose face: the member, or a dependent's key. */
  subjectKey: string;
  name: string;
  usernameHint: string;
  album?: { url: string; username: string };
  /** Use the member's profile photo (Telegram). */
  profile?: boolean;
}

export type Registration<D extends RegistrationBase = RegistrationBase> = PendingRegistration<D>;

/**
 * States of a pending registration, in order: link (deep link sent), consent (asked), selfie (waiting for
 * one) or selfie-held (agreed, the selfie given with the command is being read), pick (which face).
 */
export type RegistrationState = 'link' | 'consent' | 'selfie' | 'selfie-held' | 'pick' | 'code';

/** Why a selfie or a registration was refused; `error` carries the core error for its details. */
export type RefusalCode =
  | 'no_face'
  | 'several_faces'
  | 'bad_image'
  | 'album_address'
  | 'face_taken'
  | 'already_registered'
  | 'not_registered'
  | 'album_failed'
  | 'wrong_child'
  | 'dependent_gone';

export interface Refusal {
  kind: 'refused';
  code: RefusalCode;
  /** For face_taken: the name of the member who holds that face. */
  otherMember?: string;
  error?: unknown;
}

export type RegistrationOutcome<D extends RegistrationBase = RegistrationBase> =
  | {
      kind: 'registered';
      reg: Registration<D>;
      contact: Contact;
      link: AlbumLink;
      suggestAnotherSelfie: boolean;
      /** The group is in approval mode: the face matches nothing until an admin approves it. */
      approval: boolean;
      /** A dependent: the one-time code a second guardian joins with. */
      guardianCode?: string;
      /** Approval mode: the member's face cropped and labelled, for the admins. */
      approvalPicture?: Buffer;
    }
  | { kind: 'guardian_joined'; reg: Registration<D>; link: AlbumLink }
  | { kind: 'pick_face'; reg: Registration<D>; picture: Buffer; faces: number }
  | Refusal;

export type ConsentOutcome<D extends RegistrationBase = RegistrationBase> =
  | { kind: 'not_yours' }
  | { kind: 'already_answered' }
  /** Consent recorded; `next` says what the bot does: ask for a photo, or use the selfie or profile photo it holds. */
  | { kind: 'consented'; reg: Registration<D>; next: 'ask_photo' | 'held_selfie' | 'profile' };

/** How the album's reference faces fared after a forget: only 'pending' and 'refused' are worth telling. */
export type FaceRelease = { kind: 'kept' } | { kind: 'none' } | { kind: 'released' } | { kind: 'pending'; error: unknown } | { kind: 'refused'; error: unknown };

export interface ConsentLine {
  group: string;
  givenAt: number;
  textVersion: string;
  withdrawnAt?: number;
}

export interface PrivacyReport {
  retentionDays: number;
  consents: ConsentLine[];
}
