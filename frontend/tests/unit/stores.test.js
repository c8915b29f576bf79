// The phone's stores: IndexedDB through store.js, the session, the read cache (per account,
// offline copies) and the drafts typed into a form.
import { describe, it, expect, afterEach } from 'vitest'
import { reactive, nextTick } from 'vue'
import { startServer, signIn, freshApp, auth } from './server.js'

let srv
afterEach(async () => {
  if (srv) await srv.close()
  srv = null
})

describe('store', () => {
  it('keeps plain copies of reactive values in IndexedDB, Blobs as Blobs', async () => {
    const { openStore, plain } = await import('../../src/lib/store.js')
    const store = openStore('unit-test')
    const value = reactive({ title: '修路', tags: ['a', { b: 1 }], photo: new Blob(['jpeg'], { type: 'image/jpeg' }) })
    await store.set('k', value)
    const back = await store.get('k')
    expect(back.title).toBe('修路')
    expect(back.tags).toEqual(['a', { b: 1 }])
    expect(back.photo).toBeInstanceOf(Blob)
    expect(await back.photo.text()).toBe('jpeg')
    expect((await store.entries()).map(([k]) => k)).toEqual(['k'])
    await store.delMany(['k'])
    expect(await store.get('k')).toBeUndefined()
    expect(plain(reactive({ a: [1] }))).toEqual({ a: [1] })
  })

  it('one store per name, so clearing the read cache leaves the outbox alone', async () => {
    const { openStore } = await import('../../src/lib/store.js')
    const a = openStore('unit-a')
    const b = openStore('unit-b')
    await a.set('x', 1)
    await b.set('x', 2)
    await a.del('x')
    expect(await b.get('x')).toBe(2)
  })
})

describe('session', () => {
  it('keeps the refresh token and the profile, never the access token, in localStorage', async () => {
    localStorage.clear()
    const { session } = await freshApp()
    session.setTokens({ access_token: 'acc', refresh_token: 'ref', must_change_password: true })
    session.setMe({ account: { id: 5, must_change_password: false }, member: { id: 9 }, grants: [{ role: 'secretary', unit_id: 3 }] })
    expect(localStorage.getItem('ln.refresh')).toBe('ref')
    expect(JSON.stringify({ ...localStorage })).not.toContain('acc')
    expect(session.accountId.value).toBe(5)
    expect(session.isSignedIn.value).toBe(true)
    expect(session.isSecretary.value).toBe(true)
    expect(session.session.mustChangePassword).toBe(false)

    const again = await freshApp() // the app restarts: profile back from localStorage, no access token
    expect(again.session.session.accessToken).toBeNull()
    expect(again.session.accountId.value).toBe(5)
    again.session.clearSession()
    expect(again.session.isSignedIn.value).toBe(false)
    expect(localStorage.getItem('ln.me')).toBeNull()
  })

  it('a revoked grant gives no role', async () => {
    signIn({ grants: [{ role: 'secretary', unit_id: 3, revoked_at: '2026-01-01T00:00:00Z' }, { role: 'supervisor', unit_id: 3 }] })
    const { session } = await freshApp()
    expect(session.isSecretary.value).toBe(false)
    expect(session.roles.value.supervisor).toHaveLength(1)
  })
})

describe('read cache', () => {
  it('shows the last answer offline, marked stale, to the same account only', async () => {
    const account = signIn()
    srv = await startServer((r) => auth(r) || { body: { items: [{ id: 1 }] }, headers: { etag: '"1"' } })
    await freshApp()
    let cache = await import('../../src/lib/cache.js')
    expect(await cache.cachedGet('/pledges?mine=true')).toMatchObject({ data: { items: [{ id: 1 }] }, etag: '"1"', stale: false })
    await srv.close()
    srv = null
    const offline = await cache.cachedGet('/pledges?mine=true')
    expect(offline).toMatchObject({ data: { items: [{ id: 1 }] }, stale: true })
    expect(offline.at).toBeGreaterThan(0)
    // never read before: the network error itself
    await expect(cache.cachedGet('/pledges?mine=false')).rejects.toMatchObject({ network: true })

    signIn() // another account on the same phone sees nothing of it
    const app = await freshApp()
    cache = await import('../../src/lib/cache.js')
    await expect(cache.cachedGet('/pledges?mine=true')).rejects.toMatchObject({ network: true })
    expect(app.session.accountId.value).not.toBe(account)
  })

  it('an error answer is not hidden behind the cached copy', async () => {
    signIn()
    let fail = false
    srv = await startServer((r) => auth(r) || (fail ? { status: 404, body: { detail: '承诺不存在' } } : { body: { id: 2 } }))
    await freshApp()
    const cache = await import('../../src/lib/cache.js')
    await cache.cachedGet('/pledges/2')
    fail = true
    await expect(cache.cachedGet('/pledges/2')).rejects.toMatchObject({ status: 404, detail: '承诺不存在' })
  })

  it('useResource: the cached copy at once, then the network answer', async () => {
    signIn()
    let n = 0
    srv = await startServer((r) => auth(r) || { body: { n: ++n } })
    await freshApp()
    const cache = await import('../../src/lib/cache.js')
    await cache.cachedGet('/counts')
    const res = cache.useResource(() => '/counts', { immediate: false })
    const loading = res.reload()
    await new Promise((resolve) => setTimeout(resolve, 0))
    await loading
    expect(res.data.value).toEqual({ n: 2 })
    expect(res.stale.value).toBe(false)
    await cache.clearCache()
    await srv.close()
    srv = null
    const gone = cache.useResource(() => '/counts', { immediate: false })
    await gone.reload()
    expect(gone.data.value).toBeNull()
    expect(gone.error.value.network).toBe(true)
  })

  it('useResource: the cached copy carries its own version, and actions wait (settling) until the network answers', async () => {
    signIn()
    let n = 0
    let release = null
    srv = await startServer(async (r) => {
      const denied = auth(r)
      if (denied) return denied
      n += 1
      if (n === 2) await new Promise((resolve) => (release = resolve))
      return { body: { n }, headers: { etag: `"${n}"` } }
    })
    await freshApp()
    const cache = await import('../../src/lib/cache.js')
    await cache.cachedGet('/periods/1')
    const res = cache.useResource(() => '/periods/1', { immediate: false })
    const loading = res.reload()
    while (!release) await new Promise((resolve) => setTimeout(resolve, 5))
    expect(res.data.value).toEqual({ n: 1 })
    expect(res.etag.value).toBe('"1"') // never a copy without its version: an action on it would go without If-Match
    expect(res.settling.value).toBe(true)
    release()
    await loading
    expect(res.data.value).toEqual({ n: 2 })
    expect(res.etag.value).toBe('"2"')
    expect(res.settling.value).toBe(false)
  })
})

describe('drafts', () => {
  it('saves what is typed shortly after each change, per account, and stop(false) keeps it from coming back', async () => {
    signIn()
    await freshApp()
    const drafts = await import('../../src/lib/drafts.js')
    const form = reactive({ title: '', content: '' })
    const stop = drafts.autosave('pledge-new', () => ({ ...form }), 10)
    form.title = '为独居老人'
    await nextTick()
    await new Promise((resolve) => setTimeout(resolve, 60))
    expect(await drafts.loadDraft('pledge-new')).toMatchObject({ title: '为独居老人', content: '' })
    form.title = '为独居老人送饭'
    await nextTick()
    stop(false) // handed to the outbox: the pending save is dropped
    await new Promise((resolve) => setTimeout(resolve, 60))
    expect((await drafts.loadDraft('pledge-new')).title).toBe('为独居老人')
    await drafts.dropDraft('pledge-new')
    expect(await drafts.loadDraft('pledge-new')).toBeUndefined()
  })

  it('resumeDraft restores a saved draft, and what is typed while it is read wins and is saved at once', async () => {
    signIn()
    await freshApp()
    const drafts = await import('../../src/lib/drafts.js')
    const form = reactive({ title: '', content: '' })
    const fill = (saved) => Object.assign(form, { title: saved.title, content: saved.content }) && !!saved.title
    const source = () => ({ ...form })
    const none = await drafts.resumeDraft('pledge-r', source, fill, 10)
    expect(none.restored).toBe(false)
    form.title = '修水渠'
    await nextTick()
    await new Promise((resolve) => setTimeout(resolve, 60))
    none.stop(false)
    form.title = ''
    const back = await drafts.resumeDraft('pledge-r', source, fill, 10)
    expect(back.restored).toBe(true)
    expect(form.title).toBe('修水渠')
    back.stop(false)

    const resuming = drafts.resumeDraft('pledge-r', source, fill, 10000)
    form.title = '修水渠和村道' // typed before the draft came back from IndexedDB
    const typed = await resuming
    expect(typed.restored).toBe(false)
    expect(form.title).toBe('修水渠和村道')
    expect((await drafts.loadDraft('pledge-r')).title).toBe('修水渠和村道') // saved without waiting for a change
    typed.stop(false)
    await drafts.dropDraft('pledge-r')
  })

  it('the page being hidden saves at once', async () => {
    signIn()
    await freshApp()
    const drafts = await import('../../src/lib/drafts.js')
    const form = reactive({ text: '' })
    const stop = drafts.autosave('progress-1', () => ({ ...form }), 10000)
    form.text = '修好了水管'
    await nextTick()
    window.dispatchEvent(new Event('pagehide'))
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect((await drafts.loadDraft('progress-1')).text).toBe('修好了水管')
    stop(false)
  })
})
