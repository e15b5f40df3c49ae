// Issue 22, must show 4: core holds no sentence addressed to chat members. Every string in core/ is scanned
// (comments are not strings) for the chat commands the message catalogue tells members to send.
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { en } from '../../bots/shared/i18n/en.ts';

const CORE = path.join(import.meta.dirname, '../../core');

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? tsFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

/** The string literals and template pieces of a file, from its syntax tree (comments are trivia, not nodes). */
function strings(file: string): string[] {
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateHead(node) || ts.isTemplateMiddle(node) || ts.isTemplateTail(node)) found.push(node.text);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The commands the catalogue's English sentences name ("/register", "/addface", …). */
function catalogueCommands(): string[] {
  const names = new Set<string>();
  for (const fn of Object.values(en) as Array<(...args: unknown[]) => string>) {
    // Sample arguments: strings, or a count and a list, whichever the sentence takes.
    const text = [['x', 1, 'y', 'z'], [1, ['x']], [['x']]].map((args) => {
      try {
        return fn(...args);
      } catch {
        return '';
      }
    }).join('\n');
    for (const m of text.matchAll(/(?:^|[\s(`'"])\/([a-z]+)\b/g)) names.add(m[1]!);
  }
  return [...names];
}

describe('core holds no member-facing sentence', () => {
  it("no string in core/ names a chat command of the catalogue", () => {
    const commands = catalogueCommands();
    expect(commands).toEqual(expect.arrayContaining(['register', 'addface', 'forget', 'privacy', 'album', 'join']));
    const mention = new RegExp(`(?:^|[\\s(\`'"])/(${commands.join('|')})\\b`);
    const offending: string[] = [];
    for (const file of tsFiles(CORE)) {
      for (const s of strings(file)) if (mention.test(s)) offending.push(`${path.relative(CORE, file)}: ${s.slice(0, 100)}`);
    }
    expect(offending).toEqual([]);
  });

  it('the scanner sees strings and not comments (so the test above can fail)', () => {
    const file = path.join(import.meta.dirname, 'member-sentences.test.ts');
    expect(strings(file).some((s) => s.includes('comments are' + ' not strings'))).toBe(false);
    expect(strings(file).some((s) => s === 'register')).toBe(true);
  });
});
