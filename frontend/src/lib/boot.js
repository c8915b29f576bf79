// Start-up: restore the sign-in from the refresh token (or, offline, from the last-seen profile),
// then start the outbox. The server's vocabulary is fetched once per sign-in and per start.
import { refreshSession, api, onSignedOut } from './api'
import { refreshToken, setMe, clearSession, session } from './session'
import { startOutbox, loadOutbox, flush } from './outbox'
import { loadVocabulary } from './vocabulary'

async function loadMe() {
  const me = await api.get('/auth/me')
  setMe(me)
  loadVocabulary() // not awaited: the words kept on the phone serve until it answers
  return me
}

async function restore() {
  if (!refreshToken()) {
    if (session.me) clearSession()
    return
  }
  try {
    await refreshSession()
    await loadMe()
  } catch (err) {
    // offline or the server is down: keep the cached profile, lists come from the cache
    if (err.status === 401) clearSession()
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
