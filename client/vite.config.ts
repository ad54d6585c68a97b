/// <reference types="vitest/config" />
import { defineConfig } from "vite"
import react from "@vitejs/plugin-react"

// The Go server (default 127.0.0.1:8080) serves the API; `npm run dev` proxies to it.
const target = process.env.PAIRPAD_SERVER ?? "http://127.0.0.1:8080"

export default defineConfig({
  plugins: [react()],
  // Without this the dev server pre-bundles automerge's wasm loader and every
  // page dies with `WebAssembly.Exception` (see shared/DESIGN.md).
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
