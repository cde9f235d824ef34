import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
let built = 0;

/**
 * `app/main.ts` — the entry `npm start` runs — bundled into one JavaScript file
 * that plain `node` can start as a child process (no TypeScript runner is
 * installed). Packages stay external and resolve from the repository's
 * node_modules, so the child runs the same code as production.
 */
export async function bundleServerEntry(): Promise<{ entry: string; dispose(): void }> {
  const dir = join(ROOT, 'node_modules', '.cache', 'sk-test-server');
  mkdirSync(dir, { recursive: true });
  const entry = join(dir, `main-${process.pid}-${++built}.mjs`);
  await build({
    entryPoints: [join(ROOT, 'app', 'main.ts')],
    outfile: entry,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
  return { entry, dispose: () => rmSync(entry, { force: true }) };
}
