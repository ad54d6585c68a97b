/**
 * What the room's editors (the live CodeEditor and the PreviewEditor a long room shows
 * while it loads) keep in step with the app: the language, the theme and the person's
 * role reconfigure the view through compartments, and the view takes the keyboard when
 * it appears and whenever a dialog closes, never while one is open.
 */
import { useEffect, type RefObject } from "react"
import { Compartment, EditorState } from "@codemirror/state"
import { EditorView } from "@codemirror/view"
import { languageCompartment, languageExtensions, themeCompartment, themeExtension } from "./setup"
import type { LanguageId } from "../lib/languages"

/** Viewers get a read-only editor (issue 15); reconfigured live when the role changes. */
export const readOnlyCompartment = new Compartment()
export const readOnlyExtensions = (readOnly: boolean) => (readOnly ? [EditorState.readOnly.of(true), EditorView.editable.of(false)] : [])

/**
 * Keeps the view in `viewRef` configured. Call it after the effect that creates the view,
 * so that a new view (a new `focusKey`) takes the keyboard.
 */
export function useViewSettings(
  viewRef: RefObject<EditorView | null>,
  settings: { language: LanguageId; dark: boolean; readOnly: boolean },
  modalOpen: boolean,
  focusKey: unknown,
) {
  const { language, dark, readOnly } = settings
  useEffect(() => {
    if (!modalOpen) viewRef.current?.focus()
  }, [viewRef, modalOpen, focusKey])
  useEffect(() => {
    viewRef.current?.dispatch({ effects: languageCompartment.reconfigure(languageExtensions(language)) })
  }, [viewRef, language])
  useEffect(() => {
    viewRef.current?.dispatch({ effects: themeCompartment.reconfigure(themeExtension(dark)) })
  }, [viewRef, dark])
  useEffect(() => {
    viewRef.current?.dispatch({ effects: readOnlyCompartment.reconfigure(readOnlyExtensions(readOnly)) })
  }, [viewRef, readOnly])
}
