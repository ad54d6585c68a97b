/**
 * The server's WebSocket close codes and whether a client should reconnect after each.
 * This is a copy of `CloseTable` in the Go server's `sync/closecodes.go`, row for row;
 * `test/closeCodes.test.ts` parses that file and fails when the two differ, so change
 * both together. Reconnect decisions (socketAdapter) read only this table.
 */
export interface CloseInfo {
  code: number
  /** the Go constant's name, for logs and reading the table side by side */
  name: string
  /** the close reason text the server sends */
  reason: string
  /** reconnect (with backoff) after this code */
  retry: boolean
}

export const CLOSE_TABLE: readonly CloseInfo[] = [
  { code: 1000, name: "CloseNormal", reason: "normal closure", retry: false },
  { code: 1001, name: "CloseGoingAway", reason: "server going away", retry: true },
  { code: 1011, name: "CloseInternal", reason: "internal error", retry: true },
  { code: 4400, name: "CloseMalformed", reason: "malformed frame", retry: false },
  { code: 4401, name: "CloseUnauthorized", reason: "unauthorized", retry: false },
  { code: 4403, name: "CloseForbidden", reason: "forbidden", retry: false },
  { code: 4404, name: "CloseRoomNotFound", reason: "room not found", retry: false },
  { code: 4408, name: "CloseSlowConsumer", reason: "slow consumer", retry: true },
  { code: 4409, name: "CloseReplaced", reason: "replaced by a newer connection of the same peer", retry: false },
  { code: 4413, name: "CloseTooLarge", reason: "frame too large", retry: false },
  { code: 4422, name: "CloseSyncRejected", reason: "sync message rejected", retry: false },
  { code: 4426, name: "CloseProtocolVersion", reason: "unsupported protocol version", retry: false },
  { code: 4429, name: "CloseTooFast", reason: "too many frames", retry: true },
  { code: 4503, name: "CloseOverloaded", reason: "server busy: memory budget full, try again later", retry: true },
  { code: 4507, name: "CloseDocTooLarge", reason: "document too large: the change would take it over the room size limit", retry: false },
]

const byCode = new Map(CLOSE_TABLE.map(row => [row.code, row]))

/**
 * The table row for `code`. A code the server does not send (1006 when the connection
 * dropped without a close frame, our own handshake timeout) is retried, as the server's
 * `CloseCode.Info()` says for codes outside its table.
 */
export function closeInfo(code: number): CloseInfo {
  return byCode.get(code) ?? { code, name: "", reason: "unknown", retry: true }
}

export function isRetryableClose(code: number): boolean {
  return closeInfo(code).retry
}
