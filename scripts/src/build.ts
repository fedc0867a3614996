/**
 * Bundles each service into one ES module per entry under `<package>/dist/` (esbuild), with every
 * npm dependency left external and the project's own `@stocksync/shared` bundled in. Production,
 * the demo and the bench start these files with plain `node`: through tsx the store's app loads in
 * ≈ 1.4 s on this machine, bundled in ≈ 0.65 s, and the publisher thread skips tsx too. Tests and
 * the chaos runner keep running the sources through tsx, so an edit is tested without a build (one
 * chain test builds and runs `dist/`). `npm run build`; takes well under a second.
 */
import { rename, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build, type Plugin } from 'esbuild';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Entry files per package, relative to the package; each lands in `dist/<basename>.js`. */
export const BUILD_ENTRIES = {
  'store-node': ['src/server.ts', 'src/recover.ts', 'src/sync/publisher-worker.ts'],
  central: ['src/server.ts'],
} as const;

/** Bare imports stay `import` statements resolved from node_modules at run time, except our own. */
const externalDependencies: Plugin = {
  name: 'external-dependencies',
  setup(builder) {
    builder.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith('@stocksync/') ? undefined : { path: args.path, external: true },
    );
  },
};

const COMMON: BuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  plugins: [externalDependencies],
};

export async function buildServices(): Promise<void> {
  await Promise.all(
    Object.entries(BUILD_ENTRIES).map(async ([pkg, entries]) => {
      // Built aside and swapped in, so a service starting meanwhile (the demo restarting a store while
      // a test builds) finds the old bundles or the new ones, never half of them.
      const outdir = `${ROOT}${pkg}/dist`;
      const staging = `${outdir}.staging-${process.pid}`;
      const old = `${outdir}.old-${process.pid}`;
      await rm(staging, { recursive: true, force: true });
      const entryPoints = entries.map((e) => `${ROOT}${pkg}/${e}`);
      await build({ ...COMMON, entryPoints, outdir: staging, entryNames: '[name]' });
      await rename(outdir, old).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
      await rename(staging, outdir);
      await rm(old, { recursive: true, force: true });
    }),
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = performance.now();
  await buildServices();
  process.stdout.write(`built store-node/dist and central/dist in ${Math.round(performance.now() - started)} ms\n`);
}
