// Plain-JS entry of the outbox publisher thread: worker threads do not inherit the TypeScript loader
// that started the process, so register tsx here, then load the real worker.
import { tsImport } from 'tsx/esm/api';

await tsImport('./publisher-worker.ts', import.meta.url);
