import type { Theme } from './api/types'

/**
 * Light, dark or the system's choice, as a data attribute the stylesheet reads; colours are CSS
 * custom properties, set through the CSSOM (allowed by a CSP without 'unsafe-inline').
 */
export type Mode = 'auto' | 'light' | 'dark'

const KEY = 'hookrelay.mode'

export function savedMode(fallback: Mode = 'auto'): Mode {
  try {
    const m = localStorage.getItem(KEY)
    if (m === 'auto' || m === 'light' || m === 'dark') return m
  } catch {
    // storage denied (a third-party frame): the default stands
  }
  return fallback
}

export function applyMode(mode: Mode, save = true): void {
  const root = document.documentElement
  if (mode === 'auto') delete root.dataset.theme
  else root.dataset.theme = mode
  if (save) {
    try {
      localStorage.setItem(KEY, mode)
    } catch {
      // not kept: fine
    }
  }
}

/** Text on a coloured button: black or white, whichever reads better (WCAG relative luminance). */
export function onColor(hex: string): string {
  const c = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4))
  const l = 0.2126 * c[0]! + 0.7152 * c[1]! + 0.0722 * c[2]!
  return (1.05) / (l + 0.05) >= (l + 0.05) / 0.05 ? '#ffffff' : '#000000'
}

export function applyTheme(theme: Theme | null): void {
  const root = document.documentElement.style
  if (theme?.primaryColor && /^#[0-9a-fA-F]{6}$/.test(theme.primaryColor)) {
    root.setProperty('--primary', theme.primaryColor)
    root.setProperty('--on-primary', onColor(theme.primaryColor))
  }
  if (theme?.title) document.title = theme.title
}
