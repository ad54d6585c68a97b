/**
 * Blame: tints the code by who inserted it (GET /rooms/{id}/blame), with a hover card
 * saying who, when, and how (typed, pasted, an accepted AI suggestion). The spans come
 * from the server's copy; edits made after a fetch move them (mapped through changes)
 * until the next fetch replaces them.
 */
import { StateEffect, StateField, type Extension, type Text } from "@codemirror/state"
import { Decoration, EditorView, hoverTooltip, type DecorationSet } from "@codemirror/view"
import type { BlameSpan } from "../lib/api"

/** Replaces the blame spans (null: blame off). Positions are UTF-16 offsets (see toUtf16). */
export const setBlame = StateEffect.define<BlameSpan[] | null>()

/** Colour for an author the room's people map does not name (stable per actor). */
export function fallbackColour(actor: string): string {
  let h = 0
  for (const ch of actor) h = (h * 31 + ch.charCodeAt(0)) >>> 0
  return `hsl(${h % 360} 70% 50%)`
}

const KIND_LABEL: Record<string, string> = { typed: "typed", paste: "pasted", ai: "AI suggestion, accepted" }

/**
 * The server counts positions in code points; CodeMirror in UTF-16 units. Converts the
 * spans against `doc` (identity when the text has no characters above U+FFFF).
 */
export function toUtf16(spans: BlameSpan[], doc: string): BlameSpan[] {
  if (!/[\uD800-\uDBFF]/.test(doc)) return spans
  const offsets: number[] = [] // code point index -> UTF-16 offset
  let u = 0
  for (const ch of doc) {
    offsets.push(u)
    u += ch.length
  }
  offsets.push(u)
  const at = (cp: number) => offsets[Math.min(cp, offsets.length - 1)]
  return spans.map(s => ({ ...s, from: at(s.from), to: at(s.to) }))
}

function decorations(spans: BlameSpan[], doc: Text): DecorationSet {
  const marks = []
  for (const s of spans) {
    const from = Math.max(0, Math.min(s.from, doc.length))
    const to = Math.max(from, Math.min(s.to, doc.length))
    if (from === to) continue
    const colour = s.person?.colour || fallbackColour(s.actor)
    marks.push(
      Decoration.mark({
        class: `cm-blame cm-blame-${s.kind ?? "typed"}`,
        attributes: {
          style: `background-color: color-mix(in srgb, ${colour} 22%, transparent)`,
          "data-actor": s.actor,
          "data-kind": s.kind ?? "typed",
        },
        span: s,
      }).range(from, to),
    )
  }
  return Decoration.set(marks, true)
}

const blameField = StateField.define<DecorationSet | null>({
  create: () => null,
  update(deco, tr) {
    for (const e of tr.effects) if (e.is(setBlame)) return e.value ? decorations(e.value, tr.state.doc) : null
    return deco && tr.docChanged ? deco.map(tr.changes) : deco
  },
  provide: f => EditorView.decorations.from(f, d => d ?? Decoration.none),
})

function ago(ms: number, now: number): string {
  const s = Math.max(0, Math.round((now - ms) / 1000))
  if (s < 60) return "just now"
  if (s < 3600) return `${Math.round(s / 60)} min ago`
  if (s < 86400) return `${Math.round(s / 3600)} h ago`
  return new Date(ms).toLocaleDateString()
}

const blameHover = hoverTooltip((view, pos) => {
  const deco = view.state.field(blameField, false)
  if (!deco) return null
  let found: { from: number; to: number; span: BlameSpan } | null = null
  deco.between(pos, pos, (from, to, value) => {
    found = { from, to, span: value.spec.span as BlameSpan }
    return false
  })
  if (!found) return null
  const { from, to, span } = found as { from: number; to: number; span: BlameSpan }
  return {
    pos: from,
    end: to,
    above: false,
    create() {
      const dom = document.createElement("div")
      dom.className = "blame-card"
      dom.setAttribute("data-testid", "blame-card")
      const who = document.createElement("strong")
      who.textContent = span.person?.name || `actor ${span.actor.slice(0, 8)}`
      const swatch = document.createElement("span")
      swatch.className = "blame-swatch"
      swatch.style.backgroundColor = span.person?.colour || fallbackColour(span.actor)
      const when = document.createElement("span")
      // The server stamps changes in seconds (automerge-repo clients do too).
      when.textContent = span.time ? ago(span.time * 1000, Date.now()) : "time unknown"
      const how = document.createElement("span")
      how.className = "blame-kind"
      how.setAttribute("data-testid", "blame-kind")
      how.textContent = KIND_LABEL[span.kind ?? "typed"] ?? span.kind ?? "typed"
      dom.append(swatch, who, document.createTextNode(" · "), when, document.createTextNode(" · "), how)
      return { dom }
    },
  }
})

/** The blame field and its hover card; off until a setBlame effect turns it on. */
export function blame(): Extension {
  return [blameField, blameHover]
}

/** Whether blame is showing in `view`. */
export function blameShown(view: EditorView): boolean {
  return !!view.state.field(blameField, false)
}
