// Vant's functional APIs (toast, dialogs) are not seen by the component resolver: import their
// styles here, once.
import { showToast, showSuccessToast, showConfirmDialog } from 'vant'
import 'vant/es/toast/style'
import 'vant/es/dialog/style'

export { showToast, showSuccessToast }

export function toastError(err) {
  showToast({ message: err?.detail || err?.message || '出错了，请稍后再试', duration: 3500 })
}

export function confirm(message, { title = '请确认', confirmButtonText = '确定' } = {}) {
  return showConfirmDialog({ title, message, confirmButtonText, cancelButtonText: '取消' })
    .then(() => true)
    .catch(() => false)
}
