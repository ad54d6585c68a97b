// vitest for the conformance files that need vitest (the shipped
// automerge-repo acceptance suite uses its describe/it): *.vitest.ts here,
// run by `npm run test:conformance` after the node:test files. Stock
// automerge-repo (no Vite transform of its modules): this is what an
// application's repo runs.
import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["conformance/**/*.vitest.ts"],
    environment: "node",
    testTimeout: 30000,
    hookTimeout: 30000,
    fileParallelism: false,
  },
})
