// The check-in desk (desk.html) and the live quorum of an assembly's page
// (assembly.html). Phone first: search as you type (accents ignored, the
// same fold as the server's), tick present, record proxies, show a
// member's link as a QR code, scan a member's card with the camera. The
// quorum follows the assembly's event stream, so two desks stay in step.
import "./lib/roll.css";
import { fold, matches, fill } from "./lib/fold.js";
import { drawQuorum, follow } from "./lib/quorum.js";
import { Scanner } from "./lib/scan.js";

const T = JSON.parse(document.getElementById("desk-strings")?.textContent || "{}");
const deskEl = document.getElementById("desk");
const quorumEl = document.getElementById("quorum");

if (deskEl) {
  runDesk(deskEl);
} else if (quorumEl) {
  follow(quorumEl.dataset.assembly, (q) => drawQuorum(quorumEl, q, T));
}

// How many lines the list draws at once: a phone scrolls a short list.
const LIMIT = 60;

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "class") e.className = v;
    else if (k.startsWith("data-") || k.startsWith("aria-")) e.setAttribute(k, v);
    else e[k] = v;
  }
  e.append(...children.filter((c) => c !== null && c !== undefined));
  return e;
}

async function call(method, url, body) {
  const res = await fetch(url, {
    method, credentials: "same-origin",
    headers: body ? { "Content-Type": "application/json", Accept: "application/json" } : { Accept: "application/json" },
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.error || res.statusText);
  return data;
}

function runDesk(root) {
  const id = root.dataset.assembly;
  const api = `/api/decide/a/${encodeURIComponent(id)}`;
  const list = document.getElementById("desk-list");
  const input = document.getElementById("desk-q");
  const count = document.getElementById("desk-count");
  const message = document.getElementById("desk-message");
  const dialog = document.getElementById("desk-dialog");
  const dialogH = document.getElementById("desk-dialog-h");
  const dialogBody = document.getElementById("desk-dialog-body");
  const scanButton = document.getElementById("scan-start");
  let state = { members: [], quorum: null, maxProxies: 2 };
  let byId = new Map();
  let countTimer = 0;
  let opener = null;

  const say = (text) => { message.textContent = text; };
  const nameOf = (mid) => byId.get(mid)?.name ?? "?";

  // apply takes a change's answer: the new quorum and the lines changed.
  function apply(ans) {
    for (const m of ans.members ?? []) {
      const i = state.members.findIndex((x) => x.id === m.id);
      if (i >= 0) state.members[i] = m;
      byId.set(m.id, m);
    }
    state.quorum = ans.quorum;
    drawQuorum(quorumEl, ans.quorum, T);
    render();
  }

  async function load() {
    const v = await call("GET", `${api}/desk`);
    state = v;
    byId = new Map(v.members.map((m) => [m.id, m]));
    drawQuorum(quorumEl, v.quorum, T);
    render();
  }

  function meta(m) {
    const parts = [];
    if (m.college) parts.push(m.college);
    if (!m.voting) parts.push(T.noVote);
    parts.push(m.present ? T.present : T.absent);
    if (m.proxyTo) parts.push(fill(m.counts ? T.proxyCounts : T.proxyWaits, { name: nameOf(m.proxyTo) }));
    if (m.carrying?.length) parts.push(fill(T.carrying, { names: m.carrying.map(nameOf).join(" ; ") }));
    return parts.join(" · ");
  }

  function item(m) {
    const tick = el("input", { type: "checkbox", id: `p-${m.id}`, checked: m.present, "aria-describedby": `m-${m.id}` });
    tick.addEventListener("change", () => setPresent(m, tick));
    const li = el("li", { class: `desk-item${m.present ? " present" : ""}`, "data-id": m.id },
      el("div", { class: "desk-who" }, tick, el("label", { htmlFor: `p-${m.id}`, class: "member-name" }, m.name)),
      el("p", { class: "member-meta", id: `m-${m.id}` }, meta(m)));
    const actions = el("div", { class: "desk-actions" });
    if (m.voting && !m.present) {
      const b = el("button", { type: "button", class: "secondary" }, T.proxy, el("span", { class: "visually-hidden" }, ` ${m.name}`));
      b.addEventListener("click", () => proxyDialog(m, b));
      actions.append(b);
    }
    const l = el("button", { type: "button", class: "secondary" }, T.link, el("span", { class: "visually-hidden" }, ` ${m.name}`));
    l.addEventListener("click", () => linkDialog(m, l));
    actions.append(l);
    li.append(actions);
    return li;
  }

  function render() {
    const focused = document.activeElement?.id;
    const q = fold(input.value);
    const found = q ? state.members.filter((m) => matches(m.key, q)) : state.members;
    list.replaceChildren(...found.slice(0, LIMIT).map(item));
    if (found.length > LIMIT) list.append(el("li", { class: "desk-more" }, fill(T.more, { n: found.length - LIMIT })));
    if (focused && focused !== "desk-q") document.getElementById(focused)?.focus();
    clearTimeout(countTimer);
    countTimer = setTimeout(() => {
      count.textContent = found.length ? fill(T.results, { n: found.length }) : T.noResult;
    }, 400);
  }

  async function setPresent(m, tick) {
    try {
      const ans = await call("POST", `${api}/presence`, { member: m.id, present: tick.checked });
      say(fill(tick.checked ? T.checkedIn : T.checkedOut, { name: m.name }) +
        (ans.revoked ? " " + fill(T.revoked, { name: m.name, carrier: nameOf(ans.revoked.Carrier) }) : ""));
      apply(ans);
    } catch (e) {
      tick.checked = !tick.checked;
      say(fill(T.error, { error: e.message }));
    }
  }

  function openDialog(title, from) {
    opener = from;
    dialogH.textContent = title;
    dialogBody.replaceChildren();
    dialog.classList.remove("full");
    dialog.showModal();
  }
  function closeDialog() {
    dialog.close();
  }
  dialog.addEventListener("close", () => { opener?.focus(); opener = null; });

  function proxyDialog(m, from) {
    openDialog(fill(T.proxyTo, { name: m.name }), from);
    const err = el("p", { class: "error", role: "alert", hidden: true });
    const select = el("select", { id: "proxy-carrier", required: true });
    select.append(el("option", { value: "" }, T.chooseCarrier));
    for (const c of state.members) {
      if (!c.voting || c.id === m.id) continue;
      const n = c.carrying?.length ?? 0;
      select.append(el("option", { value: c.id, selected: c.id === m.proxyTo },
        `${c.name}${c.college ? ` (${c.college})` : ""} — ${n}/${state.maxProxies}${c.present ? "" : ` · ${T.absent}`}`));
    }
    const form = el("form", { class: "stack" },
      el("label", { htmlFor: "proxy-carrier" }, T.carrier), select, err);
    const give = el("button", { type: "submit" }, T.give);
    const cancel = el("button", { type: "button", class: "secondary" }, T.cancel);
    cancel.addEventListener("click", closeDialog);
    const row = el("div", { class: "desk-actions" }, give);
    if (m.proxyTo) {
      const withdraw = el("button", { type: "button", class: "danger" }, T.withdraw);
      withdraw.addEventListener("click", () => send(""));
      row.append(withdraw);
    }
    row.append(cancel);
    form.append(row);
    async function send(carrier) {
      try {
        const ans = await call("POST", `${api}/proxies`, { giver: m.id, carrier });
        closeDialog();
        say(carrier ? fill(T.proxyGiven, { giver: m.name, carrier: nameOf(carrier) }) : fill(T.proxyWithdrawn, { name: m.name }));
        apply(ans);
      } catch (e) {
        err.hidden = false;
        err.textContent = fill(T.error, { error: e.message });
      }
    }
    form.addEventListener("submit", (ev) => { ev.preventDefault(); if (select.value) send(select.value); });
    dialogBody.append(form);
    select.focus();
  }

  function linkDialog(m, from) {
    openDialog(fill(T.linkTitle, { name: m.name }), from);
    const err = el("p", { class: "error", role: "alert", hidden: true });
    const make = el("button", { type: "button" }, T.link);
    const close = el("button", { type: "button", class: "secondary" }, T.linkClose);
    close.addEventListener("click", closeDialog);
    if (m.link !== "none") dialogBody.append(el("p", { class: "warning" }, fill(T.linkWarn, { bound: m.bound || 0 })));
    dialogBody.append(err, el("div", { class: "desk-actions" }, make, close));
    make.addEventListener("click", async () => {
      try {
        const ans = await call("POST", `${api}/members/${encodeURIComponent(m.id)}/link`);
        dialog.classList.add("full");
        const qr = el("div", { class: "qr-full" });
        qr.innerHTML = ans.qr; // an SVG drawn by the box (card.go's drawQR)
        dialogBody.replaceChildren(qr, el("p", { class: "link-url" }, ans.url), el("div", { class: "desk-actions" }, close));
        close.focus();
        load();
      } catch (e) {
        err.hidden = false;
        err.textContent = fill(T.error, { error: e.message });
      }
    });
    make.focus();
  }

  const scanner = new Scanner(document.getElementById("scan-video"), async (code) => {
    if (!code.includes("/decide/m/")) return;
    stopScan();
    try {
      const ans = await call("POST", `${api}/scan`, { token: code });
      say(`${T.scanned} ${fill(T.checkedIn, { name: ans.member?.name ?? "" })}`);
      apply(ans);
    } catch (e) {
      say(fill(T.error, { error: e.message }));
    }
  });
  function stopScan() {
    scanner.stop();
    scanButton.textContent = T.scan;
  }
  scanButton.addEventListener("click", async () => {
    if (scanner.running) { stopScan(); return; }
    try {
      await scanner.start();
      scanButton.textContent = T.scanStop;
    } catch {
      stopScan();
      say(T.scanNoCamera);
    }
  });
  if (!navigator.mediaDevices?.getUserMedia) scanButton.hidden = true;

  document.getElementById("desk-search").addEventListener("submit", (e) => e.preventDefault());
  input.addEventListener("input", render);

  follow(id, (q) => {
    drawQuorum(quorumEl, q, T);
    if (state.quorum && q.rev !== state.quorum.rev) load().catch(() => {});
  }, (up) => { if (!up) say(T.offline); });
  load().catch((e) => say(fill(T.error, { error: e.message })));
}
