// The outbox against a real HTTP server: oldest first, one Idempotency-Key per item kept across
// restarts and lost answers, backoff on transient errors, 412 and other refusals kept for the person.
import { describe, it, expect, afterEach, vi } from 'vitest'
import { startServer, signIn, freshApp, auth } from './server.js'

let srv
afterEach(async () => {
  vi.restoreAllMocks()
  if (srv) await srv.close()
  srv = null
})

const ok = (body = {}, headers = {}) => ({ status: 200, body, headers })
const writes = () => srv.requests.filter((r) => r.method !== 'GET' && !r.path.startsWith('/api/v1/auth/'))

describe('order', () => {
  it('sends the oldest first, one at a time, and each once', async () => {
    signIn()
    srv = await startServer((r) => auth(r) || ok({ id: 1 }))
    const { outbox } = await freshApp()
    await outbox.loadOutbox()
    const a = await outbox.enqueue({ path: '/pledges/1/notes', json: { text: 'a' } })
    const b = await outbox.enqueue({ path: '/pledges/2/notes', json: { text: 'b' } })
    const c = await outbox.enqueue({ path: '/pledges/3/notes', json: { text: 'c' } })
    await outbox.flush()
    expect(writes().map((r) => r.json.text)).toEqual(['a', 'b', 'c'])
    expect(writes().map((r) => r.headers['idempotency-key'])).toEqual([a.id, b.id, c.id])
    expect(outbox.outbox.items).toEqual([])
  })

  it('a transient failure holds back every later item (a later write may depend on it)', async () => {
    signIn()
    let down = true
    srv = await startServer((r) => auth(r) || (down ? { status: 503, body: { detail: '维护中' } } : ok()))
    const { outbox } = await freshApp()
    await outbox.loadOutbox()
    vi.spyOn(Math, 'random').mockReturnValue(0)
    await outbox.enqueue({ path: '/pledges/1/progress', json: { text: 'first' } })
    await outbox.enqueue({ path: '/pledges/1/request-close', json: {} })
    await outbox.flush()
    expect(writes().map((r) => r.path)).toEqual(['/api/v1/pledges/1/progress'])
    expect(outbox.outbox.items.map((i) => i.status)).toEqual(['pending', 'pending'])
    down = false
    await outbox.wakeUp()
    expect(writes().map((r) => r.path)).toEqual([
      '/api/v1/pledges/1/progress',
      '/api/v1/pledges/1/progress',
      '/api/v1/pledges/1/request-close',
    ])
    expect(outbox.outbox.items).toEqual([])
  })

  it('an item that refers to an earlier one is sent with the id the server gave that one', async () => {
    signIn()
    srv = await startServer((r) => auth(r) || (r.path === '/api/v1/pledges' ? { status: 201, body: { id: 42 }, headers: { etag: '"1"' } } : ok()))
    const { outbox } = await freshApp()
    await outbox.loadOutbox()
    const draft = await outbox.enqueue({ kind: 'create', path: '/pledges', json: { title: '修路' } })
    await outbox.enqueue({ path: '/pledges/{ref}/submit', ref: draft.id })
    await outbox.flush()
    const submit = srv.to('/api/v1/pledges/42/submit')
    expect(submit).toHaveLength(1)
    expect(submit[0].headers['if-match']).toBe('"1"')
  })
})

describe('idempotency keys', () => {
  it('keeps the keys and the order across a restart of the app', async () => {
    signIn()
    let down = true
    srv = await startServer((r) => auth(r) || (down ? { status: 502, body: {} } : ok({ id: 7 })))
    let app = await freshApp()
    await app.outbox.loadOutbox()
    const items = []
    for (const text of ['一', '二', '三', '四', '五']) items.push(await app.outbox.enqueue({ path: '/pledges/7/notes', json: { text }, pledgeId: 7 }))
    await app.outbox.flush()
    expect(writes()).toHaveLength(1)

    // the phone is switched off and on: everything in memory is gone, IndexedDB stays
    down = false
    app = await freshApp()
    await app.outbox.loadOutbox()
    expect(app.outbox.outbox.items.map((i) => [i.id, i.attempts])).toEqual(items.map((i, n) => [i.id, n === 0 ? 1 : 0]))
    await app.outbox.wakeUp()
    const sent = writes()
    expect(sent.map((r) => r.headers['idempotency-key'])).toEqual([items[0].id, ...items.map((i) => i.id)])
    expect(sent.map((r) => r.json.text)).toEqual(['一', '一', '二', '三', '四', '五'])
    expect(app.outbox.outbox.items).toEqual([])
  })

  it('sends the same key again when the answer was lost on the way back', async () => {
    signIn()
    let lose = true
    srv = await startServer((r) => {
      if (auth(r)) return auth(r)
      if (lose) {
        lose = false
        return 'drop' // the server did the work, the phone never heard
      }
      return ok({ id: 3 })
    })
    const { outbox } = await freshApp()
    await outbox.loadOutbox()
    const item = await outbox.enqueue({ path: '/pledges/3/notes', json: { text: 'x' } })
    await outbox.flush()
    expect(outbox.outbox.items[0].attempts).toBe(1)
    await outbox.wakeUp()
    expect(writes().map((r) => r.headers['idempotency-key'])).toEqual([item.id, item.id])
    expect(outbox.outbox.items).toEqual([])
  })

  it('keeps each account’s items to itself', async () => {
    const first = signIn()
    srv = await startServer((r) => auth(r) || { status: 503, body: {} })
    let app = await freshApp()
    await app.outbox.loadOutbox()
    await app.outbox.enqueue({ path: '/pledges/1/notes', json: { text: 'mine' } })
    signIn() // someone else signs in on the same phone
    app = await freshApp()
    expect(await app.outbox.loadOutbox()).toEqual([])
    expect(first).toBeGreaterThan(0)
  })
})

describe('backoff', () => {
  it('waits 1 s, 2 s, 4 s … (with jitter) between tries and does not send before', async () => {
    signIn()
    srv = await startServer((r) => auth(r) || { status: 503, body: {} })
    const { outbox } = await freshApp()
    await outbox.loadOutbox()
    vi.spyOn(Math, 'random').mockReturnValue(0.999)
    await outbox.enqueue({ path: '/pledges/1/notes', json: { text: 'x' } })
    const waits = []
    for (let n = 1; n <= 4; n++) {
      const before = Date.now()
      if (n === 1) await outbox.flush()
      else await outbox.wakeUp()
      const item = outbox.outbox.items[0]
      expect(item.attempts).toBe(n)
      waits.push(Math.round((item.nextAt - before) / 1000))
    }
    expect(waits).toEqual([1, 2, 4, 8])
    // a flush before the time is up sends nothing
    const count = writes().length
    await outbox.flush()
    expect(writes()).toHaveLength(count)
  })

  it('jitter: half the wait at least, so phones of one village do not retry in step', async () => {
    signIn()
    srv = await startServer((r) => auth(r) || { status: 500, body: {} })
    const { outbox } = await freshApp()
    await outbox.loadOutbox()
    vi.spyOn(Math, 'random').mockReturnValue(0)
    await outbox.enqueue({ path: '/pledges/1/notes', json: { text: 'x' } })
    const before = Date.now()
    await outbox.flush()
    const wait = outbox.outbox.items[0].nextAt - before
    expect(wait).toBeGreaterThanOrEqual(450)
    expect(wait).toBeLessThan(1000)
  })

  it('follows Retry-After on 429', async () => {
    signIn()
    srv = await startServer((r) => auth(r) || { status: 429, body: { detail: '太频繁' }, headers: { 'retry-after': '120' } })
    const { outbox } = await freshApp()
    await outbox.loadOutbox()
    await outbox.enqueue({ path: '/pledges/1/notes', json: { text: 'x' } })
    const before = Date.now()
    await outbox.flush()
    const item = outbox.outbox.items[0]
    expect(item.status).toBe('pending')
    expect(Math.round((item.nextAt - before) / 1000)).toBe(120)
  })

  it('sends at once when the browser says it is online again', async () => {
    signIn()
    let down = true
    srv = await startServer((r) => auth(r) || (down ? 'drop' : ok()))
    const { outbox } = await freshApp()
    await outbox.startOutbox()
    await outbox.enqueue({ path: '/pledges/1/notes', json: { text: 'x' } })
    await outbox.flush()
    expect(outbox.outbox.items).toHaveLength(1)
    down = false
    window.dispatchEvent(new Event('online'))
    await vi.waitFor(() => expect(outbox.outbox.items).toHaveLength(0))
  })
})

describe('refusals', () => {
  it('412: kept with the Chinese message, not retried by itself; retried on the current version', async () => {
    signIn()
    let version = 3
    srv = await startServer((r) => {
      if (auth(r)) return auth(r)
      if (r.headers['if-match'] !== `"${version}"`) return { status: 412, body: { title: 'Precondition Failed', detail: 'version mismatch', code: 'version_mismatch' } }
      version += 1
      return ok({ id: 5 }, { etag: `"${version}"` })
    })
    const { outbox } = await freshApp()
    await outbox.loadOutbox()
    const item = await outbox.enqueue({ path: '/pledges/5/approve', json: {}, ifMatch: '"2"', pledgeId: 5 })
    const waiting = outbox.waitFor(item.id)
    await outbox.flush()
    const outcome = await waiting
    expect(outcome.state).toBe('failed')
    expect(outcome.error.status).toBe(412)
    const kept = outbox.outbox.items[0]
    expect(kept.status).toBe('failed')
    expect(kept.error).toMatchObject({ status: 412, detail: '内容已被他人修改，请刷新后重试' })

    await outbox.wakeUp() // not sent again by itself
    expect(writes()).toHaveLength(1)

    await outbox.retry(item.id, { ifMatch: '"3"' }) // the person asked again, on the version now
    await outbox.flush()
    expect(writes()).toHaveLength(2)
    expect(writes()[1].headers['idempotency-key']).toBe(item.id)
    expect(outbox.outbox.items).toEqual([])
  })

  it('the next items on the same pledge get the new ETag (queued on top of each other)', async () => {
    signIn()
    let version = 1
    srv = await startServer((r) => {
      if (auth(r)) return auth(r)
      if (r.headers['if-match'] && r.headers['if-match'] !== `"${version}"`) return { status: 412, body: {} }
      version += 1
      return ok({ id: 9 }, { etag: `"${version}"` })
    })
    const { outbox } = await freshApp()
    await outbox.loadOutbox()
    await outbox.enqueue({ path: '/pledges/9/approve', json: {}, ifMatch: '"1"', pledgeId: 9 })
    await outbox.enqueue({ path: '/pledges/9/publish', json: {}, ifMatch: '"1"', pledgeId: 9 })
    await outbox.flush()
    expect(writes().map((r) => r.headers['if-match'])).toEqual(['"1"', '"2"'])
    expect(outbox.outbox.items).toEqual([])
  })

  it('422: kept with the field messages; the items after it still go', async () => {
    signIn()
    srv = await startServer((r) => {
      if (auth(r)) return auth(r)
      if (r.path === '/api/v1/pledges') return { status: 422, body: { detail: '请检查填写的内容', code: 'validation', errors: [{ field: 'body.title', message: '承诺事项不能为空' }] } }
      return ok()
    })
    const { outbox } = await freshApp()
    await outbox.loadOutbox()
    await outbox.enqueue({ kind: 'create', path: '/pledges', json: { title: '' } })
    await outbox.enqueue({ path: '/pledges/1/notes', json: { text: 'x' } })
    await outbox.flush()
    expect(outbox.outbox.items).toHaveLength(1)
    expect(outbox.outbox.items[0].error.errors[0].message).toBe('承诺事项不能为空')
    expect(srv.to('/api/v1/pledges/1/notes')).toHaveLength(1)
  })

  it('discarding an item discards what referred to it', async () => {
    signIn()
    srv = await startServer((r) => auth(r) || { status: 400, body: { detail: '不行' } })
    const { outbox } = await freshApp()
    await outbox.loadOutbox()
    const draft = await outbox.enqueue({ kind: 'create', path: '/pledges', json: { title: 't' } })
    await outbox.enqueue({ path: '/pledges/{ref}/submit', ref: draft.id })
    await outbox.flush()
    expect(outbox.outbox.items.map((i) => i.status)).toEqual(['failed', 'pending'])
    await outbox.discard(draft.id)
    expect(outbox.outbox.items).toEqual([])
    expect(await outbox.loadOutbox()).toEqual([])
  })

  it('signed out (401 with no way to refresh): the item stays untouched for the next sign-in', async () => {
    const account = signIn()
    srv = await startServer((r) => (r.path === '/api/v1/auth/refresh' ? { status: 401, body: { detail: '请重新登录' } } : ok()))
    const { outbox, session } = await freshApp()
    await outbox.loadOutbox()
    const item = await outbox.enqueue({ path: '/pledges/1/notes', json: { text: 'x' } })
    await outbox.flush()
    expect(session.isSignedIn.value).toBe(false)
    expect(writes()).toEqual([])
    signIn({ id: account }) // the same person signs in again
    const app = await freshApp()
    const kept = (await app.outbox.loadOutbox()).find((i) => i.id === item.id)
    expect(kept).toMatchObject({ status: 'pending', attempts: 0, error: null })
  })

  it('a progress report keeps its photos (Blobs in IndexedDB) and sends them as a form', async () => {
    signIn()
    let down = true
    srv = await startServer((r) => auth(r) || (down ? { status: 503, body: {} } : ok({ id: 1 })))
    let app = await freshApp()
    await app.outbox.loadOutbox()
    const photo = new Blob([new Uint8Array([0xff, 0xd8, 0xff, 1, 2, 3])], { type: 'image/jpeg' })
    await app.outbox.enqueue({
      kind: 'progress',
      path: '/pledges/1/progress',
      form: { fields: { text: '上门三户', percent: 30 }, files: [{ field: 'photos', blob: photo, name: 'p1.jpg' }] },
      pledgeId: 1,
    })
    await app.outbox.flush()
    down = false
    app = await freshApp() // restarted: the photo comes back from IndexedDB
    await app.outbox.loadOutbox()
    await app.outbox.wakeUp()
    const sent = writes().at(-1)
    expect(sent.headers['content-type']).toMatch(/^multipart\/form-data/)
    expect(sent.text).toContain('上门三户')
    expect(sent.text).toContain('filename="p1.jpg"')
    expect(app.outbox.outbox.items).toEqual([])
  })
})
