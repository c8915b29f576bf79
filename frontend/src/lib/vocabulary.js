// The server's words for its codes, GET /pledges/vocabulary: status, action, category and outcome
// labels and which actions need a reason or an outcome. Fetched after sign-in (and at start-up
// when signed in), kept in localStorage so a phone that starts offline shows the same words; the
// tables in labels.js are filled from it (their own contents are only the words shown before the
// phone ever reached the server).
import { request } from './api'
import { STATUS, ACTION, CATEGORY, OUTCOME, NEEDS } from './labels'

const KEY = 'ln.vocabulary'
const TABLES = [
  [STATUS, ['statuses', 'status']],
  [ACTION, ['actions', 'action']],
  [CATEGORY, ['categories', 'category']],
  [OUTCOME, ['outcomes', 'outcome']],
]

// { code: label } or { code: { label } } or [{ code | value | key, label }]
function pairs(v) {
  if (Array.isArray(v)) return v.map((x) => [x?.code ?? x?.value ?? x?.key, x?.label])
  if (v && typeof v === 'object') return Object.entries(v).map(([k, x]) => [k, typeof x === 'string' ? x : x?.label])
  return []
}

function pick(v, names) {
  for (const n of names) if (v[n] !== undefined) return v[n]
  return undefined
}

// actions that need a reason / an outcome: a list of codes, or a flag on each action
function needing(v, flag) {
  const list = pick(v, [`${flag}_required`, `needs_${flag}`])
  if (Array.isArray(list)) return list.filter((a) => typeof a === 'string')
  const actions = pick(v, ['actions', 'action'])
  const rows = Array.isArray(actions) ? actions : actions && typeof actions === 'object' ? Object.entries(actions).map(([code, x]) => ({ code, ...(x && typeof x === 'object' ? x : {}) })) : []
  if (!rows.some((r) => r && `${flag}_required` in r)) return null
  return rows.filter((r) => r[`${flag}_required`]).map((r) => r.code ?? r.value ?? r.key)
}

/** Fill the label tables from a vocabulary answer. Returns whether it held anything usable. */
export function applyVocabulary(v) {
  if (!v || typeof v !== 'object') return false
  let used = false
  for (const [table, names] of TABLES) {
    for (const [code, label] of pairs(pick(v, names))) {
      if (typeof code === 'string' && typeof label === 'string' && label) {
        table[code] = label
        used = true
      }
    }
  }
  for (const flag of ['reason', 'outcome']) {
    const list = needing(v, flag)
    if (list) {
      NEEDS[flag] = list
      used = true
    }
  }
  return used
}

function readSaved() {
  try {
    return JSON.parse(localStorage.getItem(KEY) || 'null')
  } catch {
    return null
  }
}

applyVocabulary(readSaved())

/** Ask the server for its words once per sign-in / start; offline or not there yet: keep what we have. */
export async function loadVocabulary() {
  try {
    const { data } = await request('/pledges/vocabulary')
    if (applyVocabulary(data)) localStorage.setItem(KEY, JSON.stringify(data))
  } catch {
    /* offline, or an older server without the vocabulary: the words kept on the phone stay */
  }
}
