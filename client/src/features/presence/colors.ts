/** Peer colours: distinct hues that read on both light and dark backgrounds. */
export const PEER_COLORS = [
  "#e5484d", // red
  "#f76b15", // orange
  "#d6a000", // amber
  "#30a46c", // green
  "#12a594", // teal
  "#0090ff", // blue
  "#6e56cf", // violet
  "#d6409f", // pink
] as const

export function isPeerColor(v: unknown): v is string {
  return typeof v === "string" && /^#[0-9a-fA-F]{6}$/.test(v)
}

export function randomColor(random: () => number = Math.random): string {
  return PEER_COLORS[Math.floor(random() * PEER_COLORS.length) % PEER_COLORS.length]
}

/** `#rrggbb` + alpha as an `rgba()` string, for selection backgrounds. */
export function withAlpha(hex: string, alpha: number): string {
  if (!isPeerColor(hex)) return `rgba(128,128,128,${alpha})`
  const n = parseInt(hex.slice(1), 16)
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${alpha})`
}

/** Black or white, whichever reads better on the colour (for name labels). */
export function textOn(hex: string): string {
  if (!isPeerColor(hex)) return "#fff"
  const n = parseInt(hex.slice(1), 16)
  const [r, g, b] = [(n >> 16) & 255, (n >> 8) & 255, n & 255]
  const luminance = (0.299 * r + 0.587 * g + 0.114 * b) / 255
  return luminance > 0.62 ? "#111" : "#fff"
}

export interface ColorClaim {
  id: string
  /** the colour the person chose */
  preferred: string
  /** when they opened the room; earlier arrivals keep their choice (unknown: last) */
  since?: number | null
}

/**
 * Everyone's colour in a room, computed the same way in every browser from presence
 * alone: in order of arrival (`since`, then id), each person gets the colour they
 * chose unless someone earlier has it; then the first palette colour nobody has,
 * starting from a place picked by their id. Two people share a colour only once all
 * palette colours are taken.
 */
export function assignColors(people: readonly ColorClaim[]): Record<string, string> {
  const order = [...people].sort((a, b) => (a.since ?? Infinity) - (b.since ?? Infinity) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  const taken = new Set<string>()
  const out: Record<string, string> = {}
  for (const p of order) {
    const preferred = p.preferred.toLowerCase()
    let color = preferred
    if (taken.has(preferred)) {
      const start = hash(p.id) % PEER_COLORS.length
      for (let i = 0; i < PEER_COLORS.length; i++) {
        const c = PEER_COLORS[(start + i) % PEER_COLORS.length]
        if (!taken.has(c)) {
          color = c
          break
        }
      }
    }
    taken.add(color)
    out[p.id] = color
  }
  return out
}

function hash(s: string): number {
  let h = 2166136261
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619)
  return h >>> 0
}
