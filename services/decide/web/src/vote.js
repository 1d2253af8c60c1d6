// vote.js: the ballot form of a vote page (open votes through the member
// cookie; secret votes with a printed card's code or blind-signed tokens,
// sent without cookies), and the facilitators' buttons (votes list, desk).
import { RSABSSA } from "@cloudflare/blindrsa-ts";
import "./vote.css";

const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];
const b64url = (bytes) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const fr = document.documentElement.lang === "fr";
const say = (f, e) => (fr ? f : e);

function message(text, bad) {
  const m = $("#message");
  if (m) {
    m.textContent = text;
    m.classList.toggle("error", !!bad);
  }
}

async function api(method, url, body, credentials = "same-origin") {
  const res = await fetch(url, {
    method,
    credentials,
    headers: { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.error || res.statusText);
  return data;
}

/** ballotOf reads the form into tally's JSON ballot. */
function ballotOf(form) {
  const kind = form.dataset.kind;
  const fd = new FormData(form);
  switch (kind) {
    case "yesno":
    case "single":
    case "consent":
      return { choice: Number(fd.get("choice")) };
    case "approval":
      return { approved: fd.getAll("approved").map(Number) };
    case "score":
    case "dots":
      return { points: $$('input[name="points"]', form).map((i) => Number(i.value || 0)) };
    case "ranked": {
      const groups = new Map();
      for (const i of $$('input[name="rank"]', form)) {
        if (i.value === "") continue;
        const r = Number(i.value);
        if (!groups.has(r)) groups.set(r, []);
        groups.get(r).push(Number(i.dataset.option));
      }
      return { ranking: [...groups.keys()].sort((a, b) => a - b).map((k) => groups.get(k)) };
    }
    case "graded":
    case "dates": {
      const n = $$("fieldset.grades", form).length;
      const grades = [];
      for (let o = 0; o < n; o++) {
        const g = fd.get("grade-" + o);
        grades.push(g === null ? null : Number(g));
      }
      return { grades };
    }
  }
  return null;
}

/** Secret votes on a member's phone: tokens blind-signed as soon as the
 * page opens, kept in memory only. */
const signed = [];
async function fetchSignatures(article) {
  const vote = article.dataset.vote;
  const mine = await api("GET", `/api/decide/votes/${vote}/mine`);
  const left = (mine.rights || 0) - (mine.issued || 0);
  const info = $("#tokens");
  if (left <= 0) {
    if (info) info.textContent = say("Aucun droit de vote à retirer ici (cartes déjà reçues ?). Utilisez une carte.", "No voting right to fetch here (cards already received?). Use a card.");
    return;
  }
  const der = Uint8Array.from(article.dataset.key.match(/../g).map((h) => parseInt(h, 16)));
  const publicKey = await crypto.subtle.importKey("spki", der, { name: "RSA-PSS", hash: "SHA-384" }, true, ["verify"]);
  const suite = RSABSSA.SHA384.PSS.Randomized();
  const pending = [];
  for (let i = 0; i < left; i++) {
    const msg = crypto.getRandomValues(new Uint8Array(32));
    const prepared = suite.prepare(msg);
    const { blindedMsg, inv } = await suite.blind(publicKey, prepared);
    pending.push({ prepared, blindedMsg, inv });
  }
  const out = await api("POST", `/api/decide/votes/${vote}/sign`, { blinded: pending.map((p) => b64url(p.blindedMsg)) });
  for (let i = 0; i < pending.length; i++) {
    const sig = Uint8Array.from(atob(out.signatures[i].replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
    const p = pending[i];
    const signature = await suite.finalize(publicKey, p.prepared, sig, p.inv);
    signed.push({ token: b64url(p.prepared), signature: b64url(signature) });
  }
  if (info) info.textContent = say(`Vous avez ${signed.length} bulletin(s) secret(s) à déposer.`, `You have ${signed.length} secret ballot(s) to cast.`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const receipts = [];

async function submitBallot(article, form) {
  const vote = article.dataset.vote;
  const ballot = ballotOf(form);
  const btn = $("button.primary", form);
  btn.disabled = true;
  let done = false;
  try {
    let out;
    if (form.dataset.kind === "nominate") {
      const fd = new FormData(form);
      out = await api("POST", `/api/decide/votes/${vote}/ballot`, { nominee: fd.get("nominee"), reason: fd.get("reason") || "" });
    } else if (article.dataset.secret === "true") {
      let body;
      if (article.dataset.card === "true") {
        body = { token: $("#code").value.trim(), ballot };
      } else {
        const t = signed.shift();
        if (!t) throw new Error(say("Plus aucun bulletin à déposer.", "No ballot left to cast."));
        body = { token: t.token, signature: t.signature, ballot };
      }
      // A random delay, so the box cannot pair this ballot with the
      // signing request by their times (PROTOCOL.md, the secrecy model).
      message(say("Envoi du bulletin…", "Sending the ballot…"));
      await sleep(1000 + Math.random() * 4000);
      out = await api("POST", `/api/decide/votes/${vote}/cast`, body, "omit");
    } else {
      const fd = new FormData(form);
      const body = { ballot };
      if (fd.get("reason")) body.reason = fd.get("reason");
      out = await api("POST", `/api/decide/votes/${vote}/ballot`, body);
    }
    // A member carrying proxies casts several ballots: every receipt stays
    // on the screen, not only the last one.
    receipts.push(out.receipt);
    message(receipts.length === 1
      ? say(`Bulletin enregistré. Votre reçu : ${out.receipt}`, `Ballot recorded. Your receipt: ${out.receipt}`)
      : say(`Bulletins enregistrés : ${receipts.length}. Vos reçus : ${receipts.join(", ")}`, `Ballots recorded: ${receipts.length}. Your receipts: ${receipts.join(", ")}`));
    const info = $("#tokens");
    if (info && article.dataset.card !== "true") {
      info.textContent = signed.length
        ? say(`Bulletins restants : ${signed.length}`, `Ballots left: ${signed.length}`)
        : say("Tous vos bulletins sont déposés.", "All your ballots are cast.");
      done = signed.length === 0;
    }
  } catch (e) {
    message(e.message, true);
  } finally {
    btn.disabled = done;
  }
}

function votePage(article) {
  if (article.dataset.card === "true") {
    const code = decodeURIComponent(location.hash.slice(1));
    if (code && $("#code")) $("#code").value = code;
    // The code stays out of the address bar, history and any screenshot.
    if (code) history.replaceState(null, "", location.pathname);
  } else if (article.dataset.secret === "true" && article.dataset.state === "open" && article.dataset.key) {
    fetchSignatures(article).catch((e) => message(e.message, true));
  }
  const form = $("#ballot");
  if (form) form.addEventListener("submit", (ev) => { ev.preventDefault(); submitBallot(article, form); });
  const dform = $("#delegate-form");
  if (dform) dform.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const scope = $("#delegate-scope").value;
    const subject = scope === "question" ? dform.dataset.vote : scope === "topic" ? dform.dataset.topic : "";
    // "Nobody" is a choice (it blocks a wider delegation), never a default:
    // the list starts on "choose", and the form requires a choice.
    try {
      await api("POST", `/api/decide/a/${dform.dataset.assembly}/delegations`, { to: $("#delegate-to").value === "nobody" ? "" : $("#delegate-to").value, scope, subject });
      location.reload();
    } catch (e) { message(e.message, true); }
  });
  const note = $("#note-form");
  if (note) note.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      await api("POST", `/api/decide/votes/${article.dataset.vote}/notes`, { text: $("#note-text").value });
      location.reload();
    } catch (e) { message(e.message, true); }
  });
  // The event stream is for participants (a display name on the box) and
  // members bound by their link; a card holder without either votes
  // without live updates.
  if (article.dataset.live !== "true") return;
  const events = new EventSource(`/decide/a/${article.dataset.assembly}/events`);
  events.addEventListener("ballots", (ev) => {
    const d = JSON.parse(ev.data);
    if (d.vote === article.dataset.vote && $("#count")) $("#count").textContent = d.ballots;
  });
  events.addEventListener("vote", (ev) => {
    const d = JSON.parse(ev.data);
    // A state or phase change redraws the form; keep unsent tokens by not
    // reloading a secret page that holds some.
    if (d.id === article.dataset.vote && (d.state !== article.dataset.state || d.phase) && signed.length === 0) location.reload();
  });
}

function votesPage(section) {
  for (const b of $$("button[data-state]", section)) {
    b.addEventListener("click", async () => {
      const id = b.closest("[data-vote]").dataset.vote;
      // Closing cannot be undone (the result is frozen): a second press
      // on the same button confirms it.
      if (b.dataset.state === "closed" && !b.dataset.confirm) {
        b.dataset.confirm = "1";
        b.textContent = say("Confirmer la clôture", "Confirm closing");
        message(say("Un vote clos ne se rouvre pas : appuyez sur « Confirmer la clôture » pour clore.", "A closed vote does not reopen: press “Confirm closing” to close it."));
        return;
      }
      try {
        await api("POST", `/api/decide/votes/${id}/state`, { state: b.dataset.state });
        location.reload();
      } catch (e) { message(e.message, true); }
    });
  }
  for (const b of $$("button[data-phase]", section)) {
    b.addEventListener("click", async () => {
      const row = b.closest("[data-vote]");
      const body = { phase: b.dataset.phase };
      const sel = $("select.proposal", row);
      if (sel && sel.value) body.proposal = sel.value;
      try {
        await api("POST", `/api/decide/votes/${row.dataset.vote}/phase`, body);
        location.reload();
      } catch (e) { message(e.message, true); }
    });
  }
  for (const b of $$("button[data-amend]", section)) {
    b.addEventListener("click", async () => {
      const row = b.closest("[data-vote]");
      try {
        await api("PUT", `/api/decide/votes/${row.dataset.vote}`, { text: $("textarea.amend", row).value });
        message(say("Proposition amendée enregistrée.", "Amended proposal saved."));
      } catch (e) { message(e.message, true); }
    });
  }
  const form = $("#new-vote");
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const fd = new FormData(form);
    const v = {
      title: fd.get("title"), text: fd.get("text"), type: fd.get("type"),
      options: String(fd.get("options") || "").split("\n").map((s) => s.trim()).filter(Boolean),
      secret: fd.get("secret") === "on", hideResult: fd.get("hideResult") === "on", delegation: fd.get("delegation") === "on",
    };
    try {
      await api("POST", `/api/decide/a/${form.dataset.assembly}/votes`, v);
      location.reload();
    } catch (e) { message(e.message, true); }
  });
}

function deskPage(table) {
  for (const b of $$("button.hand", table)) {
    b.addEventListener("click", async () => {
      const n = Number(b.dataset.count) - Number(b.dataset.issued);
      try {
        const out = await api("POST", `/api/decide/votes/${table.dataset.vote}/handed`, { member: b.dataset.member, count: n });
        b.closest("tr").querySelector(".issued").textContent = out.issued;
        // The button goes; focus stays in the table and the desk hears
        // what was recorded.
        b.closest("tr").querySelector("td").tabIndex = -1;
        b.closest("tr").querySelector("td").focus();
        b.remove();
        message(say(`${b.dataset.name} : cartes remises (${out.issued}).`, `${b.dataset.name}: cards handed (${out.issued}).`));
      } catch (e) { message(e.message, true); }
    });
  }
}

const article = $("#vote");
if (article) votePage(article);
const section = $("#votes");
if (section) votesPage(section);
const desk = $("#desk");
if (desk) deskPage(desk);
