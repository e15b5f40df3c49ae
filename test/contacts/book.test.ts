import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContactBook, ContactXmlError, contactsToXml, parseContactsXml, readContactsXmlFile } from '../../core/contacts/index.ts';
import { createFaceEngine, type FaceEngine } from '../../core/faces/index.ts';
import { openRecords } from '../../core/records/index.ts';
import { demoSamples, PLUMBING_FACES_DIR, read, tempDir } from '../helpers.ts';

let engine: FaceEngine;
beforeAll(() => {
  engine = createFaceEngine({ threads: 2 });
});
afterAll(async () => {
  await engine.close();
});

const selfie = (m: string, n = 1) => read(path.join(PLUMBING_FACES_DIR, 'bbt', m, `${m}${n}.png`));

async function book() {
  const dir = tempDir();
  const store = await openRecords(`sqlite://${dir}/store.sqlite`);
  return { dir, store, contacts: new ContactBook(store.contacts, engine) };
}

describe('XML contact format', () => {
  it('parses the patent format leniently: album element names, ports, photos beside the file', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'ann.jpg'), 'x');
    const xml = `<?xml version="1.0"?>
<contacts>
  <contact>
    <name>Ann</name>
    <electronic_album_server_address>album.example.org</electronic_album_server_address>
    <port>8443</port>
    <username>ann</username>
    <photo>ann.jpg</photo>
  </contact>
  <contact><name>Bob</name><AlbumAddress>https://bob.example.net</AlbumAddress><username>bobby</username></contact>
</contacts>`;
    const parsed = parseContactsXml(xml, dir);
    expect(parsed).toEqual([
      { name: 'Ann', album: 'http://album.example.org:8443', username: 'ann', photo: path.join(dir, 'ann.jpg'), descriptors: [] },
      { name: 'Bob', album: 'https://bob.example.net', username: 'bobby', descriptors: [] },
    ]);
  });

  it('names the line of malformed XML', () => {
    const xml = '<contacts>\n  <contact>\n    <name>Ann</name>\n    <username>ann</user>\n  </contact>\n</contacts>';
    let error: unknown;
    try {
      parseContactsXml(xml, '.');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ContactXmlError);
    expect((error as ContactXmlError).line).toBe(4);
    expect((error as Error).message).toMatch(/line 4/);
  });

  it('refuses a contact without a username, naming its line', () => {
    const xml = '<contacts>\n<contact><name>A</name><address>h</address><username>a</username></contact>\n<contact><name>B</name><address>h</address></contact>\n</contacts>';
    expect(() => parseContactsXml(xml, '.')).toThrow(/B has no <username> \(contact at line 3\)/);
  });

  it('refuses a photo file that does not exist', () => {
    const xml = '<contacts><contact><name>A</name><address>h</address><username>a</username><photo>missing.jpg</photo></contact></contacts>';
    expect(() => parseContactsXml(xml, tempDir())).toThrow(/not found/);
  });

  it('refuses an existing photo outside the XML file\'s folder, by ../, by absolute path or through a link, and reads one below it', () => {
    const root = tempDir();
    const xmlDir = path.join(root, 'contacts');
    fs.mkdirSync(path.join(xmlDir, 'faces'), { recursive: true });
    const outside = path.join(root, 'secret.jpg');
    fs.writeFileSync(outside, 'not for the XML');
    fs.symlinkSync(outside, path.join(xmlDir, 'link.jpg'));
    fs.writeFileSync(path.join(xmlDir, 'faces', 'ann.jpg'), 'ann');
    const xmlWith = (photo: string) => `<contacts><contact><name>A</name><address>h</address><username>a</username><photo>${photo}</photo></contact></contacts>`;
    for (const photo of ['../secret.jpg', outside, 'link.jpg']) {
      expect(fs.existsSync(path.resolve(xmlDir, photo)), photo).toBe(true);
      expect(() => parseContactsXml(xmlWith(photo), xmlDir), photo).toThrow(/outside the XML file's folder/);
    }
    expect(parseContactsXml(xmlWith('faces/ann.jpg'), xmlDir)[0]!.photo).toBe(path.join(xmlDir, 'faces', 'ann.jpg'));
  });

  it('reads an XML contact file only up to its size bound', () => {
    const file = path.join(tempDir(), 'contacts.xml');
    fs.writeFileSync(file, `<contacts>${' '.repeat(4096)}</contacts>`);
    expect(readContactsXmlFile(file, 8192)).toContain('<contacts>');
    expect(() => readContactsXmlFile(file, 1024)).toThrow(/larger than 1024 bytes/);
  });
});

describe('contact book with real selfies', () => {
  it('round-trips a group through XML export and import, faces included', async () => {
    const a = await book();
    await a.contacts.add('g', { name: 'penny', album: 'http://localhost:9000/', username: 'penny', selfies: [selfie('penny')] });
    await a.contacts.add('g', { name: 'raj', album: 'https://albums.example.org:8443', username: 'raj', selfies: [selfie('raj'), selfie('raj', 2)] });
    const xml = contactsToXml(await a.contacts.list('g'), 'g');
    expect(xml).toContain('<port>9000</port>');
    const b = await book();
    for (const c of parseContactsXml(xml, b.dir)) {
      await b.contacts.add('g', { name: c.name, album: c.album, username: c.username, descriptors: c.descriptors, ...(c.ages ? { ages: c.ages } : {}), ...(c.descriptorModel ? { descriptorModel: c.descriptorModel } : {}) });
    }
    const before = (await a.contacts.list('g')).map(({ addedAt: _a, ...c }) => c);
    const after = (await b.contacts.list('g')).map(({ addedAt: _a, ...c }) => c);
    expect(after.map((c) => c.album)).toEqual(['http://localhost:9000', 'https://albums.example.org:8443']);
    expect(after.map((c) => c.descriptors.length)).toEqual([1, 2]);
    // Float32 in the file: equal to float precision.
    after.forEach((c, i) => c.descriptors.forEach((d, j) => d.forEach((x, k) => expect(x).toBeCloseTo(before[i]!.descriptors[j]![k]!, 6))));
    expect(after.map(({ descriptors: _d, ...c }) => c)).toEqual(before.map(({ descriptors: _d, ...c }) => c));
    await a.store.close();
    await b.store.close();
  });

  it('refuses one face for two members of a group, and stores nothing', async () => {
    const { contacts, store } = await book();
    await contacts.add('g', { name: 'penny', album: 'http://a', username: 'penny', selfies: [selfie('penny', 1)] });
    await expect(contacts.add('g', { name: 'mallory', album: 'http://a', username: 'mallory', selfies: [selfie('penny', 2)] })).rejects.toMatchObject({
      code: 'face_already_registered',
      message: expect.stringContaining('penny'),
    });
    expect((await contacts.list('g')).map((c) => c.name)).toEqual(['penny']);
    // Another group is another contact book.
    await contacts.add('other', { name: 'mallory', album: 'http://a', username: 'mallory', selfies: [selfie('penny', 2)] });
    await store.close();
  });

  it('refuses a selfie with no face or several faces, saying which', async () => {
    const { contacts, store } = await book();
    const blank = await sharp({ create: { width: 300, height: 300, channels: 3, background: '#dddddd' } }).png().toBuffer();
    await expect(contacts.add('g', { name: 'x', album: 'http://a', username: 'x', selfies: [blank] })).rejects.toMatchObject({ code: 'no_face' });
    await expect(contacts.add('g', { name: 'y', album: 'http://a', username: 'y', selfies: [read(demoSamples[0]!)] })).rejects.toMatchObject({ code: 'several_faces' });
    expect(await contacts.list('g')).toEqual([]);
    await store.close();
  });
});
