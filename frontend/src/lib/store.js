// IndexedDB through idb-keyval: one database per store name (idb-keyval's createStore opens
// one object store per database). Falls back to memory where IndexedDB is unavailable
// (some private modes), so the app still works online.
import { toRaw } from 'vue'
import { createStore, get, set, del, entries, delMany } from 'idb-keyval'

// reactive proxies can't be cloned into IndexedDB; Blobs can (and must stay Blobs)
export function plain(v) {
  v = toRaw(v)
  if (Array.isArray(v)) return v.map(plain)
  if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    const out = {} // (no Object.fromEntries: older WeChat WebViews lack it)
    for (const k of Object.keys(v)) out[k] = plain(v[k])
    return out
  }
  return v
}

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
  if (typeof indexedDB === 'undefined') return memoryStore()
  // opened on first use, not at import: a first visit to the sign-in page opens no database and
  // the shell's first task stays short (Lighthouse's blocking time)
  let idb = null
  let fallback = null
  const memory = () => {
    if (!idb && !fallback) {
      try {
        idb = createStore(`liangnuo-${name}`, name)
      } catch {
        fallback = memoryStore()
      }
    }
    return fallback
  }
  return {
    get: (k) => memory()?.get(k) ?? get(k, idb),
    set: (k, v) => memory()?.set(k, v) ?? set(k, plain(v), idb),
    del: (k) => memory()?.del(k) ?? del(k, idb),
    entries: () => memory()?.entries() ?? entries(idb),
    delMany: (ks) => memory()?.delMany(ks) ?? delMany(ks, idb),
  }
}
