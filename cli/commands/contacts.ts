import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { ContactError, ContactXmlError, contactsToXml, normalizeAlbumUrl, parseContactsXml, readContactsXmlFile } from '../../core/contacts/index.ts';
import { ImageError, SelfieError } from '../../core/faces/index.ts';
import { checkAlbumAccount, isAlbumUsername } from '../../core/share/album-client.ts';
import { drawNumberedFaces, selfieCandidates } from '../../core/faces/selfie-pick.ts';
import { DEFAULT_GROUP, fail, withTerminal } from './context.ts';

function explain(error: unknown, file?: string): never {
  if (error instanceof SelfieError || error instanceof ImageError || error instanceof ContactError || error instanceof ContactXmlError) {
    fail(file ? `${file}: ${error.message}` : error.message);
  }
  throw error;
}

export function registerContactsCommands(program: Command): void {
  const contacts = program.command('contacts').description('Manage the contact book: who is in a group and where their album is');

  contacts
    .command('add')
    .description('Add a member with a selfie (exactly one clear face)')
    .requiredOption('--name <name>', 'display name, unique in the group')
    .requiredOption('--album <url>', 'album server address, e.g. http://host:8080')
    .requiredOption('--username <account>', 'account name on that album server')
    .requiredOption('--photo <file...>', 'selfie file(s)')
    .option('--group <group>', 'group name', DEFAULT_GROUP)
    .option('--face <n>', 'the selfie shows several faces: use face number n (1 = leftmost; see --preview)')
    .option('--preview <file>', 'write the first selfie with its faces numbered as a JPEG (without --face: add nothing)')
    .option('--child', 'a child: matched with the stricter children\'s tables whatever the age estimate says')
    .option('--no-check', 'store the contact without asking its album server first (one not running yet)')
    .action(async (o: { name: string; album: string; username: string; photo: string[]; group: string; face?: string; preview?: string; child?: boolean; check: boolean }) => {
      const faceNumber = o.face === undefined ? undefined : Number(o.face);
      if (faceNumber !== undefined && (!Number.isInteger(faceNumber) || faceNumber < 1 || faceNumber > 99)) fail(`--face must be a face number (1, 2, ...), not "${o.face}"`);
      // Cheap before costly, and nothing stored on a refusal: the album would refuse every packet for these.
      if (!isAlbumUsername(o.username)) fail(`--username "${o.username}" is not an album account name (1-64 of A-Z a-z 0-9 _ - ., not dots only)`);
      let album: string;
      try {
        album = normalizeAlbumUrl(o.album);
      } catch (error) {
        explain(error);
      }
      if (o.check) {
        const checked = await checkAlbumAccount(album, o.username);
        if (checked.kind !== 'ok') fail(`${checked.message}; nothing was added${checked.kind === 'unreachable' ? ' (--no-check adds it anyway, for an album server not running yet)' : ''}`);
        if (!checked.accountConfirmed) process.stderr.write(`facedrop: ${album} could not say whether it has an account named ${o.username} (an older album server)\n`);
      }
      await withTerminal(async ({ contacts: book, engine }) => {
        const selfies = o.photo.map((f) => readOrFail(f));
        try {
          if (o.preview) {
            const candidates = selfieCandidates(await engine.analyze(selfies[0]!, 'selfie'));
            fs.writeFileSync(o.preview, await drawNumberedFaces(selfies[0]!, candidates));
            process.stdout.write(`${o.preview}: ${candidates.length} face(s), numbered 1-${candidates.length} from the left.${faceNumber === undefined ? ' Add --face <n> to use one.' : ''}\n`);
            if (faceNumber === undefined) return;
          }
          let descriptors: number[][] | undefined;
          const ages: Array<number | null> = [];
          if (faceNumber !== undefined) {
            descriptors = [];
            for (const [i, selfie] of selfies.entries()) {
              const candidates = selfieCandidates(await engine.analyze(selfie, 'selfie'));
              const face = candidates[faceNumber - 1];
              if (!face) fail(`${o.photo[i]!}: there is no face ${faceNumber} (it shows ${candidates.length}; see --preview)`);
              descriptors.push(face.descriptor);
              ages.push(face.age ?? null);
            }
          }
          const c = await book.add(o.group, { name: o.name, album: o.album, username: o.username, ...(descriptors ? { descriptors, ages } : { selfies }), ...(o.child ? { minor: true } : {}) });
          process.stdout.write(`Added ${c.name} (${c.username} at ${c.album}) to group ${o.group} with ${c.descriptors.length} selfie(s).\n`);
        } catch (error) {
          explain(error);
        }
      });
    });

  contacts
    .command('import <file>')
    .description('Import contacts from the XML contact format (<contact> with <name>, address, <port>, <username>, <photo>)')
    .option('--group <group>', 'group name', DEFAULT_GROUP)
    .action(async (file: string, o: { group: string }) => {
      await withTerminal(async ({ contacts: book }) => {
        let entries;
        try {
          entries = parseContactsXml(readContactsXmlFile(file), path.dirname(path.resolve(file)));
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') fail(`${file}: no such file`);
          explain(error, file);
        }
        let added = 0;
        for (const e of entries) {
          if (e.descriptors.length === 0 && !e.photo) {
            process.stderr.write(`Skipped ${e.name}: no <photo> and no descriptor.\n`);
            continue;
          }
          try {
            await book.add(o.group, {
              name: e.name,
              album: e.album,
              username: e.username,
              ...(e.photo ? { selfies: [fs.readFileSync(e.photo)] } : { descriptors: e.descriptors, ...(e.ages ? { ages: e.ages } : {}) }),
              ...(e.descriptorModel && !e.photo ? { descriptorModel: e.descriptorModel } : {}),
              ...(e.minor ? { minor: true } : {}),
            });
            added++;
          } catch (error) {
            if (error instanceof SelfieError || error instanceof ImageError || error instanceof ContactError) {
              process.stderr.write(`Skipped ${e.name}: ${error.message}\n`);
              process.exitCode = 1;
            } else throw error;
          }
        }
        process.stdout.write(`Imported ${added} of ${entries.length} contact(s) into group ${o.group}.\n`);
      });
    });

  contacts
    .command('export')
    .description('Print the group as XML (the patent format, with face descriptors attached)')
    .option('--group <group>', 'group name', DEFAULT_GROUP)
    .action(async (o: { group: string }) => {
      await withTerminal(async ({ contacts: book }) => {
        process.stdout.write(`${contactsToXml(await book.list(o.group), o.group)}\n`);
      });
    });

  contacts
    .command('list')
    .description('List the members of a group')
    .option('--group <group>', 'group name', DEFAULT_GROUP)
    .option('--json', 'machine-readable output')
    .action(async (o: { group: string; json?: boolean }) => {
      await withTerminal(async ({ contacts: book }) => {
        const list = await book.list(o.group);
        if (o.json) {
          process.stdout.write(`${JSON.stringify(list.map(({ descriptors, ...c }) => ({ ...c, selfies: descriptors.length })), null, 2)}\n`);
          return;
        }
        if (list.length === 0) process.stdout.write(`No contacts in group ${o.group}.\n`);
        for (const c of list) process.stdout.write(`${c.name}\t${c.username}\t${c.album}\t${c.descriptors.length} selfie(s)\n`);
      });
    });

  contacts
    .command('remove <name>')
    .description('Remove a member and their face data from a group')
    .option('--group <group>', 'group name', DEFAULT_GROUP)
    .action(async (name: string, o: { group: string }) => {
      await withTerminal(async ({ contacts: book }) => {
        const removed = await book.remove(o.group, name);
        if (!removed) fail(`no contact named ${name} in group ${o.group}`);
        process.stdout.write(`Removed ${name} from group ${o.group}.\n`);
      });
    });
}

function readOrFail(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (error) {
    fail(`${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
}
