// The pad's connection status, and what "saved" means.
//
// "Saved" means: the box has every change this browser made. The server
// commits each update to its database before it relays it or answers
// anything after it, and it handles one connection's messages in order
// (PROTOCOL.md, Durability). So when, after our latest local change, we send
// a sync step 1 and the server's step 2 answering it comes back, every update
// we sent before that step 1 is on the box's disk. We count each local change
// (any update not received from the server: typing, and offline edits loaded
// from IndexedDB), send such a probe a moment after changes settle, and call
// the pad saved when the latest probe answered covers the latest change.
//
// The server answers every step 1 with exactly one step 2, in order, so we
// keep a queue of what each step 1 sent on this connection covered: the
// provider's own step 1 at connection time covers nothing of ours (our own
// step 2, the offline changes, goes out after it), our probes cover the
// change count at the time they were sent.

const messageSync = 0;
const syncStep1 = 0;
const syncStep2 = 1;

function writeVarUint(out, n) {
  while (n > 127) {
    out.push((n & 127) | 128);
    n = Math.floor(n / 128);
  }
  out.push(n);
}

function step1Message(stateVector) {
  const out = [messageSync, syncStep1];
  writeVarUint(out, stateVector.length);
  const msg = new Uint8Array(out.length + stateVector.length);
  msg.set(out);
  msg.set(stateVector, out.length);
  return msg;
}

/**
 * Follows provider and doc and calls onChange(state) with one of
 * "connecting", "offline", "connected" (changes not yet on the box), "saved".
 * @param {import("y-websocket").WebsocketProvider} provider
 * @param {import("yjs").Doc} doc
 * @param {typeof import("yjs")} Y
 * @param {(state: string) => void} onChange
 */
export function trackStatus(provider, doc, Y, onChange) {
  let changes = 0; // local changes so far
  let acked = 0; // local changes the box has acknowledged
  let pending = []; // per step 1 sent on this connection: changes it covers, or -1
  let everConnected = false;
  let timer = 0;
  let last = "";

  const state = () => {
    if (!provider.wsconnected) return everConnected || !navigator.onLine ? "offline" : "connecting";
    if (!provider.synced) return "connected";
    return acked >= changes ? "saved" : "connected";
  };
  const update = () => {
    const s = state();
    if (s !== last) {
      last = s;
      onChange(s);
    }
  };

  const probe = () => {
    timer = 0;
    const ws = provider.ws;
    if (!provider.wsconnected || !provider.synced || !ws || ws.readyState !== WebSocket.OPEN) return;
    if (acked >= changes || pending.some((p) => p >= changes)) return;
    pending.push(changes);
    ws.send(step1Message(Y.encodeStateVector(doc)));
  };
  const schedule = () => {
    if (!timer) timer = setTimeout(probe, 250);
  };

  doc.on("update", (_update, origin) => {
    if (origin === provider) return; // from the box
    changes++;
    update();
    schedule();
  });

  // Count the server's step 2 answers. Only those that came over the
  // WebSocket (emitSynced is true there; false for other tabs' messages
  // arriving over the BroadcastChannel).
  const syncHandler = provider.messageHandlers[messageSync];
  provider.messageHandlers[messageSync] = (encoder, decoder, prov, emitSynced, type) => {
    const syncType = decoder.arr[decoder.pos];
    syncHandler(encoder, decoder, prov, emitSynced, type);
    if (emitSynced && syncType === syncStep2) {
      const covered = pending.shift();
      if (covered !== undefined && covered > acked) acked = covered;
      queueMicrotask(() => {
        update();
        if (acked < changes) schedule();
      });
    }
  };

  provider.on("status", ({ status }) => {
    if (status === "connected") {
      everConnected = true;
      pending = [-1]; // the provider's own step 1, sent right after this event
    }
    update();
  });
  provider.on("sync", (synced) => {
    update();
    if (synced) schedule();
  });
  // When the system says the network is gone, the socket is dead even if
  // the browser has not noticed yet (it would take y-websocket 30 s without
  // a message): close it now, so the status says so at once.
  window.addEventListener("offline", () => {
    provider.ws?.close();
    update();
  });
  window.addEventListener("online", () => {
    if (!provider.wsconnected && provider.shouldConnect) provider.connect();
    update();
  });
  update();
}
