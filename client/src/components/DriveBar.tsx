import { useEffect, useState } from "react"
import { useAppDispatch, useAppSelector } from "../app/hooks"
import { selectDriving, selectPeerList, selectRoom } from "../app/selectors"
import { driveErrorDismissed } from "../features/drive/driveSlice"
import type { RoomSession } from "../app/roomSession"
import type { RootState } from "../app/store"

const selectDrive = (s: RootState) => s.drive
const selectSelfId = (s: RootState) => s.presence.selfPeerId

/** Rotation choices for strong-style pairing, in seconds (0: no reminder). */
export const ROTATIONS = [0, 5 * 60, 10 * 60, 15 * 60, 25 * 60]

export function formatClock(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000))
  const m = Math.floor(s / 60)
  return `${m}:${String(s % 60).padStart(2, "0")}`
}

function useNow(active: boolean): number {
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    if (!active) return
    setNow(Date.now())
    const t = setInterval(() => setNow(Date.now()), 1000)
    return () => clearInterval(t)
  }, [active])
  return active ? now : Date.now()
}

/** In the header menu: start driver mode (people who may edit). */
export function DriveToggle({ session }: { session: RoomSession | null }) {
  const drive = useAppSelector(selectDrive)
  const role = useAppSelector(selectRoom).role
  if (drive.on || (role !== "editor" && role !== "owner")) return null
  return (
    <button
      type="button"
      className="toggle"
      data-testid="drive-start"
      disabled={!session}
      title="Only the driver types; the others navigate and ask for the keyboard"
      onClick={() => session?.drive("on")}
    >
      ⌨ Driver mode
    </button>
  )
}

/**
 * While driver mode is on: who drives and for how long, the rotation reminder, and the
 * controls each person has (ask for the keyboard, hand it over, end the mode).
 */
export function DriveBar({ session }: { session: RoomSession | null }) {
  const dispatch = useAppDispatch()
  const drive = useAppSelector(selectDrive)
  const self = useAppSelector(selectSelfId)
  const driving = useAppSelector(selectDriving)
  const role = useAppSelector(selectRoom).role
  const peers = useAppSelector(selectPeerList)
  const now = useNow(drive.on)
  if (!drive.on || !session) {
    if (drive.error && session)
      return (
        <div className="drive-bar" role="alert" data-testid="drive-error">
          <span>{drive.error}</span>
          <button type="button" className="link-button" onClick={() => dispatch(driveErrorDismissed())}>
            Dismiss
          </button>
        </div>
      )
    return null
  }
  const nameOf = (id: string) => drive.names[id] ?? peers.find(p => p.peerId === id)?.name ?? "Someone"
  const colorOf = (id: string) => peers.find(p => p.peerId === id)?.color
  const owner = role === "owner"
  const canWrite = role === "editor" || role === "owner"
  const asked = !!self && drive.requests.includes(self)
  const held = drive.driver ? now - drive.since : 0
  const due = drive.rotate > 0 && drive.driver !== "" && held >= drive.rotate * 1000
  const who = !drive.driver ? "Nobody is driving" : driving ? "You are driving" : `${nameOf(drive.driver)} is driving`
  return (
    <div
      className={`drive-bar${due ? " due" : ""}`}
      role="status"
      data-testid="drive-bar"
      data-driver={drive.driver}
      data-driving={driving ? "true" : "false"}
      style={drive.driver && colorOf(drive.driver) ? { borderColor: colorOf(drive.driver) } : undefined}
    >
      <span data-testid="drive-who">
        ⌨ <strong>{who}</strong>
        {drive.driver && <span className="drive-clock"> · {formatClock(held)}</span>}
        {drive.rotate > 0 && drive.driver && (
          <span className="drive-rotate" data-testid="drive-rotate">
            {due ? " · time to switch" : ` · switch in ${formatClock(drive.rotate * 1000 - held)}`}
          </span>
        )}
      </span>
      {!driving && canWrite && (
        <button
          type="button"
          className="button"
          data-testid={asked ? "drive-cancel" : "drive-request"}
          onClick={() => session.drive(asked ? "cancel" : "request")}
        >
          {asked ? "Cancel request" : drive.driver ? "Ask for the keyboard" : "Take the keyboard"}
        </button>
      )}
      {(driving || owner) &&
        drive.requests.map(id => (
          <span key={id} className="drive-request" data-testid="drive-request-item" data-peer-id={id}>
            {nameOf(id)} asks
            <button type="button" className="button" data-testid="drive-give" onClick={() => session.drive("give", { to: id })}>
              Hand over
            </button>
          </span>
        ))}
      {owner && !driving && (
        <button type="button" className="link-button" data-testid="drive-take" onClick={() => session.drive("give", { to: self ?? "" })}>
          Take over
        </button>
      )}
      <div className="spacer" />
      {(driving || owner) && (
        <label className="drive-rotation">
          Rotate
          <select
            value={drive.rotate}
            data-testid="drive-rotation"
            onChange={e => session.drive("rotate", { rotate: Number(e.target.value) })}
          >
            {ROTATIONS.map(s => (
              <option key={s} value={s}>
                {s === 0 ? "off" : `every ${s / 60} min`}
              </option>
            ))}
          </select>
        </label>
      )}
      {(driving || owner) && (
        <button type="button" className="link-button" data-testid="drive-end" onClick={() => session.drive("off")}>
          End driver mode
        </button>
      )}
      {drive.error && (
        <span className="drive-error" role="alert" data-testid="drive-error">
          {drive.error}
          <button type="button" className="link-button" onClick={() => dispatch(driveErrorDismissed())}>
            ×
          </button>
        </span>
      )}
    </div>
  )
}
