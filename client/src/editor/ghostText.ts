/**
 * Inline "ghost text": the best autocomplete suggestion drawn after the caret in a
 * muted colour. It is pure decoration until accepted (Tab), when it is inserted as a
 * normal edit, so it reaches the Automerge doc and the other peers like typing does.
 */
import { EditorSelection, Prec, StateEffect, StateField, type Extension, type Transaction } from "@codemirror/state"
import { Decoration, EditorView, WidgetType, keymap, type DecorationSet } from "@codemirror/view"
import { isRemoteTx as isReconcileTx } from "./automergeBinding"

export interface Ghost {
  /** document position the ghost is drawn at (the caret) */
  pos: number
  /** text still to insert */
  text: string
  /** which request produced it (for dropping stale answers) */
  requestId: number
}

export const setGhost = StateEffect.define<Ghost | null>()
/** Fired (as an effect on the accepting transaction) so listeners can count acceptances. */
export const ghostAccepted = StateEffect.define<Ghost>()

/**
 * How the ghost follows edits:
 *  - the local user types exactly what the ghost starts with → keep the rest (no flicker);
 *  - a remote edit → map the position (the ghost stays at our caret);
 *  - any other local edit, or the caret leaving the ghost's position → gone.
 */
export function nextGhost(ghost: Ghost | null, tr: Transaction): Ghost | null {
  for (const e of tr.effects) if (e.is(setGhost)) ghost = e.value
  if (!ghost) return null
  if (tr.docChanged) {
    if (isReconcileTx(tr)) {
      ghost = { ...ghost, pos: tr.changes.mapPos(ghost.pos, 1) }
    } else if (!tr.effects.some(e => e.is(setGhost))) {
      let typed: string | null = null
      let ok = true
      tr.changes.iterChanges((fromA, toA, _fromB, _toB, inserted) => {
        if (!ok) return
        if (typed === null && fromA === ghost!.pos && toA === fromA) typed = inserted.toString()
        else ok = false
      })
      if (!ok || typed === null) return null
      const t: string = typed
      if (!t || !ghost.text.startsWith(t) || t.length >= ghost.text.length) return null
      ghost = { ...ghost, pos: ghost.pos + t.length, text: ghost.text.slice(t.length) }
    }
  }
  const sel = tr.state.selection.main
  if (!sel.empty || sel.head !== ghost.pos) return null
  return ghost
}

export const ghostField = StateField.define<Ghost | null>({
  create: () => null,
  update: (ghost, tr) => nextGhost(ghost, tr),
})

class GhostWidget extends WidgetType {
  constructor(readonly text: string) {
    super()
  }
  eq(other: GhostWidget) {
    return other.text === this.text
  }
  toDOM() {
    const span = document.createElement("span")
    span.className = "cm-ghost-text"
    span.setAttribute("aria-hidden", "true")
    span.textContent = this.text
    return span
  }
  ignoreEvent() {
    return false
  }
}

const ghostDecorations = EditorView.decorations.compute([ghostField], state => {
  const g = state.field(ghostField)
  if (!g || !g.text) return Decoration.none
  return Decoration.set([Decoration.widget({ widget: new GhostWidget(g.text), side: 1 }).range(g.pos)]) as DecorationSet
})

/** Inserts the ghost text as an ordinary edit. Returns false when there's nothing to accept. */
export function acceptGhost(view: EditorView): boolean {
  const g = view.state.field(ghostField, false)
  // A viewer's or navigator's editor is read-only: nothing to accept there.
  if (!g || !g.text || view.state.readOnly) return false
  view.dispatch({
    changes: { from: g.pos, insert: g.text },
    selection: EditorSelection.cursor(g.pos + g.text.length),
    effects: [setGhost.of(null), ghostAccepted.of(g)],
    userEvent: "input.complete",
    scrollIntoView: true,
  })
  return true
}

export function dismissGhost(view: EditorView): boolean {
  const g = view.state.field(ghostField, false)
  if (!g) return false
  view.dispatch({ effects: setGhost.of(null) })
  return true
}

const theme = EditorView.baseTheme({
  ".cm-ghost-text": {
    opacity: "0.5",
    fontStyle: "italic",
    whiteSpace: "pre",
    pointerEvents: "none",
  },
})

export function ghostText(): Extension {
  return [
    ghostField,
    ghostDecorations,
    theme,
    // Highest precedence: Tab accepts before indentation, Esc dismisses before anything else.
    Prec.highest(
      keymap.of([
        { key: "Tab", run: acceptGhost },
        { key: "Escape", run: dismissGhost },
      ]),
    ),
  ]
}
