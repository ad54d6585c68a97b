import { useEffect, useMemo, useRef, useState } from "react"
import * as A from "@automerge/automerge"
import type { DocHandle } from "@automerge/automerge-repo"
import type { RoomDoc } from "../app/roomSession"
import { api, ApiError, type HistoryChange } from "../lib/api"
import { fallbackColour } from "../editor/blame"

/** Playback speeds: changes shown per tick of PLAY_TICK_MS at 1×. */
export const SPEEDS = [1, 2, 4, 8] as const
export const PLAY_TICK_MS = 100
/** The person tracks are drawn in at most this many slots. */
const TRACK_BUCKETS = 400
/** The text at the slider's position is fetched once the slider rests this long. */
const TEXT_DEBOUNCE_MS = 60

/**
 * Playback of the room's whole history: a slider over every change in causal order (so
 * idle time between changes takes no room), a track per person in their colour with
 * markers for pastes and accepted AI suggestions, play at 1×–8×, and the code as it was
 * at any change, to copy or to link to. The text comes from the browser's own copy of the
 * document (`Automerge.view` at that change) when it has the change, else from the server
 * (GET /rooms/{id}/text?heads=).
 */
export function Timeline({ roomId, token, handle, onClose }: { roomId: string; token: string | null; handle: DocHandle<RoomDoc> | null; onClose: () => void }) {
  const [changes, setChanges] = useState<HistoryChange[] | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [index, setIndex] = useState(0)
  const [text, setText] = useState<string | null>(null)
  const [playing, setPlaying] = useState(false)
  const [speed, setSpeed] = useState<(typeof SPEEDS)[number]>(1)
  const textCache = useRef(new Map<string, string>())

  useEffect(() => {
    const ctrl = new AbortController()
    api.history(roomId, token, ctrl.signal).then(
      list => {
        setChanges(list)
        setIndex(Math.max(0, list.length - 1))
      },
      e => {
        if (!ctrl.signal.aborted) setError(e instanceof ApiError ? e.message : "The server did not answer.")
      },
    )
    return () => ctrl.abort()
  }, [roomId, token])

  const hash = changes?.[index]?.hash
  useEffect(() => {
    if (!hash) return
    const cached = textCache.current.get(hash)
    if (cached !== undefined) return setText(cached)
    const local = localText(handle, hash)
    if (local !== null) {
      textCache.current.set(hash, local)
      return setText(local)
    }
    const ctrl = new AbortController()
    const t = setTimeout(() => {
      api.textAt(roomId, token, [hash], ctrl.signal).then(
        s => {
          textCache.current.set(hash, s)
          setText(s)
        },
        e => {
          if (!ctrl.signal.aborted) setError(e instanceof ApiError ? e.message : "The server did not answer.")
        },
      )
    }, TEXT_DEBOUNCE_MS)
    return () => {
      clearTimeout(t)
      ctrl.abort()
    }
  }, [roomId, token, hash, handle])

  useEffect(() => {
    if (!playing || !changes) return
    const t = setInterval(() => setIndex(i => Math.min(changes.length - 1, i + speed)), PLAY_TICK_MS)
    return () => clearInterval(t)
  }, [playing, speed, changes])
  useEffect(() => {
    if (playing && changes && index >= changes.length - 1) setPlaying(false) // the end
  }, [playing, changes, index])

  // One row per person; changes fall into at most TRACK_BUCKETS buckets, so a 40,000-change
  // session draws a few hundred shapes, not 40,000.
  const people = useMemo(() => {
    const rows = new Map<string, { actor: string; name: string; colour: string; at: Set<number>; marks: Map<number, string> }>()
    const n = changes?.length ?? 0
    const bucket = (i: number) => (n > TRACK_BUCKETS ? Math.floor((i / n) * TRACK_BUCKETS) * (n / TRACK_BUCKETS) : i)
    changes?.forEach((c, i) => {
      let row = rows.get(c.actor)
      if (!row) {
        row = { actor: c.actor, name: c.person?.name || `actor ${c.actor.slice(0, 8)}`, colour: c.person?.colour || fallbackColour(c.actor), at: new Set(), marks: new Map() }
        rows.set(c.actor, row)
      }
      row.at.add(bucket(i))
      if (c.ai || c.paste) row.marks.set(bucket(i), c.ai ? "ai" : "paste")
    })
    return [...rows.values()].map(r => ({ ...r, at: [...r.at], marks: [...r.marks].map(([at, kind]) => ({ at, kind })) }))
  }, [changes])

  const current = changes?.[index]
  const n = changes?.length ?? 0
  const x = (i: number) => (n > 1 ? (i / (n - 1)) * 100 : 0)
  const link = hash ? `${location.origin}/room/${encodeURIComponent(roomId)}?v=${hash}` : ""
  return (
    <div className="timeline" data-testid="timeline">
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
          {error
            ? error
            : current
              ? `change ${index + 1} of ${n} · ${current.person?.name ?? "unknown"} · ${new Date(current.time * 1000).toLocaleString()}${current.ai ? " · AI" : current.paste ? " · paste" : ""}`
              : "Loading history…"}
        </span>
        <button type="button" className="button" disabled={text === null} onClick={() => text !== null && void navigator.clipboard.writeText(text)}>
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

/** The text at `hash` from the browser's copy of the document; null if it lacks the change. */
function localText(handle: DocHandle<RoomDoc> | null, hash: string): string | null {
  const doc = handle?.doc()
  if (!doc) return null
  try {
    if (!A.hasHeads(doc, [hash])) return null
    const content = A.view(doc, [hash]).content
    return typeof content === "string" ? content : ""
  } catch {
    return null
  }
}
