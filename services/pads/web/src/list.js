// The pad list: create, open, rename, search, trash and restore, copy the
// read-only link, lock (facilitators). The server checks every right; the
// buttons shown follow what it says this person may do (canManage).

const root = document.getElementById("pads");
const strings = JSON.parse(document.getElementById("pads-strings").textContent);
const facilitator = root.dataset.facilitator === "true";
const trash = root.dataset.trash === "true";
const list = document.getElementById("pads-list");
const announce = document.getElementById("pads-announce");
const dateFmt = new Intl.DateTimeFormat(document.documentElement.lang, { dateStyle: "medium", timeStyle: "short" });
let query = "";

function say(text) {
  announce.textContent = "";
  setTimeout(() => { announce.textContent = text; }, 50);
}

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: body ? { "Content-Type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.error || res.statusText);
  return data;
}

function button(label, onClick, cls = "") {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = label;
  if (cls) b.className = cls;
  b.addEventListener("click", onClick);
  return b;
}

async function act(fn, done) {
  try {
    await fn();
    say(done);
    await load();
  } catch (e) {
    say(strings.error + e.message);
    window.alert(strings.error + e.message);
  }
}

function readLink(pad) {
  return location.origin + "/pads/r/" + pad.readId;
}

function row(pad) {
  const li = document.createElement("li");
  li.className = "pads-item";
  const title = document.createElement("h3");
  if (trash) title.textContent = pad.title;
  else {
    const a = document.createElement("a");
    a.href = "/pads/" + encodeURIComponent(pad.id);
    a.textContent = pad.title;
    title.append(a);
  }
  if (pad.locked) {
    const lock = document.createElement("span");
    lock.className = "pads-badge";
    lock.textContent = strings.locked;
    title.append(" ", lock);
  }
  const meta = document.createElement("p");
  meta.className = "hint";
  meta.textContent = `${strings.updated} ${dateFmt.format(new Date(pad.updated))} · ${strings.by} ${pad.createdBy}`;
  li.append(title, meta);
  if (pad.snippet) {
    const s = document.createElement("p");
    s.className = "pads-snippet";
    s.textContent = pad.snippet;
    li.append(s);
  }
  const actions = document.createElement("div");
  actions.className = "pads-actions";
  const id = encodeURIComponent(pad.id);
  if (trash) {
    if (pad.canManage) actions.append(button(strings.restore, () => act(() => api("POST", `/api/pads/${id}/restore`), strings.restored)));
  } else {
    const canRename = !pad.locked || facilitator;
    if (canRename) {
      actions.append(button(strings.rename, (e) => renameForm(li, pad, e.currentTarget)));
    }
    actions.append(button(strings.copyLink, async (e) => {
      const link = readLink(pad);
      try {
        await navigator.clipboard.writeText(link);
        say(strings.copied);
        e.currentTarget.textContent = strings.copied;
      } catch {
        showLink(li, link);
      }
    }));
    if (facilitator) {
      actions.append(pad.locked
        ? button(strings.unlock, () => act(() => api("POST", `/api/pads/${id}/unlock`), strings.unlockedDone))
        : button(strings.lock, () => act(() => api("POST", `/api/pads/${id}/lock`), strings.lockedDone)));
    }
    if (pad.canManage) {
      actions.append(button(strings.trash, () => act(() => api("POST", `/api/pads/${id}/trash`), strings.trashed), "danger"));
    }
  }
  li.append(actions);
  return li;
}

// Where the clipboard is refused (a certificate clicked through), the link
// is shown, selected, to copy by hand.
function showLink(li, link) {
  if (li.querySelector(".pads-link")) return;
  const id = "link-" + Math.random().toString(36).slice(2);
  const wrap = document.createElement("p");
  wrap.className = "pads-link stack";
  const label = document.createElement("label");
  label.htmlFor = id;
  label.textContent = strings.readLink;
  const input = document.createElement("input");
  input.id = id;
  input.readOnly = true;
  input.value = link;
  wrap.append(label, input);
  li.append(wrap);
  input.focus();
  input.select();
}

function renameForm(li, pad, opener) {
  if (li.querySelector("form")) return;
  const form = document.createElement("form");
  form.className = "pads-rename";
  const id = "rename-" + pad.id;
  const label = document.createElement("label");
  label.htmlFor = id;
  label.textContent = strings.newTitle;
  const input = document.createElement("input");
  input.id = id;
  input.required = true;
  input.maxLength = 120;
  input.value = pad.title;
  const save = document.createElement("button");
  save.textContent = strings.save;
  const cancel = button(strings.cancel, () => { form.remove(); opener.focus(); }, "link");
  const row = document.createElement("div");
  row.className = "pads-row";
  row.append(input, save, cancel);
  form.append(label, row);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    act(() => api("PATCH", "/api/pads/" + encodeURIComponent(pad.id), { title: input.value }), strings.renamed);
  });
  li.append(form);
  input.focus();
  input.select();
}

// Answers may come back out of order (a reload after a rename, then a
// search): only the latest request's answer is shown.
let loads = 0;
async function load() {
  const mine = ++loads;
  const params = new URLSearchParams();
  if (trash) params.set("trash", "1");
  if (query) params.set("q", query);
  let pads;
  try {
    pads = await api("GET", "/api/pads?" + params);
  } catch (e) {
    if (mine === loads) say(strings.error + e.message);
    return;
  }
  if (mine !== loads) return;
  list.replaceChildren(...pads.map(row));
  if (pads.length === 0) {
    const li = document.createElement("li");
    li.className = "hint";
    li.textContent = query ? strings.noMatch : trash ? strings.emptyTrash : strings.empty;
    list.append(li);
  }
  list.setAttribute("aria-busy", "false");
}

document.getElementById("pads-create")?.addEventListener("submit", async (e) => {
  e.preventDefault();
  const input = document.getElementById("pads-create-title");
  try {
    const template = document.getElementById("pads-create-template").value;
    const pad = await api("POST", "/api/pads", { title: input.value, template });
    location.href = "/pads/" + encodeURIComponent(pad.id);
  } catch (err) {
    say(strings.error + err.message);
    window.alert(strings.error + err.message);
  }
});

document.getElementById("pads-import")?.addEventListener("submit", async (e) => {
  e.preventDefault();
  try {
    const res = await fetch("/api/pads/import", { method: "POST", body: new FormData(e.target) });
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(data.error || res.statusText);
    location.href = "/pads/" + encodeURIComponent(data.id);
  } catch (err) {
    say(strings.error + err.message);
    window.alert(strings.error + err.message);
  }
});

document.getElementById("pads-search").addEventListener("submit", (e) => {
  e.preventDefault();
  query = document.getElementById("pads-q").value.trim();
  load().then(() => say(`${list.querySelectorAll(".pads-item").length} ${strings.count}`));
});

load();
