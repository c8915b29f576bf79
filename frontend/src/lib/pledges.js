// What the signed-in person may do with a pledge: only what the server says in each pledge read's
// `allowed_actions` (the server decides; this only picks the buttons). A pledge read from an old
// cache without them offers nothing until it is read again.

// URL segment of each action
const ACTION_PATH = { request_close: 'request-close' }
export const actionPath = (a) => ACTION_PATH[a] || a

// allowed actions that have their own button or screen, not a lifecycle button
const OWN_BUTTON = new Set(['edit', 'progress', 'note', 'revise'])
const has = (p, a) => Array.isArray(p?.allowed_actions) && p.allowed_actions.includes(a)

/** The lifecycle actions (submit, approve, …) this person may take now. */
export function allowedActions(p) {
  return Array.isArray(p?.allowed_actions) ? p.allowed_actions.filter((a) => !OWN_BUTTON.has(a)) : []
}

export const canEdit = (p) => has(p, 'edit')
export const canReport = (p) => has(p, 'progress')
export const canRevise = (p) => has(p, 'revise')
export const canNote = (p) => has(p, 'note')

/** Overdue as the server computed it (each pledge read carries `overdue`). */
export const isOverdue = (p) => p?.overdue === true

/** The secretary's reason when the newest step of a draft was 退回 (return), else ''. */
export function lastReturnReason(entries) {
  const newest = entries.find((e) => e.kind === 'event')
  return newest && newest.action === 'return' ? newest.reason || '' : ''
}
