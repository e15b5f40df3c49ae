import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.ts';
import { createFaceEngine, DESCRIPTOR_MODEL, type FaceEngine } from '../../core/faces/index.ts';
import { Members, weakSelfie } from '../../core/members.ts';
import { openRecords } from '../../core/records/index.ts';
import { openTerminal } from '../../core/terminal.ts';
import { PLUMBING_FACES_DIR, read, tempDir } from '../helpers.ts';

let engine: FaceEngine;
beforeAll(() => {
  engine = createFaceEngine({ threads: 2 });
});
afterAll(async () => {
  await engine.close();
});

describe('members whose selfies predate the current descriptor model', () => {
  it('match nobody, are asked once for a new selfie, and count again after /addface', async () => {
    const dir = tempDir();
    const records = await openRecords('memory://');
    const terminal = await openTerminal(loadConfig({ DATA_DIR: dir, LOG_LEVEL: 'silent' }, { dotenv: false }), { engine, records });
    const members = new Members(terminal, 'http://127.0.0.1:1');
    // A contact stored by an older model: 128 numbers, another descriptorModel.
    await terminal.contacts.add('g', { id: 'tg:1', name: 'Penny', album: 'http://a', username: 'penny', descriptors: [Array.from({ length: 128 }, () => 0.1)], descriptorModel: 'faceapi-128/1' });
    const photo = read(path.join(PLUMBING_FACES_DIR, 'bbt/group/bbt5.jpg'));
    expect((await terminal.sharer.share(photo, { group: 'g' })).deliveries).toEqual([]);

    expect((await members.takeStaleReminders('g')).map((c) => c.name)).toEqual(['Penny']);
    expect(await members.takeStaleReminders('g')).toEqual([]);

    const updated = await members.addFace('g', 'tg:1', read(path.join(PLUMBING_FACES_DIR, 'bbt/penny/penny1.png')));
    expect(updated.descriptorModel).toBe(DESCRIPTOR_MODEL);
    expect(updated.descriptors).toHaveLength(1);
    const report = await terminal.sharer.share(photo, { group: 'g' });
    expect(report.deliveries.map((d) => d.name)).toEqual(['Penny']);
    await terminal.close();
  });
});

describe('weakSelfie', () => {
  it('suggests a second selfie in big groups or after an unsure detection, never to someone with two', () => {
    expect(weakSelfie(5, 1, 0.99)).toBe(false);
    expect(weakSelfie(9, 1, 0.99)).toBe(false);
    expect(weakSelfie(10, 1, 0.99)).toBe(true);
    expect(weakSelfie(30, 1, 0.99)).toBe(true);
    expect(weakSelfie(30, 2, 0.99)).toBe(false);
    expect(weakSelfie(5, 1, 0.3)).toBe(true);
    expect(weakSelfie(300, 2, 0.3)).toBe(false);
  });
});
