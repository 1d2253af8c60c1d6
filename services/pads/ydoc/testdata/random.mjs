// Several Yjs docs edit concurrently at random and exchange updates in
// random order. Prints JSON: every update any doc emitted, the converged
// content, and a partial state (an update plus its state vector) for
// testing diffs.
// Usage: node random.mjs SEED DOCS STEPS
import * as Y from 'yjs'
import { content, b64 } from './content.mjs'

const [seed, ndocs, steps] = process.argv.slice(2).map(Number)
let s = seed >>> 0 || 1
const rnd = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 4294967296 }
const int = (n) => Math.floor(rnd() * n)
const pick = (a) => a[int(a.length)]

const docs = []
const updates = []
const seen = [] // per doc: set of update indexes applied
for (let i = 0; i < ndocs; i++) {
  const d = new Y.Doc()
  d.clientID = 1000 + i * 7 + int(5)
  const idx = i
  d.on('update', (u, origin) => {
    if (origin !== 'remote') { updates.push(u); seen[idx].add(updates.length - 1) }
  })
  docs.push(d)
  seen.push(new Set())
}

const words = ['a', 'bc', 'def', ' ', 'héllo', '😀', 'x😀y', '日本', '\n', 'Z']
const attrsChoices = [null, { bold: true }, { italic: true }, { link: { href: 'https://x' } }, { bold: null }]
const values = () => pick([1, -3, 2.5, 'str', true, false, null, [1, 'a'], { k: 'v', n: 2 }, 2 ** 40, new Uint8Array([1, 2, 3])])

// Yjs itself diverges when an edit cuts a surrogate pair (yjs issue 248),
// which no editor does: keep random positions on code point boundaries.
function snap (t, i) {
  const s = t.toDelta().map(op => typeof op.insert === 'string' ? op.insert : ' ').join('')
  const c = s.charCodeAt(i - 1)
  return c >= 0xd800 && c <= 0xdbff ? i - 1 : i
}
function range (t, maxLen) {
  const len = t.length
  const i = snap(t, int(len))
  const end = snap(t, Math.min(len, i + 1 + int(maxLen)))
  return [i, Math.max(0, end - i)]
}

function editText (t) {
  const len = t.length
  const r = rnd()
  if (r < 0.55 || len === 0) {
    const a = pick(attrsChoices)
    t.insert(snap(t, int(len + 1)), pick(words), a || undefined)
  } else if (r < 0.8) {
    const [i, n] = range(t, 4)
    t.delete(i, n)
  } else if (r < 0.9) {
    const [i, n] = range(t, 6)
    t.format(i, n, pick(attrsChoices.filter(Boolean)))
  } else {
    t.insertEmbed(snap(t, int(len + 1)), { image: 'p.png' })
  }
}

function editXML (frag) {
  const r = rnd()
  const kids = frag.toArray()
  if (r < 0.25 || kids.length === 0) {
    const el = new Y.XmlElement(pick(['paragraph', 'heading', 'blockquote']))
    const tx = new Y.XmlText()
    el.insert(0, [tx])
    frag.insert(int(kids.length + 1), [el])
    tx.insert(0, pick(words))
    if (rnd() < 0.5) el.setAttribute('level', String(1 + int(3)))
  } else if (r < 0.28) {
    const h = new Y.XmlHook('embed-' + int(3))
    frag.insert(int(kids.length + 1), [h])
    h.set('src', pick(words))
  } else if (r < 0.35) {
    frag.delete(int(kids.length), 1)
  } else {
    const el = pick(kids)
    if (!(el instanceof Y.XmlElement)) return
    const r2 = rnd()
    if (r2 < 0.2) {
      el.setAttribute(pick(['level', 'align']), pick(['1', '2', 'left']))
    } else if (r2 < 0.3) {
      el.removeAttribute('level')
    } else if (r2 < 0.4) {
      const li = new Y.XmlElement('listItem')
      el.insert(el.length, [li])
      const t2 = new Y.XmlText()
      li.insert(0, [t2])
      t2.insert(0, 'item')
    } else {
      const t = el.toArray().find(c => c instanceof Y.XmlText)
      if (t) {
        const r3 = rnd()
        if (r3 < 0.6 || t.length === 0) {
          t.insert(snap(t, int(t.length + 1)), pick(words), rnd() < 0.3 ? pick([{ bold: {} }, { italic: {} }, { link: { href: 'u' } }]) : undefined)
        } else if (r3 < 0.85) {
          const [i, n] = range(t, 3)
          t.delete(i, n)
        } else {
          const [i, n] = range(t, 4)
          t.format(i, n, pick([{ bold: {} }, { bold: null }, { italic: {} }]))
        }
      }
    }
  }
}

function editMap (m) {
  const r = rnd()
  const k = pick(['a', 'b', 'c', 'd', ''])
  if (r < 0.6) m.set(k, values())
  else if (r < 0.7) {
    const sub = new Y.Map()
    m.set(k, sub)
    sub.set('inner', values())
  } else if (r < 0.8) {
    const t = new Y.Text()
    m.set(k, t)
    t.insert(0, pick(words))
  } else if (r < 0.85) {
    m.set(k, new Y.Doc({ guid: 'sub-' + int(100) }))
  } else m.delete(k)
}

function editArray (a) {
  const r = rnd()
  if (r < 0.6 || a.length === 0) a.insert(int(a.length + 1), [values(), values()].slice(0, 1 + int(2)))
  else a.delete(int(a.length), 1)
}

function exchange (i) {
  // apply a random subset of the updates doc i has not seen, in random order
  const missing = []
  for (let k = 0; k < updates.length; k++) if (!seen[i].has(k)) missing.push(k)
  for (let n = int(missing.length + 1); n > 0; n--) {
    const k = missing.splice(int(missing.length), 1)[0]
    Y.applyUpdate(docs[i], updates[k], 'remote')
    seen[i].add(k)
  }
}

let partial = null
for (let step = 0; step < steps; step++) {
  const i = int(ndocs)
  const d = docs[i]
  const r = rnd()
  if (r < 0.2) exchange(i)
  else {
    d.transact(() => {
      const n = 1 + int(3)
      for (let k = 0; k < n; k++) {
        const w = rnd()
        if (w < 0.45) editText(d.getText('t'))
        else if (w < 0.75) editXML(d.getXmlFragment('x'))
        else if (w < 0.9) editMap(d.getMap('m'))
        else editArray(d.getArray('a'))
      }
    })
  }
  if (step === Math.floor(steps / 2)) {
    partial = { update: b64(Y.encodeStateAsUpdate(docs[0])), sv: b64(Y.encodeStateVector(docs[0])) }
  }
}
// Full sync until nothing is left: applying remote changes can make a doc
// emit formatting clean-ups of its own.
for (let changed = true; changed;) {
  changed = false
  for (let i = 0; i < ndocs; i++) {
    for (let k = 0; k < updates.length; k++) {
      if (!seen[i].has(k)) {
        seen[i].add(k)
        Y.applyUpdate(docs[i], updates[k], 'remote')
        changed = true
      }
    }
  }
}
const canon = (v) => JSON.stringify(v, (k, x) => x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort()) : x)
const final = content(docs[0])
for (let i = 1; i < ndocs; i++) {
  if (canon(content(docs[i])) !== canon(final)) {
    console.error('yjs docs did not converge', canon(content(docs[i])), canon(final))
    process.exit(2)
  }
}
// yjs may emit extra updates while cleaning up formatting after remote
// changes; keep every one so that the Go side sees the same history.
process.stdout.write(JSON.stringify({ updates: updates.map(b64), final, partial, stateSize: Y.encodeStateAsUpdate(docs[0]).length }))
