// Start-up: restore the sign-in from the refresh token (or, offline, from the last-seen profile),
// then start the outbox. The server's words (lib/vocabulary.js) are fetched at each sign-in and
// start; a phone that has none yet waits for them (and asks again when it comes online).
import { refreshSession, api, onSignedOut } from './api'
import { refreshToken, setMe, clearSession, session } from './session'
import { startOutbox, loadOutbox, flush } from './outbox'
import { loadVocabulary, hasVocabulary } from './vocabulary'

async function loadMe() {
  const me = await api.get('/auth/me')
  setMe(me)
  // with words kept from an earlier start, don't wait for the new ones
  if (hasVocabulary()) loadVocabulary()
  else await loadVocabulary()
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
  if (!booted) {
    window.addEventListener('online', () => session.me && !hasVocabulary() && loadVocabulary())
    booted = restore().then(() => startOutbox())
  }
  return booted
}

export async function afterSignIn() {
  await loadMe()
  await loadOutbox()
  flush()
}

export { onSignedOut }
