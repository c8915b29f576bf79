// What the signed-in person may do with a pledge: mirrors the transition table in
// app/pledges/states.py (who: owner / reviewer). The server decides; this only picks the buttons.
import { session } from './session'

const T = [
  ['draft', 'submit', 'owner'],
  ['submitted', 'approve', 'reviewer'],
  ['submitted', 'return', 'reviewer'],
  ['approved', 'publish', 'reviewer'],
  ['published', 'request_close', 'owner'],
  ['closing', 'close', 'reviewer'],
  ['closing', 'reopen', 'reviewer'],
  ['draft', 'withdraw', 'owner'],
  ['submitted', 'withdraw', 'owner'],
  ['approved', 'cancel', 'reviewer'],
  ['published', 'cancel', 'reviewer'],
  ['revising', 'cancel', 'reviewer'],
  ['revising', 'approve', 'reviewer'],
  ['revising', 'return', 'reviewer'],
]
export const ACTIVE = new Set(['published', 'revising', 'closing'])
export const FINAL = new Set(['closed', 'withdrawn', 'cancelled'])
export const REASON_REQUIRED = new Set(['return', 'close', 'reopen', 'cancel'])

// URL segment of each action
export const ACTION_PATH = { request_close: 'request-close' }
export const actionPath = (a) => ACTION_PATH[a] || a

function grants(role) {
  return (session.me?.grants || []).filter((g) => g.role === role && !g.revoked_at)
}

export function isReviewerOf(p) {
  if (grants('committee_admin').length) return true
  return grants('secretary').some((g) => g.unit_id === p.branch_id)
}

export function isOwnerOf(p) {
  if (p.owner_kind === 'unit') {
    return (
      isReviewerOf(p) ||
      grants('group_leader').some((g) => g.unit_id === p.unit_id) ||
      grants('secretary').some((g) => g.unit_id === p.unit_id)
    )
  }
  // (the server also lets a secretary act for a member without a phone; the buttons stay the member's)
  const me = session.me?.member?.id
  return !!me && p.member_id === me
}

export function isSupervisorOf(p) {
  return grants('supervisor').some((g) => g.unit_id === p.branch_id || g.unit_id === p.unit_id) || isReviewerOf(p)
}

const TRANSITIONS = new Set(T.map(([, a]) => a))
const has = (p, a) => Array.isArray(p?.allowed_actions) && p.allowed_actions.includes(a)

/** The lifecycle actions this person may take now (the server's `allowed_actions`; the local
 * table only for a pledge read from an old cache without them). */
export function allowedActions(p) {
  if (!p) return []
  if (Array.isArray(p.allowed_actions)) return p.allowed_actions.filter((a) => TRANSITIONS.has(a))
  const owner = isOwnerOf(p)
  const reviewer = isReviewerOf(p)
  return T.filter(([from, , who]) => from === p.status)
    .filter(([, , who]) => (who === 'owner' ? owner : reviewer))
    .map(([, action]) => action)
}

export function canEdit(p) {
  return p?.allowed_actions ? has(p, 'edit') : p?.status === 'draft' && isOwnerOf(p)
}
export function canReport(p) {
  return p?.allowed_actions ? has(p, 'progress') : ACTIVE.has(p?.status) && isOwnerOf(p)
}
export function canRevise(p) {
  return has(p, 'revise')
}
export function canNote(p) {
  return p?.allowed_actions ? has(p, 'note') : ACTIVE.has(p?.status) && isSupervisorOf(p)
}

export function isOverdue(p) {
  if (typeof p.overdue === 'boolean') return p.overdue
  if (!p.due_date || FINAL.has(p.status) || p.status === 'draft' || p.status === 'submitted') return false
  const today = new Date()
  const iso = `${today.getFullYear()}-${String(today.getMonth() + 1).padStart(2, '0')}-${String(today.getDate()).padStart(2, '0')}`
  return p.due_date < iso
}

/** The secretary's reason when the newest step of a draft was 退回 (return), else ''. */
export function lastReturnReason(entries) {
  const newest = entries.find((e) => e.kind === 'event')
  return newest && newest.action === 'return' ? newest.reason || '' : ''
}
