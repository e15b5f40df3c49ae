// Album links and deletion keys the terminal holds are credentials: each opens (or deletes) an album. They
// are sealed (AES-256-GCM) with a key kept outside the database, so a copy of the database opens nothing.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const PREFIX = 'sealed:v1:';

export class LinkSealer {
  #key: Buffer | undefined;

  /** `key` is read on first use, so a process that never holds a link never makes a key file. */
  constructor(private readonly loadKey: () => Buffer) {}

  get #k(): Buffer {
    this.#key ??= this.loadKey();
    if (this.#key.length !== 32) throw new Error('The member link key must be 32 bytes');
    return this.#key;
  }

  seal(text: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#k, iv);
    const body = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
    return `${PREFIX}${[iv, body, cipher.getAuthTag()].map((b) => b.toString('base64url')).join('.')}`;
  }

  /** The sealed text; text from before sealing (no prefix) as it is. Throws when sealed with another key. */
  open(value: string): string {
    if (!isSealed(value)) return value;
    const [iv, body, tag] = value.slice(PREFIX.length).split('.').map((p) => Buffer.from(p, 'base64url'));
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#k, iv!);
      decipher.setAuthTag(tag!);
      return Buffer.concat([decipher.update(body!), decipher.final()]).toString('utf8');
    } catch (error) {
      throw new Error('A member album link was sealed with another key: give every process the same MEMBER_LINK_KEY (or the same DATA_DIR/link.key).', { cause: error });
    }
  }
}

export const isSealed = (value: string) => value.startsWith(PREFIX);

/**
 * The key from MEMBER_LINK_KEY (base64 of 32 bytes) or else from `file`, made (mode 0600) on first use.
 * Two processes making it at once: the first write wins (exclusive create), the other reads it.
 */
export function loadLinkKey(file: string, fromEnv?: string): Buffer {
  if (fromEnv) return Buffer.from(fromEnv, 'base64');
  try {
    return readKey(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  try {
    fs.writeFileSync(file, randomBytes(32).toString('base64'), { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return readKey(file);
}

function readKey(file: string): Buffer {
  const key = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length !== 32) throw new Error(`${file} does not hold a 32-byte member link key`);
  return key;
}
