// Photos are shrunk on the phone before they are queued: ≤ 1600 px on the long side, JPEG.
// A 4 MB camera photo becomes ~300 KB, which matters on a rural mobile network.
// (The server re-encodes and strips EXIF anyway; drawing to a canvas drops EXIF here too.)
const MAX_SIDE = 1600
const QUALITY = 0.82

function loadImage(file) {
  return new Promise((resolve, reject) => {
    const url = URL.createObjectURL(file)
    const img = new Image()
    img.onload = () => resolve({ img, url })
    img.onerror = () => {
      URL.revokeObjectURL(url)
      reject(new Error('无法读取这张图片'))
    }
    img.src = url
  })
}

export async function downscale(file) {
  if (!file.type.startsWith('image/')) throw new Error('只能上传图片')
  let loaded
  try {
    // createImageBitmap honours the EXIF orientation where supported; <img> does in current browsers
    loaded = await loadImage(file)
  } catch (e) {
    if (file.size < 8 * 1024 * 1024) return file // the server may still read it (e.g. HEIC it can't show here)
    throw e
  }
  const { img, url } = loaded
  try {
    const w = img.naturalWidth
    const h = img.naturalHeight
    const scale = Math.min(1, MAX_SIDE / Math.max(w, h))
    if (scale === 1 && file.type === 'image/jpeg' && file.size < 600 * 1024) return file
    const canvas = document.createElement('canvas')
    canvas.width = Math.round(w * scale)
    canvas.height = Math.round(h * scale)
    const ctx = canvas.getContext('2d')
    ctx.fillStyle = '#fff'
    ctx.fillRect(0, 0, canvas.width, canvas.height)
    ctx.drawImage(img, 0, 0, canvas.width, canvas.height)
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', QUALITY))
    if (!blob) return file
    return blob.size < file.size ? blob : file
  } finally {
    URL.revokeObjectURL(url)
  }
}
