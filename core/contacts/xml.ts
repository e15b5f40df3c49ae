// The patent's XML contact format: one <contact> per member with <name>, the album server's address,
// <port>, <username> and an optional <photo> file name. <descriptor> is facedrop's addition, so an export
// can be imported elsewhere without the selfie files.
import fs from 'node:fs';
import path from 'node:path';
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import type { Contact } from './book.ts';

export class ContactXmlError extends Error {
  constructor(message: string, readonly line?: number) {
    super(message);
    this.name = 'ContactXmlError';
  }
}

export interface XmlContact {
  name: string;
  /** Album base URL (address and port joined). */
  album: string;
  username: string;
  /** Absolute path of the photo, resolved beside the XML file. */
  photo?: string;
  descriptors: number[][];
  /** The age net's estimate of each descriptor's face, where the file carries it (`age` attribute). */
  ages?: Array<number | null>;
  descriptorModel?: string;
  /** `<child>true</child>`: matched with children's tables (core/match/age.ts). */
  minor?: true;
}

const canonical = (tag: string) => tag.toLowerCase().replace(/[^a-z]/g, '');

// The patent writes the album element in several ways ("electronic album server address", "album address"…).
function fieldOf(tag: string): keyof RawContact | undefined {
  const t = canonical(tag);
  if (t === 'name' || t === 'displayname' || t === 'contactname') return 'name';
  if (t === 'port') return 'port';
  if (t === 'username' || t === 'user' || t === 'account' || t === 'accountname' || t === 'albumaccount') return 'username';
  if (t === 'photo' || t === 'avatar' || t === 'picture' || t === 'image' || t === 'presetphoto') return 'photo';
  if (t === 'descriptor') return 'descriptor';
  if (t === 'child' || t === 'minor') return 'child';
  if (/address|server|album|host|url/.test(t)) return 'address';
  return undefined;
}

interface RawContact {
  name?: string;
  address?: string;
  port?: string;
  username?: string;
  photo?: string;
  descriptor?: unknown;
  child?: string;
}

/** Parses the XML contact format. Throws ContactXmlError naming the line of malformed XML or of a bad entry. */
const isInside = (dir: string, file: string) => {
  const relative = path.relative(dir, file);
  return relative !== '' && !relative.startsWith(`..${path.sep}`) && relative !== '..' && !path.isAbsolute(relative);
};

/** Largest contact file read: an export carries ~3 KB of descriptors per member, so this is thousands of members. */
export const MAX_XML_BYTES = 16 * 1024 * 1024;

/** Reads an XML contact file, refusing (ContactXmlError) one over `maxBytes` without reading past the limit. */
export function readContactsXmlFile(file: string, maxBytes = MAX_XML_BYTES): string {
  const fd = fs.openSync(file, 'r');
  try {
    // Chunk by chunk rather than trusting fstat's size: a pipe or a growing file has none.
    const chunks: Buffer[] = [];
    const chunk = Buffer.alloc(64 * 1024);
    let total = 0;
    for (let n; (n = fs.readSync(fd, chunk, 0, chunk.length, null)) > 0; ) {
      total += n;
      if (total > maxBytes) throw new ContactXmlError(`${file} is larger than ${maxBytes} bytes, too large for a contact file.`);
      chunks.push(Buffer.from(chunk.subarray(0, n)));
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}

export function parseContactsXml(xml: string, baseDir: string): XmlContact[] {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new ContactXmlError(`Malformed XML at line ${valid.err.line}: ${valid.err.msg}`, valid.err.line);
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', parseTagValue: false, trimValues: true, isArray: () => true });
  const doc = parser.parse(xml) as Record<string, unknown>;
  const contacts = findContacts(doc);
  if (contacts.length === 0) throw new ContactXmlError('No <contact> element found.');
  const lines = contactLines(xml);
  return contacts.map((node, i) => toContact(node, baseDir, lines[i]));
}

function findContacts(node: unknown): Record<string, unknown>[] {
  if (Array.isArray(node)) return node.flatMap(findContacts);
  if (!node || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([k, v]) =>
    canonical(k) === 'contact' ? (Array.isArray(v) ? v : [v]).filter((x): x is Record<string, unknown> => typeof x === 'object') : findContacts(v),
  );
}

function contactLines(xml: string): number[] {
  const lines: number[] = [];
  const re = /<contact[\s>]/gi;
  for (let m = re.exec(xml); m; m = re.exec(xml)) lines.push(xml.slice(0, m.index).split('\n').length);
  return lines;
}

function text(v: unknown): string | undefined {
  const first = Array.isArray(v) ? v[0] : v;
  if (first === undefined || first === null) return undefined;
  if (typeof first === 'object') return text((first as Record<string, unknown>)['#text']);
  return String(first).trim();
}

function toContact(node: Record<string, unknown>, baseDir: string, line: number | undefined): XmlContact {
  const raw: RawContact = {};
  const descriptorNodes: Array<{ text: unknown; age: number | null }> = [];
  let descriptorModel: string | undefined;
  for (const [tag, value] of Object.entries(node)) {
    const field = fieldOf(tag);
    if (field === 'descriptor') {
      for (const d of Array.isArray(value) ? value : [value]) {
        const attrs = d && typeof d === 'object' ? (d as Record<string, unknown>) : {};
        const age = Number(attrs['@age']);
        descriptorNodes.push({ text: text(d), age: '@age' in attrs && Number.isFinite(age) && age >= 0 && age < 150 ? age : null });
        if ('@model' in attrs) descriptorModel = String(attrs['@model']);
      }
    } else if (field) {
      const t = text(value);
      if (t !== undefined) raw[field] = t;
    }
  }
  const where = line ? ` (contact at line ${line})` : '';
  if (!raw.name) throw new ContactXmlError(`A contact has no <name>${where}.`, line);
  if (!raw.address) throw new ContactXmlError(`Contact ${raw.name} has no album address${where}.`, line);
  if (!raw.username) throw new ContactXmlError(`Contact ${raw.name} has no <username>${where}.`, line);
  if (raw.port !== undefined && !/^\d{1,5}$/.test(raw.port)) throw new ContactXmlError(`Contact ${raw.name} has an invalid <port>${where}.`, line);
  const withScheme = /^[a-z]+:\/\//i.test(raw.address) ? raw.address : `http://${raw.address}`;
  const url = new URL(withScheme);
  if (raw.port) url.port = raw.port;
  const faces = descriptorNodes.filter((d): d is { text: string; age: number | null } => typeof d.text === 'string' && d.text.length > 0);
  const descriptors = faces.map((d) => decodeDescriptor(d.text));
  const ages = faces.map((d) => d.age);
  let photo: string | undefined;
  if (raw.photo) {
    photo = path.resolve(baseDir, raw.photo);
    if (!fs.existsSync(photo)) throw new ContactXmlError(`Photo ${raw.photo} of ${raw.name} was not found beside the XML${where}.`, line);
    // Links followed: a file the XML reaches by "../" or through a link to elsewhere is not read.
    if (!isInside(fs.realpathSync(baseDir), fs.realpathSync(photo))) {
      throw new ContactXmlError(`Photo ${raw.photo} of ${raw.name} is outside the XML file's folder${where}: only photos in that folder or below it are read.`, line);
    }
  }
  return {
    name: raw.name,
    album: `${url.origin}${url.pathname.replace(/\/+$/, '')}`,
    username: raw.username,
    descriptors,
    ...(ages.some((a) => a !== null) ? { ages } : {}),
    ...(photo ? { photo } : {}),
    ...(descriptorModel ? { descriptorModel } : {}),
    ...(/^(true|yes|1)$/i.test(raw.child ?? '') ? { minor: true as const } : {}),
  };
}

function encodeDescriptor(d: number[]): string {
  return Buffer.from(Float32Array.from(d).buffer).toString('base64');
}

function decodeDescriptor(b64: string): number[] {
  const buf = Buffer.from(b64, 'base64');
  return Array.from(new Float32Array(buf.buffer, buf.byteOffset, Math.floor(buf.byteLength / 4)));
}

/** Writes a group's contacts in the patent's format, with each member's descriptors attached. */
export function contactsToXml(contacts: Contact[], group?: string): string {
  const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@', format: true, indentBy: '  ', suppressEmptyNode: true });
  const entries = contacts.map((c) => {
    const url = new URL(c.album);
    const port = url.port || (url.protocol === 'https:' ? '443' : '80');
    return {
      name: c.name,
      address: `${url.protocol}//${url.hostname}${url.pathname.replace(/\/+$/, '')}`,
      port,
      username: c.username,
      descriptor: c.descriptors.map((d, i) => ({ '#text': encodeDescriptor(d), '@model': c.descriptorModel, ...(typeof c.ages?.[i] === 'number' ? { '@age': String(c.ages[i]) } : {}) })),
      ...(c.minor ? { child: 'true' } : {}),
    };
  });
  const body = builder.build({ contacts: { ...(group ? { '@group': group } : {}), contact: entries } }) as string;
  return `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
}
