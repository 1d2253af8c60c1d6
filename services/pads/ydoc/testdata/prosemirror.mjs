// Builds, with yjs alone, the Y.XmlFragment a TipTap editor (y-prosemirror
// binding) keeps: the fragment "default", one XmlElement per node named by
// its node type, node attributes as element attributes, text in XmlText
// with marks as formatting attributes (mark name -> mark attrs; overlapping
// marks get a "--hash" suffix). Prints the state as base64.
import * as Y from 'yjs'

const doc = new Y.Doc()
doc.clientID = 42
const frag = doc.getXmlFragment('default')
const el = (name, attrs, children) => {
  const e = new Y.XmlElement(name)
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v)
  e.insert(0, children)
  return e
}
const text = (runs) => {
  const t = new Y.XmlText()
  t.applyDelta(runs)
  return t
}
doc.transact(() => {
  frag.insert(0, [
    el('heading', { level: 2 }, [text([{ insert: 'Minutes 😀' }])]),
    el('paragraph', {}, [text([
      { insert: 'Present: ' },
      { insert: 'Ana', attributes: { bold: {} } },
      { insert: ', ' },
      { insert: 'Bo', attributes: { italic: {}, link: { href: 'https://coop.example', target: '_blank' } } },
      { insert: ' and ' },
      { insert: 'Cy', attributes: { 'comment--a1B2c3D4': { id: 7 } } }
    ])]),
    el('bulletList', {}, [
      el('listItem', {}, [el('paragraph', {}, [text([{ insert: 'first' }])])]),
      el('listItem', {}, [el('paragraph', {}, [text([{ insert: 'second' }])])])
    ]),
    el('taskList', {}, [
      el('taskItem', { checked: true }, [el('paragraph', {}, [text([{ insert: 'done' }])])])
    ])
  ])
})
// A later edit: the first list item is removed, text is appended (it
// takes the formatting in effect at the end, as in Yjs).
frag.get(2).delete(0, 1)
frag.get(1).get(0).insert(frag.get(1).get(0).length, '.')
process.stdout.write(Buffer.from(Y.encodeStateAsUpdate(doc)).toString('base64'))
