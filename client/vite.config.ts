/// <reference types="vitest/config" />
import { defineConfig, type Plugin } from "vite"
import react from "@vitejs/plugin-react"
import { fileURLToPath } from "node:url"
import { DOC_SYNCHRONIZER_ID, patchDocSynchronizer } from "./scripts/syncFlushPatch.ts"
import { LANGUAGE_ID, patchLanguageState } from "./scripts/parseBudgetPatch.ts"

// The Go server (default 127.0.0.1:8080) serves the API; `npm run dev` proxies to it.
const target = process.env.PAIRPAD_SERVER ?? "http://127.0.0.1:8080"

/**
 * Applies a build patch (`patch`) to the dependency module matching `id`. Fails the build
 * when the patch no longer applies, or when no such module was seen at all (renamed or
 * moved in a new release of the dependency): `missing` says what that would cost.
 */
function patchModule(name: string, id: RegExp, patch: (code: string) => string, missing: string): Plugin {
  let patched = 0
  let command: "build" | "serve" = "serve"
  return {
    name,
    enforce: "pre",
    configResolved(config) {
      command = config.command
    },
    buildStart() {
      patched = 0
    },
    transform(code, moduleId) {
      if (!id.test(moduleId.split("?")[0])) return null
      try {
        code = patch(code)
      } catch (e) {
        this.error(e instanceof Error ? e.message : String(e))
      }
      patched++
      return { code, map: null }
    },
    buildEnd(err) {
      // The dev server transforms lazily, so only a full build can tell "never seen".
      if (command === "build" && !err && patched === 0) this.error(missing)
    },
  }
}

/** scripts/syncFlushPatch.ts: automerge-repo's DocSynchronizer flushes sooner (see there why). */
const fasterSyncFlush = () =>
  patchModule(
    "pairpad:automerge-repo-sync-flush",
    DOC_SYNCHRONIZER_ID,
    patchDocSynchronizer,
    "pairpad: automerge-repo's DocSynchronizer.js was never bundled, so the sync flush patch did not apply; see scripts/syncFlushPatch.ts",
  )

/** scripts/parseBudgetPatch.ts: a change does not parse toward a screen the tree does not reach. */
const parseBudget = () =>
  patchModule(
    "pairpad:codemirror-parse-budget",
    LANGUAGE_ID,
    patchLanguageState,
    "pairpad: @codemirror/language's index.js was never bundled, so the parse budget patch did not apply; see scripts/parseBudgetPatch.ts",
  )

/**
 * Starts fetching Automerge's WASM with the page instead of after the main script has
 * been parsed and run (~300 ms later on the dev machine): a `<link rel="preload">` for
 * the module the bundle instantiates (wasm-bindgen's "bundler" output). The whole app
 * waits for it (top-level await), so this moves every room's first paint earlier.
 */
function preloadAutomergeWasm(): Plugin {
  return {
    name: "pairpad:preload-automerge-wasm",
    transformIndexHtml: {
      order: "post",
      handler(_html, ctx) {
        if (!ctx.bundle) return []
        const wasm = Object.values(ctx.bundle).find(
          a => a.type === "asset" && a.fileName.endsWith(".wasm") && (a.originalFileNames ?? []).some(n => n.includes("/bundler/automerge_wasm_bg.wasm")),
        )
        if (!wasm) return []
        return [
          {
            tag: "link",
            attrs: { rel: "preload", href: `/${wasm.fileName}`, as: "fetch", type: "application/wasm", crossorigin: "anonymous" },
            injectTo: "head",
          },
        ]
      },
    },
  }
}

/**
 * The browser runs Automerge JS 2.2 (the `automerge-v2` package, its "next" API, which
 * treats strings as collaborative text exactly as Automerge 3 does), not 3.x: applying
 * one remote keystroke to a 600 KB text takes Automerge 3.0-3.5 hundreds of ms and 2.2.9
 * a few ms (BENCHMARKS.md, "Long files"). automerge-repo 2.5 accepts both (peer range
 * 2.2.8 - 3). Every import of `@automerge/automerge` in the bundle, ours and
 * automerge-repo's, resolves here; the Node tests outside Vite (conformance, e2e
 * helpers) keep Automerge 3 as the stock client most applications run.
 * `PAIRPAD_AUTOMERGE=3 npm run build` builds with Automerge 3 instead, to reproduce the
 * "before" figures.
 */
export const AUTOMERGE_ALIASES = [
  { find: /^@automerge\/automerge$/, replacement: "automerge-v2/next" },
  { find: /^@automerge\/automerge\/slim$/, replacement: fileURLToPath(new URL("./src/lib/automergeSlim.ts", import.meta.url)) },
]

export default defineConfig({
  plugins: [react(), fasterSyncFlush(), parseBudget(), preloadAutomergeWasm()],
  resolve: { alias: process.env.PAIRPAD_AUTOMERGE === "3" ? [] : AUTOMERGE_ALIASES },
  // Without this the dev server pre-bundles automerge's wasm loader and every
  // page dies with `WebAssembly.Exception` (measured; see client/README.md).
  optimizeDeps: { exclude: ["@automerge/automerge", "automerge-v2"] },
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
    // Run automerge-repo and CodeMirror through Vite's pipeline too, so the unit tests use
    // the patched DocSynchronizer and LanguageState the browser gets (test/syncFlush.test.ts,
    // test/parseBudget.test.ts). All of CodeMirror and Lezer, so that there is one copy of
    // each package (CodeMirror's facets and node types are compared by identity).
    server: { deps: { inline: [/@automerge[\\/]automerge-repo[\\/]/, /@codemirror[\\/]/, /@lezer[\\/]/] } },
  },
})
