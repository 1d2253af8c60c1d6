// The "Done when" as one browser test, driven by
// whole_assembly_test.go (decide on plain http://127.0.0.1, the box's CSP
// on). A facilitator runs a whole AG: creates the assembly, imports a roll
// of eight members without colleges, checks members in at the desk on a
// 390-px phone with one proxy, prints member cards and ballot cards; the
// members bind their phones with their cards' links; an open vote with a
// delegation (the result lists the chain), a secret ranked vote cast from
// three phones (two by blind signatures, one by a printed card's code) that
// the projector shows live, and the exports downloaded and parsed. Every
// page visited passes axe, holds no English word on a French page, and fits
// 390 and 1280 px; no script error, no CSP refusal, no request outside.
// Writes the downloads to DIR and prints "RESULT {…}" for the Go test.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import jsQR from "jsqr";
import { launch, ok } from "../../page/testdata/browser.mjs";

const [base, dir, shots] = process.argv.slice(2);
assert.ok(base?.startsWith("http://127.0.0.1") && dir, "usage: node whole_assembly.mjs http://127.0.0.1:PORT DIR [SHOTS]");
const browser = await launch();
const phone = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: "fr-FR" };
const laptop = { viewport: { width: 1280, height: 800 }, locale: "fr-FR" };
const pages = [];

// axe-core evaluated in the page itself (DevTools evaluation is not
// subject to the page's CSP), so that the pages checked are the very pages
// the people use, POST answers included; the same rules as browser.mjs.
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

// English-only words: in the English side of decide's messages and in no
// French string. A French page showing one has an untranslated string.
const messages = ["messages.json", "messages_roll.json", "messages_vote.json"]
  .map((f) => JSON.parse(readFileSync(new URL(`../web/${f}`, import.meta.url), "utf8")));
const words = (s) => s.toLowerCase().match(/\p{L}[\p{L}']*/gu) ?? [];
const frWords = new Set(messages.flatMap((m) => Object.values(m).flatMap((v) => words(v.fr ?? ""))));
const english = new Set(messages.flatMap((m) => Object.values(m).flatMap((v) => words(v.en ?? "")))
  .filter((w) => w.length > 1 && !frWords.has(w)));
// French-only words, for the English pages.
const enWords = new Set(messages.flatMap((m) => Object.values(m).flatMap((v) => words(v.en ?? ""))));
const french = new Set([...frWords].filter((w) => w.length > 1 && !enWords.has(w)));
// Names people typed (assembly, votes, options, members) are not the page's.
const typedText = "AG de l'Atelier partagé samedi 14 mars 2027 Adoption du rapport moral Projet de l'année " +
  "Atelier vélo Jardin partagé Recyclerie Alice Martin Bruno Petit Chloé Durand Denis Lefèvre Élodie Moreau " +
  "François Roux Gaëlle Fournier Hugo Girard Camille Salle";
const typed = new Set(words(typedText));

async function person(cookies, device) {
  const ctx = await browser.newContext({ ...device });
  if (cookies.length) await ctx.addCookies(cookies.map(([name, value]) => ({ name, value, url: base })));
  const page = await ctx.newPage();
  page.errors = [];
  page.outside = [];
  page.on("pageerror", (e) => page.errors.push(String(e)));
  page.on("dialog", (d) => { page.errors.push(`dialog ${d.message()}`); d.dismiss(); });
  page.on("console", (m) => { if (m.type() === "error") page.errors.push(m.text()); });
  page.on("response", (r) => { if (r.status() >= 400) page.errors.push(`${r.status()} ${r.request().method()} ${r.url()}`); });
  page.on("request", (r) => { if (!r.url().startsWith(base) && !r.url().startsWith("data:")) page.outside.push(r.url()); });
  pages.push(page);
  return page;
}
const facilitator = (device) => person([["testperson", encodeURIComponent("f|Camille|#1a5fb4|facilitator")]], device);

// look checks the page as it stands: axe, French, both widths, and takes
// the screenshots a person reviews when SHOTS is set.
const seen = [];
async function look(page, what, lang = "fr") {
  await page.evaluate(axeSource + "\n;0");
  const res = await page.evaluate(async () =>
    await window.axe.run(document, { runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] }));
  const bad = res.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target).join(", ")})`), [],
    `${what}: serious accessibility violations`);
  let text = await page.evaluate((lang) => {
    // Text marked as another language (the language switch) is not the page's.
    const other = [...document.querySelectorAll(`[lang]:not([lang=${lang}])`)];
    for (const el of other) el.dataset.hidden = el.style.display, el.style.display = "none";
    const parts = [document.title, document.body.innerText];
    for (const el of other) el.style.display = el.dataset.hidden;
    for (const el of document.querySelectorAll("[aria-label], [title], [alt], [placeholder], option, input[type=submit], input[type=button]")) {
      for (const a of ["aria-label", "title", "alt", "placeholder"]) if (el.getAttribute(a)) parts.push(el.getAttribute(a));
      if (el.tagName === "OPTION" || el.tagName === "INPUT") parts.push(el.textContent || el.value || "");
    }
    return parts.join("\n");
  }, lang);
  assert.equal(await page.evaluate(() => document.documentElement.lang), lang, `${what}: the page's language`);
  // A key shown instead of its text: decide's own keys are a bug; the
  // layout's "account.title" and "join.rename" belong to services this
  // test does not run (the box has them).
  const keys = text.match(/\b[a-z]+(\.[a-zA-Z]+)+\b/g)?.filter((k) => messages.some((m) => k in m)) ?? [];
  assert.deepEqual(keys, [], `${what}: message keys without their text`);
  text = text.replace(/\b(account\.title|join\.rename)\b/g, "");
  // Hashes, receipts and card codes are not words.
  text = text.replace(/\b[0-9a-f]{32,}\b/g, "").replace(/\b[A-Z2-7][A-Z2-7-]{9,}\b/g, "");
  // File names (result.csv, ballots.soc) are names, not words.
  text = text.replace(/\b\w+\.(csv|json|soc|soi|toc|toi|cat)\b/g, "");
  const foreign = lang === "fr" ? english : french;
  const found = [...new Set(words(text).filter((w) => foreign.has(w) && !typed.has(w)))];
  assert.deepEqual(found.map((w) => text.split("\n").find((l) => l.toLowerCase().includes(w))), [],
    `${what}: ${lang === "fr" ? "English words on a French page" : "French words on an English page"}`);
  // Every link of decide's on the page leads somewhere this person may go.
  const hrefs = await page.evaluate(() => [...document.querySelectorAll("a[href^='/decide/'], a[href^='/api/decide/']")].map((a) => a.href));
  for (const href of new Set(hrefs)) {
    const res = await page.request.get(href, { maxRedirects: 0 });
    const to = res.headers()["location"] ?? "";
    // A redirection to the facilitators' sign-in is a dead end for a
    // member; one to /join (choosing a display name) is the box's way in.
    assert.ok(res.status() < 300 || (res.status() < 400 && /^(https?:\/\/[^/]+)?\/(decide\/|join\?)/.test(to)),
      `${what}: the link ${href} answers ${res.status()} ${to}`);
  }
  // The keyboard reaches every visible control, and shows where it is.
  const controls = await page.evaluate(() => {
    // A modal dialog makes the rest of the page inert, as it should.
    const root = document.querySelector("dialog:modal") ?? document;
    const all = [...root.querySelectorAll("a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]:not([tabindex='-1'])")]
      .filter((el) => !el.disabled && el.checkVisibility({ visibilityProperty: true }));
    all.forEach((el, i) => { el.dataset.kb = String(i); });
    // Radio buttons of one group are one stop: the arrows move within it.
    const groups = new Set();
    return all.filter((el) => el.type !== "radio" || (!groups.has(el.name) && groups.add(el.name))).map((el) => el.dataset.kb);
  });
  await page.evaluate(() => { if (!document.querySelector("dialog:modal")) { document.activeElement?.blur(); window.scrollTo(0, 0); } });
  const reached = new Set(), unseen = [];
  for (let i = 0; i < controls.length + 3; i++) {
    await page.keyboard.press("Tab");
    const f = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el || el === document.body) return null;
      const st = getComputedStyle(el);
      const ring = (st.outlineStyle !== "none" && parseFloat(st.outlineWidth) >= 2) || st.boxShadow !== "none";
      return { kb: el.dataset.kb, ring, name: (el.getAttribute("aria-label") || el.textContent || el.name || el.id || el.tagName).trim().slice(0, 40) };
    });
    if (!f) continue;
    if (process.env.KB_DEBUG) console.log("tab", what, i, f.kb, f.name);
    if (f.kb) reached.add(f.kb);
    if (!f.ring) unseen.push(f.name);
  }
  const missed = controls.filter((k) => !reached.has(k));
  if (missed.length) {
    const names = await page.evaluate((ks) => ks.map((k) => document.querySelector(`[data-kb="${k}"]`)?.outerHTML.slice(0, 80)), missed);
    assert.deepEqual(names, [], `${what}: controls the keyboard does not reach`);
  }
  assert.deepEqual([...new Set(unseen)], [], `${what}: focus not visible on`);
  await page.evaluate(() => { for (const el of document.querySelectorAll("[data-kb]")) delete el.dataset.kb; document.activeElement?.blur(); });
  const vp = page.viewportSize();
  for (const width of [390, 1280]) {
    await page.setViewportSize({ width, height: width === 390 ? 844 : 800 });
    // Against the screen's width, not innerWidth: a phone's browser widens
    // its layout viewport to fit a page that runs off the screen.
    const sw = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(sw <= width, `${what}: the page is ${sw}px wide on a ${width}px screen`);
    if (shots) await page.screenshot({ path: `${shots}/${String(seen.length).padStart(2, "0")}-${what.replace(/\W+/g, "-")}-${width}.png`, fullPage: true });
  }
  await page.setViewportSize(vp);
  seen.push(what);
  if (process.env.LOOK_TIMES) ok(`looked at ${what}`);
}

// printed presses the page's "Imprimer" button and checks that it opened
// the browser's print dialog.
async function printed(page, what) {
  await page.evaluate(() => { window.print = () => { document.body.dataset.printed = "yes"; }; });
  await page.getByRole("button", { name: "Imprimer", exact: true }).click();
  await page.waitForFunction(() => document.body.dataset.printed === "yes", null, { timeout: 5000 })
    .catch(() => assert.fail(`${what} does nothing`));
}

// decodeQR reads a QR code drawn by the box (an inline SVG) as a camera
// would. The page sends back grey levels as one string: an array of
// 640,000 numbers takes seconds through the DevTools protocol.
async function decodeQR(svg) {
  const N = 400;
  const grey = await svg.evaluate(async (el, N) => {
    const img = new Image();
    img.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(new XMLSerializer().serializeToString(el));
    await img.decode();
    const c = document.createElement("canvas");
    c.width = c.height = N;
    const ctx = c.getContext("2d");
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, N, N);
    ctx.drawImage(img, 20, 20, N - 40, N - 40);
    const d = ctx.getImageData(0, 0, N, N).data;
    let out = "";
    for (let i = 0; i < d.length; i += 4) out += String.fromCharCode(d[i + 1]);
    return out;
  }, N);
  const rgba = new Uint8ClampedArray(N * N * 4);
  for (let i = 0; i < N * N; i++) {
    const g = grey.charCodeAt(i);
    rgba[4 * i] = rgba[4 * i + 1] = rgba[4 * i + 2] = g;
    rgba[4 * i + 3] = 255;
  }
  return jsQR(rgba, N, N, { inversionAttempts: "dontInvert" })?.data;
}

const roll = "Nom;Poids;Droit de vote\r\nAlice Martin;1;oui\r\nBruno Petit;1;oui\r\nChloé Durand;1;oui\r\n" +
  "Denis Lefèvre;1;oui\r\nÉlodie Moreau;1;oui\r\nFrançois Roux;1;oui\r\nGaëlle Fournier;1;oui\r\nHugo Girard;1;non\r\n";

let exitCode = 0;
try {
  // 1. The assembly and its roll, on the facilitator's phone.
  const F = await facilitator(phone);
  await F.goto(base + "/decide/");
  await look(F, "home");
  await F.getByLabel("Titre").fill("AG de l'Atelier partagé");
  await F.getByLabel("Date (facultatif)").fill("samedi 14 mars 2027");
  await Promise.all([F.waitForURL(/\/decide\/a\/[\w-]+\/roll$/), F.getByRole("button", { name: "Créer l'assemblée" }).click()]);
  const assembly = new URL(F.url()).pathname.split("/")[3];
  await F.getByLabel("Fichier CSV du registre").setInputFiles({ name: "adherents.csv", mimeType: "text/csv", buffer: Buffer.from(roll) });
  await F.getByRole("button", { name: "Importer", exact: true }).click();
  await F.getByText("Membres importés : 8.").waitFor();
  await F.getByRole("heading", { name: "Membres (8)" }).waitFor();
  await look(F, "roll");
  ok("a facilitator creates the assembly and imports a roll of 8 members, no colleges");

  // 2. The desk on the phone: five present, François's proxy to Alice.
  await F.getByRole("link", { name: "Ouvrir l'émargement" }).click();
  await F.waitForURL(/\/desk$/);
  await F.locator(".desk-item").first().waitFor();
  const search = F.getByLabel("Chercher un membre");
  for (const name of ["Alice Martin", "Bruno Petit", "Chloé Durand", "Denis Lefèvre", "Élodie Moreau"]) {
    await search.fill(name.split(" ")[0].normalize("NFD").replace(/\p{M}/gu, "").toLowerCase());
    await F.getByLabel(name).check();
    await F.getByText(`${name} : présent·e.`).waitFor();
  }
  await search.fill("francois");
  await F.getByRole("button", { name: "Pouvoir François Roux" }).click();
  const dialog = F.locator("#desk-dialog");
  const carrier = dialog.getByLabel("Qui porte le pouvoir ?");
  const option = await carrier.locator("option", { hasText: "Alice Martin" }).textContent();
  await carrier.selectOption({ label: option });
  await look(F, "desk proxy dialog");
  await dialog.getByRole("button", { name: "Donner le pouvoir" }).click();
  await F.getByText("Pouvoir de François Roux à Alice Martin enregistré.").waitFor();
  await F.waitForFunction(() => /Présents : 5 sur 7 · présents ou représentés : 6/.test(document.getElementById("quorum")?.innerText ?? ""));
  await search.fill("");
  await look(F, "desk");
  ok("the desk at 390 px: five members checked in, François's proxy carried by Alice");

  // 3. Member cards, printed; the phones bind with their cards' links.
  await F.goto(`${base}/decide/a/${assembly}/cards`);
  await look(F, "member cards form");
  await F.getByRole("button", { name: "Préparer les cartes" }).click();
  await F.getByText("Cartes prêtes à imprimer : 8.").waitFor();
  await look(F, "member cards sheet");
  await printed(F, "the member cards' print button");
  const links = {};
  assert.equal(await F.locator("article.member-card svg.qr").count(), 8);
  for (const name of ["Alice Martin", "Bruno Petit", "Chloé Durand"]) {
    links[name] = await decodeQR(F.locator("article.member-card").filter({ hasText: name }).locator("svg.qr"));
  }
  if (process.env.LOOK_TIMES) ok("decoded the QR codes");
  await F.emulateMedia({ media: "print" });
  const box = await F.locator("article.member-card").first().boundingBox();
  const mm = 96 / 25.4;
  assert.ok(Math.abs(box.width - 105 * mm) < 2 && Math.abs(box.height - 59.4 * mm) < 2, `a printed card is ${box.width}×${box.height} px`);
  assert.equal(await F.locator(".no-print").first().isHidden(), true, "the page's text stays off the printed sheet");
  await F.emulateMedia({ media: "screen" });
  ok("8 member cards, 105 × 59.4 mm when printed, each QR code a member link");

  // A member's phone goes from the assembly's page, where binding left it,
  // to a vote by its title.
  const goToVote = async (p, title) => {
    await p.goto(`${base}/decide/a/${assembly}/`);
    await Promise.all([p.waitForURL(/\/decide\/v\/[\w-]+$/), p.getByRole("link", { name: title }).click()]);
  };
  const phones = {};
  for (const name of ["Alice Martin", "Bruno Petit", "Chloé Durand"]) {
    const p = await person([], phone);
    assert.match(links[name] ?? "", /\/decide\/m\/[\w-]{22}$/, `${name}'s card`);
    await p.goto(links[name]);
    if (name === "Alice Martin") await look(p, "member link");
    await Promise.all([p.waitForURL(/\/decide\/a\/[\w-]+\/$/), p.getByRole("button", { name: new RegExp(name) }).click()]);
    await p.getByText(name).first().waitFor();
    phones[name] = p;
  }
  await look(phones["Alice Martin"], "assembly page, member");
  ok("three members open their cards' links on their phones");

  // 4. An open vote with delegation.
  const L = await facilitator(laptop);
  await L.goto(`${base}/decide/a/${assembly}/`);
  await look(L, "assembly page, facilitator");
  await L.goto(`${base}/decide/a/${assembly}/votes`);
  await look(L, "votes page, empty");
  await L.getByLabel("Titre").fill("Adoption du rapport moral");
  await L.getByLabel("Type de vote").selectOption("yesno");
  await L.getByLabel("Les délégations comptent").check();
  await Promise.all([L.waitForEvent("load"), L.getByRole("button", { name: "Créer le vote" }).click()]);
  const openRow = L.locator(".vote-row").first();
  const openVote = await openRow.getAttribute("data-vote");
  await Promise.all([L.waitForEvent("load"), openRow.getByRole("button", { name: "Ouvrir" }).click()]);
  await look(L, "votes page, one open");

  const chloe = phones["Chloé Durand"];
  await goToVote(chloe, "Adoption du rapport moral");
  await look(chloe, "open vote page");
  // Pressing "Déléguer" without a choice delegates to nobody by mistake: refused.
  await chloe.getByRole("button", { name: "Déléguer" }).click();
  assert.equal(await chloe.getByLabel("Déléguer à").evaluate((el) => el.validity.valueMissing), true, "a delegate must be chosen");
  await chloe.getByLabel("Déléguer à").selectOption({ label: "Bruno Petit" });
  await Promise.all([chloe.waitForEvent("load"), chloe.getByRole("button", { name: "Déléguer" }).click()]);
  await chloe.getByText("Chloé Durand → Bruno Petit").waitFor();
  await look(chloe, "open vote page, delegated");
  for (const [name, answer] of [["Bruno Petit", "Pour"], ["Alice Martin", "Abstention"]]) {
    const p = phones[name];
    await goToVote(p, "Adoption du rapport moral");
    await p.getByLabel(answer, { exact: true }).check();
    await p.getByRole("button", { name: "Voter" }).click();
    await p.getByText(/Bulletin enregistré\. Votre reçu : [A-Z2-7]{10}/).waitFor();
  }
  await look(phones["Bruno Petit"], "open vote page, voted");
  await chloe.reload();
  assert.match(await chloe.locator(".delegate").innerText(), /Bruno Petit a voté : Pour/);
  await look(chloe, "open vote page, the delegate voted");
  await L.reload();
  await L.locator(`.vote-row[data-vote="${openVote}"]`).getByRole("button", { name: "Clore" }).click();
  await L.getByText("Un vote clos ne se rouvre pas").waitFor();
  assert.equal((await (await L.request.get(`${base}/api/decide/votes/${openVote}`)).json()).state, "open", "one press does not close");
  await Promise.all([L.waitForEvent("load"), L.locator(`.vote-row[data-vote="${openVote}"]`).getByRole("button", { name: "Confirmer la clôture" }).click()]);
  // Chloé's phone, left on the vote's page, follows the closing live.
  await chloe.getByRole("link", { name: "Voir le résultat" }).waitFor({ timeout: 10000 });
  await L.goto(`${base}/decide/v/${openVote}/result`);
  await L.getByText("Chloé Durand → Bruno Petit ✔").waitFor();
  assert.match(await L.locator(".outcome").innerText(), /Adopté/);
  await look(L, "open vote result");
  ok("an open vote: Chloé delegates to Bruno, who votes; the result lists the chain");

  // 5. A secret ranked vote; Denis gets a printed ballot card at the desk.
  await L.goto(`${base}/decide/a/${assembly}/votes`);
  await L.getByLabel("Titre").fill("Projet de l'année");
  await L.getByLabel("Type de vote").selectOption("ranked");
  await L.getByLabel(/Options/).fill("Atelier vélo\nJardin partagé\nRecyclerie");
  await L.getByLabel("Vote à bulletin secret").check();
  await Promise.all([L.waitForEvent("load"), L.getByRole("button", { name: "Créer le vote" }).click()]);
  const secretRow = L.locator(".vote-row").filter({ hasText: "Projet de l'année" });
  const secretVote = await secretRow.getAttribute("data-vote");
  await Promise.all([L.waitForEvent("load"), secretRow.getByRole("button", { name: "Ouvrir" }).click()]);

  const projector = await person([["testperson", encodeURIComponent("p|Salle|#1a5fb4|participant")]], laptop);
  await projector.goto(`${base}/decide/v/${secretVote}/projector`);
  await look(projector, "projector, open");

  await F.goto(`${base}/decide/v/${secretVote}/desk`);
  await look(F, "ballot card desk");
  await F.getByRole("button", { name: "Remettre les cartes à Denis Lefèvre" }).click();
  await F.getByText("Denis Lefèvre : cartes remises (1).").waitFor();
  await F.getByLabel("Nombre de cartes à imprimer").fill("1");
  await Promise.all([F.waitForEvent("load"), F.locator(".print-cards button").click()]);
  const code = (await F.locator(".card .code").first().innerText()).trim();
  assert.match(code, /^[A-Z2-7-]{32}$/);
  const cardURL = await decodeQR(F.locator(".card svg.qr").first());
  assert.ok(cardURL?.startsWith(`${base}/decide/v/${secretVote}/c#`), `the ballot card's QR code: ${cardURL}`);
  await look(F, "ballot cards sheet");
  await printed(F, "the ballot cards' print button");
  await F.emulateMedia({ media: "print" });
  assert.deepEqual([await F.locator("h1").isHidden(), await F.locator(".card svg.qr").isVisible()], [true, true], "printed: the cards only");
  await F.emulateMedia({ media: "screen" });
  ok("a ballot card handed to Denis at the desk, printed with its QR code and code");

  const rank = async (p, order) => {
    for (const [i, opt] of order.entries()) await p.getByLabel(opt).fill(String(i + 1));
    await p.getByRole("button", { name: "Voter" }).click();
  };
  const alice = phones["Alice Martin"], bruno = phones["Bruno Petit"];
  for (const [p, n] of [[alice, 2], [bruno, 1]]) {
    await goToVote(p, "Projet de l'année");
    await p.locator("#tokens").getByText(new RegExp(`Vous avez ${n} bulletin`)).waitFor({ timeout: 20000 });
  }
  await look(alice, "secret vote page");
  const denis = await person([], phone);
  await denis.goto(cardURL);
  assert.equal(await denis.getByLabel("Code de la carte").inputValue(), code);
  await look(denis, "secret vote page, card");
  // The pages wait 1 to 5 s before sending (the secrecy model): the
  // phones vote at once, Alice again as soon as her first ballot is in.
  await rank(alice, ["Jardin partagé", "Recyclerie", "Atelier vélo"]);
  await rank(bruno, ["Atelier vélo", "Jardin partagé", "Recyclerie"]);
  await rank(denis, ["Jardin partagé", "Atelier vélo", "Recyclerie"]);
  await alice.getByText(/Votre reçu : [A-Z2-7]{10}/).waitFor({ timeout: 20000 });
  await rank(alice, ["Jardin partagé", "Recyclerie", "Atelier vélo"]); // François's proxy
  for (const p of [bruno, denis]) await p.getByText(/Votre reçu : [A-Z2-7]{10}/).waitFor({ timeout: 20000 });
  await alice.getByText("Tous vos bulletins sont déposés.").waitFor({ timeout: 20000 });
  await alice.getByText(/Bulletins enregistrés : 2\. Vos reçus : [A-Z2-7]{10}, [A-Z2-7]{10}/).waitFor();
  assert.equal(await alice.getByRole("button", { name: "Voter" }).isDisabled(), true, "no ballot left: the button is off");
  await projector.waitForFunction(() => document.getElementById("count")?.textContent === "4", null, { timeout: 10000 });
  await look(alice, "secret vote page, voted");
  ok("three phones cast four secret ballots (Alice's own and François's proxy, Bruno's, Denis's card); the projector counts 4 live");

  await L.goto(`${base}/decide/a/${assembly}/votes`);
  await L.locator(`.vote-row[data-vote="${secretVote}"]`).getByRole("button", { name: "Clore" }).click();
  await Promise.all([L.waitForEvent("load"), L.locator(`.vote-row[data-vote="${secretVote}"]`).getByRole("button", { name: "Confirmer la clôture" }).click()]);
  await projector.locator("#outcome").getByText("Jardin partagé").waitFor({ timeout: 15000 });
  assert.ok(await projector.locator("figure.chart svg").count() > 0, "a chart on the projector");
  await look(projector, "projector, closed");
  ok("the projector shows the winner live when the vote closes: Jardin partagé");

  // 6. Results, sheet and exports.
  await L.goto(`${base}/decide/v/${secretVote}/result`);
  await look(L, "secret vote result");
  await L.getByText("Droits remis (cartes et signatures) : 4 ; bulletins déposés : 4.").waitFor();
  const files = {};
  for (const name of ["result.csv", "result.json", "ballots.json", "ballots.csv", "ballots.soc"]) {
    const [dl] = await Promise.all([L.waitForEvent("download"), L.getByRole("link", { name, exact: true }).click()]);
    assert.equal(await dl.failure(), null, name);
    const body = readFileSync(await dl.path(), "utf8");
    writeFileSync(`${dir}/${name}`, body);
    files[name] = body;
  }
  JSON.parse(files["result.json"]);
  assert.equal(JSON.parse(files["ballots.json"]).ballots.length, 4, "ballots.json: the 4 ballots");
  assert.match(files["result.csv"].split(/\r?\n/)[0], /,/);
  assert.ok(files["ballots.csv"].trim().split(/\r?\n/).length >= 4, "ballots.csv: a header and the ballots");
  assert.match(files["ballots.soc"], /^# FILE NAME: /m);
  ok("the exports download and parse: result.csv, result.json, ballots.json, ballots.csv, ballots.soc");
  await L.goto(`${base}/decide/v/${secretVote}/sheet`);
  await look(L, "results sheet");
  await L.getByText("Droits remis (cartes et signatures) : 4 ; bulletins déposés : 4.").waitFor();
  await printed(L, "the results sheet's print button");
  const published = await L.locator("table.published tbody").innerText();
  assert.match(published, /1\. Jardin partagé ; 2\. Recyclerie ; 3\. Atelier vélo/, "the sheet's ballots, in words");
  assert.doesNotMatch(published, /[{}]/, "no JSON on the sheet");
  await L.emulateMedia({ media: "print" });
  assert.ok(await L.locator("figure.chart svg").first().isVisible(), "the printed sheet keeps its chart");
  await L.emulateMedia({ media: "screen" });

  // 7. The same assembly for an English-speaking facilitator and member.
  const E = await facilitator({ ...laptop, locale: "en-GB" });
  for (const [path, what] of [[`/decide/a/${assembly}/`, "assembly page"], [`/decide/a/${assembly}/votes`, "votes page"],
    [`/decide/a/${assembly}/desk`, "desk"], [`/decide/v/${openVote}/result`, "open vote result"],
    [`/decide/v/${secretVote}/result`, "secret vote result"], [`/decide/v/${secretVote}/sheet`, "results sheet"]]) {
    await E.goto(base + path);
    if (path.endsWith("/desk")) await E.locator(".desk-item").first().waitFor();
    await look(E, `${what}, in English`, "en");
  }
  const en = await person([], { ...phone, locale: "en-GB" });
  await en.context().addCookies(await chloe.context().cookies());
  await en.goto(`${base}/decide/v/${openVote}`);
  await look(en, "closed open vote, member, in English", "en");
  ok("the pages read in English for an English-speaking browser");

  const errors = pages.flatMap((p) => p.errors);
  assert.deepEqual(errors, [], "no script error or CSP refusal in the pages");
  assert.deepEqual(pages.flatMap((p) => p.outside), [], "no request leaves the box");
  ok(`no script error, no CSP refusal, no request outside; ${seen.length} pages checked by axe, in French, at 390 and 1280 px`);
  console.log("RESULT " + JSON.stringify({ assembly, open: openVote, secret: secretVote }));
} catch (e) {
  console.error(e);
  console.error("page errors:", pages.flatMap((p) => p.errors));
  if (shots) for (const [i, p] of pages.entries()) await p.screenshot({ path: `${shots}/failed-${i}.png`, fullPage: true }).catch(() => {});
  exitCode = 1;
} finally {
  await browser.close();
}
process.exit(exitCode);
