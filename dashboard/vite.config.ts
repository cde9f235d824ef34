import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The dashboard is built into `dashboard/dist/`, which the API server serves at `/`.
 * `npx vite dashboard` starts a dev server that forwards the API, the live socket,
 * the docs and the metrics to a server already running on :8080.
 */
const backend = 'http://127.0.0.1:8080';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Two pages: the signed-in dashboard, and the public transparency page (no login, phones).
    rollupOptions: {
      input: {
        main: fileURLToPath(new URL('index.html', import.meta.url)),
        public: fileURLToPath(new URL('public.html', import.meta.url)),
      },
    },
  },
  server: {
    proxy: {
      '/api': backend,
      '/socket.io': { target: backend, ws: true },
      '/docs': backend,
      '/metrics': backend,
    },
  },
});
