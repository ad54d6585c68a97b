import { readdirSync, readFileSync, statSync } from "node:fs"
import { dirname, join, relative, resolve, sep } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

/**
 * Imports in src/ point down the layers, never up:
 *   lib (plain helpers) < sync (transport: socket adapter, backoff, close codes)
 *   < features (Redux slices, presence protocol) < app (store, selectors, hooks, the room session)
 *   < editor, components (React and CodeMirror) < main.tsx, App.tsx.
 * Folders on one level may import each other.
 */
const LAYERS: Record<string, number> = { lib: 0, sync: 1, features: 2, app: 3, editor: 4, components: 4, "": 5 }

const src = fileURLToPath(new URL("../src", import.meta.url))

function files(dir: string): string[] {
  return readdirSync(dir).flatMap(name => {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) return files(p)
    return /\.tsx?$/.test(name) ? [p] : []
  })
}

function layerOf(file: string): string {
  const parts = relative(src, file).split(sep)
  return parts.length > 1 ? parts[0] : ""
}

function relativeImports(code: string): string[] {
  return [...code.matchAll(/(?:import|export)\s[^"']*?from\s+["'](\.{1,2}\/[^"']+)["']|import\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g)].map(m => m[1] ?? m[2])
}

describe("layering of client/src", () => {
  const all = files(src)

  it("knows every top-level folder", () => {
    expect(all.length).toBeGreaterThan(20)
    for (const f of all) expect(LAYERS, relative(src, f)).toHaveProperty(layerOf(f))
  })

  it("has no import from a lower layer into a higher one", () => {
    const upward: string[] = []
    let checked = 0
    for (const f of all) {
      for (const spec of relativeImports(readFileSync(f, "utf8"))) {
        const target = resolve(dirname(f), spec)
        const from = layerOf(f)
        const to = layerOf(target)
        checked++
        if (LAYERS[to] > LAYERS[from]) upward.push(`${relative(src, f)} (${from || "root"}) imports ${spec} (${to || "root"})`)
      }
    }
    expect(checked).toBeGreaterThan(50)
    expect(upward).toEqual([])
  })
})
