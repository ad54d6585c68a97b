import { NetworkAdapter, cbor } from "@automerge/automerge-repo/slim"
import type { Message, PeerId, PeerMetadata } from "@automerge/automerge-repo/slim"
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from "./backoff"
import { isRetryableClose } from "./closeCodes"

/**
 * automerge-repo network adapter for one room socket (`/ws/<room>`), speaking the
 * same protocol as the stock WebSocketClientAdapter ("1", CBOR frames) but with:
 *  - exponential backoff with jitter instead of a fixed 5 s retry,
 *  - status reports (connecting / connected / reconnecting / offline / failed) for the UI,
 *  - reacting to the browser's online/offline events at once,
 *  - sends on a closed socket dropped instead of thrown (the repo resyncs on reconnect),
 *  - other peers' ephemeral messages not relayed back to the server (see send),
 *  - reconnect decisions from the server's close-code table (closeCodes.ts).
 */
export type SocketStatus = "connecting" | "connected" | "reconnecting" | "offline" | "failed"

export interface StatusReport {
  status: SocketStatus
  /** failed attempts since the last successful connection */
  attempt: number
  /** when the next attempt is due (ms since epoch), if one is scheduled */
  nextRetryAt: number | null
  /** close code of the last drop, if any */
  lastCloseCode: number | null
}

/** The slice of the WebSocket API this adapter uses; a fake implements it in tests. */
export interface SocketLike {
  readonly readyState: number
  binaryType: string
  send(data: ArrayBuffer): void
  close(code?: number, reason?: string): void
  addEventListener(type: string, listener: (ev: { data?: unknown; code?: number }) => void): void
  removeEventListener(type: string, listener: (ev: { data?: unknown; code?: number }) => void): void
}

export interface Environment {
  createSocket(url: string): SocketLike
  now(): number
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(id: unknown): void
  isOnline(): boolean
  /** subscribe to online/offline changes; returns unsubscribe */
  onOnlineChange(cb: (online: boolean) => void): () => void
  random(): number
}

const OPEN = 1
/** Local code for "no `peer` answer in time": not a server code, so closeInfo() retries it. */
const HANDSHAKE_TIMEOUT = 4008

export function browserEnvironment(): Environment {
  return {
    createSocket: url => new WebSocket(url) as unknown as SocketLike,
    now: () => Date.now(),
    setTimeout: (fn, ms) => window.setTimeout(fn, ms),
    clearTimeout: id => window.clearTimeout(id as number),
    isOnline: () => (typeof navigator === "undefined" ? true : navigator.onLine !== false),
    onOnlineChange: cb => {
      const on = () => cb(true)
      const off = () => cb(false)
      window.addEventListener("online", on)
      window.addEventListener("offline", off)
      return () => {
        window.removeEventListener("online", on)
        window.removeEventListener("offline", off)
      }
    },
    random: Math.random,
  }
}

export interface SocketAdapterOptions {
  backoff?: BackoffOptions
  /** close and retry when the server hasn't answered `join` with `peer` in this time */
  handshakeTimeoutMs?: number
  /** after this long without a first connection, tell the repo we're "ready" anyway (like the stock adapter) */
  readyTimeoutMs?: number
  onStatus?: (report: StatusReport) => void
  /** count bytes received (for diagnostics) */
  onFrame?: (direction: "in" | "out", bytes: number, type: string) => void
  env?: Environment
}

type Listener = (ev: { data?: unknown; code?: number }) => void

export class RoomSocketAdapter extends NetworkAdapter {
  readonly url: string
  private readonly opts: Required<Omit<SocketAdapterOptions, "onStatus" | "onFrame" | "env">>
  private readonly env: Environment
  private readonly onStatus?: (report: StatusReport) => void
  private readonly onFrame?: SocketAdapterOptions["onFrame"]
  private socket: SocketLike | null = null
  private remotePeerId: PeerId | null = null
  private attempt = 0
  private retryTimer: unknown = null
  private handshakeTimer: unknown = null
  private readyTimer: unknown = null
  private stopped = true
  private ready = false
  private readyResolve!: () => void
  private readonly readyPromise = new Promise<void>(r => (this.readyResolve = r))
  private unsubscribeOnline: (() => void) | null = null
  private report: StatusReport = { status: "connecting", attempt: 0, nextRetryAt: null, lastCloseCode: null }
  /** messages received while held (holdMessagesUntil), in order */
  private held: Message[] | null = null

  constructor(url: string, options: SocketAdapterOptions = {}) {
    super()
    this.url = url
    this.opts = {
      backoff: options.backoff ?? DEFAULT_BACKOFF,
      handshakeTimeoutMs: options.handshakeTimeoutMs ?? 5000,
      readyTimeoutMs: options.readyTimeoutMs ?? 1000,
    }
    this.env = options.env ?? browserEnvironment()
    this.onStatus = options.onStatus
    this.onFrame = options.onFrame
  }

  get status(): StatusReport {
    return this.report
  }

  /** The server's peer id while connected (role notices come from it). */
  get serverPeerId(): PeerId | null {
    return this.remotePeerId
  }

  isReady(): boolean {
    return this.ready
  }

  whenReady(): Promise<void> {
    return this.readyPromise
  }

  connect(peerId: PeerId, peerMetadata?: PeerMetadata): void {
    this.peerId = peerId
    this.peerMetadata = peerMetadata ?? {}
    this.stopped = false
    this.unsubscribeOnline ??= this.env.onOnlineChange(online => this.handleOnlineChange(online))
    this.readyTimer = this.env.setTimeout(() => this.markReady(), this.opts.readyTimeoutMs)
    this.open()
  }

  disconnect(): void {
    this.stopped = true
    this.clearTimers()
    this.unsubscribeOnline?.()
    this.unsubscribeOnline = null
    this.dropSocket(1000)
    this.markReady()
  }

  /** Reconnect now (e.g. the user pressed "retry"), forgetting the backoff. */
  retryNow(): void {
    if (this.stopped) return
    this.attempt = 0
    this.env.clearTimeout(this.retryTimer)
    this.retryTimer = null
    if (!this.socket) this.open()
  }

  send(message: Message): void {
    if ("data" in message && message.data instanceof Uint8Array && message.data.byteLength === 0) {
      throw new Error("Tried to send a zero-length message")
    }
    if (message.type === "ephemeral" && message.senderId !== this.peerId) {
      // automerge-repo relays every ephemeral message it receives to all its other peers
      // (DocSynchronizer.receiveEphemeralMessage), keeping the original senderId: here
      // that means straight back to the server, which has already delivered it to the
      // whole room and drops frames whose senderId isn't ours. Ours is a star: no relay.
      return
    }
    const socket = this.socket
    if (!socket || socket.readyState !== OPEN || !this.remotePeerId) {
      // Not connected: drop. automerge-repo forgets the peer on peer-disconnected and
      // resyncs from scratch (sync state) when it comes back, so nothing is lost.
      return
    }
    const encoded = cbor.encode(message)
    const buf = encoded.buffer.slice(encoded.byteOffset, encoded.byteOffset + encoded.byteLength) as ArrayBuffer
    this.onFrame?.("out", buf.byteLength, message.type)
    socket.send(buf)
  }

  // --- internals ---

  private setStatus(status: SocketStatus, extra: Partial<StatusReport> = {}) {
    this.report = { ...this.report, status, attempt: this.attempt, ...extra }
    this.onStatus?.(this.report)
  }

  private markReady() {
    if (!this.ready) {
      this.ready = true
      this.readyResolve()
    }
  }

  private clearTimers() {
    this.env.clearTimeout(this.retryTimer)
    this.env.clearTimeout(this.handshakeTimer)
    this.env.clearTimeout(this.readyTimer)
    this.retryTimer = this.handshakeTimer = this.readyTimer = null
  }

  private open() {
    if (this.stopped || this.socket) return
    if (!this.env.isOnline()) {
      this.setStatus("offline", { nextRetryAt: null })
      // Still try now and then: navigator.onLine can be wrong (captive portals, VPNs).
      this.scheduleRetry(this.opts.backoff.maxMs)
      return
    }
    this.setStatus(this.attempt === 0 && this.report.status === "connecting" ? "connecting" : "reconnecting", {
      nextRetryAt: null,
    })
    let socket: SocketLike
    try {
      socket = this.env.createSocket(this.url)
    } catch {
      this.scheduleRetry()
      return
    }
    socket.binaryType = "arraybuffer"
    this.socket = socket
    socket.addEventListener("open", this.onOpen)
    socket.addEventListener("message", this.onMessage)
    socket.addEventListener("close", this.onClose)
    socket.addEventListener("error", this.onError)
    this.handshakeTimer = this.env.setTimeout(() => {
      // Open but no `peer` answer (or stuck connecting): start over.
      if (this.socket === socket && !this.remotePeerId) this.handleDrop(socket, HANDSHAKE_TIMEOUT)
    }, this.opts.handshakeTimeoutMs)
  }

  private onOpen: Listener = () => {
    if (!this.socket || !this.peerId) return
    const join = {
      type: "join",
      senderId: this.peerId,
      peerMetadata: this.peerMetadata ?? {},
      supportedProtocolVersions: ["1"],
    }
    const encoded = cbor.encode(join)
    this.onFrame?.("out", encoded.byteLength, "join")
    this.socket.send(encoded.buffer.slice(encoded.byteOffset, encoded.byteOffset + encoded.byteLength) as ArrayBuffer)
  }

  /**
   * Keeps the server's messages from automerge-repo until `until` settles, then delivers
   * them in order. A long room's first sync message makes Automerge load the whole
   * document on the page's only thread (seconds for 600,000 characters): the room page
   * shows the server's plain text first (editor/preview.ts), then lets the load start.
   */
  holdMessagesUntil(until: Promise<unknown>) {
    const held: Message[] = []
    this.held = held
    const release = () => {
      if (this.held !== held) return
      this.held = null
      for (const m of held) this.emit("message", m)
    }
    until.then(release, release)
  }

  private onMessage: Listener = ev => {
    const data = ev.data
    if (!(data instanceof ArrayBuffer) || data.byteLength === 0) return
    let message: { type?: string; senderId?: PeerId; peerMetadata?: PeerMetadata; message?: string }
    try {
      message = cbor.decode(new Uint8Array(data))
    } catch {
      return
    }
    this.onFrame?.("in", data.byteLength, String(message?.type))
    if (message.type === "peer" && message.senderId) {
      this.env.clearTimeout(this.handshakeTimer)
      this.handshakeTimer = null
      this.remotePeerId = message.senderId
      this.attempt = 0
      this.markReady()
      this.setStatus("connected", { nextRetryAt: null, lastCloseCode: null })
      this.emit("peer-candidate", { peerId: message.senderId, peerMetadata: message.peerMetadata ?? {} })
    } else if (message.type === "error") {
      // The server closes after an error frame; onClose handles the retry.
      console.warn("pairpad: server error:", message.message)
    } else if (this.held) {
      this.held.push(message as Message)
    } else {
      this.emit("message", message as Message)
    }
  }

  private onClose: Listener = ev => {
    if (this.socket) this.handleDrop(this.socket, typeof ev.code === "number" ? ev.code : 1006)
  }

  private onError: Listener = () => {
    // Browsers give no detail; a close event always follows.
  }

  private handleDrop(socket: SocketLike, code: number) {
    if (this.socket !== socket) return
    this.dropSocket(code === HANDSHAKE_TIMEOUT ? 4000 : undefined)
    this.report = { ...this.report, lastCloseCode: code }
    if (this.stopped) return
    if (!isRetryableClose(code)) {
      this.setStatus("failed", { nextRetryAt: null, lastCloseCode: code })
      this.markReady()
      return
    }
    this.scheduleRetry()
  }

  /** Detaches the current socket, closing it if still open, and tells the repo the peer left. */
  private dropSocket(closeCode?: number) {
    const socket = this.socket
    this.env.clearTimeout(this.handshakeTimer)
    this.handshakeTimer = null
    if (socket) {
      socket.removeEventListener("open", this.onOpen)
      socket.removeEventListener("message", this.onMessage)
      socket.removeEventListener("close", this.onClose)
      socket.removeEventListener("error", this.onError)
      try {
        if (closeCode !== undefined || socket.readyState <= OPEN) socket.close(closeCode ?? 1000)
      } catch {
        // closing a socket that never opened can throw in some engines
      }
    }
    this.socket = null
    if (this.remotePeerId) {
      const peerId = this.remotePeerId
      this.remotePeerId = null
      this.emit("peer-disconnected", { peerId })
    }
  }

  private scheduleRetry(fixedDelay?: number) {
    if (this.stopped) return
    this.env.clearTimeout(this.retryTimer)
    const delay = fixedDelay ?? backoffDelay(this.attempt, this.opts.backoff, this.env.random)
    this.attempt += 1
    const nextRetryAt = this.env.now() + delay
    this.setStatus(this.env.isOnline() ? "reconnecting" : "offline", { nextRetryAt })
    this.retryTimer = this.env.setTimeout(() => {
      this.retryTimer = null
      this.open()
    }, delay)
  }

  private handleOnlineChange(online: boolean) {
    if (this.stopped) return
    if (!online) {
      // Don't wait for TCP to notice: drop now so the UI says "offline" and edits queue locally.
      if (this.socket) this.dropSocket(1000)
      this.env.clearTimeout(this.retryTimer)
      this.retryTimer = null
      this.setStatus("offline", { nextRetryAt: null })
      this.scheduleRetry(this.opts.backoff.maxMs)
      this.setStatus("offline")
    } else {
      this.retryNow()
    }
  }
}
