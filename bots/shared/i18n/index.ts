// The message catalogue: every member-facing sentence of the membership flow, by key, in each language.
// A member gets their client's language (Telegram's from.language_code, Discord's interaction.locale),
// English otherwise. Plain typed modules rather than an i18n library: the keys are checked by the compiler,
// the plural forms needed are few (English only), and no runtime dependency is added.
import { ContactError } from '../../../core/contacts/index.ts';
import { ImageError, SelfieError } from '../../../core/faces/index.ts';
import { AlbumDeletionPending } from '../../../core/members.ts';
import type { Refusal } from '../../../core/membership/index.ts';
import { AlbumAddressError } from '../../../core/share/index.ts';
import { en, type Catalogue } from './en.ts';
import { zh } from './zh.ts';

export type { Catalogue } from './en.ts';
export const LANGUAGES = { en, zh } as const satisfies Record<string, Catalogue>;
export type Language = keyof typeof LANGUAGES;

/** The catalogue for a client's language tag ("zh", "zh-hans", "zh-CN", "en-US"…); English for any other. */
export function catalogueFor(tag: string | undefined): Catalogue {
  const primary = (tag ?? '').toLowerCase().split(/[-_]/)[0] ?? '';
  return primary in LANGUAGES ? LANGUAGES[primary as Language] : en;
}

/** A core error a member can act on, in their language; undefined for anything unexpected. */
export function errorText(t: Catalogue, error: unknown): string | undefined {
  if (error instanceof SelfieError) return error.code === 'no_face' ? t.noFace() : t.severalFaces(error.faceCount);
  if (error instanceof ImageError) return t.badImage(error.code);
  if (error instanceof AlbumAddressError) return t.albumAddress(error.message);
  if (error instanceof AlbumDeletionPending) return error.what === 'faces' ? t.facesNotDeletedYet() : t.albumNotDeletedYet();
  if (error instanceof ContactError) {
    if (error.code === 'face_already_registered') return t.faceTaken(error.otherMember ?? '?');
    if (error.code === 'id_taken') return t.alreadyRegisteredHere();
    if (error.code === 'invalid_album') return t.albumAddress(error.message);
    return undefined;
  }
  return undefined;
}

/** A refusal from core/membership, in the member's language. */
export function refusalText(t: Catalogue, refusal: Refusal, name = ''): string {
  switch (refusal.code) {
    case 'album_failed':
      return t.albumFailed();
    case 'wrong_child':
      return t.wrongChild(name);
    case 'dependent_gone':
      return t.dependentGone();
    default:
      return errorText(t, refusal.error) ?? t.somethingWrong();
  }
}
