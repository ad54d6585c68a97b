import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { CLOSE_TABLE, closeInfo, isRetryableClose } from "../src/sync/closeCodes"

// The Go server's close-code table. If it moves, update this path (and keep the check).
const goFile = fileURLToPath(new URL("../../sync/closecodes.go", import.meta.url))

interface GoRow {
  code: number
  name: string
  reason: string
  retry: boolean
}

function parseGoTable(src: string): { rows: GoRow[]; unknown: { reason: string; retry: boolean } } {
  const consts = new Map<string, number>()
  for (const m of src.matchAll(/^\s*(Close\w+)\s+CloseCode\s*=\s*(\d+)/gm)) consts.set(m[1], Number(m[2]))
  const table = /var CloseTable = \[\]CloseInfo\{([\s\S]*?)\n\}/.exec(src)
  if (!table) throw new Error("CloseTable not found in sync/closecodes.go")
  const rows: GoRow[] = []
  for (const line of table[1].split("\n")) {
    if (!line.trim() || line.trim().startsWith("//")) continue
    const m = /^\s*\{(Close\w+),\s*"((?:[^"\\]|\\.)*)",\s*(true|false)\},?\s*(\/\/.*)?$/.exec(line)
    if (!m) throw new Error(`unparsed CloseTable row: ${line.trim()}`)
    const code = consts.get(m[1])
    if (code === undefined) throw new Error(`CloseTable names ${m[1]}, which the const block doesn't define`)
    rows.push({ code, name: m[1], reason: JSON.parse(`"${m[2]}"`), retry: m[3] === "true" })
  }
  const fallback = /return CloseInfo\{Code: c, Reason: "([^"]*)", Retry: (true|false)\}/.exec(src)
  if (!fallback) throw new Error("the fallback row in CloseCode.Info() not found in sync/closecodes.go")
  return { rows, unknown: { reason: fallback[1], retry: fallback[2] === "true" } }
}

describe("close-code table", () => {
  const go = parseGoTable(readFileSync(goFile, "utf8"))

  it("parses a non-trivial table from the server source", () => {
    expect(go.rows.length).toBeGreaterThanOrEqual(10)
    expect(go.rows.some(r => r.retry)).toBe(true)
    expect(go.rows.some(r => !r.retry)).toBe(true)
  })

  it("equals the server's CloseTable row for row", () => {
    expect(CLOSE_TABLE).toEqual(go.rows)
  })

  it("answers codes outside the table as the server's Info() does", () => {
    for (const code of [1006, 4000, 4008, 4999]) {
      expect(go.rows.some(r => r.code === code)).toBe(false)
      expect(closeInfo(code)).toMatchObject({ code, ...go.unknown })
    }
  })

  it("bases every retry decision on the table", () => {
    for (const row of go.rows) expect(isRetryableClose(row.code), `${row.code} ${row.name}`).toBe(row.retry)
  })

  it("rejects a drifted row (the parser is not vacuous)", () => {
    const src = readFileSync(goFile, "utf8").replace('", false}', '", true}')
    const drifted = parseGoTable(src)
    expect(drifted.rows).not.toEqual(CLOSE_TABLE)
  })
})
