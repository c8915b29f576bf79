// Start-up: restore the sign-in from the refresh token (or, offline, from the last-seen profile),
// then start the outbox.
import { ref } from 'vue'
import { refreshSession, api, onSignedOut } from './api'
import { session, refreshToken, setMe, clearSession } from './session'
import { startOutbox, loadOutbox, flush } from './outbox'

export const offlineStart = ref(false)

export async function loadMe() {
  const me = await api.get('/auth/me')
  setMe(me)
  return me
}

export async function restore() {
  if (!refreshToken()) {
    if (session.me) clearSession()
    return
  }
  try {
    await refreshSession()
    await loadMe()
  } catch (err) {
    if (err.network || err.status >= 500) {
      offlineStart.value = true // keep the cached profile: lists come from the cache
    } else if (err.status === 401) {
      clearSession()
    }
  }
}

let booted = null
export function boot() {
  if (!booted) booted = restore().then(() => startOutbox())
  return booted
}

export async function afterSignIn() {
  await loadMe()
  await loadOutbox()
  flush()
}

export { onSignedOut }
