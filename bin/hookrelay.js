#!/usr/bin/env node
// The published entry point runs the compiled CLI; `npm install` builds dist/ through `prepare`.
import('../dist/hookrelay.js').then((m) => m.main(process.argv)).catch((err) => {
  console.error(err)
  process.exit(1)
})
