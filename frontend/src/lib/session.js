// Who is signed in. The access token lives in memory only; the refresh token (rotated on every
// use) and the last-seen profile (for offline start) live in localStorage.
import { reactive, computed } from 'vue'

const REFRESH = 'ln.refresh'
const ME = 'ln.me'
const PENDING = 'ln.pending' // sessionStorage: this tab only, gone when it closes

function readPending() {
  try {
    return sessionStorage.getItem(PENDING)
  } catch {
    return null
  }
}

function readJSON(key) {
  try {
    return JSON.parse(localStorage.getItem(key) || 'null')
  } catch {
    return null
  }
}

const cachedMe = readJSON(ME)
export const session = reactive({
  accessToken: null,
  me: cachedMe, // { account, member, grants } from GET /auth/me
  mustChangePassword: !!cachedMe?.account?.must_change_password,
  // the one-time password typed at sign-in, kept while a forced change is pending: in this tab's
  // sessionStorage too, so a reload of 修改密码 does not ask for it again (it is void once changed)
  pendingPassword: readPending(),
})

export function setPendingPassword(password) {
  session.pendingPassword = password || null
  try {
    if (password) sessionStorage.setItem(PENDING, password)
    else sessionStorage.removeItem(PENDING)
  } catch {
    /* private mode: memory only */
  }
}

export function refreshToken() {
  return localStorage.getItem(REFRESH)
}

export function setTokens(pair) {
  session.accessToken = pair.access_token
  session.mustChangePassword = !!pair.must_change_password
  localStorage.setItem(REFRESH, pair.refresh_token)
}

export function setMe(me) {
  session.me = me
  session.mustChangePassword = !!me?.account?.must_change_password
  localStorage.setItem(ME, JSON.stringify(me))
}

export function clearSession() {
  session.accessToken = null
  session.me = null
  session.mustChangePassword = false
  setPendingPassword(null)
  localStorage.removeItem(REFRESH)
  localStorage.removeItem(ME)
}

export const isSignedIn = computed(() => !!(session.me && refreshToken()))
export const accountId = computed(() => session.me?.account?.id ?? null)

function grantsOf(role) {
  return (session.me?.grants || []).filter((g) => g.role === role && !g.revoked_at)
}

export const roles = computed(() => {
  const grants = session.me?.grants || []
  return {
    secretary: grantsOf('secretary'),
    groupLeader: grantsOf('group_leader'),
    supervisor: grantsOf('supervisor'),
    admin: grantsOf('committee_admin'),
    any: grants.length > 0,
  }
})

export const isSecretary = computed(() => roles.value.secretary.length > 0 || roles.value.admin.length > 0)

export const ROLE_LABELS = {
  member: '党员',
  group_leader: '党小组长',
  secretary: '支部书记',
  supervisor: '监督小组成员',
  committee_admin: '党委管理员',
}
