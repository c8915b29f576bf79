// ESLint (flat config): JavaScript's and eslint-plugin-vue's recommended rules, for the app,
// its tests and its build config. `npm run lint` (run by `make test`).
import js from '@eslint/js'
import vue from 'eslint-plugin-vue'
import globals from 'globals'

export default [
  { ignores: ['dist/**', 'node_modules/**', 'dev-dist/**'] },
  js.configs.recommended,
  ...vue.configs['flat/recommended'],
  {
    files: ['**/*.{js,vue}'],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: { ...globals.browser },
    },
    rules: {
      // the templates are formatted by hand, one attribute per line only where it reads better
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/multiline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off',
      'vue/html-indent': 'off',
      'vue/html-closing-bracket-newline': 'off',
      'vue/attributes-order': 'off',
      // route screens are named by their file (views/Home.vue); two components keep one word
      'vue/multi-word-component-names': ['error', { ignores: ['Pager', 'Timeline'] }],
    },
  },
  {
    files: ['src/views/**/*.vue'],
    rules: { 'vue/multi-word-component-names': 'off' },
  },
  {
    files: ['vite.config.js', 'vitest.config.js', 'eslint.config.js', 'tests/**/*.js'],
    languageOptions: { globals: { ...globals.node } },
  },
]
