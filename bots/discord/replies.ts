// How Discord answers: the reply shape (text, or text with buttons and a picture), album links, and the
// refusals a member can act on.
import type { ActionRowBuilder, ButtonBuilder } from 'discord.js';
import { ContactError } from '../../core/contacts/index.ts';
import { ImageError, SelfieError } from '../../core/faces/index.ts';
import { AlbumDeletionPending, type AlbumLink } from '../../core/members.ts';
import type { FaceRelease } from '../../core/membership/index.ts';
import { AlbumAddressError, AlbumApiError, AlbumHttpError } from '../../core/share/index.ts';
import { albumLink } from '../shared/album-link.ts';
import { DownloadError } from './download.ts';

/** A reply: text, or text with buttons (consent, face picker) and perhaps a picture. */
export type Reply = string | { content: string; components: ActionRowBuilder<ButtonBuilder>[]; files?: Array<{ attachment: Buffer; name: string }> };

export function linkSentence(link: AlbumLink): string {
  if (link.token) return `Your album: ${albumLink(link.album, link.token)}\nKeep this link to yourself: anyone who has it can see your photos.`;
  return `Your photos go to the account **${link.username}** on ${link.album}.`;
}

/** A refusal the member can act on, or undefined for an unexpected error. */
export function explain(error: unknown): string | undefined {
  if (error instanceof SelfieError || error instanceof ImageError || error instanceof AlbumAddressError) return error.message;
  if (error instanceof ContactError) {
    if (error.code === 'unknown_contact') return 'You are not registered in this channel yet: use `/register` with a selfie first.';
    return error.message;
  }
  if (error instanceof DownloadError) return 'Your picture could not be fetched from Discord. Please try again.';
  if (error instanceof AlbumDeletionPending) return error.message;
  if (error instanceof AlbumApiError) return `The album server refused: ${error.message}`;
  if (error instanceof AlbumHttpError) return 'The album server could not be reached. Please try again in a minute.';
  return undefined;
}

/** What to add when the album still holds the member's face after a forget (its deletion failed or waits). */
export function releaseNote(release: FaceRelease): string | undefined {
  if (release.kind === 'pending') return explain(release.error);
  if (release.kind === 'refused') return `Your album server refused to delete your face from your album, so it may still hold it${release.error instanceof AlbumApiError ? `: ${release.error.message}` : '.'} You can delete the whole album with \`/forget delete_album:True\`.`;
  return undefined;
}
