/**
 * One open room: an automerge-repo Repo (IndexedDB storage + our socket adapter),
 * the room's DocHandle, and presence over ephemeral messages (why not automerge-repo's
 * Presence: see features/presence/protocol.ts). Owned by the room page;
 * it writes what the UI needs into Redux and never puts the document there.
 */
import * as A from "@automerge/automerge"
import * as AutomergeSlim from "@automerge/automerge/slim"
import { ImmutableString, Repo, type DocHandle, type DocHandleEphemeralMessagePayload, type PeerId, type AutomergeUrl } from "@automerge/automerge-repo"
import { IndexedDBStorageAdapter } from "@automerge/automerge-repo-storage-indexeddb"
import type { AppDispatch, RootState } from "./store"
import { selectReadOnly } from "./selectors"
import { RoomSocketAdapter, type SocketAdapterOptions } from "../sync/socketAdapter"
import { socketStatusChanged, connectionReset } from "../features/connection/connectionSlice"
import {
  presenceReceived,
  peersPruned,
  presenceReset,
  selfPeerIdSet,
  selfSinceSet,
} from "../features/presence/presenceSlice"
import {
  byeMessage,
  HEARTBEAT_MS,
  parsePresenceMessage,
  stateMessage,
  type CursorSelection,
} from "../features/presence/protocol"
import { encodeSelection, type IndexSelection } from "../features/presence/cursors"
import { followReset } from "../features/follow/followSlice"
import { DRIVE_TAG, driveReset, pairingReceived, parsePairingNotice, type DriveOp } from "../features/drive/driveSlice"
import { contentLengthChanged, languageChanged, roleChanged, sinceLeftFound } from "../features/room/roomSlice"
import type { Role } from "../lib/api"
import { languageValue, normalizeLanguage, type LanguageId } from "../lib/languages"
import { acquireActor, type ActorLease } from "../lib/actor"
import { insertedRanges, loadSeen, saveSeen, type TextPatch } from "../lib/sinceLeft"
import { browserStore, type KeyValueStore } from "../lib/storage"

export interface RoomDoc {
  content: string
  /** a scalar string (ImmutableString in Automerge JS 3), as the Go server writes it */
  language: ImmutableString | string
  /** actor hex -> the person making that actor's changes (attribution format) */
  people?: Record<string, PersonEntry>
}

/** A `people` entry: scalar strings, as the Go server writes its own. */
export interface PersonEntry {
  name: ImmutableString | string
  colour: ImmutableString | string
}

function scalarText(v: unknown): string | null {
  if (typeof v === "string") return v
  if (v instanceof ImmutableString) return v.val
  return null
}

/** True when `people[actor]` already says name and colour. */
export function personUpToDate(doc: RoomDoc | undefined, actor: string, name: string, colour: string): boolean {
  const e = doc?.people?.[actor]
  return !!e && scalarText(e.name) === name && scalarText(e.colour) === colour
}

/** Writes `people[actor] = {name, colour}` into a doc being changed, touching only what differs. */
export function writePerson(d: RoomDoc, actor: string, name: string, colour: string) {
  if (!d.people || typeof d.people !== "object") d.people = {}
  const e = d.people[actor]
  if (!e || typeof e !== "object") {
    d.people[actor] = { name: new ImmutableString(name), colour: new ImmutableString(colour) }
    return
  }
  if (scalarText(e.name) !== name) e.name = new ImmutableString(name)
  if (scalarText(e.colour) !== colour) e.colour = new ImmutableString(colour)
}

export interface StoreLike {
  dispatch: AppDispatch
  getState: () => RootState
  subscribe: (listener: () => void) => () => void
}

export interface RoomSessionOptions {
  /** ws(s)://host/ws/<id>; defaults to the page's host */
  wsUrl?: string
  adapter?: SocketAdapterOptions
  /** IndexedDB database name; tests can isolate */
  storageName?: string
  /** the room token, sent as ?token= on the WebSocket (browsers cannot set headers there) */
  token?: string | null
  /** where the person's actor id is kept (default localStorage); tests can isolate */
  actorStore?: KeyValueStore
}

/** What the server sends a peer whose link changed role (an ephemeral message from the server's peer id). */
export const ROLE_NOTICE_TAG = "pairpad/role"

export function parseRoleNotice(raw: unknown): Role | null {
  if (typeof raw !== "object" || raw === null) return null
  const r = raw as Record<string, unknown>
  if (r.t !== ROLE_NOTICE_TAG) return null
  return r.role === "viewer" || r.role === "editor" || r.role === "owner" ? r.role : null
}

/** Throttle that always delivers the last call, at most once per `ms`. */
function trailingThrottle(fn: () => void, ms: number): { call: () => void; cancel: () => void } {
  let timer: ReturnType<typeof setTimeout> | null = null
  let last = 0
  return {
    call() {
      if (timer) return
      const wait = Math.max(0, last + ms - Date.now())
      timer = setTimeout(() => {
        timer = null
        last = Date.now()
        fn()
      }, wait)
    },
    cancel() {
      if (timer) clearTimeout(timer)
      timer = null
    },
  }
}

export class RoomSession {
  readonly roomId: string
  readonly url: AutomergeUrl
  readonly repo: Repo
  readonly adapter: RoomSocketAdapter
  private readonly store: StoreLike
  private handle: DocHandle<RoomDoc> | null = null
  private seq = 0
  private localSelection: CursorSelection | null = null
  private localTop: string | null = null
  private presenting: number | null = null
  private heartbeat: ReturnType<typeof setInterval> | null = null
  private replyTimer: ReturnType<typeof setTimeout> | null = null
  private connectedTimer: ReturnType<typeof setTimeout> | null = null
  private disposed = false
  private readonly sendSoon = trailingThrottle(() => this.sendState(), 40)
  private readonly lengthSoon = trailingThrottle(() => this.reportLength(), 250)
  private lastLanguage: string | null = null
  private readonly cleanup: Array<() => void> = []
  private readonly actorStore: KeyValueStore
  private lease: ActorLease | null = null
  /** the heads this browser had last seen in the room when this session opened it */
  private seenBefore: string[] | null = null
  /** when this session opened the room: earlier arrivals keep their colour (see assignColors) */
  readonly since = Date.now()

  /** the room token (REST calls for this room use it too) */
  readonly token: string | null

  constructor(roomId: string, store: StoreLike, options: RoomSessionOptions = {}) {
    this.roomId = roomId
    this.token = options.token ?? null
    this.url = `automerge:${roomId}` as AutomergeUrl
    this.store = store
    this.actorStore = options.actorStore ?? browserStore()
    const base =
      options.wsUrl ?? `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/ws/${encodeURIComponent(roomId)}`
    const wsUrl = options.token ? `${base}${base.includes("?") ? "&" : "?"}token=${encodeURIComponent(options.token)}` : base
    this.adapter = new RoomSocketAdapter(wsUrl, {
      ...options.adapter,
      onStatus: report => {
        options.adapter?.onStatus?.(report)
        if (this.disposed) return
        store.dispatch(socketStatusChanged({ ...report, at: Date.now() }))
        if (report.status === "connected") {
          // Let automerge-repo register the server for this doc before announcing ourselves.
          if (this.connectedTimer) clearTimeout(this.connectedTimer)
          this.connectedTimer = setTimeout(() => {
            this.sendState()
            // Driver mode may have changed (or the room forgotten it) while we were away.
            this.drive("hello")
          }, 250)
        }
      },
    })
    const peerId = `browser-${Math.random().toString(36).slice(2, 10)}` as PeerId
    this.repo = new Repo({
      network: [this.adapter],
      storage: new IndexedDBStorageAdapter(options.storageName ?? "pairpad"),
      peerId,
      sharePolicy: async () => true,
      // Write edits to IndexedDB within 25 ms (default 100): offline edits must survive
      // a reload or a closed tab, and incremental chunks are small.
      saveDebounceRate: 25,
    })
    store.dispatch(connectionReset())
    store.dispatch(presenceReset())
    store.dispatch(selfPeerIdSet(peerId))
    store.dispatch(selfSinceSet(this.since))
    store.dispatch(followReset())
    store.dispatch(driveReset())
  }

  get peerId(): string {
    return this.repo.peerId
  }

  get docHandle(): DocHandle<RoomDoc> | null {
    return this.handle
  }

  /** The actor id this page's changes carry (null before open). */
  get actor(): string | null {
    return this.lease?.actor ?? null
  }

  /**
   * Names this person in the document's `people` map, once they have a name and may
   * edit, and only when the entry differs (join, rename, colour change; also when a
   * concurrent creation of the map lost our entry). Never per keystroke.
   */
  private updatePerson() {
    const handle = this.handle
    const actor = this.lease?.actor
    if (!handle || !actor || this.disposed) return
    const state = this.store.getState()
    const name = state.preferences.name
    const role = state.room.role
    if (!name || (role !== "editor" && role !== "owner")) return
    // A navigator in driver mode may not change the document either (the server would
    // close the socket with 4403): the entry is written at a heartbeat once it may.
    if (selectReadOnly(state)) return
    const colour = state.preferences.color
    if (personUpToDate(handle.doc(), actor, name, colour)) return
    handle.change(d => writePerson(d, actor, name, colour))
  }

  /**
   * Finds the room document: from IndexedDB if this browser has it (opens offline, at once),
   * otherwise from the server. Resolves when it has `content` to show.
   */
  async open(signal?: AbortSignal): Promise<DocHandle<RoomDoc>> {
    // No signal passed to find(): aborting it leaves an unhandled rejection inside
    // automerge-repo 2.5. A late result is simply dropped below.
    // "unavailable" is allowed: automerge-repo gives up after ~1 s when neither this
    // browser nor a connected server has the document, which a first visit on a slow
    // network or to a busy server hits; the handle still becomes ready once the socket
    // connects and the server sends the room (awaitDocument).
    const lease = await acquireActor(this.actorStore, this.roomId)
    this.lease = lease
    // Documents automerge-repo creates from now on start with the person's actor
    // (lib/automergeSlim.ts), so the room's needs no clone below.
    slim.setDefaultActor?.(lease.actor)
    const handle = await this.repo.find<RoomDoc>(this.url, { allowableStates: ["ready", "unavailable"] })
    try {
      await awaitDocument(handle, signal)
    } catch (e) {
      lease.release()
      throw e
    }
    if (signal?.aborted || this.disposed) {
      lease.release()
      throw new DOMException("aborted", "AbortError")
    }
    // Every change this page makes carries the person's actor. The document normally
    // has it from the start (above); otherwise (an Automerge 3 build) replace the
    // handle's document by a copy with that actor (same history) before anything is
    // edited. automerge-repo keeps working on the document it holds, so the actor
    // survives reconnects; a reload does this again with the same stored actor.
    if (A.getActorId(handle.doc()) !== lease.actor) handle.update(d => A.clone(d, { actor: lease.actor }))
    await waitForContent(handle, signal)
    if (this.disposed) throw new DOMException("closed", "AbortError")
    this.seenBefore = loadSeen(this.actorStore, this.roomId)
    this.handle = handle
    this.attach(handle)
    return handle
  }

  /**
   * "Since you left": once connected and caught up with the server (no change for
   * SINCE_LEFT_SETTLE_MS after connecting; the room may open from this browser's copy
   * first), the text inserted since the heads this browser last saw here goes to the
   * store (room.sinceLeft) as ranges of the current text. Nothing on a first visit, when
   * nothing changed, or when those heads are not in the document.
   */
  private watchSinceLeft(handle: DocHandle<RoomDoc>) {
    const seen = this.seenBefore
    if (!seen) return
    let timer: ReturnType<typeof setTimeout> | null = null
    let connected = this.store.getState().connection.status === "connected"
    const finish = () => {
      stop()
      const doc = handle.doc()
      try {
        const ranges = insertedRanges(A.diff(doc, seen, A.getHeads(doc)) as TextPatch[])
        if (ranges.length) this.store.dispatch(sinceLeftFound(ranges))
      } catch {
        // heads this document does not have: nothing to show
      }
    }
    const settle = () => {
      if (!connected) return
      if (timer) clearTimeout(timer)
      timer = setTimeout(finish, SINCE_LEFT_SETTLE_MS)
    }
    const unsubscribe = this.store.subscribe(() => {
      const now = this.store.getState().connection.status === "connected"
      if (now && !connected) {
        connected = true
        settle()
      }
    })
    const stop = () => {
      if (timer) clearTimeout(timer)
      unsubscribe()
      handle.off("change", settle)
    }
    handle.on("change", settle)
    this.cleanup.push(stop)
    settle()
  }

  /** Remembers the room's heads as seen by this browser (while the page is shown). */
  private markSeen() {
    if (this.handle) saveSeen(this.actorStore, this.roomId, A.getHeads(this.handle.doc()))
  }

  private attach(handle: DocHandle<RoomDoc>) {
    const onChange = () => {
      const language = languageValue(handle.doc().language)
      if (language !== this.lastLanguage) {
        this.lastLanguage = language
        this.store.dispatch(languageChanged(language))
      }
      this.lengthSoon.call()
    }
    handle.on("change", onChange)
    this.cleanup.push(() => handle.off("change", onChange))
    onChange()

    const onEphemeral = (e: DocHandleEphemeralMessagePayload<RoomDoc>) => this.receive(e.senderId, e.message)
    handle.on("ephemeral-message", onEphemeral)
    this.cleanup.push(() => handle.off("ephemeral-message", onEphemeral))

    this.watchSinceLeft(handle)
    this.markSeen()
    this.heartbeat = setInterval(() => {
      this.sendState()
      this.store.dispatch(peersPruned({ now: Date.now() }))
      if (document.visibilityState !== "hidden") this.markSeen()
    }, HEARTBEAT_MS)

    // Leaving or hiding the page: write pending edits to IndexedDB now rather than at the
    // next storage tick, so an edit made just before a reload (offline too) survives it.
    const flush = () => void this.repo.flush().catch(() => undefined)
    const onPageHide = () => {
      this.sendBye()
      this.markSeen()
      flush()
    }
    const onHidden = () => {
      if (document.visibilityState !== "hidden") return
      this.markSeen()
      flush()
    }
    window.addEventListener("pagehide", onPageHide)
    document.addEventListener("visibilitychange", onHidden)
    this.cleanup.push(() => {
      window.removeEventListener("pagehide", onPageHide)
      document.removeEventListener("visibilitychange", onHidden)
    })
    this.sendState()
    this.drive("hello")
  }

  /**
   * Asks the server to change driver mode (see features/drive/driveSlice.ts): the server
   * answers everyone with the new state, or us alone with why it refused.
   */
  drive(op: DriveOp, extra: { to?: string; rotate?: number } = {}) {
    const handle = this.handle
    if (!handle || this.disposed) return
    const name = this.store.getState().preferences.name ?? "Anonymous"
    try {
      handle.broadcast({ t: DRIVE_TAG, op, name, ...extra })
    } catch {
      // Not connected: "hello" on reconnect brings the state back.
    }
  }

  /** Current text (empty before open). */
  text(): string {
    return this.handle?.doc().content ?? ""
  }

  language(): LanguageId {
    return normalizeLanguage(this.handle?.doc().language)
  }

  setLanguage(language: LanguageId) {
    const handle = this.handle
    if (!handle || languageValue(handle.doc().language) === language) return
    handle.change(d => {
      // Keep it a scalar string, as the server created it (a plain JS string would
      // become a text object, a different type for the Go side).
      d.language = new ImmutableString(language)
    })
  }

  /**
   * The local selection changed (or the text under it did): encode it as Automerge
   * cursors against the current doc and tell the others (throttled to ~25/s).
   * `null` hides our caret for the others (editor lost focus... we keep it visible instead).
   */
  setLocalSelection(sel: IndexSelection | null) {
    const handle = this.handle
    if (!handle) return
    const next = sel ? encodeSelection(handle.doc(), sel) : null
    if (next?.anchor === this.localSelection?.anchor && next?.head === this.localSelection?.head) return
    this.localSelection = next
    this.sendSoon.call()
  }

  /** Our editor scrolled: `pos` starts its first visible line (followers scroll there). */
  setLocalTop(pos: number) {
    const handle = this.handle
    if (!handle) return
    const top = encodeSelection(handle.doc(), { anchor: pos, head: pos })?.head ?? null
    if (top === this.localTop) return
    this.localTop = top
    this.sendSoon.call()
  }

  /** Ask the others to follow us (owners; others' clients only honour an owner's request). */
  setPresenting(on: boolean) {
    this.presenting = on ? Date.now() : null
    this.sendState()
  }

  private viewState() {
    return { top: this.localTop, present: this.presenting }
  }

  /** Name or colour changed. */
  userChanged() {
    this.sendSoon.call()
  }

  reconnectNow() {
    this.adapter.retryNow()
  }

  private receive(senderId: PeerId, raw: unknown) {
    const pairing = parsePairingNotice(raw)
    if (pairing) {
      // Only the server decides who drives.
      if (senderId === this.adapter.serverPeerId) this.store.dispatch(pairingReceived(pairing))
      return
    }
    const role = parseRoleNotice(raw)
    if (role) {
      // Only the server may tell us our role; a peer cannot (it would not change what
      // the server lets us do anyway).
      if (senderId === this.adapter.serverPeerId) {
        this.store.dispatch(roleChanged(role))
        this.sendState()
      }
      return
    }
    const message = parsePresenceMessage(raw)
    if (!message) return
    const known = senderId in this.store.getState().presence.peers
    this.store.dispatch(presenceReceived({ peerId: senderId, message, at: Date.now() }))
    // A newcomer: tell them who we are now rather than at our next heartbeat.
    if (!known && message.kind === "state" && !message.reply) {
      if (this.replyTimer) clearTimeout(this.replyTimer)
      this.replyTimer = setTimeout(() => this.sendState(true), 30)
    }
  }

  private sendState(reply = false) {
    const handle = this.handle
    if (!handle || this.disposed) return
    this.updatePerson()
    const state = this.store.getState()
    const prefs = state.preferences
    const user = { name: prefs.name ?? "Anonymous", color: prefs.color, role: state.room.role, link: state.room.linkId, since: this.since, ...this.viewState() }
    try {
      handle.broadcast(stateMessage(++this.seq, user, this.localSelection, reply))
    } catch {
      // Not connected: the next heartbeat or reconnect sends it.
    }
  }

  private sendBye() {
    try {
      this.handle?.broadcast(byeMessage(++this.seq))
    } catch {
      // best effort
    }
  }

  private reportLength() {
    if (this.handle && !this.disposed) this.store.dispatch(contentLengthChanged(this.handle.doc().content?.length ?? 0))
  }

  async dispose(): Promise<void> {
    if (this.disposed) return
    this.sendBye()
    this.disposed = true
    this.sendSoon.cancel()
    this.lengthSoon.cancel()
    if (this.heartbeat) clearInterval(this.heartbeat)
    if (this.replyTimer) clearTimeout(this.replyTimer)
    if (this.connectedTimer) clearTimeout(this.connectedTimer)
    for (const f of this.cleanup.splice(0)) f()
    // Give the bye frame a moment to leave, then flush storage and close the socket.
    await new Promise(r => setTimeout(r, 20))
    await this.repo.shutdown().catch(() => undefined)
    if (this.lease && slim.getDefaultActor?.() === this.lease.actor) slim.setDefaultActor?.(undefined)
    this.lease?.release()
  }
}

/**
 * The bundle's `@automerge/automerge/slim` (lib/automergeSlim.ts under the Automerge 2.2
 * aliases of vite.config.ts) lets the session choose the actor new documents start with;
 * the real module (an Automerge 3 build) has no such functions.
 */
const slim = AutomergeSlim as unknown as {
  setDefaultActor?: (actor: string | undefined) => void
  getDefaultActor?: () => string | undefined
}

/** "Since you left" is computed once the document has been quiet this long after connecting. */
export const SINCE_LEFT_SETTLE_MS = 500

/** How long a first visit waits for the server to connect before saying it can't. */
export const FIRST_CONNECT_TIMEOUT_MS = 15_000

/**
 * Resolves once `handle` is ready. An unavailable handle (no local copy, and the server not
 * connected yet or it said it has no such document) gets FIRST_CONNECT_TIMEOUT_MS to
 * become ready; then it fails with "unavailable", as automerge-repo's find would have.
 */
export function awaitDocument(handle: DocHandle<RoomDoc>, signal?: AbortSignal): Promise<void> {
  if (handle.isReady()) return Promise.resolve()
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => finish(new Error(`Document ${handle.documentId} is unavailable`)),
      FIRST_CONNECT_TIMEOUT_MS,
    )
    const onAbort = () => finish(new DOMException("aborted", "AbortError"))
    const finish = (err?: Error) => {
      clearTimeout(timer)
      signal?.removeEventListener("abort", onAbort)
      if (err) reject(err)
      else resolve()
    }
    signal?.addEventListener("abort", onAbort)
    handle.whenReady(["ready"]).then(() => finish(), finish)
  })
}

/** Resolves once the document has its `content` text (a fresh doc from the server always has). */
export function waitForContent(handle: DocHandle<RoomDoc>, signal?: AbortSignal): Promise<void> {
  if (typeof handle.doc()?.content === "string") return Promise.resolve()
  return new Promise((resolve, reject) => {
    const check = () => {
      if (typeof handle.doc()?.content === "string") {
        handle.off("change", check)
        resolve()
      }
    }
    handle.on("change", check)
    signal?.addEventListener("abort", () => {
      handle.off("change", check)
      reject(new DOMException("aborted", "AbortError"))
    })
  })
}
