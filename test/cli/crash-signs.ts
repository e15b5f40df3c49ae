// What tells a crash from a clean refusal in a child process's output (issue 26).
import type { Finished } from '../processes.ts';

/** Signs of a crash rather than a clean refusal: an exit above 2, a stack frame, a native abort, piscina's trace. */
export function crashSigns(r: Finished): string[] {
  const signs: string[] = [];
  if (r.code === null || r.code > 2) signs.push(`exit ${r.code}`);
  for (const pattern of [/^\s+at /m, /terminate called/, /Napi::Error/, /Unexpected message from Worker/, /node:internal/]) {
    if (pattern.test(r.stderr) || pattern.test(r.stdout)) signs.push(String(pattern));
  }
  return signs;
}
