// IndexedDB through idb-keyval: one database per store name (idb-keyval's createStore opens
// one object store per database). Falls back to memory where IndexedDB is unavailable
// (some private modes), so the app still works online.
import { createStore, get, set, del, entries, delMany } from 'idb-keyval'

function memoryStore() {
  const m = new Map()
  return {
    get: async (k) => m.get(k),
    set: async (k, v) => void m.set(k, v),
    del: async (k) => void m.delete(k),
    entries: async () => [...m.entries()],
    delMany: async (ks) => ks.forEach((k) => m.delete(k)),
  }
}

export function openStore(name) {
  let store
  try {
    if (typeof indexedDB === 'undefined') return memoryStore()
    store = createStore(`liangnuo-${name}`, name)
  } catch {
    return memoryStore()
  }
  return {
    get: (k) => get(k, store),
    set: (k, v) => set(k, v, store),
    del: (k) => del(k, store),
    entries: () => entries(store),
    delMany: (ks) => delMany(ks, store),
  }
}
