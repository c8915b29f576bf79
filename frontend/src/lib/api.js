// fetch with JSON, problem+json errors, the bearer token and one refresh on 401.
import { session, refreshToken, setTokens, clearSession } from './session'
import { newId } from './ids'

export const API = '/api/v1'

class ApiError extends Error {
  constructor(status, body = {}, { network = false, retryAfter = null } = {}) {
    super(body.detail || body.title || (network ? '网络连接失败，请检查网络后重试' : `请求失败（${status}）`))
    this.status = status
    this.network = network
    this.code = body.code || (network ? 'network' : 'http_error')
    this.detail = this.message
    this.errors = body.errors || []
    this.retryAfter = retryAfter
    this.body = body
  }
  // a field's message from a 422, for forms
  field(name) {
    const e = this.errors.find((x) => x.field === name || x.field.endsWith('.' + name))
    return e ? e.message : ''
  }
}

// transient: worth retrying later without asking the person
export function isTransient(err) {
  return (
    !!err &&
    (err.network ||
      err.status >= 500 ||
      err.status === 408 ||
      err.status === 429 ||
      err.code === 'idempotency_in_flight') // the first try is still being processed
  )
}

const listeners = new Set()
export function onSignedOut(fn) {
  listeners.add(fn)
}

let refreshing = null

async function doRefresh() {
  const token = refreshToken()
  if (!token) throw new ApiError(401, { detail: '请先登录', code: 'unauthorized' })
  const res = await rawFetch(`${API}/auth/refresh`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ refresh_token: token }),
  })
  const body = await readBody(res)
  if (!res.ok) throw errorFrom(res, body)
  setTokens(body)
  return body
}

// One refresh at a time, in this tab and (where the browser has Web Locks) across tabs: a refresh
// token used twice revokes the whole sign-in.
export function refreshSession() {
  if (!refreshing) {
    const run = navigator.locks ? () => navigator.locks.request('ln-refresh', doRefresh) : doRefresh
    refreshing = run().finally(() => {
      refreshing = null
    })
  }
  return refreshing
}

async function rawFetch(url, init, timeoutMs = 30000) {
  const ctrl = typeof AbortController !== 'undefined' ? new AbortController() : null
  const timer = ctrl ? setTimeout(() => ctrl.abort(), timeoutMs) : null
  try {
    return await fetch(url, { ...init, signal: ctrl?.signal, credentials: 'same-origin', cache: 'no-store' })
  } catch {
    throw new ApiError(0, {}, { network: true })
  } finally {
    if (timer) clearTimeout(timer)
  }
}

async function readBody(res) {
  if (res.status === 204) return null
  const type = res.headers.get('content-type') || ''
  if (type.includes('json')) {
    try {
      return await res.json()
    } catch {
      return null
    }
  }
  return await res.text()
}

function errorFrom(res, body) {
  const retry = Number(res.headers.get('retry-after')) || null
  const b = body && typeof body === 'object' ? body : {}
  if (res.status === 412 && !b.detail) b.detail = '内容已被他人修改，请刷新后重试'
  return new ApiError(res.status, b, { retryAfter: retry })
}

/**
 * request(path, { method, json, form, ifMatch, idempotencyKey, auth, timeout })
 * → { data, etag, status }. Throws ApiError (network errors have `network: true`).
 */
export async function request(path, opts = {}) {
  const { method = 'GET', json, form, ifMatch, idempotencyKey, auth = true, timeout } = opts
  const url = path.startsWith('/api/') ? path : API + path
  const build = () => {
    const headers = { Accept: 'application/json' }
    let body
    if (json !== undefined) {
      headers['Content-Type'] = 'application/json'
      body = JSON.stringify(json)
    } else if (form) {
      body = form // FormData or URLSearchParams: the browser sets the content type
    }
    if (auth && session.accessToken) headers.Authorization = `Bearer ${session.accessToken}`
    if (ifMatch) headers['If-Match'] = ifMatch
    if (method !== 'GET' && method !== 'HEAD') headers['Idempotency-Key'] = idempotencyKey || newId()
    return { method, headers, body }
  }
  const limit = timeout || (form instanceof FormData ? 180000 : 30000)
  if (auth && !session.accessToken && refreshToken()) await refreshSession().catch(signOutOn401)
  let res = await rawFetch(url, build(), limit)
  if (res.status === 401 && auth && refreshToken()) {
    await refreshSession().catch(signOutOn401)
    res = await rawFetch(url, build(), limit)
  }
  const data = await readBody(res)
  if (!res.ok) {
    const err = errorFrom(res, data)
    if (res.status === 401 && auth) signOutOn401(err)
    throw err
  }
  return { data, etag: res.headers.get('etag'), status: res.status }
}

function signOutOn401(err) {
  if (err && err.status === 401) {
    clearSession()
    listeners.forEach((fn) => fn(err))
  }
  throw err
}

export const api = {
  get: (path, opts) => request(path, opts).then((r) => r.data),
  post: (path, json, opts = {}) => request(path, { ...opts, method: 'POST', json }).then((r) => r.data),
}

export function qs(params) {
  const p = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '' && v !== false) p.set(k, String(v))
  }
  const s = p.toString()
  return s ? `?${s}` : ''
}

/** An image that needs the bearer token, as an object URL (null when it can't be had). */
export async function authedImage(url) {
  try {
    if (!session.accessToken && refreshToken()) await refreshSession()
    const res = await rawFetch(url, { headers: { Authorization: `Bearer ${session.accessToken}` } })
    if (!res.ok) return null
    return URL.createObjectURL(await res.blob())
  } catch {
    return null
  }
}
