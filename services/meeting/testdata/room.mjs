// Browser test of the room's parts of a meeting, driven by
// room_browser_test.go, which serves the meeting on plain http://127.0.0.1
// (the box's CSP on) and passes its URL. Debian's Chromium, playwright-core,
// axe-core. A facilitator allows anonymous questions; four people on 390-px
// phones ask (one anonymously), upvote, argue for and against, answer a
// fist-to-five check; the projector follows each step live, says the check
// is not a vote, and the anonymous author withdraws their question with the
// handle their browser kept. Ana's events are held back while she asks and
// argues, so her own answers come first, as on a loaded box. Prints
// "RESULT {meeting}" for the Go test to compare with the database; exits
// non-zero on the first failure.
import assert from "node:assert/strict";
import { launch, ok, axe, noHorizontalScroll } from "../../page/testdata/browser.mjs";

const base = process.argv[2];
const shots = process.argv[3];
assert.ok(base?.startsWith("http://127.0.0.1"), "usage: node room.mjs http://127.0.0.1:PORT [SHOTS]");
const browser = await launch();
const phone = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: "fr-FR" };
const laptop = { viewport: { width: 1280, height: 800 }, locale: "fr-FR" };
const allPages = [];

async function person(id, name, role, device, { bypassCSP = false } = {}) {
  const ctx = await browser.newContext({ ...device, bypassCSP });
  await ctx.addCookies([{ name: "testperson", value: encodeURIComponent([id, name, "#1a5fb4", role].join("|")), url: base }]);
  const page = await ctx.newPage();
  allPages.push(page);
  page.errors = [];
  page.outside = [];
  page.on("pageerror", (e) => page.errors.push(`${name}: ${e}`));
  page.on("dialog", (d) => { page.errors.push(`${name}: dialog ${d.message()}`); d.dismiss(); });
  page.on("console", (m) => { if (m.type() === "error") page.errors.push(`${name}: ${m.text()}`); });
  page.on("request", (r) => {
    const u = r.url();
    if (!u.startsWith(base) && !u.startsWith("data:")) page.outside.push(u);
  });
  return page;
}

async function waitText(page, selector, re, what, timeout = 10000) {
  try {
    await page.waitForFunction(([sel, src]) => new RegExp(src).test(document.querySelector(sel)?.innerText ?? ""), [selector, re.source], { timeout });
  } catch {
    const got = await page.locator(selector).first().innerText().catch(() => "(absent)");
    assert.fail(`${what}: ${selector} reads ${JSON.stringify(got)}, want ${re}`);
  }
}

// holdEvents makes page's room scripts see the box's events only once the
// returned function releases them, as on a loaded box whose event stream
// lags: the answer to the page's own request comes before the event that
// adds what it wrote. (A capturing listener on document runs before the
// room's own one, and stops it.)
async function holdEvents(page) {
  await page.evaluate(() => {
    window.heldEvents = [];
    window.holdEvent = (e) => { e.stopImmediatePropagation(); window.heldEvents.push(e.detail); };
    document.addEventListener("meeting:event", window.holdEvent, { capture: true });
  });
  return () => page.evaluate(() => {
    document.removeEventListener("meeting:event", window.holdEvent, { capture: true });
    for (const detail of window.heldEvents) document.dispatchEvent(new CustomEvent("meeting:event", { detail }));
    return window.heldEvents.length;
  });
}

// emptied waits until the page's answer to a form's request has been
// handled: the script empties the field only after it.
async function emptied(field, what) {
  try {
    await field.page().waitForFunction((e) => e.value === "", await field.elementHandle(), { timeout: 10000 });
  } catch {
    assert.fail(`${what}: the field still reads ${JSON.stringify(await field.inputValue().catch(() => "(absent)"))}`);
  }
}

let exitCode = 0;
try {
  const F = await person("f1", "Camille", "facilitator", laptop);
  const res = await F.request.post(`${base}/api/meeting/meetings`, { data: { title: "Débat du local", lang: "fr" } });
  assert.equal(res.status(), 201, await res.text());
  const { id } = await res.json();
  await F.goto(`${base}/meeting/m/${id}/control`);
  const Pj = await person("f1", "Camille", "facilitator", laptop);
  await Pj.goto(`${base}/meeting/m/${id}/projector`);
  const P = [];
  for (const [pid, name] of [["a", "Ana"], ["b", "Bo"], ["c", "Cy"], ["d", "Dé"]]) {
    const p = await person(pid, name, "participant", phone);
    await p.goto(`${base}/meeting/m/${id}/`);
    P.push(p);
  }
  const [ana, bo, cy, de] = P;

  // 1. Questions: one named, one anonymous; two upvotes take the second to the top.
  await F.getByLabel("Autoriser les questions anonymes").check();
  await bo.locator("[data-room=ask-anonymous]").waitFor({ state: "visible" });
  // Ana's answer comes before her question's event: hers all the same.
  let release = await holdEvents(ana);
  await ana.locator("#room").getByLabel("Votre question").fill("Qui paie la salle ?");
  await ana.locator("#room").getByRole("button", { name: "Envoyer" }).click();
  await emptied(ana.locator("#room").getByLabel("Votre question"), "Ana's question sent");
  assert.ok(await release() > 0, "Ana's held events");
  await ana.locator("[data-room=questions] li", { hasText: "Qui paie" }).getByRole("button", { name: "Retirer", exact: true })
    .waitFor({ timeout: 5000 }).catch(() => assert.fail("Ana is not offered to withdraw her question when the answer came before its event"));
  await bo.locator("#room").getByLabel("Votre question").fill("Et le budget des travaux ?");
  await bo.locator("#room").getByLabel("Sans mon nom").check();
  await bo.locator("#room").getByRole("button", { name: "Envoyer" }).click();
  await waitText(cy, "[data-room=questions]", /budget/, "Cy's list");
  for (const p of [cy, de]) {
    await p.locator("[data-room=questions] li", { hasText: "budget" }).getByRole("button", { name: /Soutenir/ }).click();
  }
  await F.getByRole("button", { name: "Questions de la salle" }).first().click();
  await Pj.locator("#p-room-questions").waitFor({ state: "visible" });
  await waitText(Pj, "[data-room=top] li:first-child", /^2\s*Et le budget des travaux \?.*anonyme/s, "the projector's first question");
  await waitText(ana, "[data-room=questions] li:first-child", /budget/, "Ana's list, reordered");
  assert.equal(await cy.locator("[data-room=questions] li:first-child button[aria-pressed=true]").count(), 1, "Cy sees her upvote");
  ok("an anonymous question is upvoted to the top, on the phones and the projector");

  // A second tap takes the upvote back; a third gives it again: it counts once.
  const cyVote = cy.locator("[data-room=questions] li", { hasText: "budget" }).getByRole("button", { name: /Soutenir/ });
  await cyVote.click();
  await waitText(Pj, "[data-room=top] li:first-child", /^1\s*Et/, "the projector after Cy takes her vote back");
  await cyVote.click();
  await waitText(Pj, "[data-room=top] li:first-child", /^2\s*Et/, "the projector after Cy votes again");
  ok("an upvote is undone and given again, one per person");

  // 2. Pros and cons.
  await F.getByLabel("Proposition", { exact: true }).fill("Louer le local de la rue Haute");
  await F.getByRole("button", { name: "Créer le tableau" }).click();
  await waitText(ana, "[data-room=boards]", /rue Haute/, "Ana's boards");
  release = await holdEvents(ana);
  await ana.locator("#room").getByLabel("Votre argument").fill("Proche du centre");
  await ana.locator("#room").getByRole("button", { name: "Ajouter pour" }).click();
  await emptied(ana.locator("#room").getByLabel("Votre argument"), "Ana's argument sent");
  assert.ok(await release() > 0, "Ana's held events");
  await ana.locator("#room .room-arg", { hasText: "Proche du centre" }).getByRole("button", { name: "Retirer", exact: true })
    .waitFor({ timeout: 5000 }).catch(() => assert.fail("Ana is not offered to withdraw her argument"));
  await bo.locator("#room").getByLabel("Votre argument").fill("Loyer trop cher");
  await bo.locator("#room").getByRole("button", { name: "Ajouter contre" }).click();
  await waitText(cy, "[data-room=boards]", /Proche du centre[\s\S]*Loyer trop cher/, "Cy's board");
  for (const p of [cy, de]) {
    // The list redraws on every event: a click that lands while it does is
    // lost, so press until the box has answered (aria-pressed turns true).
    const arg = p.locator("#room .room-arg", { hasText: "Proche du centre" });
    for (let tries = 1; ; tries++) {
      await arg.getByRole("button", { name: /Appuyer/ }).click();
      try {
        await arg.locator('button[aria-pressed="true"]').waitFor({ timeout: 3000 });
        break;
      } catch (e) {
        if (tries === 3) throw e;
      }
    }
  }
  await F.getByRole("button", { name: "Projeter ce tableau" }).click();
  await Pj.locator("#p-room-board").waitFor({ state: "visible" });
  await waitText(Pj, "[data-room=pros]", /2\s*Proche du centre/, "the projector's pros");
  await waitText(Pj, "[data-room=cons]", /0\s*Loyer trop cher/, "the projector's cons");
  ok("a board's two columns on the projector, supports counted");

  // 3. A fist-to-five check: the projector follows each answer.
  await F.getByLabel("Poing à cinq doigts").check();
  await F.getByLabel("Question posée (facultatif)").fill("Prêt·es à décider ?");
  await F.getByRole("button", { name: "Lancer une météo" }).click();
  await Pj.locator("#p-room-check").waitFor({ state: "visible" });
  await waitText(Pj, "#p-room-check", /Prêt·es à décider \?[\s\S]*ce n'est pas un vote/, "the projector's check");
  let slowest = 0;
  for (const [p, v, n] of [[ana, "5", 1], [bo, "3", 2], [cy, "4", 3], [de, "4", 4]]) {
    await p.locator("[data-room=check] .answers").getByRole("button", { name: v, exact: true }).click();
    const t0 = Date.now();
    await waitText(Pj, "#p-room-check .meta", new RegExp(`^${n} réponses`), `the projector after answer ${n}`, 3000);
    slowest = Math.max(slowest, Date.now() - t0);
  }
  await waitText(Pj, "#p-room-check .meta", /4 réponses · moyenne 4/, "the projector's mean");
  // Bo changes his mind while it is open: still four answers.
  await bo.locator("[data-room=check] .answers").getByRole("button", { name: "4", exact: true }).click();
  await waitText(Pj, "#p-room-check .meta", /4 réponses · moyenne 4,3/, "the projector after Bo changes");
  ok(`a check's distribution reaches the projector after each answer (slowest ${slowest} ms after the tap's end)`);
  await F.getByRole("button", { name: "Clore la météo" }).click();
  await waitText(ana, "[data-room=check-part]", /Météo close/, "Ana's closed check");
  assert.equal(await ana.locator("[data-room=check] .answers").count(), 0, "answer buttons after the close");

  // 4. The anonymous author withdraws, with the handle the browser kept.
  await bo.locator("[data-room=questions] li", { hasText: "budget" }).getByRole("button", { name: "Retirer", exact: true }).click();
  await F.getByRole("button", { name: "Questions de la salle" }).first().click();
  await waitText(Pj, "[data-room=top]", /^(?![\s\S]*budget)[\s\S]*Qui paie/, "the projector after the withdrawal");
  // The phones redraw their list on the event: count once they have.
  await waitText(ana, "[data-room=questions]", /^(?![\s\S]*budget)[\s\S]*Qui paie/, "Ana's list after the withdrawal");
  await waitText(cy, "[data-room=questions]", /^(?![\s\S]*budget)[\s\S]*Qui paie/, "Cy's list after the withdrawal");
  assert.equal(await ana.locator("[data-room=questions] li", { hasText: "Qui paie" }).getByRole("button", { name: "Retirer", exact: true }).count(), 1, "Ana may withdraw hers");
  assert.equal(await cy.locator("[data-room=questions] li", { hasText: "Qui paie" }).getByRole("button", { name: "Retirer", exact: true }).count(), 0, "Cy may not withdraw Ana's");
  await ana.locator("[data-room=questions] li", { hasText: "Qui paie" }).getByRole("button", { name: /Soutenir/ }).click();
  ok("the anonymous author withdraws their question; nobody else is offered to");

  for (const p of P) await noHorizontalScroll(p, "a phone");
  if (shots) {
    await Pj.screenshot({ path: `${shots}/room-projector.png` });
    await ana.screenshot({ path: `${shots}/room-phone.png`, fullPage: true });
  }
  const X = await person("f1", "Camille", "facilitator", laptop, { bypassCSP: true });
  for (const [path, what] of [[`/meeting/m/${id}/control`, "the control page"], [`/meeting/m/${id}/projector`, "the projector"]]) {
    await X.goto(base + path);
    await X.waitForLoadState("networkidle").catch(() => {});
    await axe(X, `${what} with the room's parts`);
  }
  const Y = await person("a", "Ana", "participant", phone, { bypassCSP: true });
  await Y.goto(`${base}/meeting/m/${id}/`);
  await Y.locator("[data-room=questions] li").first().waitFor();
  await axe(Y, "the phone page with the room's parts");

  const errors = allPages.flatMap((p) => p.errors);
  assert.deepEqual(errors, [], "script errors or refusals in the pages");
  const outside = allPages.flatMap((p) => p.outside);
  assert.deepEqual(outside, [], "requests that left the box");
  ok("no script error on any page; no request left the box");
  console.log(`RESULT ${JSON.stringify({ meeting: id })}`);
} catch (e) {
  console.error(e);
  for (const p of allPages) if (p.errors.length) console.error(p.errors.join("\n"));
  exitCode = 1;
} finally {
  await browser.close();
}
process.exit(exitCode);
