// The unread count for the tab badge.
import { ref } from 'vue'
import { request } from './api'

export const unread = ref(0)
let last = 0

export async function refreshUnread(force = false) {
  if (!force && Date.now() - last < 15000) return
  last = Date.now()
  try {
    const { data } = await request('/notifications/unread-count')
    unread.value = data?.unread ?? 0
  } catch {
    /* offline: keep the last number */
  }
}
