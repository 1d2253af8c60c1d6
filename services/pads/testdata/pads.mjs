// Browser test of the pads, driven by browser_test.go, which starts the pads
// service on plain http://127.0.0.1 (a secure context) and passes its URL.
// Debian's Chromium, playwright-core, axe-core. Prints one line per check and
// a final "RESULT {pad, text}" line that the Go test compares with the pad
// the server stored; exits non-zero on the first failure.
import assert from "node:assert/strict";
import { launch, ok, axe, noHorizontalScroll } from "../../page/testdata/browser.mjs";

const base = process.argv[2];
const shots = process.argv[3]; // folder for screenshots, optional
assert.ok(base?.startsWith("http://127.0.0.1"), "usage: node pads.mjs http://127.0.0.1:PORT [SHOTS]");
const browser = await launch();

const phone = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: "fr-FR" };
const laptop = { viewport: { width: 1280, height: 800 }, locale: "fr-FR" };

// A browser context for one person. The box's CSP stays on (no bypassCSP),
// so an inline script or style that it refuses shows up as an error.
async function person(id, name, color, role, device, bypassCSP = false) {
  const ctx = await browser.newContext({ ...device, bypassCSP });
  await ctx.addCookies([{ name: "testperson", value: encodeURIComponent([id, name, color, role].join("|")), url: base }]);
  const page = await ctx.newPage();
  allPages.push(page);
  page.errors = [];
  page.outside = [];
  page.on("pageerror", (e) => page.errors.push(`${name}: ${e}`));
  page.on("dialog", (d) => { page.errors.push(`${name}: dialog ${d.message()}`); d.dismiss(); });
  page.on("console", (m) => { if (m.type() === "error") page.errors.push(`${name}: ${m.text()}`); });
  page.on("request", (r) => {
    const u = r.url();
    if (!u.startsWith(base) && !u.startsWith(base.replace("http", "ws")) && !u.startsWith("data:")) page.outside.push(u);
  });
  return { ctx, page };
}

const state = (page) => page.locator("#pad-status").getAttribute("data-state");
async function waitState(page, want, what, timeout = 15000) {
  try {
    await page.waitForSelector(`#pad-status[data-state="${want}"]`, { timeout });
  } catch {
    assert.fail(`${what}: status is ${await state(page)}, want ${want}`);
  }
}
const text = (page) => page.evaluate(() => window.coopboxPad.editor.getText({ blockSeparator: "\n" }));
async function waitText(page, pred, what, timeout = 15000) {
  const end = Date.now() + timeout;
  let t;
  while (Date.now() < end) {
    t = await text(page);
    if (pred(t)) return t;
    await page.waitForTimeout(50);
  }
  assert.fail(`${what}: text is ${JSON.stringify(t)}`);
}
// Types at the end of the document.
async function typeAtEnd(page, s) {
  await page.locator(".ProseMirror").focus();
  await page.evaluate(() => window.coopboxPad.editor.commands.focus("end"));
  await page.keyboard.type(s, { delay: 5 });
}

let exitCode = 0;
const allPages = [];
try {
  const ana = await person("p-ana", "Ana Lúcia", "#c01c28", "participant", phone);
  const bruno = await person("p-bruno", "Bruno", "#1a5fb4", "participant", laptop);
  const A = ana.page, B = bruno.page;

  // 1. The list page: create a pad, which opens it.
  await A.goto(base + "/pads/");
  assert.equal(await A.locator("h1").innerText(), "Pads");
  await A.getByLabel("Titre du nouveau pad").fill("Compte rendu AG");
  await Promise.all([A.waitForURL(/\/pads\/[\w-]+$/), A.getByRole("button", { name: "Créer et ouvrir" }).click()]);
  const padID = new URL(A.url()).pathname.split("/").pop();
  assert.equal(await A.locator("h1").innerText(), "Compte rendu AG");
  await waitState(A, "saved", "a new pad, connected");
  assert.equal(await A.locator("#pad-status").innerText(), "Connecté, tout est enregistré");
  ok("the list page creates a pad and opens it; the status says connected and saved");

  // 2. Two people write in it; each sees the other's text, caret and name.
  await B.goto(base + "/pads/" + padID);
  await waitState(B, "saved", "the second person, connected");
  await typeAtEnd(A, "Bonjour de Ana.");
  await A.keyboard.press("Enter");
  await A.keyboard.type("Ordre du jour", { delay: 5 });
  await waitText(B, (t) => t === "Bonjour de Ana.\nOrdre du jour", "Bruno sees Ana's text");
  await typeAtEnd(B, " : budget.");
  await waitText(A, (t) => t === "Bonjour de Ana.\nOrdre du jour : budget.", "Ana sees Bruno's text");
  await A.waitForSelector(".collaboration-carets__label:text-is('Bruno')", { timeout: 10000 });
  await B.waitForSelector(".collaboration-carets__label:text-is('Ana Lúcia')", { timeout: 10000 });
  assert.match(await A.locator("#pad-people").innerText(), /Bruno/);
  assert.match(await B.locator("#pad-people").innerText(), /Ana Lúcia \(vous\)|Ana Lúcia/);
  await waitState(A, "saved", "Ana after typing");
  await waitState(B, "saved", "Bruno after typing");
  ok("two people see each other's text, carets with names, and presence; both saved");

  // 3. Bold through the toolbar, by keyboard: Tab reaches the toolbar once,
  //    arrows move inside it.
  await A.evaluate(() => window.coopboxPad.editor.commands.selectAll());
  const bold = A.getByRole("button", { name: "Gras" });
  await A.locator("#pad-toolbar button").first().focus();
  await A.keyboard.press("ArrowRight");
  await A.keyboard.press("ArrowRight");
  assert.equal(await A.evaluate(() => document.activeElement.dataset.cmd), "bold");
  await A.keyboard.press("Enter");
  assert.equal(await bold.getAttribute("aria-pressed"), "true");
  assert.ok(await A.evaluate(() => document.activeElement.classList.contains("ProseMirror")), "focus goes back to the text");
  await B.waitForSelector(".ProseMirror strong", { timeout: 10000 });
  await A.keyboard.press("Control+b"); // bold off again, from the text
  await B.waitForSelector(".ProseMirror strong", { state: "detached", timeout: 10000 });
  assert.equal(await bold.getAttribute("aria-pressed"), "false");
  ok("the toolbar works by keyboard (arrows, Enter, aria-pressed) and the other side sees the bold");

  // 4. Bruno's network goes away (his WebSocket is cut and refused): his
  //    status says offline; both keep typing; he comes back; they converge.
  await bruno.ctx.setOffline(true);
  await waitState(B, "offline", "Bruno offline", 40000);
  assert.match(await B.locator("#pad-status").innerText(), /Hors ligne/);
  ok("the status says offline when the network goes");
  await typeAtEnd(A, " Ana continue.");
  await typeAtEnd(B, " Bruno hors ligne.");
  await B.waitForTimeout(300);
  assert.equal(await state(B), "offline");
  await waitState(A, "saved", "Ana, still online");
  assert.doesNotMatch(await text(B), /Ana continue/, "offline, Bruno cannot see Ana's new text");
  await bruno.ctx.setOffline(false);
  await waitState(B, "saved", "Bruno back online", 30000);
  await waitState(A, "saved", "Ana after Bruno's return");
  const tb = await waitText(B, (t) => t.includes("Ana continue.") && t.includes("Bruno hors ligne."), "Bruno after his return");
  const ta = await waitText(A, (t) => t === tb, "Ana after Bruno's return");
  ok(`after reconnection both show the same text: ${JSON.stringify(ta)}`);

  // 5. Undo is per person: Bruno's undo removes his own typing only.
  await B.locator(".ProseMirror").focus();
  await B.getByRole("button", { name: "Annuler" }).click();
  const afterUndo = await waitText(B, (t) => !t.includes("Bruno hors ligne."), "Bruno's undo");
  assert.ok(afterUndo.includes("Ana continue."), "Bruno's undo leaves Ana's text");
  await B.getByRole("button", { name: "Rétablir" }).click();
  await waitText(B, (t) => t === tb, "Bruno's redo");
  await waitText(A, (t) => t === tb, "Ana sees the redo");
  ok("undo and redo touch only one's own changes");

  // 6. The chat beside the pad is in the document.
  await A.getByLabel("Votre message").fill("On passe au vote ?");
  await A.getByRole("button", { name: "Envoyer" }).click();
  await B.waitForSelector("#pad-chat li:has-text('On passe au vote ?')", { timeout: 10000 });
  assert.match(await B.locator("#pad-chat li").last().innerText(), /Ana Lúcia/);
  await B.getByLabel("Votre message").fill("Oui, votons.");
  await B.getByRole("button", { name: "Envoyer" }).click();
  await A.locator("#pad-chat li", { hasText: "Oui, votons." }).waitFor({ timeout: 10000 });
  const chatA = await A.locator("#pad-chat li").allInnerTexts();
  assert.equal(chatA.length, 2);
  assert.match(chatA[0], /Ana Lúcia[\s\S]*On passe au vote/);
  assert.match(chatA[1], /Bruno[\s\S]*Oui, votons\./);
  ok("chat messages reach the other person with their author, in order");
  await waitState(A, "saved", "Ana after chatting");
  await waitState(B, "saved", "Bruno after chatting");
  const final = await text(A);
  assert.equal(await text(B), final);
  if (shots) {
    await A.screenshot({ path: `${shots}/pad-phone.png`, fullPage: true });
    await B.screenshot({ path: `${shots}/pad-laptop.png`, fullPage: true });
  }
  await noHorizontalScroll(A, "editor page on a phone");

  // 6b. Who wrote what: each person's text in their colour, on and off.
  const authors = B.getByRole("button", { name: "Qui a écrit quoi" });
  await authors.click();
  assert.equal(await authors.getAttribute("aria-pressed"), "true");
  await B.locator(".pad-by-c01c28").first().waitFor();
  await B.locator(".pad-by-1a5fb4").first().waitFor();
  const byAna = (await B.locator(".pad-by-c01c28").allInnerTexts()).join("");
  const byBruno = (await B.locator(".pad-by-1a5fb4").allInnerTexts()).join("");
  assert.ok(byAna.includes("Bonjour de Ana.") && byAna.includes("Ana continue.") && !byAna.includes("budget"), `Ana's text: ${byAna}`);
  assert.ok(byBruno.includes(" : budget.") && byBruno.includes("Bruno hors ligne.") && !byBruno.includes("Ana"), `Bruno's text: ${byBruno}`);
  const bg = await B.locator(".pad-by-c01c28").first().evaluate((e) => getComputedStyle(e).backgroundColor);
  assert.notEqual(bg, "rgba(0, 0, 0, 0)", "the author's colour is applied despite the CSP");
  assert.match(await B.locator("#pad-authors-list").innerText(), /Ana Lúcia[\s\S]*Bruno|Bruno[\s\S]*Ana Lúcia/);
  await authors.click();
  assert.equal(await B.locator(".pad-by").count(), 0);
  ok("the authorship view shows who wrote what in their colours, and turns off");

  // 7. The read-only link.
  const pad = await (await A.request.get(`${base}/api/pads/${padID}`)).json();
  const reader = await person("p-reader", "Chloé", "#26a269", "participant", phone);
  await reader.page.goto(`${base}/pads/r/${pad.readId}`);
  await waitText(reader.page, (t) => t === final, "the reader sees the pad");
  assert.ok(await reader.page.locator("#pad-readonly").isVisible(), "a read-only notice");
  assert.equal(await reader.page.locator(".ProseMirror").getAttribute("contenteditable"), "false");
  assert.ok(await reader.page.locator("#pad-toolbar").isHidden());
  ok("the read-only link shows the pad, not editable, with a notice");

  // 7b. A facilitator locks the pad from the list: Bruno, still writing in
  //     it, is told and can no longer edit; the facilitator unlocks it.
  const camille = await person("p-cam", "Camille", "#613583", "facilitator", laptop);
  await camille.page.goto(base + "/pads/");
  const row = camille.page.locator(".pads-item", { hasText: "Compte rendu AG" });
  await row.getByRole("button", { name: "Verrouiller" }).click();
  await row.getByText("Verrouillé", { exact: true }).waitFor();
  await B.waitForSelector("#pad-readonly:not([hidden])", { timeout: 15000 });
  assert.match(await B.locator("#pad-readonly").innerText(), /verrouillé/);
  assert.equal(await B.locator(".ProseMirror").getAttribute("contenteditable"), "false");
  await row.getByRole("button", { name: "Déverrouiller" }).click();
  await row.getByRole("button", { name: "Verrouiller" }).waitFor();
  assert.equal(await row.getByRole("button", { name: "Mettre à la corbeille" }).count(), 1, "a facilitator may trash any pad");
  ok("a facilitator locks a pad from the list; the person writing in it is told and stops editing");

  // 8. The list: rename, search by title (accents folded) and by content.
  await A.goto(base + "/pads/");
  const item = A.locator(".pads-item", { hasText: "Compte rendu AG" });
  await item.getByRole("button", { name: "Renommer" }).click();
  await A.getByLabel("Nouveau titre").fill("Procès-verbal AG");
  await A.getByRole("button", { name: "Enregistrer" }).click();
  await A.getByRole("link", { name: "Procès-verbal AG", exact: true }).waitFor();
  ok("the list page renames a pad");
  await A.getByLabel("Chercher dans les titres et les textes").fill("proces");
  await A.getByRole("button", { name: "Chercher" }).click();
  await A.getByRole("link", { name: "Procès-verbal AG", exact: true }).waitFor();
  await A.getByLabel("Chercher dans les titres et les textes").fill("budget");
  await A.getByRole("button", { name: "Chercher" }).click();
  await A.waitForSelector(".pads-snippet:has-text('budget')");
  await A.getByLabel("Chercher dans les titres et les textes").fill("introuvable");
  await A.getByRole("button", { name: "Chercher" }).click();
  await A.locator(".pads-list li", { hasText: "Aucun pad ne correspond." }).waitFor();
  ok("search finds titles without accents and the stored text, with a snippet");
  await A.getByLabel("Chercher dans les titres et les textes").fill("");
  await A.getByRole("button", { name: "Chercher" }).click();
  await A.locator(".pads-item", { hasText: "Procès-verbal AG" }).getByRole("button", { name: "Mettre à la corbeille" }).click();
  await A.locator(".pads-list li", { hasText: "Aucun pad pour l'instant" }).waitFor();
  await A.goto(base + "/pads/?trash=1");
  await A.locator(".pads-item", { hasText: "Procès-verbal AG" }).getByRole("button", { name: "Restaurer" }).click();
  await A.locator(".pads-list li", { hasText: "La corbeille est vide." }).waitFor();
  await A.goto(base + "/pads/");
  await A.getByRole("link", { name: "Procès-verbal AG", exact: true }).waitFor();
  ok("its creator puts a pad in the trash and restores it");

  // A pad from the AG template, and one imported from a Markdown file.
  await A.getByLabel("Titre du nouveau pad").fill("AG 2027");
  await A.getByLabel("Modèle").selectOption("ag");
  await Promise.all([A.waitForURL(/\/pads\/[\w-]+$/), A.getByRole("button", { name: "Créer et ouvrir" }).click()]);
  await A.locator("#pad-editor h2", { hasText: "Ordre du jour" }).waitFor();
  ok("a pad made from the AG template opens with its sections");
  await A.goto(base + "/pads/");
  await A.getByLabel("Fichier").setInputFiles({ name: "Rapport moral.md", mimeType: "text/markdown",
    buffer: Buffer.from("# Rapport moral\n\nUne année **riche**.\n\n- [x] bilan\n") });
  await Promise.all([A.waitForURL(/\/pads\/[\w-]+$/), A.getByRole("button", { name: "Importer", exact: true }).click()]);
  assert.equal(await A.locator("#pad-title").innerText(), "Rapport moral");
  await A.locator("#pad-editor strong", { hasText: "riche" }).waitFor();
  ok("a Markdown file imported from the list page opens as a pad, formatting kept");
  await A.goto(base + "/pads/");
  await noHorizontalScroll(A, "list page on a phone");
  if (shots) await A.screenshot({ path: `${shots}/list-phone.png`, fullPage: true });

  // 9. Accessibility of both pages (axe needs the CSP bypassed to inject).
  const checker = await person("p-ana", "Ana Lúcia", "#c01c28", "participant", phone, true);
  await checker.page.goto(`${base}/pads/${padID}`);
  await waitState(checker.page, "saved", "the axe page");
  await axe(checker.page, "editor page");
  await checker.page.goto(base + "/pads/");
  await checker.page.waitForSelector(".pads-item");
  await axe(checker.page, "list page");

  const errors = [A, B, reader.page, camille.page].flatMap((p) => p.errors)
    .filter((e) => !/ERR_INTERNET_DISCONNECTED|WebSocket connection to .* failed/.test(e));
  assert.deepEqual(errors, [], "no script error or CSP refusal in the pages");
  assert.deepEqual([A, B, reader.page, camille.page].flatMap((p) => p.outside), [], "no request leaves the box");
  ok("no script error, no CSP refusal, no request outside the box");
  console.log("RESULT " + JSON.stringify({ pad: padID, text: final }));
} catch (e) {
  console.error(e);
  console.error("page errors:", allPages.flatMap((p) => p.errors));
  if (shots) for (const [i, p] of allPages.entries()) await p.screenshot({ path: `${shots}/failed-${i}.png`, fullPage: true }).catch(() => {});
  exitCode = 1;
} finally {
  await browser.close();
}
process.exit(exitCode);
