// Replays an editing trace ({startContent, endContent, txns: [{patches:
// [[pos, delCount, insertText]]}]}, positions in code points) in a Y.Doc,
// one transaction per trace transaction, and writes every update yjs emits
// to OUT, each prefixed by its length as a 4-byte little-endian integer,
// and the final state (Y.encodeStateAsUpdate) to OUT.state.
// Usage: node trace.mjs TRACE.json.gz OUT
import * as Y from 'yjs'
import fs from 'node:fs'
import zlib from 'node:zlib'

const [tracePath, outPath] = process.argv.slice(2)
const trace = JSON.parse(zlib.gunzipSync(fs.readFileSync(tracePath)).toString('utf8'))
const doc = new Y.Doc()
doc.clientID = 1
const text = doc.getText('t')
const chunks = []
doc.on('update', (u) => {
  const len = Buffer.alloc(4)
  len.writeUInt32LE(u.length)
  chunks.push(len, Buffer.from(u))
})

// Positions are in code points; Y.Text counts UTF-16 units. Only when text
// outside the BMP has been inserted do we need to convert by scanning.
let astral = /[\uD800-\uDFFF]/.test(trace.startContent)
const unitIndex = (cp) => {
  if (!astral) return cp
  const s = text.toString()
  let i = 0
  for (let n = 0; n < cp; n++) i += s.codePointAt(i) > 0xffff ? 2 : 1
  return i
}
if (trace.startContent) text.insert(0, trace.startContent)
for (const txn of trace.txns) {
  doc.transact(() => {
    for (const [pos, del, ins] of txn.patches) {
      const at = unitIndex(pos)
      if (del > 0) text.delete(at, unitIndex(pos + del) - at)
      if (ins) {
        if (/[\uD800-\uDFFF]/.test(ins)) astral = true
        text.insert(at, ins)
      }
    }
  })
}
if (text.toString() !== trace.endContent) {
  console.error('yjs replay does not give endContent')
  process.exit(2)
}
fs.writeFileSync(outPath, Buffer.concat(chunks))
fs.writeFileSync(outPath + '.state', Y.encodeStateAsUpdate(doc))
process.stdout.write(JSON.stringify({ updates: chunks.length / 2, stateSize: Y.encodeStateAsUpdate(doc).length }))
