// What waits for the secretary's moderation: villagers' suggestions not yet shown or hidden, and
// ratings flagged as a burst. One count for the badges on home, Me and the moderation screen.
import { ref } from 'vue'
import { request } from './api'
import { isSecretary } from './session'

export const pendingSuggestions = ref(0)
export const flaggedRatings = ref(0)
export const pending = ref(0)
// supervisors' flags (提请书记关注) waiting for the secretary's answer: their own badge
export const openFlags = ref(0)

const total = async (path) => {
  try {
    const { data } = await request(path)
    return data?.total || 0
  } catch {
    return null
  }
}

/** Ask the server how much is waiting (a secretary's or committee admin's scope). */
export async function refreshPending() {
  if (!isSecretary.value) return
  const [s, r, f] = await Promise.all([
    total('/evaluations/suggestions?status=pending&size=1'),
    total('/evaluations/ratings?status=flagged&size=1'),
    total('/pledge-flags?status=open&size=1'),
  ])
  if (s !== null) pendingSuggestions.value = s
  if (r !== null) flaggedRatings.value = r
  if (f !== null) openFlags.value = f
  pending.value = pendingSuggestions.value + flaggedRatings.value
}
