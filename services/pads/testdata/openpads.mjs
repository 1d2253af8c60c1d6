// Memory of open pads in yjs, the peer of BenchmarkOpenPads.
//
//   node --expose-gc openpads.mjs make TRACE.json.gz CHARS   → prints a base64 state
//   node --expose-gc openpads.mjs load STATE_FILE PADS       → prints heap bytes per pad
//
// "make" replays an editing trace (one transaction per trace transaction)
// until the text holds CHARS characters, so the state has the fragmentation
// of real typing; "load" holds PADS documents loaded from that state.
import * as Y from "yjs";
import fs from "node:fs";
import zlib from "node:zlib";

const [mode, a, b] = process.argv.slice(2);
if (mode === "make") {
  const trace = JSON.parse(zlib.gunzipSync(fs.readFileSync(a)).toString("utf8"));
  const doc = new Y.Doc();
  doc.clientID = 1;
  const text = doc.getText("text");
  for (const txn of trace.txns) {
    doc.transact(() => {
      for (const [pos, del, ins] of txn.patches) {
        if (del > 0) text.delete(pos, del); // automerge-paper is plain ASCII/BMP
        if (ins) text.insert(pos, ins);
      }
    });
    if (text.length >= Number(b)) break;
  }
  process.stdout.write(Buffer.from(Y.encodeStateAsUpdate(doc)).toString("base64"));
} else if (mode === "load") {
  const state = new Uint8Array(Buffer.from(fs.readFileSync(a, "utf8"), "base64"));
  const n = Number(b);
  global.gc(); global.gc();
  const before = process.memoryUsage().heapUsed;
  const docs = [];
  for (let i = 0; i < n; i++) {
    const d = new Y.Doc();
    Y.applyUpdate(d, state);
    docs.push(d);
  }
  global.gc(); global.gc();
  const after = process.memoryUsage().heapUsed;
  if (docs[n - 1].getText("text").length === 0) throw new Error("empty pad");
  process.stdout.write(String(Math.round((after - before) / n)));
}
