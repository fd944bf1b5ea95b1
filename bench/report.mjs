// Result rows and the markdown table.
import { round } from './stats.mjs'

const fmt = (v, unit) => (v == null || !Number.isFinite(v) ? 'n/a' : `${unit === 'ms' || unit === 'MB' ? round(v, 1) : Math.round(v).toLocaleString('en-US')} ${unit}`)

/** A row judged by measured / baseline >= target. */
export function ratioRow({ scenario, value, unit, baseline, baselineLabel, target, note = '', forceFail = false }) {
  const ratio = baseline > 0 && value != null ? value / baseline : null
  return {
    scenario, value: round(value), unit, measured: fmt(value, unit),
    baselineValue: baseline == null ? null : round(baseline), baseline: baseline == null ? 'n/a (baseline missing)' : `${fmt(baseline, unit === 'publishes/s' || unit === 'ingests/s' ? 'req/s' : unit)} (${baselineLabel})`,
    ratio: ratio == null ? null : round(ratio, 3), target: `ratio >= ${target}`,
    pass: ratio == null ? null : !forceFail && ratio >= target, note,
  }
}

/** A row judged by measured <= target. */
export function limitRow({ scenario, value, unit, target, note = '', forceFail = false }) {
  return {
    scenario, value: round(value), unit, measured: fmt(value, unit), baselineValue: null, baseline: '', ratio: null,
    target: `<= ${target} ${unit}`, pass: value == null ? null : !forceFail && value <= target, note,
  }
}

export function infoRow({ scenario, value, unit, note = '' }) {
  return { scenario, value: round(value), unit, measured: fmt(value, unit), baselineValue: null, baseline: '', ratio: null, target: '', pass: null, info: true, note }
}

export function errorRow(scenario, message, timedOut) {
  return {
    scenario, value: null, unit: '', measured: timedOut ? 'TIMED OUT' : 'ERROR', baselineValue: null, baseline: '', ratio: null,
    target: '', pass: false, note: message.split('\n')[0].slice(0, 300), error: message, timedOut,
  }
}

const cell = (s) => String(s ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ')

export function markdownTable(rows) {
  const lines = [
    '| Scenario | Measured | Baseline | Ratio | Target | Result | Notes |',
    '|---|---|---|---|---|---|---|',
  ]
  for (const r of rows) {
    const result = r.info ? 'info' : r.pass === true ? 'pass' : r.pass === false ? (r.timedOut ? 'TIMEOUT' : r.error ? 'ERROR' : 'MISS') : 'n/a'
    lines.push(`| ${cell(r.scenario)} | ${cell(r.measured)} | ${cell(r.baseline)} | ${r.ratio == null ? '' : r.ratio.toFixed(2)} | ${cell(r.target)} | ${result} | ${cell(r.note)} |`)
  }
  return lines.join('\n')
}
