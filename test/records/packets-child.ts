// A process of the multi-process outbox test (test/records/outbox-processes.test.ts):
//   enqueue <database url> <album url> <username prefix> <count> <picture file>  -> {"enqueued": n}
//   drain <database url>                                                          -> {"sent": n} (uploads made)
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { openRecords } from '../../core/records/index.ts';
import { Outbox, uploadPicture } from '../../core/share/index.ts';

const [mode, url, ...rest] = process.argv.slice(2);
const records = await openRecords(url!);
if (mode === 'enqueue') {
  const [album, prefix, count, pictureFile] = rest;
  const outbox = new Outbox({ records });
  const picture = fs.readFileSync(pictureFile!);
  let enqueued = 0;
  for (let i = 0; i < Number(count); i++) {
    await outbox.enqueue({ album: album!, username: `${prefix}-${i}`, picture, group: 'g' });
    enqueued++;
  }
  process.stdout.write(`${JSON.stringify({ enqueued })}\n`);
} else if (mode === 'drain') {
  let sent = 0;
  const outbox = new Outbox({ records, send: (packet) => (sent++, uploadPicture(packet)) });
  // Until no packet is left, whichever drainer sends it.
  while ((await outbox.pending()).length > 0) {
    await outbox.drain();
    await sleep(20);
  }
  process.stdout.write(`${JSON.stringify({ sent })}\n`);
} else throw new Error(`unknown mode ${mode}`);
await records.close();
