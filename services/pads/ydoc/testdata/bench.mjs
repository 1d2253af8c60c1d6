// Applies the length-prefixed updates in FILE (see trace.mjs) to a fresh
// Y.Doc and prints JSON: time, peak heap growth, encoded state size, and
// the final text length. Run with --expose-gc for steadier memory figures.
// Usage: node --expose-gc bench.mjs FILE
import * as Y from 'yjs'
import fs from 'node:fs'

const buf = fs.readFileSync(process.argv[2])
const updates = []
for (let off = 0; off < buf.length;) {
  const n = buf.readUInt32LE(off)
  updates.push(buf.subarray(off + 4, off + 4 + n))
  off += 4 + n
}
const gc = globalThis.gc || (() => {})

// Time: best of three runs, wall clock and CPU time of the process (the
// latter is steadier on a shared machine).
let best = Infinity
let bestCPU = Infinity
let doc
for (let run = 0; run < 3; run++) {
  gc()
  doc = new Y.Doc()
  const c0 = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  for (const u of updates) Y.applyUpdate(doc, u)
  const ns = Number(process.hrtime.bigint() - t0)
  const c = process.cpuUsage(c0)
  best = Math.min(best, ns)
  bestCPU = Math.min(bestCPU, (c.user + c.system) * 1000)
}

// Memory: a separate run, sampling the heap every 1000 updates.
doc = null
gc()
const base = process.memoryUsage().heapUsed
let peak = 0
doc = new Y.Doc()
updates.forEach((u, i) => {
  Y.applyUpdate(doc, u)
  if (i % 1000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed - base)
})
peak = Math.max(peak, process.memoryUsage().heapUsed - base)
gc()
const retained = process.memoryUsage().heapUsed - base
const state = Y.encodeStateAsUpdate(doc)
process.stdout.write(JSON.stringify({
  updates: updates.length,
  ns: best,
  cpuNS: bestCPU,
  peakHeap: peak,
  retainedHeap: retained,
  stateSize: state.length,
  textLength: doc.getText('t').length
}))
