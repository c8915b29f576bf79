// What a phone's browser gives the app and Node does not: IndexedDB (fake-indexeddb, in memory),
// localStorage, window/document events, navigator, and a location that relative API paths
// ("/api/v1/…") are resolved against — the test's own HTTP server (server.js sets it).
import 'fake-indexeddb/auto'

class MemoryStorage {
  #m = new Map()
  get length() {
    return this.#m.size
  }
  key(i) {
    return [...this.#m.keys()][i] ?? null
  }
  getItem(k) {
    return this.#m.has(k) ? this.#m.get(k) : null
  }
  setItem(k, v) {
    this.#m.set(k, String(v))
  }
  removeItem(k) {
    this.#m.delete(k)
  }
  clear() {
    this.#m.clear()
  }
}

const events = new EventTarget()
Object.assign(globalThis, {
  localStorage: new MemoryStorage(),
  sessionStorage: new MemoryStorage(),
  location: { href: 'http://127.0.0.1:9/', origin: 'http://127.0.0.1:9' },
  addEventListener: events.addEventListener.bind(events),
  removeEventListener: events.removeEventListener.bind(events),
  dispatchEvent: events.dispatchEvent.bind(events),
  // (Vue's DOM runtime makes one element when it loads; nothing here renders)
  document: Object.assign(new EventTarget(), { visibilityState: 'visible', createElement: () => ({ style: {} }) }),
})
globalThis.window = globalThis
Object.defineProperty(globalThis, 'navigator', { value: { onLine: true, userAgent: 'node' }, configurable: true })

const realFetch = globalThis.fetch
globalThis.fetch = (url, init) => realFetch(new URL(String(url), globalThis.location.href), init)
