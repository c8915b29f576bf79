// The API client against a real HTTP server: headers, problem+json errors, one refresh on 401.
import { describe, it, expect, afterEach } from 'vitest'
import { startServer, signIn, freshApp, auth } from './server.js'

let srv
afterEach(async () => {
  if (srv) await srv.close()
  srv = null
})

describe('request', () => {
  it('sends the bearer token, reads JSON and the ETag', async () => {
    signIn()
    srv = await startServer((r) => auth(r) || { body: { id: 1, title: '修路' }, headers: { etag: '"4"' } })
    const { api, session } = await freshApp()
    const res = await api.request('/pledges/1')
    expect(res).toEqual({ data: { id: 1, title: '修路' }, etag: '"4"', status: 200 })
    const [get] = srv.to('/api/v1/pledges/1')
    expect(get.headers.authorization).toBe(`Bearer ${session.session.accessToken}`)
    expect(get.headers['idempotency-key']).toBeUndefined()
  })

  it('every write has an Idempotency-Key (the given one, else a fresh one) and If-Match when given', async () => {
    signIn()
    srv = await startServer((r) => auth(r) || { status: 201, body: { ok: true } })
    const { api } = await freshApp()
    await api.request('/pledges/1/approve', { method: 'POST', json: {}, ifMatch: '"2"', idempotencyKey: 'key-1' })
    await api.request('/pledges/1/notes', { method: 'POST', json: { text: 'a' } })
    await api.request('/pledges/1/notes', { method: 'POST', json: { text: 'b' } })
    const [approve] = srv.to('/api/v1/pledges/1/approve')
    expect(approve.headers['idempotency-key']).toBe('key-1')
    expect(approve.headers['if-match']).toBe('"2"')
    expect(approve.headers['content-type']).toBe('application/json')
    const keys = srv.to('/api/v1/pledges/1/notes').map((r) => r.headers['idempotency-key'])
    expect(keys[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(keys[0]).not.toBe(keys[1])
  })

  it('a problem+json answer becomes an ApiError with the Chinese message, code and field messages', async () => {
    signIn()
    srv = await startServer(
      (r) =>
        auth(r) || {
          status: 422,
          body: { title: '请求有误', detail: '请检查填写的内容', code: 'validation_error', errors: [{ field: 'body.due_date', message: '完成期限不能早于今天' }] },
        },
    )
    const { api } = await freshApp()
    const err = await api.request('/pledges', { method: 'POST', json: {} }).catch((e) => e)
    expect(err).toMatchObject({ status: 422, code: 'validation_error', detail: '请检查填写的内容', network: false })
    expect(err.field('due_date')).toBe('完成期限不能早于今天')
    expect(err.field('title')).toBe('')
    expect(api.isTransient(err)).toBe(false)
  })

  it('412 without a detail says so in Chinese', async () => {
    signIn()
    srv = await startServer((r) => auth(r) || { status: 412, body: {} })
    const { api } = await freshApp()
    const err = await api.request('/pledges/1/publish', { method: 'POST', json: {} }).catch((e) => e)
    expect(err.status).toBe(412)
    expect(err.detail).toBe('内容已被他人修改，请刷新后重试')
  })

  it('what is worth retrying: network errors, 5xx, 408, 429 (with Retry-After), a key still in flight', async () => {
    signIn()
    const answers = {
      '/api/v1/a': { status: 503, body: {} },
      '/api/v1/b': { status: 429, body: { detail: '请稍后再试' }, headers: { 'retry-after': '30' } },
      '/api/v1/c': { status: 409, body: { code: 'idempotency_in_flight', detail: '正在处理' } },
      '/api/v1/d': { status: 409, body: { code: 'pledge_wrong_state', detail: '状态不对' } },
      '/api/v1/e': 'drop',
    }
    srv = await startServer((r) => auth(r) || answers[r.path])
    const { api } = await freshApp()
    const errs = {}
    for (const p of Object.keys(answers)) errs[p.slice(-1)] = await api.request(p.slice(7)).catch((e) => e)
    expect(Object.fromEntries(Object.entries(errs).map(([k, e]) => [k, api.isTransient(e)]))).toEqual({ a: true, b: true, c: true, d: false, e: true })
    expect(errs.b.retryAfter).toBe(30)
    expect(errs.e).toMatchObject({ network: true, code: 'network', detail: '网络连接失败，请检查网络后重试' })
  })

  it('a server that is down is a network error', async () => {
    signIn()
    srv = await startServer((r) => auth(r) || { body: {} })
    const { api } = await freshApp()
    await api.request('/ping')
    await srv.close()
    srv = null
    const err = await api.request('/ping').catch((e) => e)
    expect(err.network).toBe(true)
  })
})

describe('sign-in', () => {
  it('401: refreshes once (rotating the refresh token) and repeats the request', async () => {
    signIn()
    let valid = null
    srv = await startServer((r) => {
      const a = auth(r)
      if (a) {
        valid = `Bearer ${a.body.access_token}`
        return a
      }
      return r.headers.authorization === valid ? { body: { ok: 1 } } : { status: 401, body: { detail: '登录已过期' } }
    })
    const { api, session } = await freshApp()
    session.session.accessToken = 'expired'
    const before = localStorage.getItem('ln.refresh')
    const { data } = await api.request('/auth/me')
    expect(data).toEqual({ ok: 1 })
    expect(srv.to('/api/v1/auth/refresh')).toHaveLength(1)
    expect(localStorage.getItem('ln.refresh')).toBe(`${before}+`)
    expect(srv.to('/api/v1/auth/me')).toHaveLength(2)
  })

  it('requests at the same time share one refresh (a refresh token used twice revokes the sign-in)', async () => {
    signIn()
    srv = await startServer((r) => auth(r) || { body: { path: r.path } })
    const { api } = await freshApp()
    const answers = await Promise.all(['/a', '/b', '/c'].map((p) => api.api.get(p)))
    expect(answers.map((a) => a.path)).toEqual(['/api/v1/a', '/api/v1/b', '/api/v1/c'])
    expect(srv.to('/api/v1/auth/refresh')).toHaveLength(1)
  })

  it('a refresh the server refuses signs out and tells the app', async () => {
    signIn()
    srv = await startServer((r) => (r.path === '/api/v1/auth/refresh' ? { status: 401, body: { detail: '请重新登录' } } : { body: {} }))
    const { api, session } = await freshApp()
    const told = []
    api.onSignedOut((e) => told.push(e.status))
    const err = await api.request('/auth/me').catch((e) => e)
    expect(err.status).toBe(401)
    expect(told).toEqual([401])
    expect(session.isSignedIn.value).toBe(false)
    expect(localStorage.getItem('ln.refresh')).toBeNull()
  })

  it('auth: false sends no token and does not refresh (the sign-in form)', async () => {
    signIn()
    srv = await startServer((r) => auth(r) || { body: { access_token: 'a', refresh_token: 'r' } })
    const { api } = await freshApp()
    const form = new URLSearchParams({ username: '13800000000', password: 'pw' })
    await api.request('/auth/token', { method: 'POST', form, auth: false })
    const [token] = srv.to('/api/v1/auth/token')
    expect(token.headers.authorization).toBeUndefined()
    expect(token.text).toBe('username=13800000000&password=pw')
    expect(srv.to('/api/v1/auth/refresh')).toHaveLength(0)
  })
})

describe('qs', () => {
  it('leaves out empty values', async () => {
    const { api } = await freshApp()
    expect(api.qs({ q: '修路', page: 2, mine: false, status: '', unit: null, size: undefined })).toBe('?q=%E4%BF%AE%E8%B7%AF&page=2')
    expect(api.qs({ q: '' })).toBe('')
  })
})
