import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { describe, expect, it } from "vitest"
import { EditorState, type StateField } from "@codemirror/state"
import { Language, defineLanguageFacet, syntaxTree } from "@codemirror/language"
import { Parser, type Input, type PartialParse, type TreeFragment } from "@lezer/common"
import { parser as jsParser } from "@lezer/javascript"
import { PATCHED_APPLY, PATCHED_CHANGES, STOCK_APPLY, STOCK_CHANGES, patchLanguageState } from "../scripts/parseBudgetPatch"

function longCode(chars: number): string {
  let text = ""
  for (let i = 0; text.length < chars; i++) text += `export function step${i}(input: number[]): number { return input.reduce((a, b) => a + b * ${i % 97}, 0) } // ${i}\n`
  return text.slice(0, chars)
}

/** Lezer's TypeScript parser, counting the parse steps taken through it. */
class CountingParser extends Parser {
  steps = 0
  private readonly inner = jsParser.configure({ dialect: "ts" })
  createParse(input: Input, fragments: readonly TreeFragment[], ranges: readonly { from: number; to: number }[]): PartialParse {
    const parse = this.inner.createParse(input, fragments, ranges)
    return {
      advance: () => {
        this.steps++
        return parse.advance()
      },
      get parsedPos() {
        return parse.parsedPos
      },
      stopAt: (pos: number) => parse.stopAt(pos),
      get stoppedAt() {
        return parse.stoppedAt
      },
    }
  }
}

/** CodeMirror's parse state for a state (internal to @codemirror/language). */
interface ParseContextLike {
  treeLen: number
  parse: PartialParse | null
  updateViewport(vp: { from: number; to: number }): boolean
  work(until: number | (() => boolean), upto?: number): boolean
}
const contextOf = (state: EditorState): ParseContextLike =>
  state.field((Language as unknown as { state: StateField<{ context: ParseContextLike }> }).state).context

function setup(doc: string) {
  const parser = new CountingParser()
  const lang = new Language(defineLanguageFacet(), parser, [], "counted-ts")
  const state = EditorState.create({ doc, extensions: lang })
  return { parser, state }
}

describe("parse budget patch (scripts/parseBudgetPatch.ts)", () => {
  const installed = readFileSync(join(dirname(createRequire(import.meta.url).resolve("@codemirror/language")), "index.js"), "utf8")

  it("applies to the installed @codemirror/language, and refuses text it does not know", () => {
    const patched = patchLanguageState(installed)
    expect(patched).toContain(PATCHED_APPLY)
    expect(patched).toContain(PATCHED_CHANGES)
    expect(patched).not.toContain(STOCK_APPLY)
    expect(patched).not.toContain(STOCK_CHANGES)
    expect(() => patchLanguageState(patched)).toThrow(/LanguageState.apply/) // already patched
    expect(() => patchLanguageState(installed.replace(STOCK_CHANGES, ""))).toThrow(/ParseContext.changes/)
  })

  const doc = longCode(200_000)

  it("a change does not parse toward a screen the tree does not reach", () => {
    const { parser, state } = setup(doc)
    contextOf(state).updateViewport({ from: 150_000, to: 152_000 }) // as the editor does when scrolled there
    expect(contextOf(state).treeLen).toBeLessThan(150_000)
    parser.steps = 0
    const next = state.update({ changes: { from: 151_000, insert: "x" } }).state
    expect(parser.steps).toBe(0)
    // the parse goes on from where it was when asked (the catch-up does)
    expect(contextOf(next).work(() => false, 152_000)).toBe(true)
    expect(syntaxTree(next).length).toBe(0) // the state's tree: none until the next transaction
  })

  it("a change on a screen the tree covers parses as CodeMirror does", () => {
    const { parser, state } = setup(doc)
    expect(contextOf(state).treeLen).toBeGreaterThan(1_000)
    parser.steps = 0
    const next = state.update({ changes: { from: 500, insert: "x" } }).state
    expect(parser.steps).toBeGreaterThan(0)
    expect(syntaxTree(next).length).toBeGreaterThan(1_000)
  })

  it("a change keeps the parse done since the last tree", () => {
    // how many steps a parse from scratch takes to get somewhere
    const fresh = setup(doc)
    const cx = contextOf(fresh.state)
    fresh.parser.steps = 0
    cx.work(() => fresh.parser.steps >= 20_000, 190_000) // stops part way, a parse in progress
    const reached = cx.parse!.parsedPos
    expect(reached).toBeGreaterThan(cx.treeLen + 10_000)

    // a change after it: the new state's parse gets back there from the kept fragments
    const next = fresh.state.update({ changes: { from: 199_000, insert: "x" } }).state
    fresh.parser.steps = 0
    expect(contextOf(next).work(() => false, reached)).toBe(true)
    const again = fresh.parser.steps

    const other = setup(doc)
    other.parser.steps = 0
    expect(contextOf(other.state).work(() => false, reached)).toBe(true)
    const scratch = other.parser.steps
    expect(again).toBeLessThan(scratch / 4)
  })
})
