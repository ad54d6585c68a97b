/**
 * Opening a long room at once. Automerge 2.2 needs ~2 s to load a 600,000-character
 * document in the browser; the server's plain text (GET /rooms/{id}/text) arrives in a
 * few milliseconds, with the version it is (its heads). The room page shows that text
 * in an editor of its own while the document loads (PreviewEditor), keeps every edit
 * typed there as CodeMirror transactions against that version, and once the document
 * has loaded makes those edits *at that version* (`changeAt`), so Automerge merges them
 * with whatever others typed meanwhile exactly as it merges any concurrent edit. Then
 * the live editor takes over, with the person's caret and scroll position.
 */
import type { Transaction } from "@codemirror/state"
import type { EditorView } from "@codemirror/view"
import { decodeHeads, encodeHeads, type DocHandle } from "@automerge/automerge-repo"
import * as A from "@automerge/automerge"
import { commitLocal, patchesToChangeSet, type OriginOf } from "./automergeBinding"

/** What the live editor starts from when it replaces the preview. */
export interface EditorHandover {
  /** The caret, in the text of the document at `heads`. */
  anchor: number
  head: number
  /** The version the caret refers to, and the text's length there (none: the document as it is). */
  heads?: A.Heads
  length?: number
  scrollTop: number
  focused: boolean
}

/**
 * The handover's caret in the document as it is now: others' changes can arrive between
 * the preview's commit and the live editor's creation, and the caret moves with them.
 */
export function caretNow<T>(handover: EditorHandover, doc: A.Doc<T>, textPath: readonly A.Prop[]): { anchor: number; head: number } {
  const { anchor, head, heads, length } = handover
  if (!heads?.length || length === undefined) return { anchor, head }
  const now = A.getHeads(doc)
  if (A.equals(heads, now)) return { anchor, head }
  try {
    const cs = patchesToChangeSet(A.diff(doc, heads, now), textPath, length)
    if (cs) return { anchor: cs.mapPos(anchor, -1), head: cs.mapPos(head, -1) }
  } catch {
    // heads the document does not have (cannot happen: they were its own): keep the caret, clamped by the editor
  }
  return { anchor, head }
}

/**
 * The edits made in a preview, in order, and the version they were made against.
 * Owned by the room page; the preview editor records into it.
 */
export class PreviewEdits {
  readonly transactions: Transaction[] = []
  view: EditorView | null = null
  private frozen = false

  constructor(
    /** the text shown, as GET /text sent it */
    readonly text: string,
    /** its version: hex change hashes */
    readonly heads: readonly string[],
    /** the preview editor calls this once the text is on screen (and when it goes) */
    readonly painted: () => void = () => undefined,
  ) {}

  get isFrozen(): boolean {
    return this.frozen
  }

  /** Keeps a transaction of the preview editor (the edits are made later, by commit). */
  record(tr: Transaction) {
    if (tr.docChanged && !this.frozen) this.transactions.push(tr)
  }

  /** No more edits: the document has arrived and takes them over. */
  freeze() {
    this.frozen = true
  }

  /**
   * Makes the recorded edits in `handle` at the preview's version, one change per run of
   * ordinary typing and one per paste or accepted suggestion (as the live editor does),
   * and says where the live editor should put the caret and scroll to: the preview's
   * caret, mapped through what others changed meanwhile.
   */
  commit<T>(handle: DocHandle<T>, textPath: readonly A.Prop[], originOf: OriginOf): EditorHandover | null {
    this.freeze()
    let at: A.Heads = [...this.heads]
    if (this.transactions.length) {
      if (!at.length) throw new Error("the server did not say which version its text is")
      let url = encodeHeads(at)
      commitLocal<T>(
        (fn, opts) => {
          url = handle.changeAt(url, d => fn(d as A.Doc<T>), opts) ?? url
        },
        textPath,
        this.transactions,
        originOf,
      )
      at = decodeHeads(url)
    }
    const view = this.view
    if (!view) return null
    const sel = view.state.selection.main
    // The preview's text (with its edits) is the text at `at`: the caret refers to that
    // version; the live editor maps it to the document as it is when it opens (caretNow).
    return {
      anchor: sel.anchor,
      head: sel.head,
      heads: at.length ? at : undefined,
      length: view.state.doc.length,
      scrollTop: view.scrollDOM.scrollTop,
      focused: view.hasFocus,
    }
  }
}

/**
 * Resolves once the handle's document has the preview's version: a document opened from
 * this browser's IndexedDB copy, or from a sync message generated just before the server
 * answered GET /text, can be older, and the edits can only be made at a version it has.
 * False after `timeoutMs` (the edits are then kept in the preview until it has).
 */
export function waitForHeads<T>(handle: DocHandle<T>, heads: readonly string[], timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
  const has = () => A.hasHeads(handle.doc() as A.Doc<T>, [...heads])
  if (has()) return Promise.resolve(true)
  return new Promise(resolve => {
    const done = (ok: boolean) => {
      clearTimeout(timer)
      handle.off("change", onChange)
      signal?.removeEventListener("abort", onAbort)
      resolve(ok)
    }
    const onChange = () => {
      if (has()) done(true)
    }
    const onAbort = () => done(false)
    const timer = setTimeout(() => done(false), timeoutMs)
    handle.on("change", onChange)
    signal?.addEventListener("abort", onAbort)
  })
}
