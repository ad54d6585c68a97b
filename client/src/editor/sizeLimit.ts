import { EditorState, type Extension, type Transaction } from "@codemirror/state"
import { isRemoteTx } from "./automergeBinding"

/**
 * Refuses local edits that the server would refuse under its MAX_DOC_BYTES (sent as
 * `max_doc_bytes` in GET /rooms/{id}), before they become Automerge changes: a refused
 * change closes the connection with 4507 and never reaches the other peers.
 *
 * The server judges a change by an upper bound of what it adds (its uncompressed size:
 * the inserted text's UTF-8 bytes plus some bookkeeping) against the document's length
 * in characters; typing (changes up to 4 KiB) may go a little over, a paste may not.
 * This filter mirrors that, slightly on the safe side: it counts the document in UTF-16
 * units (never fewer than characters) and a paste's text in UTF-8 bytes plus
 * PASTE_OVERHEAD. Remote changes are never filtered.
 */
export const PASTE_OVERHEAD = 1024
/** The server's keystrokeSlack: changes up to this size are "typing". */
export const TYPING_BYTES = 4 << 10

export interface SizeRefusal {
  /** the document's length (UTF-16 units) after the edit would have applied */
  wouldBe: number
  limit: number
}

const encoder = new TextEncoder()

function insertedBytes(tr: Transaction): number {
  let n = 0
  tr.changes.iterChanges((_fa, _ta, _fb, _tb, inserted) => {
    if (inserted.length > 0) n += encoder.encode(inserted.toString()).length
  })
  return n
}

/** Whether the server would accept `tr` under `limit` (see above). */
export function withinLimit(tr: Transaction, limit: number, languageBytes = 0): boolean {
  if (!tr.docChanged || isRemoteTx(tr)) return true
  const before = tr.startState.doc.length + languageBytes
  const after = tr.newDoc.length + languageBytes
  if (after <= before) return true // deleting is always fine
  const added = insertedBytes(tr)
  if (added <= TYPING_BYTES) return after <= limit
  return before + added + PASTE_OVERHEAD <= limit
}

/**
 * The CodeMirror extension: `limit()` is read per transaction (null: unknown, allow);
 * `refused` runs (after the transaction is dropped) to tell the person.
 */
export function docSizeLimit(
  limit: () => number | null,
  refused: (r: SizeRefusal) => void,
  languageBytes: () => number = () => 0,
): Extension {
  return EditorState.transactionFilter.of(tr => {
    if (!tr.docChanged) return tr // selections and cursor moves: nothing to weigh
    const max = limit()
    if (max == null || withinLimit(tr, max, languageBytes())) return tr
    const r = { wouldBe: tr.newDoc.length, limit: max }
    queueMicrotask(() => refused(r))
    return []
  })
}
