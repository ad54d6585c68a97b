/**
 * `window.__pairpad`: a read-mostly handle on the live editor for the end-to-end tests
 * and for debugging in devtools (e.g. `__pairpad.view.state.doc.toString()`).
 * It exposes nothing a user couldn't already do by typing in the page.
 */
import type { EditorView } from "@codemirror/view"
import type { DocHandle } from "@automerge/automerge-repo"
import type { RoomDoc, RoomSession } from "../app/roomSession"
import type { AppStore } from "../app/store"
import { remoteCursorPositions, type RemoteCursor } from "./remoteCursors"
import { ghostField } from "./ghostText"
import { IndexedDBStorageAdapter } from "@automerge/automerge-repo-storage-indexeddb"
import * as A from "@automerge/automerge"

export interface PairpadDebugHook {
  view: EditorView
  session: RoomSession
  handle: DocHandle<RoomDoc>
  store: AppStore
  text(): string
  docText(): string
  remoteCursors(): RemoteCursor[]
  ghost(): string | null
  startCompletion(): void
  /** the room's text as stored in this browser's IndexedDB (what a reload would show) */
  storedText(): Promise<string | null>
}

declare global {
  interface Window {
    __pairpad?: PairpadDebugHook
  }
}

export function installDebugHook(parts: {
  view: EditorView
  session: RoomSession
  handle: DocHandle<RoomDoc>
  store: AppStore
  startCompletion: () => void
}): () => void {
  const hook: PairpadDebugHook = {
    ...parts,
    text: () => parts.view.state.doc.toString(),
    docText: () => parts.handle.doc().content,
    remoteCursors: () => remoteCursorPositions(parts.view),
    ghost: () => parts.view.state.field(ghostField, false)?.text ?? null,
    storedText: async () => {
      const storage = new IndexedDBStorageAdapter("pairpad")
      const chunks = await storage.loadRange([parts.handle.documentId])
      let doc = A.init<RoomDoc>()
      for (const c of chunks) {
        if (c.data && (c.key[1] === "snapshot" || c.key[1] === "incremental")) doc = A.loadIncremental(doc, c.data)
      }
      return typeof doc.content === "string" ? doc.content : null
    },
  }
  window.__pairpad = hook
  return () => {
    if (window.__pairpad === hook) delete window.__pairpad
  }
}
