// Builds the web console into dist/web (scripts/build.mjs runs it; `npx vite web` serves it for
// development against a server on 127.0.0.1:8080). Assets are named by their content's hash under
// /ui/assets/, for the dashboard and the portal alike, and nothing is inlined: the server's CSP
// allows no inline script or style.
import preact from '@preact/preset-vite'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/ui/',
  plugins: [preact({ prerender: { enabled: false }, devToolsEnabled: false })],
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
    target: 'es2022',
  },
  server: { proxy: { '/v1': 'http://127.0.0.1:8080' } },
})
