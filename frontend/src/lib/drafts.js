// Autosave of what is being typed, per account, in IndexedDB (photos included), so a closed tab,
// a dead battery or a lost connection never costs the person their text.
import { watch } from 'vue'
import { openStore, plain } from './store'
import { accountId } from './session'

const store = openStore('drafts')
const key = (name) => `${accountId.value}:${name}`

export const loadDraft = (name) => store.get(key(name)).catch(() => null)
const saveDraft = (name, value) => store.set(key(name), { ...plain(value), savedAt: Date.now() }).catch(() => {})
export const dropDraft = (name) => store.del(key(name)).catch(() => {})

/** Save `source()` under `name` shortly after every change. Returns stop(keep = true). */
export function autosave(name, source, delay = 300) {
  let t = null
  let last = null
  const stop = watch(
    source,
    (value) => {
      last = value
      clearTimeout(t)
      t = setTimeout(() => saveDraft(name, value), delay)
    },
    { deep: true },
  )
  const flushNow = () => {
    clearTimeout(t)
    if (last) saveDraft(name, last)
  }
  // the page may be hidden for good (WeChat closed): save what is typed right away
  const onHide = () => document.visibilityState === 'hidden' && flushNow()
  document.addEventListener('visibilitychange', onHide)
  window.addEventListener('pagehide', flushNow)
  // stop(false) after the draft was handed to the outbox: don't write it back
  return (keep = true) => {
    if (keep) flushNow()
    else clearTimeout(t)
    stop()
    document.removeEventListener('visibilitychange', onHide)
    window.removeEventListener('pagehide', flushNow)
  }
}

/**
 * Read the draft `name` back into a form and start autosaving it: `source()` is what is saved,
 * `apply(saved)` puts a saved draft into the form and says whether it held anything. Call it before
 * the form waits on the network. What the person typed while the draft was being read wins over the
 * draft and is saved at once. Returns { restored, stop }.
 */
export async function resumeDraft(name, source, apply, delay = 300) {
  const before = JSON.stringify(source())
  const saved = await loadDraft(name)
  const typed = JSON.stringify(source()) !== before
  const restored = !!saved && !typed && !!apply(saved)
  const stop = autosave(name, source, delay)
  if (typed) await saveDraft(name, source())
  return { restored, stop }
}
