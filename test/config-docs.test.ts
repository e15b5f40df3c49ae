// Issue 26, must-show 3: every variable config.ts reads is in .env.example and in the README's table, and
// .env.example names nothing config.ts does not read.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

/** The keys of config.ts's schema, from its source (the schema itself is private). */
function configKeys(): string[] {
  const source = read('config.ts');
  const body = source.slice(source.indexOf('const schema = z.object({'), source.indexOf('\n});', source.indexOf('const schema = z.object({')));
  return [...body.matchAll(/^ {2}([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]!);
}

describe('configuration docs (issue 26)', () => {
  const keys = configKeys();

  it('reads the schema (a sanity check of the parse above)', () => {
    expect(keys.length).toBeGreaterThan(25);
    // Every key parsed from the source is one loadConfig returns or accepts.
    const loaded = loadConfig({}, { dotenv: false });
    for (const k of ['DATA_DIR', 'PORT', 'MEMBER_RETENTION_DAYS']) expect(keys).toContain(k);
    for (const k of Object.keys(loaded)) expect(keys).toContain(k);
  });

  it('.env.example lists every variable, and only those', () => {
    const example = [...read('.env.example').matchAll(/^([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]!);
    expect(keys.filter((k) => !example.includes(k))).toEqual([]);
    expect(example.filter((k) => !keys.includes(k))).toEqual([]);
  });

  it("the README's configuration table names every variable", () => {
    const readme = read('README.md');
    const table = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## Using it'));
    const rows = table.split('\n').filter((l) => l.startsWith('| `'));
    const documented = rows.flatMap((row) => [...row.split('|')[1]!.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]!));
    expect(keys.filter((k) => !documented.includes(k))).toEqual([]);
  });
});
