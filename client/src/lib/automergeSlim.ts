/**
 * What `@automerge/automerge/slim` means in the browser bundle (see AUTOMERGE_ALIASES in
 * vite.config.ts): Automerge 2.2's slim build, whose `next` namespace is the API
 * automerge-repo 2.5 uses. A few modules of automerge-repo (its `refs/` helpers) call
 * `splice`, `updateText` and `getCursor*` on the top-level namespace, which is 3.x
 * behaviour; in 2.2 those live in the next API, so they are taken from there.
 */
export * from "automerge-v2/slim"
export { splice, updateText, getCursor, getCursorPosition } from "automerge-v2/slim/next"
