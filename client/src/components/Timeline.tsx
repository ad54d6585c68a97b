import { useEffect, useMemo, useState } from "react"
import type { DocHandle } from "@automerge/automerge-repo"
import type { RoomDoc } from "../app/roomSession"
import { api, ApiError, timelineHash, timelineTextAt, type TimelineData } from "../lib/api"
import { fallbackColour } from "../editor/blame"

/** Playback speeds: changes shown per tick of PLAY_TICK_MS at 1×. */
export const SPEEDS = [1, 2, 4, 8] as const
export const PLAY_TICK_MS = 100
/** The person tracks are drawn in at most this many slots. */
const TRACK_BUCKETS = 400

/**
 * Playback of the room's whole history: a slider over every change in causal order (so
 * idle time between changes takes no room), a track per person in their colour with
 * markers for pastes and accepted AI suggestions, play at 1×–8×, and the code as it was
 * at any change, to copy or to link to. Everything comes from one request
 * (GET /rooms/{id}/timeline): the changes, and a table of every character ever inserted
 * with the changes that inserted and deleted it, so the text at any change is a linear
 * scan (a few ms for half a million characters) and the slider follows the pointer.
 * Until it arrives, the live code is shown (the timeline opens at "now").
 */
export function Timeline({ roomId, token, handle, onClose }: { roomId: string; token: string | null; handle: DocHandle<RoomDoc> | null; onClose: () => void }) {
  const [data, setData] = useState<TimelineData | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [index, setIndex] = useState(0)
  const [playing, setPlaying] = useState(false)
  const [speed, setSpeed] = useState<(typeof SPEEDS)[number]>(1)
  const [live] = useState(() => handle?.doc()?.content ?? null)

  useEffect(() => {
    const ctrl = new AbortController()
    api.timeline(roomId, token, ctrl.signal).then(
      t => {
        setData(t)
        setIndex(Math.max(0, t.changes - 1))
      },
      e => {
        if (!ctrl.signal.aborted) setError(e instanceof ApiError ? e.message : "The server did not answer.")
      },
    )
    return () => ctrl.abort()
  }, [roomId, token])

  const units = useMemo(() => {
    const t = data?.text ?? ""
    const u = new Uint16Array(t.length)
    for (let k = 0; k < t.length; k++) u[k] = t.charCodeAt(k)
    return u
  }, [data])
  const n = data?.changes ?? 0
  const text = useMemo(() => (data ? timelineTextAt(data, index, units) : live), [data, index, units, live])
  const hash = data && n ? timelineHash(data, index) : null

  useEffect(() => {
    if (!playing || !n) return
    const t = setInterval(() => setIndex(i => Math.min(n - 1, i + speed)), PLAY_TICK_MS)
    return () => clearInterval(t)
  }, [playing, speed, n])
  useEffect(() => {
    if (playing && n && index >= n - 1) setPlaying(false) // the end
  }, [playing, n, index])

  // One row per person; changes fall into at most TRACK_BUCKETS buckets, so a 40,000-change
  // session draws a few hundred shapes, not 40,000.
  const people = useMemo(() => {
    const rows = new Map<number, { actor: string; name: string; colour: string; at: Set<number>; marks: Map<number, string> }>()
    if (!data) return []
    const bucket = (i: number) => (n > TRACK_BUCKETS ? Math.floor((i / n) * TRACK_BUCKETS) * (n / TRACK_BUCKETS) : i)
    for (let i = 0; i < n; i++) {
      const a = data.actorOf[i]
      let row = rows.get(a)
      if (!row) {
        const actor = data.actors[a] ?? ""
        const p = data.people[actor]
        row = { actor, name: p?.name || `actor ${actor.slice(0, 8)}`, colour: p?.colour || fallbackColour(actor), at: new Set(), marks: new Map() }
        rows.set(a, row)
      }
      row.at.add(bucket(i))
      const f = data.flags[i]
      if (f) row.marks.set(bucket(i), f & 1 ? "ai" : "paste")
    }
    return [...rows.values()].map(r => ({ ...r, at: [...r.at], marks: [...r.marks].map(([at, kind]) => ({ at, kind })) }))
  }, [data, n])

  const where = (() => {
    if (error) return error
    if (!data || !n) return "Loading history…"
    const actor = data.actors[data.actorOf[index]] ?? ""
    const f = data.flags[index]
    return `change ${index + 1} of ${n} · ${data.people[actor]?.name ?? "unknown"} · ${new Date(data.times[index] * 1000).toLocaleString()}${f & 1 ? " · AI" : f & 2 ? " · paste" : ""}`
  })()
  const x = (i: number) => (n > 1 ? (i / (n - 1)) * 100 : 0)
  const link = hash ? `${location.origin}/room/${encodeURIComponent(roomId)}?v=${hash}` : ""
  return (
    <div className="timeline" data-testid="timeline" data-ready={data ? "true" : "false"}>
      <div className="timeline-bar">
        <button type="button" className="button" data-testid="timeline-play" disabled={!n} onClick={() => (index >= n - 1 ? (setIndex(0), setPlaying(true)) : setPlaying(p => !p))}>
          {playing ? "Pause" : "Play"}
        </button>
        <select aria-label="Playback speed" data-testid="timeline-speed" value={speed} onChange={e => setSpeed(Number(e.target.value) as (typeof SPEEDS)[number])}>
          {SPEEDS.map(s => (
            <option key={s} value={s}>
              {s}×
            </option>
          ))}
        </select>
        <input
          type="range"
          className="timeline-slider"
          data-testid="timeline-slider"
          aria-label="Position in the room's history"
          min={0}
          max={Math.max(0, n - 1)}
          value={index}
          disabled={!n}
          onChange={e => {
            setPlaying(false)
            setIndex(Number(e.target.value))
          }}
        />
        <span className="timeline-where" data-testid="timeline-where">
          {where}
        </span>
        <button type="button" className="button" data-testid="timeline-copy" disabled={text === null} onClick={() => text !== null && void navigator.clipboard.writeText(text)}>
          Copy code
        </button>
        <button type="button" className="button" data-testid="timeline-link" disabled={!hash} onClick={() => void navigator.clipboard.writeText(link)}>
          Copy link
        </button>
        <button type="button" className="button primary" data-testid="timeline-close" onClick={onClose}>
          Back to live
        </button>
      </div>
      <svg className="timeline-tracks" data-testid="timeline-tracks" viewBox={`0 0 100 ${people.length * 10 || 10}`} preserveAspectRatio="none" height={Math.max(1, people.length) * 14}>
        {people.map((p, row) => (
          <g key={p.actor} data-actor={p.actor}>
            <title>{p.name}</title>
            {p.at.map(i => (
              <rect key={i} x={x(i)} y={row * 10 + 2} width={Math.max(0.25, 100 / Math.max(Math.min(n, TRACK_BUCKETS), 1))} height={6} fill={p.colour} />
            ))}
            {p.marks.map(m => (
              <rect key={`m${m.at}`} className={`timeline-mark ${m.kind}`} data-kind={m.kind} x={x(m.at)} y={row * 10} width={0.6} height={10} />
            ))}
          </g>
        ))}
        {n > 0 && <rect className="timeline-cursor" x={x(index)} y={0} width={0.3} height={people.length * 10 || 10} />}
      </svg>
      <pre className="version-text" data-testid="timeline-text">
        {text ?? ""}
      </pre>
    </div>
  )
}
