/**
 * What `@automerge/automerge/slim` means in the browser bundle (see AUTOMERGE_ALIASES in
 * vite.config.ts): Automerge 2.2's slim build, whose `next` namespace is the API
 * automerge-repo 2.5 uses. A few modules of automerge-repo (its `refs/` helpers) call
 * `splice`, `updateText` and `getCursor*` on the top-level namespace, which is 3.x
 * behaviour; in 2.2 those live in the next API, so they are taken from there.
 *
 * `next.init` and `next.from` here start documents with the actor set by
 * `setDefaultActor` (the person's, see lib/actor.ts). automerge-repo creates every
 * document it finds with `next.init()` and merges what storage or the server sends into
 * it, so the room's
 * document carries the person's actor from the start, instead of being cloned with it
 * after loading (a full copy: ~1.1 s for a 600,000-character room).
 */
import * as slimNext from "automerge-v2/slim/next"
import type { ActorId, InitOptions } from "automerge-v2/slim/next"

export * from "automerge-v2/slim"
export { splice, updateText, getCursor, getCursorPosition } from "automerge-v2/slim/next"

let defaultActor: ActorId | undefined

/** The actor documents created without one get from now on (undefined: a random one). */
export function setDefaultActor(actor: ActorId | undefined): void {
  defaultActor = actor
}

/** The actor set by setDefaultActor, if any. */
export function getDefaultActor(): ActorId | undefined {
  return defaultActor
}

const withDefault = <T>(opts?: ActorId | InitOptions<T>) => opts ?? (defaultActor ? { actor: defaultActor } : undefined)

function init<T>(opts?: ActorId | InitOptions<T>) {
  return slimNext.init<T>(withDefault(opts))
}

function from<T extends Record<string, unknown>>(initialState: T | slimNext.Doc<T>, opts?: ActorId | InitOptions<T>) {
  return slimNext.from<T>(initialState, withDefault(opts))
}

export const next = { ...slimNext, init, from }
