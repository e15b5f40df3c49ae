// A refusal from core/membership, worded for the member (moving to the shared catalogue).
import type { Refusal } from '../../core/membership/index.ts';
import { texts } from './commands.ts';

export function refusalText(refusal: Refusal): string {
  if (refusal.code === 'album_failed') return texts.albumFailed;
  if (refusal.error instanceof Error) return refusal.error.message;
  return texts.albumFailed;
}
