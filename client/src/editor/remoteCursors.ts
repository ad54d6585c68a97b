/**
 * Remote carets and selections, drawn as CodeMirror decorations with a name label.
 * Positions live in editor state and are mapped through every change, so between
 * presence updates a remote caret moves with its character; the presence layer
 * re-resolves them from Automerge cursors after each document change (exact answer).
 */
import { StateEffect, StateField, type Extension, type Range } from "@codemirror/state"
import { Decoration, EditorView, WidgetType, type DecorationSet } from "@codemirror/view"
import { textOn, withAlpha } from "../features/presence/colors"

export interface RemoteCursor {
  peerId: string
  name: string
  color: string
  anchor: number
  head: number
}

export const setRemoteCursors = StateEffect.define<RemoteCursor[]>()

class CaretWidget extends WidgetType {
  constructor(
    readonly peerId: string,
    readonly name: string,
    readonly color: string,
  ) {
    super()
  }
  eq(other: CaretWidget) {
    return other.peerId === this.peerId && other.name === this.name && other.color === this.color
  }
  toDOM() {
    const caret = document.createElement("span")
    caret.className = "pp-remote-caret"
    caret.dataset.peerId = this.peerId
    caret.style.borderLeftColor = this.color
    caret.setAttribute("aria-label", `${this.name}'s cursor`)
    const label = document.createElement("span")
    label.className = "pp-remote-label"
    label.textContent = this.name
    label.style.backgroundColor = this.color
    label.style.color = textOn(this.color)
    caret.appendChild(label)
    return caret
  }
  ignoreEvent() {
    return true
  }
}

function clampCursor(c: RemoteCursor, length: number): RemoteCursor {
  const clamp = (n: number) => Math.max(0, Math.min(length, n))
  return { ...c, anchor: clamp(c.anchor), head: clamp(c.head) }
}

export const remoteCursorsField = StateField.define<RemoteCursor[]>({
  create: () => [],
  update(cursors, tr) {
    let next = cursors
    if (tr.docChanged && next.length) {
      // assoc -1: a caret sticks to the character on its left, like the local caret and
      // like our Automerge cursor encoding (see features/presence/cursors.ts).
      next = next.map(c => ({ ...c, anchor: tr.changes.mapPos(c.anchor, -1), head: tr.changes.mapPos(c.head, -1) }))
    }
    for (const e of tr.effects) {
      if (e.is(setRemoteCursors)) next = e.value.map(c => clampCursor(c, tr.state.doc.length))
    }
    return next
  },
})

const decorations = EditorView.decorations.compute([remoteCursorsField], state => {
  const cursors = state.field(remoteCursorsField)
  const ranges: Range<Decoration>[] = []
  for (const c of cursors) {
    const from = Math.min(c.anchor, c.head)
    const to = Math.max(c.anchor, c.head)
    if (from !== to) {
      ranges.push(
        Decoration.mark({
          class: "pp-remote-selection",
          attributes: { style: `background-color: ${withAlpha(c.color, 0.28)}`, "data-peer-id": c.peerId },
        }).range(from, to),
      )
    }
    ranges.push(Decoration.widget({ widget: new CaretWidget(c.peerId, c.name, c.color), side: 1 }).range(c.head))
  }
  return Decoration.set(ranges, true) as DecorationSet
})

const theme = EditorView.baseTheme({
  ".pp-remote-caret": {
    position: "relative",
    borderLeft: "2px solid",
    marginLeft: "-1px",
    marginRight: "-1px",
    pointerEvents: "none",
  },
  ".pp-remote-label": {
    position: "absolute",
    left: "-2px",
    bottom: "100%",
    fontSize: "11px",
    lineHeight: "15px",
    fontFamily: "system-ui, sans-serif",
    fontWeight: "600",
    padding: "0 4px",
    borderRadius: "3px 3px 3px 0",
    whiteSpace: "nowrap",
    zIndex: "10",
    userSelect: "none",
    opacity: "0.95",
  },
  // On the first line there is no room above: put the label below the caret.
  ".cm-line:first-child .pp-remote-label": {
    bottom: "auto",
    top: "100%",
    borderRadius: "0 3px 3px 3px",
  },
})

export function remoteCursors(): Extension {
  return [remoteCursorsField, decorations, theme]
}

/** For tests and the e2e hook: current remote cursor positions. */
export function remoteCursorPositions(view: EditorView): RemoteCursor[] {
  return view.state.field(remoteCursorsField, false) ?? []
}

