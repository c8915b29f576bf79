// The outbox: every write (new draft, progress with photos, pledge actions, notes) is stored in
// IndexedDB first (photos as Blobs) and sent from here, oldest first, each with its own
// Idempotency-Key, so nothing typed is lost on a village network and nothing is applied twice.
//
// - network error, 5xx, 408, 429: kept and retried with backoff (and at once when the browser
//   says it is online again);
// - any other 4xx: never retried by itself; kept with the Chinese error so the person can fix,
//   retry or discard it;
// - an item may refer to an earlier one ("{ref}" in its path: submit a draft created offline);
// - when one item changes a pledge, the next queued items on that pledge that were based on the
//   same version get the new ETag (they were queued on top of each other by the same person).
import { reactive, computed } from 'vue'
import { request, isTransient } from './api'
import { accountId, refreshToken, session } from './session'
import { openStore } from './store'
import { newId } from './ids'

const store = openStore('outbox')

export const outbox = reactive({
  items: [], // this account's items, oldest first
  sendingId: null,
  loaded: false,
})

export const pendingCount = computed(() => outbox.items.length)
export const failedCount = computed(() => outbox.items.filter((i) => i.status === 'failed').length)

const sentListeners = new Set()
export function onSent(fn) {
  sentListeners.add(fn)
  return () => sentListeners.delete(fn)
}

const waiters = new Map() // item id → [resolve]

function settle(id, outcome) {
  const list = waiters.get(id) || []
  waiters.delete(id)
  list.forEach((resolve) => resolve(outcome))
}

export async function loadOutbox() {
  const acc = accountId.value
  const all = (await store.entries().catch(() => [])).map(([, v]) => v)
  outbox.items = all.filter((i) => i.accountId === acc).sort((a, b) => a.seq - b.seq)
  outbox.loaded = true
  return outbox.items
}

async function save(item) {
  await store.set(item.id, item)
  const i = outbox.items.findIndex((x) => x.id === item.id)
  if (i >= 0) outbox.items.splice(i, 1, item)
  else outbox.items.push(item)
}

async function remove(id) {
  await store.del(id)
  const i = outbox.items.findIndex((x) => x.id === id)
  if (i >= 0) outbox.items.splice(i, 1)
}

let lastSeq = 0
/**
 * enqueue({ kind, label, path, method, json, form: { fields, files: [{ field, blob, name }] },
 *           ifMatch, pledgeId, ref }) → the stored item. Starts sending at once.
 */
export async function enqueue(op) {
  const seq = Math.max(Date.now(), lastSeq + 1)
  lastSeq = seq
  const item = {
    id: newId(), // doubles as the Idempotency-Key
    accountId: accountId.value,
    seq,
    createdAt: new Date().toISOString(),
    kind: op.kind || 'action',
    label: op.label || '操作',
    method: op.method || 'POST',
    path: op.path,
    json: op.json,
    form: op.form,
    ifMatch: op.ifMatch || null,
    pledgeId: op.pledgeId || null,
    ref: op.ref || null,
    meta: op.meta || null,
    status: 'pending',
    attempts: 0,
    nextAt: 0,
    error: null,
  }
  await save(item)
  flush()
  return item
}

/** Wait until the item is sent or fails for good; 'queued' when it is still waiting after `ms`. */
export function waitFor(id, ms = 15000) {
  return new Promise((resolve) => {
    const list = waiters.get(id) || []
    list.push(resolve)
    waiters.set(id, list)
    setTimeout(() => resolve({ state: 'queued' }), ms)
  })
}

export async function discard(id) {
  await remove(id)
  // items that referred to it can never be sent: they are discarded too
  for (const dep of outbox.items.filter((i) => i.ref === id)) await discard(dep.id)
}

export async function retry(id, patch = {}) {
  const item = outbox.items.find((i) => i.id === id)
  if (!item) return
  await save({ ...item, ...patch, status: 'pending', attempts: 0, nextAt: 0, error: null })
  flush()
}

function backoff(attempts, retryAfter) {
  if (retryAfter) return retryAfter * 1000
  // 1 s, 2 s, 4 s … up to 5 minutes, with jitter so a village's phones don't retry in step
  const base = Math.min(5 * 60000, 1000 * 2 ** Math.min(attempts - 1, 9))
  return base / 2 + Math.random() * (base / 2)
}

function buildForm(form) {
  const fd = new FormData()
  for (const [k, v] of Object.entries(form.fields || {})) {
    if (v !== undefined && v !== null && v !== '') fd.append(k, String(v))
  }
  for (const f of form.files || []) fd.append(f.field, f.blob, f.name || 'photo.jpg')
  return fd
}

async function send(item) {
  const res = await request(item.path, {
    method: item.method,
    json: item.form ? undefined : item.json,
    form: item.form ? buildForm(item.form) : undefined,
    ifMatch: item.ifMatch || undefined,
    idempotencyKey: item.id,
  })
  return res
}

let flushing = null
let again = false
let timer = null

export function flush() {
  if (flushing) {
    again = true
    return flushing
  }
  flushing = (async () => {
    try {
      do {
        again = false
        await flushOnce()
      } while (again)
    } finally {
      flushing = null
      schedule()
    }
  })()
  return flushing
}

async function flushOnce() {
  if (!outbox.loaded) await loadOutbox()
  if (!refreshToken() || session.mustChangePassword) return
  for (;;) {
    // strictly oldest first: a later write may depend on an earlier one (progress, then closing)
    const item = outbox.items.find((i) => i.status === 'pending' && !i.ref)
    if (!item || item.nextAt > Date.now()) return
    outbox.sendingId = item.id
    try {
      const res = await send(item)
      await remove(item.id)
      await rebaseFollowers(item, res)
      settle(item.id, { state: 'sent', result: res.data, etag: res.etag })
      sentListeners.forEach((fn) => fn(item, res))
    } catch (err) {
      if (isTransient(err)) {
        const attempts = item.attempts + 1
        await save({ ...item, attempts, nextAt: Date.now() + backoff(attempts, err.retryAfter), lastTry: err.detail })
        settle(item.id, { state: 'queued', error: err })
        return // offline or the server is struggling: try again later, in order
      }
      // signed out, or the password must be changed first: kept for later, untouched
      if (err.status === 401 || err.code === 'password_change_required') return
      const detail = err.status === 412 ? '内容已被他人修改，请刷新后重试' : err.detail
      const failed = { ...item, status: 'failed', error: { status: err.status, code: err.code, detail, errors: err.errors } }
      await save(failed)
      settle(item.id, { state: 'failed', error: err, item: failed })
    } finally {
      outbox.sendingId = null
    }
  }
}

async function rebaseFollowers(item, res) {
  const created = res.data && typeof res.data === 'object' ? res.data : null
  for (const next of outbox.items) {
    let changed = null
    if (next.ref === item.id && created && created.id) {
      changed = { ...next, ref: null, path: next.path.replace('{ref}', String(created.id)), pledgeId: created.id }
      if (!next.ifMatch && res.etag) changed.ifMatch = res.etag
    } else if (
      res.etag &&
      item.pledgeId &&
      next.pledgeId === item.pledgeId &&
      item.ifMatch &&
      next.ifMatch === item.ifMatch
    ) {
      changed = { ...next, ifMatch: res.etag }
    }
    if (changed) await save(changed)
  }
}

function schedule() {
  clearTimeout(timer)
  const waiting = outbox.items.filter((i) => i.status === 'pending' && !i.ref)
  if (!waiting.length) return
  const soonest = Math.min(...waiting.map((i) => i.nextAt || 0))
  timer = setTimeout(flush, Math.max(1000, Math.min(soonest - Date.now(), 60000)))
}

/** Connectivity is back (or the app came to the foreground): try everything now. */
export async function wakeUp() {
  for (const item of outbox.items) {
    if (item.status === 'pending' && item.nextAt > Date.now()) await save({ ...item, nextAt: 0 })
  }
  return flush()
}

export function startOutbox() {
  window.addEventListener('online', wakeUp)
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') wakeUp()
  })
  // signed out there is nothing to send (afterSignIn loads this account's items)
  if (!refreshToken()) return Promise.resolve()
  return loadOutbox().then(() => flush())
}
