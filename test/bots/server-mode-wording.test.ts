// Issue 26, item 5: with several replicas, a delivery another replica is sending right now is reported
// queued with no failed attempt; the group reply must not call that an outage.
import { describe, expect, it } from 'vitest';
import { shareReplyText } from '../../bots/telegram/photos.ts';
import type { Delivery } from '../../core/share/index.ts';

const delivery = (name: string, outcome: Delivery['outcome']): Delivery => ({ memberId: name, name, album: 'http://albums.example.org', username: name.toLowerCase(), distance: 0.2, outcome });

describe('the group reply in server mode (issue 26)', () => {
  it('says "on its way" for a delivery no attempt has failed, and names the album outage only after a failed attempt', () => {
    const text = shareReplyText({
      deliveries: [
        delivery('Ann', { kind: 'delivered', id: 'a' }),
        delivery('Amy', { kind: 'queued', attempts: 0, lastError: 'being sent by another process', nextAttemptAt: 0 }),
        delivery('Raj', { kind: 'queued', attempts: 2, lastError: 'AlbumHttpError: could not be reached', nextAttemptAt: 0 }),
      ],
      tooBig: 0,
      failedDownloads: 0,
    });
    expect(text!.split('\n')).toEqual(['📸 Sent to Ann.', '⏳ On its way to Amy.', '⏳ On its way to Raj: their album server is not answering right now, I keep trying.']);
  });
});
