/**
 * The build patch that keeps a keystroke in a long file from waiting for the syntax parser.
 * Two changes to @codemirror/language:
 *
 * 1. On every change, `LanguageState.apply` parses synchronously for up to 20 ms toward the
 *    end of the viewport when the previous parse had not finished. In a long file that the
 *    tree does not reach on screen yet (open a 600,000-character file and go to the middle:
 *    the tree ends far above it for the next few seconds), every keystroke, typed or
 *    arriving from a partner, paid those 20 ms before the editor showed it, in both
 *    browsers. Patched: when the tree, mapped through the change, ends before the viewport
 *    starts, the change does no parse work; the parse goes on from the fragments kept, in
 *    the live editor's catch-up slices (src/editor/parseCatchUp.ts) and CodeMirror's
 *    idle-time parser. Nothing on screen was highlighted by that tree (it ends above the
 *    screen); until the next slice reaches the screen the state's tree is empty rather than
 *    one that ends above it. Everywhere else (tree on screen or complete) the stock 20 ms
 *    parse runs.
 * 2. `ParseContext.changes` copied its fragments before `takeTree()`, so the parse done
 *    since the last finished tree was dropped by every change: a catch-up interrupted by
 *    each keystroke started over each time. Patched: take the tree first.
 *
 * Together: a fresh browser's first keys in the middle of a 600,000-character file went
 * from p95 88-105 ms to 56-66 ms between two browsers (`npm run measure`, BENCHMARKS.md).
 * Applied by the Vite plugin in vite.config.ts to the production build and the unit tests
 * (test/parseBudget.test.ts); the build fails when @codemirror/language changes so that
 * the patch no longer applies.
 */

/** Module ids the patch applies to. */
export const LANGUAGE_ID = /@codemirror[\\/]language[\\/]dist[\\/]index\.js$/

export const STOCK_APPLY = `        if (!newCx.work(20 /* Work.Apply */, upto))
            newCx.takeTree();`

export const PATCHED_APPLY = `        // pairpad: no parse toward a screen the tree does not reach (client/scripts/parseBudgetPatch.ts)
        let pairpadBehind = upto != null && tr.changes.mapPos(this.context.treeLen) < newCx.viewport.from;
        if (!pairpadBehind && !newCx.work(20 /* Work.Apply */, upto))
            newCx.takeTree();`

export const STOCK_CHANGES = `        let { fragments, tree, treeLen, viewport, skipped } = this;
        this.takeTree();`

export const PATCHED_CHANGES = `        // pairpad: keep the parse done since the last tree (client/scripts/parseBudgetPatch.ts)
        this.takeTree();
        let { fragments, tree, treeLen, viewport, skipped } = this;`

/** Returns @codemirror/language's index.js patched, or throws saying why it can't. */
export function patchLanguageState(code: string): string {
  for (const [stock, what] of [
    [STOCK_APPLY, "LanguageState.apply's parse (newCx.work(20 /* Work.Apply */, upto))"],
    [STOCK_CHANGES, "ParseContext.changes' takeTree"],
  ]) {
    const hits = code.split(stock).length - 1
    if (hits !== 1) {
      throw new Error(
        `pairpad: expected exactly one ${what} in @codemirror/language's index.js, found ${hits}. ` +
          "@codemirror/language changed: update scripts/parseBudgetPatch.ts (keystrokes in long files would otherwise wait for the parser).",
      )
    }
  }
  return code.replace(STOCK_APPLY, PATCHED_APPLY).replace(STOCK_CHANGES, PATCHED_CHANGES)
}
