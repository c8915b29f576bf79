// The Chinese words for the API's codes are the server's (GET /pledges/vocabulary, loaded by
// lib/vocabulary.js after sign-in and kept on the phone for starting offline): these tables are
// filled from it and copy nothing. Only the chip colours are the app's own.
import { reactive } from 'vue'

export const STATUS = reactive({})
export const ACTION = reactive({})
export const CATEGORY = reactive({})
export const OUTCOME = reactive({})
// which actions need a reason (return, cancel …) or an outcome (close) besides the click
export const NEEDS = reactive({ reason: [], outcome: [] })
export const needsReason = (action) => NEEDS.reason.includes(action)
export const needsOutcome = (action) => NEEDS.outcome.includes(action)
// per action, the server's { reason_asked, reason_required, reason_label, destructive, confirm }:
// the dialog asks a reason where the record keeps one and names the effect in the server's words
export const ACTION_INFO = reactive({})

// chip colours, each ≥ 4.5:1 with white text
export const STATUS_TONE = {
  draft: 'grey',
  submitted: 'orange',
  approved: 'blue',
  published: 'red',
  revising: 'orange',
  closing: 'orange',
  closed: 'green',
  withdrawn: 'grey',
  cancelled: 'grey',
}

export function fmtDate(v) {
  if (!v) return ''
  const d = new Date(v.length === 10 ? v + 'T00:00:00' : v)
  if (isNaN(d)) return v
  return `${d.getFullYear()}年${d.getMonth() + 1}月${d.getDate()}日`
}

export function fmtTime(v) {
  if (!v) return ''
  const d = new Date(v)
  if (isNaN(d)) return v
  const now = new Date()
  const hm = `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`
  if (d.toDateString() === now.toDateString()) return `今天 ${hm}`
  const y = d.getFullYear() === now.getFullYear() ? '' : `${d.getFullYear()}年`
  return `${y}${d.getMonth() + 1}月${d.getDate()}日 ${hm}`
}

export function isoDate(d) {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`
}
