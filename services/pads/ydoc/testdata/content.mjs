// Shared by the conformance scripts: a JSON view of the types the tests use,
// which the Go test builds the same way from its own Doc.
import * as Y from 'yjs'

const b64 = (u8) => Buffer.from(u8).toString('base64')
export { b64 }

function typeJSON (t) {
  if (t instanceof Y.XmlElement) {
    const attrs = t.getAttributes()
    return { element: t.nodeName, attrs, children: t.toArray().map(typeJSON) }
  }
  if (t instanceof Y.XmlText) return { xmltext: deltaJSON(t.toDelta()) }
  if (t instanceof Y.XmlHook) return { hook: t.hookName, entries: mapJSON(t) }
  if (t instanceof Y.XmlFragment) return { fragment: t.toArray().map(typeJSON) }
  if (t instanceof Y.Text) return { text: deltaJSON(t.toDelta()) }
  if (t instanceof Y.Map) return { map: mapJSON(t) }
  if (t instanceof Y.Array) return { array: t.toArray().map(valueJSON) }
  return { unknown: String(t) }
}

function valueJSON (v) {
  if (v instanceof Y.AbstractType) return typeJSON(v)
  if (v instanceof Y.Doc) return { subdoc: v.guid }
  if (v instanceof Uint8Array) return { binary: b64(v) }
  if (v === undefined) return { undefined: true }
  return v
}

function mapJSON (m) {
  const out = {}
  for (const k of [...m.keys()].sort()) out[k] = valueJSON(m.get(k))
  return out
}

function deltaJSON (delta) {
  return delta.map(op => {
    const o = { insert: typeof op.insert === 'string' ? op.insert : valueJSON(op.insert) }
    if (op.attributes) o.attributes = op.attributes
    return o
  })
}

// content returns the view of the roots the random test writes to.
export function content (doc) {
  return {
    text: deltaJSON(doc.getText('t').toDelta()),
    map: mapJSON(doc.getMap('m')),
    array: doc.getArray('a').toArray().map(valueJSON),
    xml: doc.getXmlFragment('x').toArray().map(typeJSON)
  }
}
