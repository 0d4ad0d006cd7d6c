// Builds the viewer page into dist/viz/ (served by src/viewer/server.ts). Everything is bundled:
// the page never fetches from another origin. TS from ../src is imported directly, so the viewer
// runs the same layer parsing, null models, statistics and charts as the library.
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: './',
  publicDir: false,
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../dist/viz/', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 2000,
    reportCompressedSize: false,
  },
});
