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
