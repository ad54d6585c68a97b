/** Small typed wrapper over localStorage that never throws (private mode, quota, tests in Node). */
export interface KeyValueStore {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
  removeItem(key: string): void
}

class MemoryStore implements KeyValueStore {
  private map = new Map<string, string>()
  getItem(key: string) {
    return this.map.get(key) ?? null
  }
  setItem(key: string, value: string) {
    this.map.set(key, value)
  }
  removeItem(key: string) {
    this.map.delete(key)
  }
}

let fallback: KeyValueStore | null = null

export function browserStore(): KeyValueStore {
  try {
    if (typeof localStorage !== "undefined") return localStorage
  } catch {
    // Access to localStorage can throw (sandboxed iframes); use memory.
  }
  fallback ??= new MemoryStore()
  return fallback
}

export function memoryStore(): KeyValueStore {
  return new MemoryStore()
}

export function readJSON<T>(store: KeyValueStore, key: string, fallbackValue: T, valid: (v: unknown) => v is T): T {
  try {
    const raw = store.getItem(key)
    if (raw == null) return fallbackValue
    const parsed: unknown = JSON.parse(raw)
    return valid(parsed) ? parsed : fallbackValue
  } catch {
    return fallbackValue
  }
}

export function writeJSON(store: KeyValueStore, key: string, value: unknown): void {
  try {
    store.setItem(key, JSON.stringify(value))
  } catch {
    // Quota exceeded or storage disabled: preferences just won't persist.
  }
}
