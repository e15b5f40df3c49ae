// The unit tier's promise, enforced: no face engine, no child process, no database file. Modules may be
// imported (core/faces is imported for its types and errors), but running a model, starting a face worker,
// spawning a process or opening a database file throws: such a test belongs in test:medium or test:e2e.
import { vi } from 'vitest';

const { refusedModule } = vi.hoisted(() => {
  const refused = (what: string): unknown => {
    const fail = (): never => {
      throw new Error(`unit tier: ${what} is not allowed here (move the test to test:medium or test:e2e)`);
    };
    return new Proxy(function refusedExport() {}, {
      apply: fail,
      construct: fail,
      get: (_target, key) => (key === 'then' ? undefined : refused(what)),
    });
  };
  const refusedModule = (what: string) => () =>
    new Proxy({}, { get: (_target, key) => (key === 'then' || key === '__esModule' ? undefined : refused(what)), has: () => true });
  return { refusedModule };
});

vi.mock('onnxruntime-node', refusedModule('the face engine (onnxruntime-node)'));
vi.mock('@vladmandic/face-api', refusedModule('the face engine (face-api)'));
vi.mock('piscina', refusedModule('face workers (piscina)'));
vi.mock('node:child_process', refusedModule('a child process'));
vi.mock('child_process', refusedModule('a child process'));
vi.mock('better-sqlite3', async (importOriginal) => {
  const Database = ((await importOriginal()) as { default: new (file: string, options?: object) => object }).default;
  function MemoryOnly(file: string, options?: object): object {
    if (file !== ':memory:') throw new Error(`unit tier: a database file (${file}) is not allowed here; use memory://`);
    return new Database(file, options);
  }
  return { default: MemoryOnly };
});
