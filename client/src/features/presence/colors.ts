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
