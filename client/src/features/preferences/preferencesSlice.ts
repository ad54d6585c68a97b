import { createSlice, type PayloadAction } from "@reduxjs/toolkit"
import { isPeerColor, randomColor } from "../presence/colors"
import { readJSON, writeJSON, type KeyValueStore } from "../../lib/storage"

/** Per-browser preferences, kept in localStorage. */
export interface PreferencesState {
  /** display name shown to others; null until the person has chosen one */
  name: string | null
  color: string
  suggestionsEnabled: boolean
  /** typing pause before asking for a suggestion */
  suggestionDelayMs: number
  /** "system" follows the OS (prefers-color-scheme) until the person picks one */
  theme: ThemeChoice
}

export type ThemeChoice = "system" | "light" | "dark"
const isThemeChoice = (v: unknown): v is ThemeChoice => v === "system" || v === "light" || v === "dark"

export const PREFERENCES_KEY = "pairpad.preferences"
export const MAX_NAME_LENGTH = 32
export const MIN_SUGGESTION_DELAY = 100
export const MAX_SUGGESTION_DELAY = 3000

export function defaultPreferences(random: () => number = Math.random): PreferencesState {
  return { name: null, color: randomColor(random), suggestionsEnabled: true, suggestionDelayMs: 500, theme: "system" }
}

export function cleanName(raw: string): string {
  return raw.replace(/\s+/g, " ").trim().slice(0, MAX_NAME_LENGTH)
}

function clampDelay(ms: number): number {
  if (!Number.isFinite(ms)) return 500
  return Math.min(MAX_SUGGESTION_DELAY, Math.max(MIN_SUGGESTION_DELAY, Math.round(ms)))
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null
}

/** Reads saved preferences, repairing anything missing or malformed. */
export function loadPreferences(store: KeyValueStore, random: () => number = Math.random): PreferencesState {
  const defaults = defaultPreferences(random)
  const saved = readJSON<Record<string, unknown>>(store, PREFERENCES_KEY, {}, isObject)
  const name = typeof saved.name === "string" && cleanName(saved.name) ? cleanName(saved.name) : null
  return {
    name,
    color: isPeerColor(saved.color) ? saved.color : defaults.color,
    suggestionsEnabled: typeof saved.suggestionsEnabled === "boolean" ? saved.suggestionsEnabled : true,
    suggestionDelayMs: typeof saved.suggestionDelayMs === "number" ? clampDelay(saved.suggestionDelayMs) : 500,
    theme: isThemeChoice(saved.theme) ? saved.theme : "system",
  }
}

export function savePreferences(store: KeyValueStore, prefs: PreferencesState): void {
  writeJSON(store, PREFERENCES_KEY, prefs)
}

const preferencesSlice = createSlice({
  name: "preferences",
  initialState: defaultPreferences,
  reducers: {
    nameChanged(state, action: PayloadAction<string>) {
      const name = cleanName(action.payload)
      if (name) state.name = name
    },
    colorChanged(state, action: PayloadAction<string>) {
      if (isPeerColor(action.payload)) state.color = action.payload
    },
    suggestionsToggled(state, action: PayloadAction<boolean | undefined>) {
      state.suggestionsEnabled = action.payload ?? !state.suggestionsEnabled
    },
    suggestionDelayChanged(state, action: PayloadAction<number>) {
      state.suggestionDelayMs = clampDelay(action.payload)
    },
    themeChanged(state, action: PayloadAction<ThemeChoice>) {
      if (isThemeChoice(action.payload)) state.theme = action.payload
    },
  },
})

export const { nameChanged, colorChanged, suggestionsToggled, suggestionDelayChanged, themeChanged } = preferencesSlice.actions
export const preferencesReducer = preferencesSlice.reducer
