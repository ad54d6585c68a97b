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

/**
 * A caret sticks to the character on its LEFT (as CodeMirror maps the local caret,
 * assoc -1): text someone inserts exactly at the caret goes after it, on every screen.
 * Encoded as "+<cursor of the char before>"; at position 0 it is Automerge's start cursor.
 */
const AFTER = "+"

function cursorAt<T>(doc: A.Doc<T>, path: A.Prop[], index: number, length: number): A.Cursor {
  if (index <= 0 || length === 0) return A.getCursor(doc, path, "start")
  return AFTER + A.getCursor(doc, path, Math.min(index, length) - 1)
}

function positionOf<T>(doc: A.Doc<T>, path: A.Prop[], cursor: A.Cursor, length: number): number {
  if (!cursor.startsWith(AFTER)) return A.getCursorPosition(doc, path, cursor)
  const char = cursor.slice(AFTER.length)
  // Where that character is, or (deleted) where the next surviving one is.
  const i = A.getCursorPosition(doc, path, char)
  const stillThere = i < length && A.getCursor(doc, path, i) === char
  return stillThere ? i + 1 : i
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
    const len = text.length
    const head = positionOf(doc, path, sel.head, len)
    const anchor = sel.anchor === sel.head ? head : positionOf(doc, path, sel.anchor, len)
    const clamp = (n: number) => Math.max(0, Math.min(len, n))
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
