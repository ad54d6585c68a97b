/**
 * A room's private notes (issue 14): a second Automerge document that only the room's
 * owners, and links the owner granted notes to, can open. The server serves it on its
 * own WebSocket (`/ws/{room}/notes`) and refuses its id anywhere else, so the room's
 * other people never receive it. The notes are kept in memory only: not in this
 * browser's IndexedDB, where someone else using the machine could read them.
 */
import { Repo, type AutomergeUrl, type DocHandle, type PeerId } from "@automerge/automerge-repo"
import { RoomSocketAdapter, type StatusReport } from "../sync/socketAdapter"
import { awaitDocument, waitForContent, type RoomDoc } from "./roomSession"
import type { NotesInfo } from "../lib/api"

export class NotesSession {
  readonly repo: Repo
  readonly adapter: RoomSocketAdapter
  private handle: DocHandle<RoomDoc> | null = null
  private disposed = false

  constructor(
    readonly info: NotesInfo,
    token: string | null,
    onStatus?: (r: StatusReport) => void,
  ) {
    const base = `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}${info.ws_url}`
    const url = token ? `${base}?token=${encodeURIComponent(token)}` : base
    this.adapter = new RoomSocketAdapter(url, { onStatus })
    this.repo = new Repo({
      network: [this.adapter],
      peerId: `notes-${Math.random().toString(36).slice(2, 10)}` as PeerId,
      sharePolicy: async () => true,
    })
  }

  async open(signal?: AbortSignal): Promise<DocHandle<RoomDoc>> {
    const handle = await this.repo.find<RoomDoc>(`automerge:${this.info.document_id}` as AutomergeUrl, {
      allowableStates: ["ready", "unavailable"],
    })
    await awaitDocument(handle, signal)
    await waitForContent(handle, signal)
    if (this.disposed) throw new DOMException("closed", "AbortError")
    this.handle = handle
    return handle
  }

  get docHandle(): DocHandle<RoomDoc> | null {
    return this.handle
  }

  async dispose(): Promise<void> {
    if (this.disposed) return
    this.disposed = true
    try {
      await this.repo.shutdown()
    } catch {
      // closing anyway
    }
  }
}
