import { createSlice, type PayloadAction } from "@reduxjs/toolkit"

/**
 * Driver and navigator mode, as the server last told us (`pairpad/pairing` notices from
 * the server's peer id; see the Go server's sync/drive.go). While `on`, only `driver`
 * may type: the server refuses anyone else's edits, so the editor is read-only for them.
 */
export interface DriveState {
  on: boolean
  /** the driver's peer id; "" while the keyboard is free (the driver left) */
  driver: string
  /** unix ms the driver took the keyboard */
  since: number
  /** strong-style rotation reminder in seconds; 0 none */
  rotate: number
  /** peer ids asking for the keyboard, oldest first */
  requests: string[]
  /** peer id -> display name, for the driver and the requesters */
  names: Record<string, string>
  version: number
  /** why our last request was refused, until the next state or dismissal */
  error: string | null
}

export const initialDriveState: DriveState = { on: false, driver: "", since: 0, rotate: 0, requests: [], names: {}, version: 0, error: null }

export const PAIRING_TAG = "pairpad/pairing"
export const DRIVE_TAG = "pairpad/drive"

export type DriveOp = "on" | "off" | "request" | "cancel" | "give" | "rotate" | "hello"

/** A server notice, validated; null for anything else. */
export function parsePairingNotice(raw: unknown): (Omit<DriveState, "error"> & { error: string | null }) | null {
  if (typeof raw !== "object" || raw === null) return null
  const r = raw as Record<string, unknown>
  if (r.t !== PAIRING_TAG) return null
  const str = (v: unknown) => (typeof v === "string" ? v : "")
  // CBOR decoders give 64-bit integers (unix ms) as BigInt.
  const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : typeof v === "bigint" ? Number(v) : 0)
  const names: Record<string, string> = {}
  if (r.names && typeof r.names === "object") {
    for (const [k, v] of Object.entries(r.names as Record<string, unknown>)) if (typeof v === "string") names[k] = v
  }
  return {
    on: r.on === true,
    driver: str(r.driver),
    since: num(r.since),
    rotate: num(r.rotate),
    requests: Array.isArray(r.requests) ? r.requests.filter((x): x is string => typeof x === "string") : [],
    names,
    version: num(r.version),
    error: typeof r.error === "string" && r.error ? r.error : null,
  }
}

const driveSlice = createSlice({
  name: "drive",
  initialState: initialDriveState,
  reducers: {
    /** A notice replaces the state; a refusal (for us alone) also carries why. */
    pairingReceived(_state, action: PayloadAction<NonNullable<ReturnType<typeof parsePairingNotice>>>) {
      return action.payload
    },
    driveErrorDismissed(state) {
      state.error = null
    },
    driveReset() {
      return initialDriveState
    },
  },
})

export const { pairingReceived, driveErrorDismissed, driveReset } = driveSlice.actions
export const driveReducer = driveSlice.reducer
