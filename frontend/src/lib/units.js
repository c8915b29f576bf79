// The org tree the caller may see (GET /units), flattened for pickers: [{ id, name, kind, depth, label }].
import { ref } from 'vue'
import { request } from './api'

export const UNIT_KIND = { committee: '党委', general_branch: '党总支', branch: '党支部', group: '党小组' }

export function flatten(roots, { kinds = null, archived = false } = {}) {
  const out = []
  const walk = (n, depth, trail) => {
    if ((archived || !n.archived) && (!kinds || kinds.includes(n.kind))) {
      out.push({ id: n.id, name: n.name, kind: n.kind, depth, parent_id: n.parent_id, label: trail ? `${trail} / ${n.name}` : n.name })
    }
    ;(n.children || []).forEach((c) => walk(c, depth + 1, n.kind === 'committee' ? '' : trail ? `${trail} / ${n.name}` : n.name))
  }
  ;(roots || []).forEach((r) => walk(r, 0, ''))
  return out
}

export async function loadUnits(opts) {
  const { data } = await request('/units')
  return flatten(data, opts)
}

/**
 * The units a screen's picker offers: the caller's own (grants [{ unit_id, unit_name }]) first, then
 * the tree's units of `kinds` it may see (none when `kinds` is empty); the own ones alone offline.
 */
export async function ownThenTree(grants, kinds = []) {
  const own = grants.map((g) => ({ id: g.unit_id, label: g.unit_name }))
  if (!kinds.length) return own
  try {
    const tree = await loadUnits({ kinds })
    const mine = new Set(own.map((u) => u.id))
    return [...own, ...tree.filter((u) => !mine.has(u.id)).map((u) => ({ id: u.id, label: u.label }))]
  } catch {
    return own
  }
}

/**
 * A screen's chosen unit: `{ units, unitId, loaded }`; `unitId` starts at `initial` (the ?unit= of a
 * link), else the first unit `load()` answers. A unit chosen by link but not in the list is offered
 * as 所选组织 (a drill-down below the caller's own units).
 */
export function useUnitChoice(initial, load) {
  const units = ref([])
  const loaded = ref(false)
  const unitId = ref(Number(initial) || null)
  load().then((list) => {
    units.value = list
    if (!unitId.value) unitId.value = list[0]?.id || null
    if (unitId.value && !list.some((u) => u.id === unitId.value)) units.value.push({ id: unitId.value, label: '所选组织' })
    loaded.value = true
  })
  return { units, unitId, loaded }
}
