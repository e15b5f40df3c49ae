// The fallback when the bundled worker cannot be had (worker-bundle.ts): worker threads do not inherit the
// parent's TypeScript loader, so register tsx here, then load the worker's sources.
import { register } from 'tsx/esm/api';

register();
const worker = await import('./worker.ts');
export default worker.default;
