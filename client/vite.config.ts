/// <reference types="vitest/config" />
import { defineConfig, type Plugin } from "vite"
import react from "@vitejs/plugin-react"

// The Go server (default 127.0.0.1:8080) serves the API; `npm run dev` proxies to it.
const target = process.env.PAIRPAD_SERVER ?? "http://127.0.0.1:8080"

/**
 * automerge-repo 2.5 batches outgoing sync at 10 Hz (`DocSynchronizer.syncDebounceRate = 100`,
 * not configurable through Repo), which puts up to 100 ms between a keystroke and the wire for
 * a fast typist. Pairing wants less: flush at most every 20 ms (still batching bursts; the
 * server's frame-rate limit is 500/s). Measured with `npm run measure`; see README.
 */
export const SYNC_FLUSH_MS = 20
function fasterSyncFlush(): Plugin {
  return {
    name: "pairpad:automerge-repo-sync-flush",
    enforce: "pre",
    transform(code, id) {
      if (!/automerge-repo[\\/]dist[\\/]synchronizer[\\/]DocSynchronizer\.js$/.test(id)) return null
      const patched = code.replace("syncDebounceRate = 100;", `syncDebounceRate = ${SYNC_FLUSH_MS};`)
      if (patched === code) this.warn("DocSynchronizer.syncDebounceRate not found: automerge-repo changed? Sync stays at 10 Hz.")
      return { code: patched, map: null }
    },
  }
}

export default defineConfig({
  plugins: [react(), fasterSyncFlush()],
  // Without this the dev server pre-bundles automerge's wasm loader and every
  // page dies with `WebAssembly.Exception` (measured; see client/README.md).
  optimizeDeps: { exclude: ["@automerge/automerge"] },
  build: {
    target: "es2022",
    outDir: "dist",
    sourcemap: false,
    chunkSizeWarningLimit: 4000,
  },
  server: {
    proxy: {
      "/rooms": { target, changeOrigin: true },
      "/autocomplete": { target, changeOrigin: true },
      "/ws": { target, ws: true, changeOrigin: true },
    },
  },
  test: {
    include: ["test/**/*.test.ts", "test/**/*.test.tsx"],
    environment: "node",
  },
})
