/**
 * The person's Automerge actor id in a room (attribution format, README "History"):
 * one per browser profile and room, kept in localStorage under `pairpad:actor:<roomId>`
 * as 32 lowercase hex characters (16 random bytes). Every change this client makes in
 * the room is made with it, so the change log says who typed what across reloads.
 *
 * Two tabs of the same profile in the same room must not write with one actor at once
 * (both would make change number n of that actor, and Automerge refuses the second).
 * The first tab holds a Web Lock named after the key; a second tab, finding it taken,
 * uses a fresh actor for its lifetime (not stored) and names it in `people` too.
 */
import type { KeyValueStore } from "./storage"

export const ACTOR_KEY_PREFIX = "pairpad:actor:"

export function actorKey(roomId: string): string {
  return ACTOR_KEY_PREFIX + roomId
}

const ACTOR_RE = /^[0-9a-f]{32}$/

export function isActorId(v: unknown): v is string {
  return typeof v === "string" && ACTOR_RE.test(v)
}

/** 16 random bytes as 32 lowercase hex characters. */
export function newActorId(randomBytes: (n: number) => Uint8Array = cryptoBytes): string {
  const b = randomBytes(16)
  if (b.length !== 16) throw new Error("newActorId: need 16 random bytes")
  return Array.from(b, x => x.toString(16).padStart(2, "0")).join("")
}

function cryptoBytes(n: number): Uint8Array {
  const out = new Uint8Array(n)
  globalThis.crypto.getRandomValues(out)
  return out
}

/**
 * The stored actor of this profile in the room, created (and stored) on first use. A
 * malformed stored value is replaced. When storage is unavailable the id still works
 * for this page, it just isn't stable.
 */
export function storedActor(store: KeyValueStore, roomId: string, randomBytes?: (n: number) => Uint8Array): string {
  const key = actorKey(roomId)
  let saved: string | null = null
  try {
    saved = store.getItem(key)
  } catch {
    saved = null
  }
  if (isActorId(saved)) return saved
  const actor = newActorId(randomBytes)
  try {
    store.setItem(key, actor)
  } catch {
    // private mode or quota: an actor for this page only
  }
  return actor
}

/** What `acquireActor` decided. */
export interface ActorLease {
  actor: string
  /** false: another tab holds the stored actor; this one is for this page only */
  stored: boolean
  /** lets the stored actor go (another tab may then take it) */
  release(): void
}

interface LockManagerLike {
  request(name: string, options: { ifAvailable: boolean }, cb: (lock: unknown) => Promise<void> | void): Promise<unknown>
}

/**
 * Takes the room's stored actor if no other tab of this profile is using it (Web
 * Locks), else a fresh one for this page. Without Web Locks: the stored actor.
 */
export async function acquireActor(
  store: KeyValueStore,
  roomId: string,
  locks: LockManagerLike | undefined = (globalThis.navigator as { locks?: LockManagerLike } | undefined)?.locks,
  randomBytes?: (n: number) => Uint8Array,
): Promise<ActorLease> {
  const actor = storedActor(store, roomId, randomBytes)
  if (!locks) return { actor, stored: true, release() {} }
  let release: () => void = () => {}
  const held = new Promise<void>(resolve => {
    release = resolve
  })
  const got = await new Promise<boolean>(resolve => {
    locks
      .request(actorKey(roomId), { ifAvailable: true }, lock => {
        if (!lock) {
          resolve(false)
          return
        }
        resolve(true)
        return held // keep the lock until released (or the page goes away)
      })
      .catch(() => resolve(false))
  })
  if (got) return { actor, stored: true, release }
  return { actor: newActorId(randomBytes), stored: false, release() {} }
}
