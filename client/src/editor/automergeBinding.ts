/**
 * Two-way binding between a CodeMirror view and a text field of an automerge-repo
 * document. Modelled on @automerge/automerge-codemirror 0.2 (same approach: local
 * transactions become `A.splice`s in one `handle.change`; remote changes are
 * `A.diff`ed from the last reconciled heads and applied to the editor), with changes
 * that matter for pairing:
 *  - a remote update is ONE editor transaction (patches composed into one ChangeSet),
 *    so decorations, the remote cursors and the local caret map once, consistently;
 *  - remote transactions are annotated remote and kept out of the local undo history
 *    (Ctrl-Z never undoes the other person's typing);
 *  - the local selection is mapped by CodeMirror with assoc -1, so text another person
 *    inserts exactly at our caret lands after it: the local caret never jumps;
 *  - it exports `isRemoteTx` so other extensions (ghost text, suggestions) can tell.
 */
import * as A from "@automerge/automerge"
import { Annotation, ChangeSet, Transaction, type ChangeSpec, type Extension } from "@codemirror/state"
import { ViewPlugin, type EditorView, type ViewUpdate } from "@codemirror/view"
import type { DocHandle } from "@automerge/automerge-repo"

/** Tells a local transaction's origin, written as its change's message (see origin.ts). */
export type OriginOf = (tr: Transaction) => string | null

/**
 * Splits transactions, in order, into runs that become one Automerge change each:
 * consecutive transactions without an origin share a change; every transaction with
 * an origin gets a change of its own, so its message covers exactly it.
 */
export function groupByOrigin<T>(items: readonly T[], origin: (t: T) => string | null): Array<{ origin: string | null; items: T[] }> {
  const out: Array<{ origin: string | null; items: T[] }> = []
  for (const it of items) {
    const o = origin(it)
    const last = out[out.length - 1]
    if (last && o === null && last.origin === null) last.items.push(it)
    else out.push({ origin: o, items: [it] })
  }
  return out
}

const remoteAnnotation = Annotation.define<true>()

/** True for transactions the binding made from remote (or other non-editor) document changes. */
export function isRemoteTx(tr: Transaction): boolean {
  return tr.annotation(remoteAnnotation) === true
}

/** Index of the character a patch path points at, if the patch is inside the text at `path`. */
function charIndex(textPath: readonly A.Prop[], patchPath: readonly A.Prop[]): number | null {
  if (patchPath.length !== textPath.length + 1) return null
  for (let i = 0; i < textPath.length; i++) if (textPath[i] !== patchPath[i]) return null
  const last = patchPath[patchPath.length - 1]
  return typeof last === "number" ? last : null
}

function isTextPath(textPath: readonly A.Prop[], patchPath: readonly A.Prop[]): boolean {
  return patchPath.length === textPath.length && textPath.every((p, i) => p === patchPath[i])
}

/**
 * Turns Automerge patches (each relative to the text after the previous one) into one
 * ChangeSet over a document of `length` characters. Null when nothing touches the text.
 */
export function patchesToChangeSet(patches: readonly A.Patch[], textPath: readonly A.Prop[], length: number): ChangeSet | null {
  let cs: ChangeSet | null = null
  let len = length
  for (const p of patches) {
    let spec: ChangeSpec | null = null
    if (p.action === "splice") {
      const i = charIndex(textPath, p.path)
      if (i !== null && p.value.length) spec = { from: i, insert: p.value }
    } else if (p.action === "del") {
      const i = charIndex(textPath, p.path)
      if (i !== null) spec = { from: i, to: i + (p.length ?? 1) }
    } else if (p.action === "insert") {
      const i = charIndex(textPath, p.path)
      if (i !== null) spec = { from: i, insert: p.values.map(v => (v == null ? "" : String(v))).join("") }
    } else if (p.action === "put" && isTextPath(textPath, p.path) && typeof p.value === "string") {
      // The whole text object was replaced (e.g. a concurrent re-creation won): take it.
      spec = { from: 0, to: len, insert: p.value }
    }
    if (!spec) continue
    const step = ChangeSet.of(spec, len)
    cs = cs ? cs.compose(step) : step
    len = step.newLength
  }
  return cs
}

/** Applies editor transactions to the document as splices, in one Automerge change. */
export function applyTransactionsToDoc<T>(doc: A.Doc<T>, textPath: readonly A.Prop[], transactions: readonly Transaction[]) {
  for (const tr of transactions) {
    tr.changes.iterChanges((fromA, toA, fromB, _toB, inserted) => {
      // fromB: where this change starts once the earlier changes of the same transaction are applied.
      A.splice(doc, textPath.slice() as A.Prop[], fromB, toA - fromA, inserted.toString())
    })
  }
}

/**
 * Applies local editor transactions through `change` (a DocHandle's change): ordinary
 * typing in one change, each transaction with an origin in a change of its own with
 * the origin as its message.
 */
export function commitLocal<T>(
  change: (fn: (doc: A.Doc<T>) => void, opts?: A.ChangeOptions<T>) => void,
  textPath: readonly A.Prop[],
  transactions: readonly Transaction[],
  originOf: OriginOf,
) {
  for (const run of groupByOrigin(transactions, originOf)) {
    const apply = (doc: A.Doc<T>) => applyTransactionsToDoc(doc, textPath, run.items)
    if (run.origin) change(apply, { message: run.origin })
    else change(apply)
  }
}

export function automergeBinding<T>(handle: DocHandle<T>, textPath: readonly A.Prop[], originOf: OriginOf = () => null): Extension {
  if (!handle.isReady()) throw new Error("automergeBinding: the handle must be ready")
  return ViewPlugin.fromClass(
    class {
      private reconciled: A.Heads
      private applyingLocal = false
      private retryQueued = false

      constructor(private readonly view: EditorView) {
        this.reconciled = A.getHeads(handle.doc())
        handle.on("change", this.onChange)
        // The doc may have moved on between reading the initial text and now.
        queueMicrotask(this.onChange)
      }

      update(u: ViewUpdate) {
        const local = u.transactions.filter(tr => tr.docChanged && !isRemoteTx(tr))
        if (!local.length) return
        this.applyingLocal = true
        try {
          // Typing shares one change; an accepted AI suggestion or a large paste is a
          // change of its own whose message says so (origin.ts).
          commitLocal<T>((fn, opts) => handle.change(d => fn(d as A.Doc<T>), opts), textPath, local, originOf)
        } finally {
          this.applyingLocal = false
        }
        this.reconciled = A.getHeads(handle.doc())
      }

      onChange = () => {
        if (this.applyingLocal) return
        const doc = handle.doc()
        const heads = A.getHeads(doc)
        if (A.equals(heads, this.reconciled)) return
        const patches = A.diff(doc, this.reconciled, heads)
        const changes = patchesToChangeSet(patches, textPath, this.view.state.doc.length)
        if (changes) {
          try {
            this.view.dispatch({
              changes,
              annotations: [remoteAnnotation.of(true), Transaction.remote.of(true), Transaction.addToHistory.of(false)],
            })
          } catch (e) {
            // Only possible if a change event fires inside an editor update: retry just after it.
            if (!this.retryQueued) {
              this.retryQueued = true
              queueMicrotask(() => {
                this.retryQueued = false
                this.onChange()
              })
            }
            if (!(e instanceof Error && /update is in progress|while an update/.test(e.message))) throw e
            return
          }
        }
        this.reconciled = heads
      }

      destroy() {
        handle.off("change", this.onChange)
      }
    },
  )
}
