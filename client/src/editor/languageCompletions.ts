/**
 * The language's own completions, looked up only when completion is asked for.
 *
 * Left to itself, @codemirror/autocomplete asks the state for the "autocomplete"
 * language data at the caret on *every* transaction (so it knows which sources are
 * active), and that lookup resolves the syntax tree at the caret: ~6 ms per keystroke,
 * local or remote, in a 600,000-character file (BENCHMARKS.md, "Long files in the
 * browser"). With `override: [aiCompletionSource, languageCompletionSource]` the list of
 * sources is fixed, and this one does the lookup when the popup is opened (Ctrl-Space).
 *
 * Several language sources (JavaScript has scope names and snippets, for instance) are
 * asked together and answered as one result: options of the results that start where the
 * first one does are listed together; a result starting elsewhere is left out.
 */
import {
  completeFromList,
  type Completion,
  type CompletionContext,
  type CompletionResult,
  type CompletionSource,
} from "@codemirror/autocomplete"

type LanguageSource = CompletionSource | readonly (string | Completion)[]

function asSource(s: LanguageSource): CompletionSource {
  return typeof s === "function" ? s : completeFromList(s as (string | Completion)[])
}

/** Merges the results of several sources asked at the same position (see above). */
export function mergeResults(results: readonly (CompletionResult | null)[]): CompletionResult | null {
  const found = results.filter((r): r is CompletionResult => !!r && r.options.length > 0)
  if (found.length <= 1) return found[0] ?? null
  const first = found[0]
  const same = found.filter(r => r.from === first.from)
  const to = same.map(r => r.to).find(t => t !== undefined)
  // No validFor: a merged result is asked again on the next keystroke rather than
  // filtered in place.
  return {
    from: first.from,
    ...(to !== undefined ? { to } : {}),
    options: same.flatMap(r => r.options),
    // Keep CodeMirror's filtering unless every merged result filters for itself.
    filter: same.every(r => r.filter === false) ? false : undefined,
  }
}

/** The language's sources at the caret, asked together (see above). */
export const languageCompletionSource: CompletionSource = async (ctx: CompletionContext): Promise<CompletionResult | null> => {
  const sources = ctx.state.languageDataAt<LanguageSource>("autocomplete", ctx.pos).map(asSource)
  if (!sources.length) return null
  if (sources.length === 1) return sources[0](ctx)
  // a source that fails (synchronously or not) counts as answering nothing
  const results = await Promise.all(sources.map(s => Promise.resolve().then(() => s(ctx)).catch(() => null)))
  if (ctx.aborted) return null
  return mergeResults(results)
}
