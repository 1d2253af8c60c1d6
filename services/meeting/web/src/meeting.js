// meeting.js: the meeting's pages (home, phone, control, projector). Each
// page is a frame filled from the meeting's event stream ("state", see
// PROTOCOL.md); the room's scripts receive every event as a "meeting:event"
// CustomEvent on document. Timers run on performance.now() from the
// durations the box sent: no wall clock is compared.
import "./meeting.css";

const root = document.getElementById("meeting");
const T = root ? JSON.parse(root.dataset.strings || "{}") : {};
const page = root?.dataset.page;
const id = root?.dataset.id;
const me = root?.dataset.me;
const t = (k) => T[k] ?? k;

/** @param {string} k */
const el = (k) => root.querySelector(`[data-k="${k}"]`);

/** Shows msg in the page's (or the form's) alert, or hides it. */
function say(msg, where = root) {
  const p = where.querySelector(".error[role=alert]") || root.querySelector(".error[role=alert]");
  if (!p) return;
  p.textContent = msg || "";
  p.hidden = !msg;
}

/** POSTs body as JSON; throws Error(message of the box) on a refusal. */
async function api(path, body = {}) {
  const res = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  if (!res.ok) {
    let msg = res.statusText;
    try { msg = (await res.json()).error || msg; } catch { /* not JSON */ }
    throw new Error(msg);
  }
  return res.status === 204 ? null : res.json();
}

async function act(path, body, where) {
  try {
    const out = await api(path, body);
    say("", where);
    return out;
  } catch (e) {
    say(e.message, where);
    return undefined;
  }
}

function h(tag, attrs = {}, ...kids) {
  const n = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") n.textContent = v;
    else if (k.startsWith("on")) n.addEventListener(k.slice(2), v);
    else if (v !== false && v != null) n.setAttribute(k, v === true ? "" : v);
  }
  for (const c of kids) if (c != null) n.append(c);
  return n;
}

function clock(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const m = Math.floor(s / 60);
  return `${m}:${String(s % 60).padStart(2, "0")}`;
}

// Forms with data-api post their fields as JSON.
for (const form of document.querySelectorAll("form[data-api]")) {
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const body = {};
    for (const f of form.elements) {
      if (!f.name) continue;
      if (f.hasAttribute("data-bool")) body[f.name] = f.checked;
      else if (f.hasAttribute("data-num")) body[f.name] = Number(f.value);
      else body[f.name] = f.value;
    }
    const button = form.querySelector("button:not([type=button])");
    if (button) button.disabled = true; // one submission at a time
    const out = await act(form.dataset.api, body, form);
    if (button) button.disabled = false;
    if (out === undefined) return;
    if (page === "home" && out?.id) { location.href = `/meeting/m/${out.id}/control`; return; }
    if (form.querySelector("[name=title],[name=name]")) form.reset();
  });
}

let state = null;
let at = 0; // performance.now() when state arrived

const statusName = { pending: "pending", running: "running", paused: "paused2", done: "donestatus", skipped: "skipped" };

function delta(ms) {
  if (Math.abs(ms) < 60000) return t("ontime");
  return `${ms > 0 ? t("behind") : t("ahead")} ${clock(Math.abs(ms))}`;
}

function itemSpent(it) {
  return it.spentMs + (it.id === state.current && state.running ? performance.now() - at : 0);
}

function render() {
  const s = state;
  const cur = s.items.find((it) => it.id === s.current);
  el("item").textContent = cur ? `${cur.title}${s.running ? "" : " " + t("paused")}` : t("noitem");
  // The delta only grows once the current item overruns (scheduleDelta).
  let d = s.deltaMs;
  if (cur && s.running) {
    const planned = cur.plannedSec * 1000;
    d += Math.max(0, itemSpent(cur) - planned) - Math.max(0, cur.spentMs - planned);
  }
  el("delta").textContent = `· ${delta(d)}`;
  const minutes = el("minutes");
  if (minutes && s.meeting.minutesPad) {
    minutes.hidden = false;
    minutes.querySelector("a").href = `/pads/${s.meeting.minutesPad}`;
  }
  renderSpeaker();
  renderQueue();
  renderAgenda();
  if (page === "projector") renderProjector();
  if (page === "phone") renderPhone();
  if (page === "control") loadBalance();
}

function renderSpeaker() {
  const s = state;
  const sp = el("speaker");
  if (!sp) return;
  sp.textContent = s.speaker ? s.speaker.name : t("nobody");
  tick();
}

function tick() {
  const s = state;
  const timer = el("timer");
  if (!s || !timer) return;
  if (!s.speaker) { timer.textContent = ""; timer.classList.remove("over"); return; }
  const ms = s.speaker.elapsedMs + (s.running ? performance.now() - at : 0);
  const limit = s.limitSec * 1000;
  timer.textContent = limit ? `${clock(ms)} / ${clock(limit)}` : clock(ms);
  timer.classList.toggle("over", limit > 0 && ms > limit);
}

function renderQueue() {
  const q = el("queue");
  if (!q) return;
  const items = page === "projector" ? state.queue.slice(0, 6) : state.queue;
  q.replaceChildren(...items.map((r, i) => {
    const li = h("li", { class: r.personId === me ? "mine" : null }, h("span", { text: r.name }));
    if (r.reply) li.append(" ", h("span", { class: "tag", text: t("reply") }));
    if (page === "control") {
      li.append(" ",
        h("button", { type: "button", text: t("call"), onclick: () => act(`/api/meeting/m/${id}/speaker`, { request: r.id }) }),
        i > 0 ? h("button", { type: "button", text: t("up"), onclick: () => moveUp(i) }) : null,
        h("button", { type: "button", text: t("remove"), onclick: () => act(`/api/meeting/m/${id}/queue/${r.id}/withdraw`) }));
    }
    return li;
  }));
}

function moveUp(i) {
  const ids = state.queue.map((r) => r.id);
  [ids[i - 1], ids[i]] = [ids[i], ids[i - 1]];
  act(`/api/meeting/m/${id}/queue/order`, { ids });
}

function renderAgenda() {
  const list = el("agenda");
  if (!list) return;
  list.replaceChildren(...state.items.map((it, i) => {
    const li = h("li", { class: `st-${it.status}`, "data-item": it.id },
      h("span", { class: "title", text: it.title }),
      " ", h("span", { class: "meta", text: `· ${clock(itemSpent(it))} / ${clock(it.plannedSec * 1000)} · ${t(statusName[it.status])}` }));
    if (it.presenter) li.append(h("span", { class: "meta", text: ` · ${it.presenter}` }));
    if (it.notesPad && page !== "projector") li.append(" ", h("a", { href: `/pads/${it.notesPad}`, text: t("notes") }));
    if (page === "control") {
      const a = (label, action) => h("button", { type: "button", text: t(label), onclick: () => act(`/api/meeting/m/${id}/items/${it.id}/${action}`) });
      if (it.status !== "running") li.append(" ", a(it.status === "paused" ? "resume" : "start", "start"));
      if (it.status === "running") li.append(" ", a("pause", "pause"));
      if (it.id === state.current) li.append(" ", a("done", "done"));
      if (it.status === "pending" || it.id === state.current) li.append(" ", a("skip", "skip"));
      if (i > 0) {
        li.append(" ", h("button", { type: "button", text: t("up"), onclick: () => {
          const ids = state.items.map((x) => x.id);
          [ids[i - 1], ids[i]] = [ids[i], ids[i - 1]];
          act(`/api/meeting/m/${id}/items/order`, { ids });
        } }));
      }
      if (it.voteId) li.append(" ", h("button", { type: "button", text: t("vote"), onclick: () => act(`/api/meeting/m/${id}/projector`, { view: "vote", vote: it.voteId }) }));
    }
    if (it.id === state.current) li.setAttribute("aria-current", "step");
    return li;
  }));
}

function renderPhone() {
  const mine = state.queue.findIndex((r) => r.personId === me);
  const text = state.speaker?.personId === me ? t("you") : mine >= 0 ? t("position").replace("{n}", String(mine + 1)) : t("notqueued");
  el("mine").textContent = text;
  root.querySelector("[data-act=withdraw]").hidden = mine < 0;
  root.querySelector("[data-act=ask]").hidden = mine >= 0;
}

function renderProjector() {
  const view = state.view || "speaker";
  root.dataset.view = view;
  el("votetitle").textContent = state.vote ? state.vote.title : t("novote");
  el("votelines").replaceChildren(...(state.vote?.lines || []).map((l) => h("li", { text: l })));
  if (state.balance) el("balance").replaceChildren(balanceTable(t("meeting"), state.balance));
  else el("balance").replaceChildren(h("p", { text: t("nobalance") }));
}

function pct(n) { return `${n} %`; }

function balanceTable(title, b) {
  const rows = [];
  const group = (label, shares, name) => {
    if (!shares?.length) return;
    rows.push(h("tr", {}, h("th", { colspan: "3", scope: "colgroup", text: label })));
    for (const g of shares) {
      rows.push(h("tr", {}, h("th", { scope: "row", text: g.label ? name(g.label) : t("notgiven") }),
        h("td", { text: String(g.speakers) }), h("td", { text: `${clock(g.time / 1e6)} (${pct(g.percent)})` })));
    }
  };
  group(t("speakers"), b.people, (l) => l);
  group(t("gender"), b.byGender, (l) => t(l));
  group(t("college"), b.byCollege, (l) => l);
  return h("div", { class: "balance" },
    h("h3", { text: title }),
    h("p", { text: `${b.speakers} ${t("speakers")} · ${b.firstTime} ${t("first")} · ${t("total")} ${clock(b.total / 1e6)}` }),
    h("table", {}, h("tbody", {}, ...rows)));
}

let balanceBusy = false;
async function loadBalance() {
  if (balanceBusy) return;
  balanceBusy = true;
  try {
    const res = await fetch(`/api/meeting/m/${id}/balance`);
    if (!res.ok) return;
    const b = await res.json();
    const parts = [balanceTable(t("meeting"), b.meeting)];
    for (const it of b.items) if (it.balance.speakers) parts.push(balanceTable(it.title, it.balance));
    el("balance").replaceChildren(...parts);
  } finally { balanceBusy = false; }
}

function dispatch(name, data) {
  document.dispatchEvent(new CustomEvent("meeting:event", { detail: { name, data } }));
}

function connect() {
  const es = new EventSource(`/meeting/m/${id}/events`);
  es.addEventListener("state", (e) => {
    state = JSON.parse(e.data);
    at = performance.now();
    render();
    dispatch("state", state);
  });
  const room = new Set();
  for (const n of document.querySelectorAll("[data-room-events]")) {
    for (const name of n.dataset.roomEvents.split(/\s+/)) if (name && name !== "state") room.add(name);
  }
  for (const name of room) es.addEventListener(name, (e) => dispatch(name, JSON.parse(e.data)));
}

function setup() {
  if (!id) return;
  connect();
  setInterval(() => { if (state) { tick(); if (state.running) renderAgendaTimes(); } }, 250);
  root.querySelector("[data-act=ask]")?.addEventListener("click", (e) => act(`/api/meeting/m/${id}/queue`, {}, e.target.closest("section")));
  root.querySelector("[data-act=reply]")?.addEventListener("click", (e) => act(`/api/meeting/m/${id}/queue`, { reply: true }, e.target.closest("section")));
  root.querySelector("[data-act=withdraw]")?.addEventListener("click", (e) => {
    const mine = state?.queue.find((r) => r.personId === me);
    if (mine) act(`/api/meeting/m/${id}/queue/${mine.id}/withdraw`, {}, e.target.closest("section"));
  });
  root.querySelector("[data-act=next]")?.addEventListener("click", () => act(`/api/meeting/m/${id}/speaker`, {}));
  root.querySelector("[data-act=endturn]")?.addEventListener("click", () => act(`/api/meeting/m/${id}/speaker/end`, {}));
  root.querySelector("[data-act=rules]")?.addEventListener("click", () => act(`/api/meeting/m/${id}/queue/order`, { rules: true }));
  root.querySelector("[data-act=end]")?.addEventListener("click", async () => {
    if (!confirm(t("confirmend"))) return;
    const out = await act(`/api/meeting/m/${id}/end`, {});
    if (out?.url) location.href = out.url;
  });
  for (const b of root.querySelectorAll("button[data-view]")) {
    b.addEventListener("click", () => act(`/api/meeting/m/${id}/projector`, { view: b.dataset.view }));
  }
  const votes = el("votes");
  if (votes) {
    fetch(`/api/meeting/m/${id}/votes`).then((r) => r.ok ? r.json() : []).then((list) => {
      for (const v of list) votes.append(h("option", { value: v.id, text: v.title }));
    });
  }
  if (page === "projector") keys();
}

function renderAgendaTimes() {
  const cur = state.items.find((it) => it.id === state.current);
  const li = cur && el("agenda")?.querySelector(`[data-item="${cur.id}"] .meta`);
  if (li) li.textContent = `· ${clock(itemSpent(cur))} / ${clock(cur.plannedSec * 1000)} · ${t(statusName[cur.status])}`;
  const d = el("delta");
  if (d && cur) {
    const planned = cur.plannedSec * 1000;
    d.textContent = `· ${delta(state.deltaMs + Math.max(0, itemSpent(cur) - planned) - Math.max(0, cur.spentMs - planned))}`;
  }
}

// The projector's keys; the box decides who may drive (facilitators).
function keys() {
  const dialog = document.getElementById("keys");
  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || e.target.closest("input,textarea,select")) return;
    const view = { s: "speaker", a: "agenda", v: "vote", b: "balance" }[e.key];
    if (view) act(`/api/meeting/m/${id}/projector`, { view });
    else if (e.key === "n") act(`/api/meeting/m/${id}/speaker`, {});
    else if (e.key === "e") act(`/api/meeting/m/${id}/speaker/end`, {});
    else if (e.key === " " && state?.current) {
      e.preventDefault();
      act(`/api/meeting/m/${id}/items/${state.current}/${state.running ? "pause" : "start"}`);
    } else if (e.key === "f") {
      if (document.fullscreenElement) document.exitFullscreen(); else document.documentElement.requestFullscreen?.().catch(() => {});
    } else if (e.key === "?") {
      if (dialog.open) dialog.close(); else dialog.showModal();
    } else return;
  });
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setup);
else setup();
