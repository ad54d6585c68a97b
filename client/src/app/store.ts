import { combineReducers, configureStore } from "@reduxjs/toolkit"
import { roomReducer } from "../features/room/roomSlice"
import { connectionReducer } from "../features/connection/connectionSlice"
import { presenceReducer } from "../features/presence/presenceSlice"
import {
  loadPreferences,
  preferencesReducer,
  savePreferences,
  type PreferencesState,
} from "../features/preferences/preferencesSlice"
import { suggestionsReducer } from "../features/suggestions/suggestionsSlice"
import { followReducer } from "../features/follow/followSlice"
import { driveReducer } from "../features/drive/driveSlice"
import { browserStore, type KeyValueStore } from "../lib/storage"

export const rootReducer = combineReducers({
  room: roomReducer,
  connection: connectionReducer,
  presence: presenceReducer,
  preferences: preferencesReducer,
  suggestions: suggestionsReducer,
  follow: followReducer,
  drive: driveReducer,
})

export type RootState = ReturnType<typeof rootReducer>

/** Builds the store; preferences are loaded from and saved to `kv` (localStorage in the browser). */
export function makeStore(kv: KeyValueStore = browserStore(), preloaded?: Partial<RootState>) {
  const preferences: PreferencesState = preloaded?.preferences ?? loadPreferences(kv)
  const store = configureStore({
    reducer: rootReducer,
    preloadedState: { ...preloaded, preferences },
  })
  let last = store.getState().preferences
  store.subscribe(() => {
    const prefs = store.getState().preferences
    if (prefs !== last) {
      last = prefs
      savePreferences(kv, prefs)
    }
  })
  return store
}

export type AppStore = ReturnType<typeof makeStore>
export type AppDispatch = AppStore["dispatch"]
