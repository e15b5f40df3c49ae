// How Discord answers: the reply shape (text, or text with buttons and a picture), album links, and the
// refusals a member can act on, in the member's language.
import type { ActionRowBuilder, ButtonBuilder } from 'discord.js';
import { ContactError } from '../../core/contacts/index.ts';
import type { AlbumLink } from '../../core/members.ts';
import { AlbumApiError, AlbumHttpError } from '../../core/share/index.ts';
import { albumLink } from '../shared/album-link.ts';
import { errorText, type Catalogue } from '../shared/i18n/index.ts';
import { DownloadError } from './download.ts';

/** A reply: text, or text with buttons (consent, face picker) and perhaps a picture. */
export type Reply = string | { content: string; components: ActionRowBuilder<ButtonBuilder>[]; files?: Array<{ attachment: Buffer; name: string }> };

export function linkSentence(t: Catalogue, link: AlbumLink): string {
  return link.token ? t.dcLink(albumLink(link.album, link.token)) : t.dcOwnAlbum(link.username, link.album);
}

/** A refusal the member can act on, or undefined for an unexpected error. */
export function explain(t: Catalogue, error: unknown): string | undefined {
  if (error instanceof ContactError && error.code === 'unknown_contact') return t.dcNotRegistered();
  const known = errorText(t, error);
  if (known !== undefined) return known;
  if (error instanceof DownloadError) return t.dcDownloadFailed();
  if (error instanceof AlbumApiError) return t.dcAlbumRefused(error.message);
  if (error instanceof AlbumHttpError) return t.dcAlbumUnreachable();
  return undefined;
}
