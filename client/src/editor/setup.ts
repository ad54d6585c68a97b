import { Compartment, EditorState, type Extension } from "@codemirror/state"
import {
  EditorView,
  crosshairCursor,
  drawSelection,
  dropCursor,
  highlightActiveLine,
  highlightActiveLineGutter,
  highlightSpecialChars,
  keymap,
  lineNumbers,
  rectangularSelection,
} from "@codemirror/view"
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands"
import {
  bracketMatching,
  defaultHighlightStyle,
  foldGutter,
  foldKeymap,
  indentOnInput,
  indentUnit,
  syntaxHighlighting,
} from "@codemirror/language"
import { highlightSelectionMatches, searchKeymap } from "@codemirror/search"
import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap } from "@codemirror/autocomplete"
import { oneDark } from "@codemirror/theme-one-dark"
import { languageExtension, indentUnitFor } from "./languages"
import type { LanguageId } from "../lib/languages"
import { aiCompletionSource } from "./suggestions"
import { languageCompletionSource } from "./languageCompletions"

const completionSources = [aiCompletionSource, languageCompletionSource]

export const languageCompartment = new Compartment()
export const themeCompartment = new Compartment()

export function languageExtensions(id: LanguageId): Extension {
  return [languageExtension(id), indentUnit.of(indentUnitFor(id))]
}

const lightTheme = [
  EditorView.theme({}, { dark: false }),
  syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
]

export function themeExtension(dark: boolean): Extension {
  return dark ? oneDark : lightTheme
}

const layout = EditorView.theme({
  "&": { height: "100%", fontSize: "14px" },
  ".cm-scroller": {
    fontFamily: "'JetBrains Mono', 'Fira Code', ui-monospace, SFMono-Regular, Menlo, Consolas, monospace",
    lineHeight: "1.55",
  },
  // The content's width must not follow its lines: otherwise every keystroke that
  // changes a line's length has Chromium lay out and repaint every line on screen
  // (measured in a 600,000-character file: Paint 25 -> 8 ms, Layout 12 -> 2 ms per
  // keystroke for two pages; BENCHMARKS.md). The content fills the editor's width;
  // a longer line still widens the scrollable area, and its own box grows with its
  // text so that line backgrounds (the active line) cover all of it.
  ".cm-content": { paddingBottom: "40vh", contain: "inline-size" },
  ".cm-content:not(.cm-lineWrapping) .cm-line": { minWidth: "max-content" },
  "&.cm-focused": { outline: "none" },
})


/** Everything a code editor needs, minus the room-specific bits (binding, cursors, suggestions). */
export function baseExtensions(language: LanguageId, dark: boolean): Extension {
  return [
    lineNumbers(),
    highlightActiveLineGutter(),
    highlightSpecialChars(),
    history(),
    foldGutter(),
    drawSelection(),
    dropCursor(),
    EditorState.allowMultipleSelections.of(true),
    indentOnInput(),
    bracketMatching(),
    closeBrackets(),
    // The popup opens on Ctrl-Space only: while typing, the inline ghost text is the
    // suggestion, and nothing pops up over the code. A fixed list of sources: the
    // language's own are looked up when asked for, not on every transaction.
    autocompletion({ activateOnTyping: false, override: completionSources, addToOptions: [] }),
    rectangularSelection(),
    crosshairCursor(),
    highlightActiveLine(),
    highlightSelectionMatches(),
    keymap.of([
      ...closeBracketsKeymap,
      ...defaultKeymap,
      ...searchKeymap,
      ...historyKeymap,
      ...foldKeymap,
      ...completionKeymap,
      indentWithTab,
    ]),
    layout,
    languageCompartment.of(languageExtensions(language)),
    themeCompartment.of(themeExtension(dark)),
  ]
}
