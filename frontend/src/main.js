import { createApp } from 'vue'
import App from './App.vue'
import { router } from './router'
import { applyPrefs } from './lib/prefs'
import { registerServiceWorker } from './lib/sw'
import './styles.css'

applyPrefs()
createApp(App).use(router).mount('#app')
registerServiceWorker()
