/**
 * Mapping between editor positions (UTF-16 indexes, as CodeMirror and Automerge JS
 * both count) and Automerge cursors, which name a character rather than an index,
 * so a remote caret stays on its character while text shifts around it.
 */
import * as A from "@automerge/automerge"
import type { CursorSelection } from "./protocol"

export const CONTENT_PATH: A.Prop[] = ["content"]

export interface IndexSelection {
  anchor: number
  head: number
}

function cursorAt<T>(doc: A.Doc<T>, path: A.Prop[], index: number, length: number): A.Cursor {
  // At the very end there is no character to point at: an "end" cursor follows the end.
  if (index >= length) return A.getCursor(doc, path, "end")
  return A.getCursor(doc, path, Math.max(0, index))
}

/** Encodes a selection in `doc` as Automerge cursors. Returns null if the text isn't there. */
export function encodeSelection<T>(doc: A.Doc<T>, sel: IndexSelection, path: A.Prop[] = CONTENT_PATH): CursorSelection | null {
  const text = readText(doc, path)
  if (text == null) return null
  const len = text.length
  try {
    const head = cursorAt(doc, path, sel.head, len)
    const anchor = sel.anchor === sel.head ? head : cursorAt(doc, path, sel.anchor, len)
    return { anchor, head }
  } catch {
    return null
  }
}

/**
 * Resolves a remote selection against our copy of the doc. Returns null when a cursor
 * names a character we haven't received yet (ephemeral messages can overtake sync
 * messages): keep showing the old position and try again after the next change.
 */
export function resolveSelection<T>(doc: A.Doc<T>, sel: CursorSelection, path: A.Prop[] = CONTENT_PATH): IndexSelection | null {
  const text = readText(doc, path)
  if (text == null) return null
  try {
    const head = A.getCursorPosition(doc, path, sel.head)
    const anchor = sel.anchor === sel.head ? head : A.getCursorPosition(doc, path, sel.anchor)
    const clamp = (n: number) => Math.max(0, Math.min(text.length, n))
    return { anchor: clamp(anchor), head: clamp(head) }
  } catch {
    return null
  }
}

function readText<T>(doc: A.Doc<T>, path: A.Prop[]): string | null {
  let v: unknown = doc
  for (const p of path) {
    if (typeof v !== "object" || v === null) return null
    v = (v as Record<string | number, unknown>)[p]
  }
  return typeof v === "string" ? v : null
}
