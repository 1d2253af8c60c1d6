// Reads a JSON array of base64 updates on stdin, applies them in order to a
// fresh Y.Doc, and prints the content view.
import * as Y from 'yjs'
import { content } from './content.mjs'

let input = ''
process.stdin.on('data', (c) => { input += c })
process.stdin.on('end', () => {
  const doc = new Y.Doc()
  for (const u of JSON.parse(input)) Y.applyUpdate(doc, Buffer.from(u, 'base64'))
  const pending = doc.store.pendingStructs !== null || doc.store.pendingDs !== null
  process.stdout.write(JSON.stringify({ content: content(doc), pending }))
})
