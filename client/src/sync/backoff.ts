/** Exponential backoff with jitter for reconnecting the room socket. Pure: unit-tested. */
export interface BackoffOptions {
  /** first delay after a drop */
  baseMs: number
  /** never wait longer than this */
  maxMs: number
  /** growth per failed attempt */
  factor: number
  /** +/- fraction of the delay picked at random, so that a server restart isn't hit by every client at once */
  jitter: number
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 10_000, factor: 2, jitter: 0.2 }

/**
 * Delay before reconnect attempt number `attempt` (0 = first retry after a drop).
 * `random` returns [0,1); injectable for tests.
 */
export function backoffDelay(attempt: number, opts: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const n = Math.max(0, Math.floor(attempt))
  const raw = Math.min(opts.maxMs, opts.baseMs * Math.pow(opts.factor, n))
  const spread = raw * opts.jitter
  const jittered = raw - spread + 2 * spread * random()
  return Math.max(0, Math.min(opts.maxMs, Math.round(jittered)))
}
