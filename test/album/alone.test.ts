// The album is its own house (issue 25): what `node album/server-main.ts` loads at run time holds no terminal
// code. Followed from the entry through every static and dynamic import a module runs (`import type` is
// erased and loads nothing).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const TERMINAL = ['core/share/', 'core/contacts/', 'core/membership/', 'bots/', 'cli/'];

/** The project's modules loaded, transitively, when `entry` runs. */
function loadedBy(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string) => {
    const rel = path.relative(ROOT, file);
    if (seen.has(rel)) return;
    seen.add(rel);
    const source = fs.readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
    const specifiers = [
      ...[...source.matchAll(/^\s*(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm)].map((m) => m[1]!),
      ...[...source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]!),
    ];
    for (const s of specifiers) {
      if (!s.startsWith('.')) continue; // a package or node: builtin
      const target = path.resolve(path.dirname(file), s);
      if (fs.existsSync(target)) visit(target);
      else throw new Error(`${rel} imports ${s}, which does not exist`);
    }
  };
  visit(path.join(ROOT, entry));
  return seen;
}

describe('the album server alone', () => {
  it('loads no terminal code: nothing of core/share, core/contacts, core/membership, bots or cli', () => {
    const loaded = [...loadedBy('album/server-main.ts')];
    expect(loaded).toContain('album/routes/upload.ts');
    expect(loaded).toContain('config.ts');
    expect(loaded).toContain('core/wire/index.ts');
    expect(loaded.filter((f) => TERMINAL.some((t) => f.startsWith(t)))).toEqual([]);
  });

  it('is followed through every kind of import (the walk would see a terminal module if one were loaded)', () => {
    // The terminal's entry does load them: the walk is not blind to them.
    expect([...loadedBy('cli/entry.ts')].filter((f) => f.startsWith('core/share/'))).not.toEqual([]);
  });
});
