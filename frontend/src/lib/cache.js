// The last-seen answer of every list and page, per account, for reading offline.
import { ref, watch, isRef, computed } from 'vue'
import { request } from './api'
import { accountId } from './session'
import { openStore } from './store'

const store = openStore('cache')
const key = (path) => `${accountId.value}:${path}`

export async function cachedGet(path) {
  try {
    const res = await request(path)
    store.set(key(path), { data: res.data, etag: res.etag, at: Date.now() }).catch(() => {})
    return { data: res.data, etag: res.etag, stale: false }
  } catch (err) {
    if (!err.network) throw err
    const hit = await store.get(key(path)).catch(() => null)
    if (!hit) throw err
    return { data: hit.data, etag: hit.etag, stale: true, at: hit.at }
  }
}

async function readCached(path) {
  return store.get(key(path)).catch(() => null)
}

export async function clearCache() {
  const all = await store.entries().catch(() => [])
  await store.delMany(all.map(([k]) => k)).catch(() => {})
}

/**
 * useResource(() => path): { data, etag, loading, error, stale, staleAt, settling, reload }.
 * Shows the cached copy at once when there is one, then the network answer; `settling` is true while
 * the cached copy shows and the network has not answered yet (actions wait for it).
 */
export function useResource(pathFn, { immediate = true } = {}) {
  const data = ref(null)
  const etag = ref(null)
  const loading = ref(false)
  const error = ref(null)
  const stale = ref(false)
  const staleAt = ref(null)
  let seq = 0

  async function reload() {
    const path = typeof pathFn === 'function' ? pathFn() : isRef(pathFn) ? pathFn.value : pathFn
    if (!path) return
    const mine = ++seq
    loading.value = true
    error.value = null
    if (data.value === null) {
      const early = await readCached(path)
      if (mine === seq && early && data.value === null) {
        // the version seen goes with the copy shown: an action taken on it names that version (412 if it moved on)
        data.value = early.data
        etag.value = early.etag
        stale.value = true
      }
    }
    try {
      const res = await cachedGet(path)
      if (mine !== seq) return
      data.value = res.data
      etag.value = res.etag
      stale.value = res.stale
      staleAt.value = res.at || null
    } catch (err) {
      if (mine !== seq) return
      error.value = err
    } finally {
      if (mine === seq) loading.value = false
    }
  }

  const settling = computed(() => loading.value && stale.value)
  if (typeof pathFn === 'function') watch(pathFn, () => reload())
  if (immediate) reload()
  return { data, etag, loading, error, stale, staleAt, settling, reload }
}
