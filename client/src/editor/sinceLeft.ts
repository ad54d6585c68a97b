/** Highlights the text inserted while the person was away (lib/sinceLeft.ts) until dismissed. */
import { StateEffect, StateField, type Extension } from "@codemirror/state"
import { Decoration, EditorView, type DecorationSet } from "@codemirror/view"
import type { Range } from "../lib/sinceLeft"

/** Replaces the highlighted ranges (null or empty: none). */
export const setSinceLeft = StateEffect.define<Range[] | null>()

const mark = Decoration.mark({ class: "cm-since-left", attributes: { "data-testid": "since-left-mark" } })

const sinceField = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(deco, tr) {
    for (const e of tr.effects) {
      if (e.is(setSinceLeft)) {
        const len = tr.state.doc.length
        const ranges = (e.value ?? []).map(r => ({ from: Math.min(r.from, len), to: Math.min(r.to, len) })).filter(r => r.to > r.from)
        return Decoration.set(ranges.map(r => mark.range(r.from, r.to)), true)
      }
    }
    return tr.docChanged ? deco.map(tr.changes) : deco
  },
  provide: f => EditorView.decorations.from(f),
})

export function sinceLeftHighlight(): Extension {
  return sinceField
}
