// Stock Yjs clients (yjs + y-websocket from npm) editing one pad of the Go
// server at random, with disconnections. Driven by editor_test.go:
//
//   node clients.mjs WS_URL PAD CLIENTS OPS SEED
//
// Prints one JSON line: every client's final text, and the text of a fresh
// Y.Doc that joined at the end (so it holds exactly the server's state).
import * as Y from "yjs";
import { WebsocketProvider } from "y-websocket";
import WebSocket from "ws";

const [url, pad, nClients, nOps, seedArg] = process.argv.slice(2);
const clients = Number(nClients), ops = Number(nOps);
let seed = Number(seedArg) || 1;
const rand = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const cookie = process.env.COOPBOX_COOKIE || "";

// ws lets us send the session cookie, as a browser would.
class CookieWS extends WebSocket {
  constructor(address, protocols) { super(address, protocols, { headers: { Cookie: cookie, Origin: url.replace(/^ws/, "http").replace(/\/pads\/ws.*$/, "") } }); }
}

function connect(doc) {
  return new WebsocketProvider(url, pad, doc, { WebSocketPolyfill: CookieWS, disableBc: true, maxBackoffTime: 200 });
}

async function synced(p) {
  for (let i = 0; i < 400 && !(p.wsconnected && p.synced); i++) await sleep(25);
  if (!(p.wsconnected && p.synced)) throw new Error("a client did not sync within 10s");
}

const peers = [];
for (let i = 0; i < clients; i++) {
  const doc = new Y.Doc();
  const p = connect(doc);
  p.awareness.setLocalStateField("user", { name: `client ${i}`, color: "#1a5fb4" });
  peers.push({ doc, p, text: doc.getText("text"), online: true });
}
await Promise.all(peers.map((x) => synced(x.p)));

const words = ["AG ", "vote ", "charte ", "é", "👍", "communs ", "\n", "budget "];
for (let k = 0; k < ops; k++) {
  const x = peers[Math.floor(rand() * clients)];
  const r = rand();
  if (r < 0.04 && x.online) { x.p.disconnect(); x.online = false; continue; }
  if (r < 0.10 && !x.online) { x.p.connect(); x.online = true; continue; }
  const len = x.text.length;
  if (r < 0.75 || len === 0) {
    x.text.insert(Math.floor(rand() * (len + 1)), words[Math.floor(rand() * words.length)]);
  } else {
    const at = Math.floor(rand() * len);
    // never cut a surrogate pair in two: Yjs counts UTF-16 units
    const s = x.text.toString();
    let start = at, n = Math.min(1 + Math.floor(rand() * 5), len - at);
    if (start > 0 && s.charCodeAt(start) >= 0xdc00 && s.charCodeAt(start) <= 0xdfff) start--, n++;
    const end = start + n;
    if (end < len && s.charCodeAt(end) >= 0xdc00 && s.charCodeAt(end) <= 0xdfff) n++;
    x.text.delete(start, Math.min(n, len - start));
  }
  if (k % 20 === 0) await sleep(1);
}
for (const x of peers) if (!x.online) { x.p.connect(); x.online = true; }
await Promise.all(peers.map((x) => synced(x.p)));

// Wait until every client has the same text for a while (updates in flight).
let same = 0;
for (let i = 0; i < 400 && same < 8; i++) {
  await sleep(25);
  const t = peers[0].text.toString();
  same = peers.every((x) => x.text.toString() === t) ? same + 1 : 0;
}

const fresh = new Y.Doc();
const fp = connect(fresh);
await synced(fp);
await sleep(50);
console.log(JSON.stringify({
  texts: peers.map((x) => x.text.toString()),
  fresh: fresh.getText("text").toString(),
}));
for (const x of [...peers.map((x) => x.p), fp]) x.destroy();
process.exit(0);
