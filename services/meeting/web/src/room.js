// room.js: the room's parts of the meeting's pages (web/room_panels.html):
// questions from the room, pros and cons, temperature checks, on the
// projector, the phones and the facilitator's control page. It draws from
// the meeting's event stream, which the core's page script re-dispatches
// on document as "meeting:event" ({name, data}): first "room" (the room as
// this person sees it), then one event per committed change (PROTOCOL.md,
// "The room"). The order of questions and arguments is the server's
// (orderQuestions, orderArguments in room_model.go), applied here again to
// the changes as they come.
import "./lib/room.css";

const root = document.getElementById("room");
const T = JSON.parse(document.getElementById("room-strings")?.textContent || "{}");
const t = (k) => T[k] ?? k;

/** @param {string} tag @param {Record<string, any>} props */
function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  e.append(...children.filter((c) => c !== null && c !== undefined));
  return e;
}

if (root) start(root);

function start(root) {
  const mode = root.dataset.mode;
  const id = root.dataset.meeting;
  const api = `/api/meeting/m/${encodeURIComponent(id)}`;
  const $ = (k) => root.querySelector(`[data-room="${k}"]`);
  const handlesKey = `coopbox-room-handles-${id}`;
  /** @type {Record<string, string>} handles of my anonymous questions, by id */
  let handles = {};
  try { handles = JSON.parse(localStorage.getItem(handlesKey) || "{}"); } catch { handles = {}; }
  const saveHandles = () => { try { localStorage.setItem(handlesKey, JSON.stringify(handles)); } catch { /* private mode: the handle lives as long as the page */ } };

  /** The room as this person sees it. */
  let st = null;
  // The named questions ("q<id>") and arguments ("a<id>") this page wrote:
  // the events are the same for everyone and carry no "mine", and the answer
  // to the request that wrote one may come before the event that adds it
  // (a loaded box, a lagging stream), when there is no entry yet to mark.
  const wrote = new Set();
  const boardEls = new Map();

  async function call(path, body) {
    const res = await fetch(api + path, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body ?? {}),
    });
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(data.error || t("err.internal"));
    return data;
  }
  // act runs a call and shows its refusal; it returns undefined on failure.
  async function act(path, body) {
    const box = $("error");
    try {
      const out = await call(path, body);
      if (box) box.hidden = true;
      return out;
    } catch (err) {
      if (box) { box.textContent = err.message; box.hidden = false; }
      else console.warn(err.message);
      return undefined;
    }
  }

  function load(v) {
    st = { settings: v.settings, fac: !!v.facilitator, questions: new Map(), hidden: new Map(), boards: new Map(), check: v.check || null };
    for (const q of v.questions) st.questions.set(q.id, q);
    for (const q of v.hidden || []) st.hidden.set(q.id, q);
    for (const b of v.boards) {
      const args = new Map();
      for (const a of [...b.pros, ...b.cons, ...(b.hidden || [])]) args.set(a.id, a);
      st.boards.set(b.id, { id: b.id, title: b.title, item: b.item, args });
    }
  }

  function apply(name, d) {
    if (name === "room") { load(d); return; }
    if (!st) return;
    switch (name) {
      case "room.settings": st.settings = d; break;
      case "question": {
        const old = st.questions.get(d.id) || st.hidden.get(d.id);
        const q = { ...d, text: d.text || old?.text || "", author: d.author || old?.author, voted: old?.voted, mine: old?.mine || wrote.has(`q${d.id}`) };
        st.questions.delete(d.id); st.hidden.delete(d.id);
        if (d.mergedInto) break;
        if (d.hidden) { if (st.fac) st.hidden.set(d.id, q); break; }
        st.questions.set(d.id, q);
        break;
      }
      case "question.gone": st.questions.delete(d.id); st.hidden.delete(d.id); break;
      case "proposal": if (!st.boards.has(d.id)) st.boards.set(d.id, { ...d, args: new Map() }); break;
      case "argument": {
        const b = st.boards.get(d.proposal);
        if (!b) break;
        const old = b.args.get(d.id);
        if (d.hidden && !st.fac) { b.args.delete(d.id); break; }
        b.args.set(d.id, { ...d, text: d.text || old?.text || "", author: d.author || old?.author, mine: old?.mine || wrote.has(`a${d.id}`), supported: old?.supported });
        break;
      }
      case "argument.gone": st.boards.get(d.proposal)?.args.delete(d.id); break;
      case "check": st.check = { ...d, mine: st.check?.id === d.id ? st.check.mine : undefined }; break;
    }
  }

  // Own actions answer with this person's flags (voted, supported, mine);
  // the counts come with the events.
  function mineQuestion(q) {
    const cur = st.questions.get(q.id) || st.hidden.get(q.id);
    if (cur) { cur.voted = q.voted; if (q.mine) cur.mine = true; }
  }

  let drawing = false;
  function schedule() {
    if (drawing) return;
    drawing = true;
    requestAnimationFrame(() => { drawing = false; draw(); });
  }

  document.addEventListener("meeting:event", (e) => {
    const { name, data } = e.detail;
    apply(name, data);
    schedule();
  });

  function ordered() {
    return [...st.questions.values()].sort((a, b) =>
      (a.pinned !== b.pinned ? (a.pinned ? -1 : 1) : 0) ||
      (a.answered !== b.answered ? (a.answered ? 1 : -1) : 0) ||
      (b.votes - a.votes) || (a.id - b.id));
  }
  function columns(b) {
    const by = (x, y) => (y.supports - x.supports) || (x.id - y.id);
    const shown = [...b.args.values()].filter((a) => !a.hidden);
    return [shown.filter((a) => a.side === "pro").sort(by), shown.filter((a) => a.side === "con").sort(by)];
  }
  function shownBoard() {
    if (st.settings.board && st.boards.has(st.settings.board)) return st.boards.get(st.settings.board);
    let last = null;
    for (const b of st.boards.values()) if (!last || b.id > last.id) last = b;
    return last;
  }
  const answerLabel = (kind, v) => kind === "thumbs" ? `${["👎", "👉", "👍"][v]} ${t(`thumbs.${v}`)}` : String(v);

  function bars(c) {
    const list = el("ul", { class: "bars" });
    c.counts.forEach((n, v) => {
      const bar = el("span", { class: "bar" });
      bar.style.width = c.total ? `${(100 * n) / c.total}%` : "0";
      list.append(el("li", {}, el("span", { text: answerLabel(c.kind, v) }), el("span", { "aria-hidden": "true" }, bar), el("span", { text: String(n) })));
    });
    const sum = `${c.total} ${t("check.answers")}` + (c.kind !== "thumbs" && c.total ? ` · ${t("check.mean")} ${(c.meanTenths / 10).toLocaleString(document.documentElement.lang)}` : "");
    return el("div", {}, list, el("p", { class: "meta", text: sum + (c.open ? "" : ` · ${t("check.closed")}`) }));
  }

  function draw() {
    if (!st) return;
    // Keep the focus on the same control across a redraw.
    const focused = document.activeElement?.closest?.("#room [data-key]")?.dataset.key;
    if (mode === "projector") drawProjector(); else drawPhone();
    if (focused) root.querySelector(`[data-key="${CSS.escape(focused)}"]`)?.focus();
  }

  function drawProjector() {
    const top = [];
    for (const q of ordered()) {
      if (top.length === 5) break;
      if (q.pinned || !q.answered) top.push(q);
    }
    $("top").replaceChildren(...(top.length ? top.map((q) => el("li", {},
      el("span", { class: "votes", text: String(q.votes) }),
      el("span", { text: q.text }),
      el("span", { class: "meta", text: ` — ${q.author || t("anonymous")}${q.merged?.length ? ` (+${q.merged.length})` : ""}` }))) : [el("li", { text: t("questions.none") })]));
    const b = shownBoard();
    $("board-title").textContent = b ? b.title : t("proscons");
    const [pros, cons] = b ? columns(b) : [[], []];
    const item = (a) => el("li", {}, el("span", { class: "votes", text: String(a.supports) }), el("span", { text: a.text }));
    $("pros").replaceChildren(...pros.map(item));
    $("cons").replaceChildren(...cons.map(item));
    const c = st.check;
    $("check-title").textContent = c?.prompt || t("check");
    $("check").replaceChildren(...(c ? [bars(c)] : []));
  }

  function drawPhone() {
    const fac = mode === "control" && st.fac;
    // The check.
    const c = st.check;
    $("check-part").hidden = !c;
    if (c) {
      $("check-title").textContent = c.prompt || t("check");
      const parts = [];
      if (c.open) {
        const answers = el("div", { class: "answers", role: "group", "aria-label": t("check.mine") });
        c.counts.forEach((_, v) => answers.append(el("button", {
          type: "button", "data-key": `answer-${c.id}-${v}`, "aria-pressed": String(c.mine === v), text: answerLabel(c.kind, v),
          onclick: async () => {
            const out = await act(`/checks/${c.id}/answer`, { value: v });
            if (out && st.check?.id === out.id) { st.check.mine = out.mine; schedule(); }
          },
        })));
        parts.push(el("p", { class: "meta", text: t("check.mine") }), answers);
      }
      parts.push(bars(c));
      if (fac && c.open) parts.push(el("button", { type: "button", "data-key": "check-close", text: t("check.close"), onclick: () => act(`/checks/${c.id}/close`) }));
      $("check").replaceChildren(...parts);
    }
    // Questions.
    $("ask-anonymous").hidden = !st.settings.anonymousQuestions;
    const qs = ordered();
    $("questions").replaceChildren(...(qs.length ? qs.map((q) => questionItem(q, fac)) : [el("li", { class: "meta", text: t("questions.none") })]));
    const hiddenPart = $("hidden-part");
    hiddenPart.hidden = !fac || st.hidden.size === 0;
    if (fac) $("hidden").replaceChildren(...[...st.hidden.values()].map((q) => questionItem(q, fac)));
    const anon = $("anonymous");
    if (anon) anon.checked = !!st.settings.anonymousQuestions;
    // Boards, the latest first.
    const list = $("boards");
    const ids = [...st.boards.keys()].sort((a, b) => b - a);
    for (const bid of ids) {
      let be = boardEls.get(bid);
      if (!be) { be = boardDOM(st.boards.get(bid)); boardEls.set(bid, be); }
      list.append(be.el); // in order, moving what exists
      const [pros, cons] = columns(st.boards.get(bid));
      be.pros.replaceChildren(...pros.map((a) => argumentItem(a, fac)));
      be.cons.replaceChildren(...cons.map((a) => argumentItem(a, fac)));
      if (fac) be.hidden.replaceChildren(...[...st.boards.get(bid).args.values()].filter((a) => a.hidden).map((a) => argumentItem(a, fac)));
    }
  }

  function questionItem(q, fac) {
    const handle = handles[q.id];
    const mine = q.mine || !!handle;
    const row = el("div", { class: "row" },
      el("button", {
        type: "button", "data-key": `vote-${q.id}`, "aria-pressed": String(!!q.voted), disabled: !!q.hidden,
        onclick: async () => { const out = await act(`/questions/${q.id}/vote`, { up: !q.voted }); if (out) { mineQuestion(out); schedule(); } },
      }, el("span", { "aria-hidden": "true", text: "▲ " }), String(q.votes), el("span", { class: "visually-hidden", text: ` ${t("votes")} · ${t("vote")}` })));
    if (mine && !q.answered) {
      row.append(el("button", {
        type: "button", "data-key": `edit-${q.id}`, text: t("edit"),
        onclick: async () => {
          const text = prompt(t("edit.prompt"), q.text);
          if (text !== null) await act(`/questions/${q.id}/text`, { text, handle: handle || "" });
        },
      }));
      row.append(el("button", {
        type: "button", "data-key": `withdraw-${q.id}`, text: t("withdraw"),
        onclick: async () => { if (await act(`/questions/${q.id}/withdraw`, { handle: handle || "" })) { delete handles[q.id]; saveHandles(); } },
      }));
    }
    if (fac) {
      const mod = (action, label) => el("button", { type: "button", "data-key": `${action}-${q.id}`, text: t(label), onclick: () => act(`/questions/${q.id}/moderate`, { action }) });
      row.append(q.hidden ? mod("show", "mod.show") : mod("hide", "mod.hide"),
        q.answered ? mod("unanswered", "mod.unanswered") : mod("answered", "mod.answered"),
        q.pinned ? mod("unpin", "mod.unpin") : mod("pin", "mod.pin"));
      if (!q.hidden) row.append(el("button", {
        type: "button", "data-key": `merge-${q.id}`, text: t("mod.merge"),
        onclick: () => { const into = Number(prompt(t("mod.mergeInto"))); if (into) act(`/questions/${q.id}/moderate`, { action: "merge", into }); },
      }));
    }
    const tags = [q.pinned && t("pinned"), q.answered && t("answered")].filter(Boolean).map((s) => el("span", { class: "tag", text: s }));
    return el("li", { class: `room-q${q.answered ? " answered" : ""}` },
      el("p", { class: "text", text: q.text }),
      el("p", { class: "meta", text: `#${q.id} · ${q.author || t("anonymous")}${q.merged?.length ? ` · ${t("merged")} : ${q.merged.join(" / ")}` : ""}` }, ...tags),
      row);
  }

  function argumentItem(a, fac) {
    const row = el("div", { class: "row" },
      el("button", {
        type: "button", "data-key": `support-${a.id}`, "aria-pressed": String(!!a.supported), disabled: !!a.hidden,
        onclick: async () => {
          const out = await act(`/arguments/${a.id}/support`, { up: !a.supported });
          const cur = out && st.boards.get(out.proposal)?.args.get(out.id);
          if (cur) { cur.supported = out.supported; schedule(); }
        },
      }, el("span", { "aria-hidden": "true", text: "+ " }), String(a.supports), el("span", { class: "visually-hidden", text: ` ${t("supports")} · ${t("support")}` })));
    if (a.mine) row.append(el("button", { type: "button", "data-key": `awithdraw-${a.id}`, text: t("withdraw"), onclick: () => act(`/arguments/${a.id}/withdraw`) }));
    if (fac) row.append(el("button", { type: "button", "data-key": `ahide-${a.id}`, text: t(a.hidden ? "mod.show" : "mod.hide"), onclick: () => act(`/arguments/${a.id}/moderate`, { action: a.hidden ? "show" : "hide" }) }));
    return el("li", { class: "room-arg" }, el("p", { class: "text", text: a.text }), el("p", { class: "meta", text: a.author || "" }), row);
  }

  function boardDOM(b) {
    const pros = el("ol", { class: "room-args" });
    const cons = el("ol", { class: "room-args" });
    const hidden = el("ol", { class: "room-args" });
    const hId = `room-board-${b.id}`;
    const textId = `room-arg-${b.id}`;
    const text = el("textarea", { id: textId, maxlength: "300", rows: "2" });
    const add = (side) => async (e) => {
      e.preventDefault();
      const out = await act(`/proposals/${b.id}/arguments`, { side, text: text.value });
      if (!out) return;
      text.value = "";
      if (out.mine) {
        wrote.add(`a${out.id}`);
        const cur = st.boards.get(out.proposal)?.args.get(out.id);
        if (cur) { cur.mine = true; schedule(); }
      }
    };
    const section = el("section", { class: "room-board", "aria-labelledby": hId },
      el("h3", { id: hId, text: b.title }),
      el("div", { class: "room-columns" },
        el("div", {}, el("h4", { text: t("pro") }), pros),
        el("div", {}, el("h4", { text: t("con") }), cons)),
      el("div", { class: "stack" },
        el("label", { for: textId, text: t("argue") }), text,
        el("div", { class: "row" },
          el("button", { type: "button", text: t("argue.pro"), onclick: add("pro") }),
          el("button", { type: "button", text: t("argue.con"), onclick: add("con") }))));
    if (mode === "control" && st.fac) {
      section.append(el("button", {
        type: "button", text: t("proposal.show"),
        onclick: async () => {
          if (await act("/room/settings", { ...st.settings, board: b.id })) await act("/projector", { view: "room:board" });
        },
      }), el("details", {}, el("summary", { text: t("hidden") }), hidden));
    }
    return { el: section, pros, cons, hidden };
  }

  // The control page's forms.
  $("ask")?.addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = e.target;
    const out = await act("/questions", { text: f.elements.namedItem("text").value, anonymous: !!f.elements.namedItem("anonymous")?.checked && st?.settings.anonymousQuestions });
    if (!out) return;
    f.reset();
    if (out.handle) { handles[out.question.id] = out.handle; saveHandles(); }
    if (out.question.mine) {
      wrote.add(`q${out.question.id}`);
      const cur = st?.questions.get(out.question.id);
      if (cur) cur.mine = true;
    }
    schedule();
  });
  $("anonymous")?.addEventListener("change", (e) => act("/room/settings", { ...st.settings, anonymousQuestions: e.target.checked }));
  $("new-proposal")?.addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = e.target;
    if (await act("/proposals", { title: f.elements.namedItem("title").value, item: f.elements.namedItem("item").value.trim() })) f.reset();
  });
  $("new-check")?.addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = e.target;
    const out = await act("/checks", { kind: f.elements.namedItem("kind").value, prompt: f.elements.namedItem("prompt").value });
    if (out) {
      f.elements.namedItem("prompt").value = "";
      await act("/projector", { view: "room:check" }); // the room sees it at once
    }
  });
  if (mode === "projector") {
    document.addEventListener("keydown", (e) => {
      if (e.ctrlKey || e.metaKey || e.altKey || e.target.closest?.("input,textarea,select")) return;
      const view = { q: "room:questions", p: "room:board", t: "room:check" }[e.key];
      if (view) act("/projector", { view });
    });
  }
}
