// What a chat platform does for the membership flow when no member is waiting for an answer (retention, the
// album's faces not released): each bot implements this port, like the notices' (notices.ts), and the
// passes below are written once for both.
import { isChatUser, type FaceRelease, type MembershipService } from '../../core/membership/index.ts';
import { AlbumApiError } from '../../core/share/index.ts';
import type { Catalogue } from './i18n/index.ts';

export interface ChatPort {
  /** Group keys of this platform start so ("tg:", "dc:"). */
  prefix: string;
  /** A private message to a chat user; false when they cannot be reached (never opened the bot, DMs closed). */
  tellPrivately(userKey: string, text: string): Promise<boolean>;
  /** The group's name as its members see it. */
  groupName(group: string): Promise<string>;
  /** How the member deletes the whole album on this platform ("/forget album"). */
  forgetAlbumCommand: string;
}

/** What to say when the album still holds the member's face after a forget; undefined when nothing is worth telling. */
export function releaseText(t: Catalogue, release: FaceRelease, forgetAlbumCommand: string): string | undefined {
  if (release.kind === 'pending') return t.facesNotDeletedYet();
  if (release.kind === 'refused') return t.facesRefused(release.error instanceof AlbumApiError ? release.error.message : undefined, forgetAlbumCommand);
  return undefined;
}

/**
 * One retention pass over the platform's groups: the member (or a dependent's guardian) is warned a week
 * ahead, then told the entry went, with a word when the album still holds their face. In `t` (no member
 * is answering here, so the bots pass English).
 */
export function retentionPass(service: MembershipService, port: ChatPort, t: Catalogue): Promise<{ warned: number; forgotten: number }> {
  const tell = async (key: string, text: string) => {
    if (isChatUser(key) && key.startsWith(port.prefix)) await port.tellPrivately(key, text);
  };
  return service.sweep({
    groupPrefix: port.prefix,
    warn: async (e) => tell(e.tellKey, t.retentionWarning(await port.groupName(e.group), e.daysLeft)),
    forgotten: async (e) => {
      const note = releaseText(t, e.release, port.forgetAlbumCommand);
      await tell(e.tellKey, [t.retentionForgotten(await port.groupName(e.group)), note].filter(Boolean).join('\n'));
    },
  });
}
