// 大字模式 (large text), remembered on this phone.
import { ref, watch } from 'vue'

export const bigText = ref(localStorage.getItem('ln.big') === '1')

export function applyPrefs() {
  document.documentElement.classList.toggle('big', bigText.value)
}

watch(bigText, (v) => {
  localStorage.setItem('ln.big', v ? '1' : '0')
  applyPrefs()
})
