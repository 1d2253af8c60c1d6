// Browser test of a meeting, driven by meeting_browser_test.go, which serves
// the meeting and the pads on plain http://127.0.0.1 (a secure context, the
// box's CSP on) and passes its URL. Debian's Chromium, playwright-core,
// axe-core. A facilitator creates a meeting of three items; four people on
// 390-px phones ask to speak, one with a direct reply; the facilitator calls
// them from the control page and from the projector's keys; the projector
// follows live; the meeting ends and the minutes pad opens in the editor
// with its sections. Prints "RESULT {meeting}" for the Go test to compare
// with the database; exits non-zero on the first failure.
import assert from "node:assert/strict";
import { launch, ok, axe, noHorizontalScroll } from "../../page/testdata/browser.mjs";

const base = process.argv[2];
const shots = process.argv[3];
assert.ok(base?.startsWith("http://127.0.0.1"), "usage: node meeting.mjs http://127.0.0.1:PORT [SHOTS]");
const browser = await launch();
const phone = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: "fr-FR" };
const laptop = { viewport: { width: 1280, height: 800 }, locale: "fr-FR" };
const allPages = [];

async function person(id, name, role, device, { bypassCSP = false, confirm = false } = {}) {
  const ctx = await browser.newContext({ ...device, bypassCSP });
  await ctx.addCookies([{ name: "testperson", value: encodeURIComponent([id, name, "#1a5fb4", role].join("|")), url: base }]);
  const page = await ctx.newPage();
  allPages.push(page);
  page.errors = [];
  page.outside = [];
  page.on("pageerror", (e) => page.errors.push(`${name}: ${e}`));
  page.on("dialog", (d) => {
    if (confirm && d.type() === "confirm") { d.accept(); return; }
    page.errors.push(`${name}: dialog ${d.message()}`);
    d.dismiss();
  });
  page.on("console", (m) => { if (m.type() === "error") page.errors.push(`${name}: ${m.text()}`); });
  page.on("request", (r) => {
    const u = r.url();
    if (!u.startsWith(base) && !u.startsWith("data:")) page.outside.push(u);
  });
  return page;
}

async function waitText(page, selector, re, what) {
  try {
    await page.waitForFunction(([sel, src]) => new RegExp(src).test(document.querySelector(sel)?.innerText ?? ""), [selector, re.source], { timeout: 10000 });
  } catch {
    const got = await page.locator(selector).first().innerText().catch(() => "(absent)");
    const alerts = await page.locator("[role=alert]:not([hidden])").allInnerTexts().catch(() => []);
    assert.fail(`${what}: ${selector} reads ${JSON.stringify(got)}, want ${re} (alerts: ${JSON.stringify(alerts)}; errors: ${JSON.stringify(page.errors)})`);
  }
}

let exitCode = 0;
try {
  const F = await person("f1", "Camille", "facilitator", laptop, { confirm: true });

  // 1. The facilitator creates the meeting and its agenda.
  await F.goto(`${base}/meeting/`);
  await F.getByLabel("Titre").fill("AG de printemps");
  await F.getByLabel("Lieu").fill("Salle des fêtes");
  await F.getByLabel("Date").fill("2 décembre 2026");
  await F.getByRole("button", { name: "Créer la réunion" }).click();
  await F.waitForURL(/\/meeting\/m\/[^/]+\/control$/);
  const id = F.url().split("/")[5];
  const items = F.locator('form[data-api$="/items"]');
  for (const [title, kind, minutes] of [["Rapport moral", "information", "10"], ["Le local", "debate", "15"], ["Budget", "decision", "5"]]) {
    await items.getByLabel("Point").fill(title);
    await items.getByLabel("Présenté par").fill("Camille");
    await items.getByLabel("Nature").selectOption(kind);
    await items.getByLabel("Durée prévue (minutes)").fill(minutes);
    await items.getByRole("button", { name: "Ajouter le point" }).click();
    await waitText(F, "[data-k=agenda]", new RegExp(title), `agenda after adding ${title}`);
    // The form empties once the box has answered (the agenda may show the
    // item before, from the event stream).
    await F.waitForFunction(() => document.querySelector('form[data-api$="/items"] [name=title]').value === "");
  }
  ok("a facilitator creates a meeting of three items");

  // A name added twice is refused with the box's message.
  const addName = F.locator('form[data-api$="/queue"]');
  await addName.getByLabel("Inscrire une personne").fill("Zoé");
  await addName.getByRole("button", { name: "Inscrire" }).click();
  await waitText(F, "[data-k=queue]", /Zoé/, "queue after adding Zoé");
  await addName.getByLabel("Inscrire une personne").fill("Zoé");
  await addName.getByRole("button", { name: "Inscrire" }).click();
  await waitText(F, 'form[data-api$="/queue"] [role=alert]', /déjà dans la file/, "a second Zoé");
  // The refusal's 409 is the one console error expected of the page.
  assert.deepEqual(F.errors.splice(0), ["Camille: Failed to load resource: the server responded with a status of 409 (Conflict)"]);
  await F.locator("[data-k=queue] li", { hasText: "Zoé" }).getByRole("button", { name: "Retirer" }).click();
  await F.waitForFunction(() => !document.querySelector("[data-k=queue]").innerText.includes("Zoé"));
  ok("adding the same name twice is refused with a clear message; the facilitator removes it");

  // 2. Four phones and the projector.
  const names = ["Ana", "Bo", "Cy", "Dé"];
  const P = [];
  for (const [i, n] of names.entries()) {
    const p = await person(`p${i}`, n, "participant", phone, { bypassCSP: n === "Dé" });
    await p.goto(`${base}/meeting/m/${id}/`);
    await waitText(p, "[data-k=agenda]", /Budget/, `${n}'s agenda`);
    P.push(p);
  }
  const [ana, bo, cy, de] = P;
  const Pj = await person("f1", "Camille", "facilitator", laptop);
  await Pj.goto(`${base}/meeting/m/${id}/projector`);
  await waitText(Pj, "[data-k=item]", /Aucun point/, "projector before the start");
  ok("four phones and the projector follow the meeting");

  // 3. Item 1: people ask to speak; the facilitator calls them.
  await F.locator("[data-k=agenda] li").nth(0).getByRole("button", { name: "Lancer" }).click();
  await waitText(Pj, "[data-k=item]", /Rapport moral/, "projector's current item");
  await waitText(de, "[data-k=item]", /Rapport moral/, "a phone's current item");
  await ana.getByRole("button", { name: "Demander la parole" }).click();
  await waitText(ana, "[data-k=mine]", /n° 1/, "Ana's place");
  assert.ok(await ana.getByRole("button", { name: "Retirer ma demande" }).isVisible(), "Ana in the queue can withdraw");
  assert.ok(!(await bo.getByRole("button", { name: "Retirer ma demande" }).isVisible()), "Bo, not in the queue, is offered to withdraw");
  await bo.getByRole("button", { name: "Demander la parole" }).click();
  await waitText(bo, "[data-k=mine]", /n° 2/, "Bo's place");
  await F.getByRole("button", { name: "Donner la parole au suivant" }).click();
  await waitText(Pj, "[data-k=speaker]", /^Ana$/, "projector's speaker");
  await waitText(ana, "[data-k=mine]", /votre tour/, "Ana's phone");
  await waitText(Pj, "[data-k=timer]", /^\d+:\d\d$/, "projector's timer");
  ok("people ask to speak from their phones; the facilitator gives Ana the floor; the projector shows her and her timer");

  await cy.getByRole("button", { name: "Réponse directe" }).click();
  await waitText(F, "[data-k=queue] li:first-child", /Cy/, "a direct reply at the head of the queue");
  await waitText(bo, "[data-k=mine]", /n° 2/, "Bo after Cy's direct reply");
  await Pj.keyboard.press("n");
  await waitText(Pj, "[data-k=speaker]", /^Cy$/, "the projector's key n");
  ok("a direct reply jumps the queue; the projector's key n calls it");

  // 4. Item 2: Bo, then Dé (who gave a gender for the balance).
  await F.locator("[data-k=agenda] li").nth(1).getByRole("button", { name: "Lancer" }).click();
  await waitText(Pj, "[data-k=item]", /Le local/, "projector's second item");
  await waitText(Pj, "[data-k=speaker]", /Personne/, "a new item ends the turn");
  await F.getByRole("button", { name: "Donner la parole au suivant" }).click();
  await waitText(Pj, "[data-k=speaker]", /^Bo$/, "Bo has the floor");
  await de.getByLabel("Genre").selectOption("woman");
  await de.locator('form[data-api$="/profile"]').getByRole("button", { name: "Enregistrer" }).click();
  await de.getByRole("button", { name: "Demander la parole" }).click();
  await waitText(F, "[data-k=queue]", /Dé/, "Dé in the queue");
  await F.getByRole("button", { name: "Donner la parole au suivant" }).click();
  await waitText(Pj, "[data-k=speaker]", /^Dé$/, "Dé has the floor");
  await F.getByRole("button", { name: "Fin de l'intervention" }).click();
  await waitText(Pj, "[data-k=speaker]", /Personne/, "the end of Dé's turn");
  await waitText(F, "[data-k=balance]", /Femme|femmes/i, "the balance by gender");
  await waitText(F, "[data-k=balance]", /4 intervenant·es/, "the meeting's balance");
  ok("item 2: Bo, then Dé; the control page shows the balance, by gender too");

  // 4b. The room's part (questions, temperature checks), when it is in
  // the build: a question upvoted to the top, a check on the projector.
  if (await Pj.locator("#p-room-questions").count() > 0) {
    const askQ = async (p, text) => {
      const f = p.locator("form[data-room=ask]");
      await f.locator("textarea").fill(text);
      await f.getByRole("button", { name: "Envoyer" }).click();
    };
    await askQ(ana, "Qui paie le loyer ?");
    await askQ(bo, "Et le chauffage ?");
    for (const p of [cy, de]) {
      await waitText(p, "[data-room=questions]", /chauffage/, "a question on a phone");
      await p.locator("[data-room=questions] li", { hasText: "chauffage" }).getByRole("button", { name: "Soutenir" }).click();
    }
    await Pj.keyboard.press("q");
    await Pj.locator("#p-room-questions").waitFor({ state: "visible" });
    await waitText(Pj, "[data-room=top] li:first-child", /chauffage/, "the most upvoted question on the projector");
    ok("questions from the room: the one upvoted twice is on top of the projector");

    const nc = F.locator("form[data-room=new-check]");
    await nc.locator("[name=prompt]").fill("Le local vous convient ?");
    await nc.getByRole("button", { name: "Lancer une météo" }).click();
    await Pj.locator("#p-room-check").waitFor({ state: "visible" });
    for (const [p, a] of [[ana, "Pouce en haut"], [bo, "Pouce en haut"], [cy, "Pouce de côté"]]) {
      await waitText(p, "[data-room=check]", /Pouce/, "the check on a phone");
      await p.locator("[data-room=check]").getByRole("button", { name: a }).click();
    }
    await waitText(Pj, "#p-room-check", /3 réponses/, "the check's distribution on the projector");
    await waitText(Pj, "#p-room-check", /pas un vote/, "the check says it is not a decision");
    ok("a temperature check: three answers shown on the projector, which says it is not a decision");
  } else {
    console.log("# the room's part is not in this build: no question or check in this run");
  }

  // 5. The projector's views and keys.
  await Pj.keyboard.press("a");
  await Pj.locator("#p-agenda").waitFor({ state: "visible" });
  await waitText(Pj, "#p-agenda", /Rapport moral[\s\S]*traité/, "the agenda on the projector");
  await Pj.keyboard.press("?");
  await Pj.locator("#keys").waitFor({ state: "visible" });
  await Pj.keyboard.press("Escape");
  await Pj.locator("#keys").waitFor({ state: "hidden" });
  await Pj.keyboard.press("s");
  await Pj.locator("#p-speaker").waitFor({ state: "visible" });
  ok("the projector's keys switch its views; ? shows the shortcuts");

  // 6. Item 3, then the accessibility checks on every page.
  await F.locator("[data-k=agenda] li").nth(2).getByRole("button", { name: "Lancer" }).click();
  await waitText(de, "[data-k=item]", /Budget/, "a phone's third item");
  await F.locator("[data-k=agenda] li").nth(2).getByRole("button", { name: "Terminer" }).click();
  await waitText(Pj, "[data-k=item]", /Aucun point/, "the projector after the last item");
  for (const p of P) await noHorizontalScroll(p, "a phone");
  await axe(de, "the phone page");
  const X = await person("f1", "Camille", "facilitator", laptop, { bypassCSP: true });
  for (const [path, what] of [["/meeting/", "the list"], [`/meeting/m/${id}/control`, "the control page"], [`/meeting/m/${id}/projector`, "the projector"]]) {
    await X.goto(base + path);
    await X.waitForLoadState("networkidle").catch(() => {});
    await axe(X, what);
  }
  if (shots) {
    await Pj.screenshot({ path: `${shots}/meeting-projector.png` });
    await ana.screenshot({ path: `${shots}/meeting-phone.png`, fullPage: true });
  }

  // 7. The end: the minutes pad opens with its sections.
  await F.getByRole("button", { name: "Clore la réunion" }).click();
  await F.waitForURL(/\/pads\/[^/]+$/);
  for (const section of ["Procès-verbal", "Présence et quorum", "Ordre du jour", "Déroulé", "Intervenant·es : Ana, Cy", "Temps de parole"]) {
    try {
      await F.waitForFunction((s) => document.body.innerText.includes(s), section, { timeout: 15000 });
    } catch {
      assert.fail(`the minutes pad lacks ${JSON.stringify(section)}`);
    }
  }
  await ana.locator("[data-k=minutes] a").waitFor({ state: "visible" });
  ok("the facilitator ends the meeting; the minutes pad opens in the editor with its sections; the phones link to it");

  const errors = allPages.flatMap((p) => p.errors);
  assert.deepEqual(errors, [], "script errors or refusals in the pages");
  const outside = allPages.flatMap((p) => p.outside);
  assert.deepEqual(outside, [], "requests that left the box");
  ok("no script error on any page; no request left the box");
  console.log(`RESULT ${JSON.stringify({ meeting: id })}`);
} catch (e) {
  console.error(e);
  exitCode = 1;
} finally {
  await browser.close();
}
process.exit(exitCode);
