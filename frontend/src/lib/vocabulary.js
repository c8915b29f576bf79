// The server's words for its codes, GET /pledges/vocabulary: status, action, category and outcome
// labels and which actions need a reason or an outcome. Fetched after sign-in and at each start
// when signed in, and kept in localStorage so a phone that starts offline shows the same words;
// the tables in labels.js are filled from it (the app copies none of them).
import { request } from './api'
import { STATUS, ACTION, ACTION_INFO, CATEGORY, OUTCOME, NEEDS } from './labels'

const KEY = 'ln.vocabulary'
const TABLES = [
  [STATUS, 'statuses'],
  [ACTION, 'actions'],
  [CATEGORY, 'categories'],
  [OUTCOME, 'outcomes'],
]

// { code: label } or { code: { label, … } } (actions)
function labels(v) {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return []
  return Object.entries(v)
    .map(([code, x]) => [code, typeof x === 'string' ? x : x?.label])
    .filter(([, label]) => typeof label === 'string' && label)
}

const codes = (v) => (Array.isArray(v) ? v.filter((a) => typeof a === 'string') : [])

/** Put a vocabulary answer in the label tables (replacing what was there). Whether it was one. */
export function applyVocabulary(v) {
  if (!v || typeof v !== 'object' || !labels(v.statuses).length) return false
  for (const [table, name] of TABLES) {
    for (const k of Object.keys(table)) delete table[k]
    for (const [code, label] of labels(v[name])) table[code] = label
  }
  NEEDS.reason = codes(v.reason_required)
  NEEDS.outcome = codes(v.outcome_required)
  for (const k of Object.keys(ACTION_INFO)) delete ACTION_INFO[k]
  for (const [code, x] of Object.entries(v.actions || {})) {
    if (x && typeof x === 'object') {
      const { reason_asked, reason_required, reason_label, destructive, confirm } = x
      ACTION_INFO[code] = { reason_asked: !!reason_asked, reason_required: !!reason_required, reason_label: reason_label || '', destructive: !!destructive, confirm: confirm || '' }
    }
  }
  return true
}

function readSaved() {
  try {
    return JSON.parse(localStorage.getItem(KEY) || 'null')
  } catch {
    return null
  }
}

applyVocabulary(readSaved())

/** Whether the phone has the server's words (from this start or an earlier one). */
export const hasVocabulary = () => Object.keys(STATUS).length > 0

/** Ask the server for its words; offline or refused: keep what the phone has. */
export async function loadVocabulary() {
  try {
    const { data } = await request('/pledges/vocabulary')
    if (applyVocabulary(data)) localStorage.setItem(KEY, JSON.stringify(data))
  } catch {
    /* offline, or a server without the vocabulary: the words kept on the phone stay */
  }
}
