// Browser test of a secret vote, driven by vote_browser_test.go, which
// starts decide on plain http://127.0.0.1 (a secure context: WebCrypto
// works) with the box's CSP, an assembly of four members, three present.
// A facilitator creates and opens a secret vote, hands a card at the desk
// and prints it; three phone-sized pages vote (two with blind signatures,
// one with the card); the projector shows the result when the facilitator
// closes. Prints "ok -" lines and "RESULT {vote}"; exits non-zero on the
// first failure.
import assert from "node:assert/strict";
import { launch, ok, axe, noHorizontalScroll } from "../../page/testdata/browser.mjs";

const base = process.argv[2];
// The members' bound browsers' cookies, {"m00": "name=value", …}.
const bound = JSON.parse(process.argv[3] || "{}");
const memberCookie = (id) => bound[id].split(/=(.*)/s).slice(0, 2);
assert.ok(base?.startsWith("http://127.0.0.1"), "usage: node vote_browser.mjs http://127.0.0.1:PORT COOKIES");
const browser = await launch();
const phone = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: "fr-FR" };
const laptop = { viewport: { width: 1280, height: 800 }, locale: "fr-FR" };
const pages = [];

async function person(cookies, device, bypassCSP = false) {
  const ctx = await browser.newContext({ ...device, bypassCSP });
  await ctx.addCookies(cookies.map(([name, value]) => ({ name, value, url: base })));
  const page = await ctx.newPage();
  page.errors = [];
  page.outside = [];
  page.on("pageerror", (e) => page.errors.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) page.errors.push(m.text()); });
  page.on("response", (r) => { if (r.status() >= 400) page.errors.push(`${r.status()} ${r.url()}`); });
  page.on("request", (r) => { if (!r.url().startsWith(base) && !r.url().startsWith("data:")) page.outside.push(r.url()); });
  pages.push(page);
  return page;
}

try {
  // The facilitator creates and opens the vote.
  const fac = await person([["testrole", "facilitator"]], laptop);
  await fac.goto(`${base}/decide/a/asm1/votes`);
  await fac.fill("#nv-title", "Budget 2027");
  await fac.selectOption("#nv-type", "yesno");
  await fac.check('input[name="secret"]');
  await Promise.all([fac.waitForEvent("load"), fac.click("#new-vote button")]);
  const row = fac.locator(".vote-row").first();
  const vote = await row.getAttribute("data-vote");
  assert.ok(vote, "no vote row after creating");
  await Promise.all([fac.waitForEvent("load"), row.locator('button[data-state="open"]').click()]);
  await fac.waitForSelector('.vote-row button[data-state="closed"]');
  ok("a facilitator creates and opens a secret vote");
  const facAxe = await person([["testrole", "facilitator"]], laptop, true);
  await facAxe.goto(`${base}/decide/a/asm1/votes`);
  await axe(facAxe, "votes page");

  // The desk: m02 receives one card, printed.
  await fac.goto(`${base}/decide/v/${vote}/desk`);
  await fac.click('button.hand[data-member="m02"]');
  await fac.waitForFunction(() => !document.querySelector('button.hand[data-member="m02"]'));
  await fac.fill("#count", "1");
  await Promise.all([fac.waitForEvent("load"), fac.click(".print-cards button")]);
  const code = (await fac.locator(".card .code").first().textContent()).trim();
  assert.match(code, /^[A-Z2-7-]{32}$/);
  ok(`the desk hands a card to one member and prints it (${code.slice(0, 4)}…)`);

  // The projector, open before anyone votes.
  const proj = await person([["testrole", "participant"]], laptop);
  await proj.goto(`${base}/decide/v/${vote}/projector`);

  // Three phones vote.
  const m00 = await person([memberCookie("m00")], phone);
  const m01 = await person([memberCookie("m01")], phone);
  const card = await person([], phone);
  for (const p of [m00, m01]) {
    await p.goto(`${base}/decide/v/${vote}`);
    await p.waitForFunction(() => /1/.test(document.querySelector("#tokens")?.textContent || ""), null, { timeout: 20000 });
  }
  ok("two members' phones obtain a blind signature each");
  await card.goto(`${base}/decide/v/${vote}/c#${code}`);
  assert.equal(await card.inputValue("#code"), code, "the card's code from the URL fragment");
  assert.ok(!card.url().includes("#"), "the code stays in the address bar");
  for (const [p, choice] of [[m00, 0], [m01, 0], [card, 1]]) {
    await p.check(`input[name="choice"][value="${choice}"]`);
    await p.click("#ballot button.primary");
  }
  for (const p of [m00, m01, card]) {
    await p.waitForFunction(() => /[A-Z2-7]{10}/.test(document.querySelector("#message")?.textContent || ""), null, { timeout: 20000 });
    await noHorizontalScroll(p, "vote page on a phone");
  }
  ok("three phone-sized pages vote (two blind-signed tokens, one card) and get receipts");
  await proj.waitForFunction(() => document.querySelector("#count")?.textContent === "3", null, { timeout: 10000 });
  ok("the projector counts three ballots live");
  const phoneAxe = await person([memberCookie("m03")], phone, true);
  await phoneAxe.goto(`${base}/decide/v/${vote}`);
  await axe(phoneAxe, "secret vote page on a phone");

  // Closing: the projector shows the result.
  await fac.goto(`${base}/decide/a/asm1/votes`);
  await fac.locator(`.vote-row[data-vote="${vote}"] button[data-state="closed"]`).click(); // asks to confirm
  await Promise.all([fac.waitForEvent("load"), fac.locator(`.vote-row[data-vote="${vote}"] button[data-state="closed"]`).click()]);
  await proj.waitForSelector("#outcome", { timeout: 15000 });
  const outcome = await proj.locator("#outcome").textContent();
  assert.match(outcome, /Adopté/, "projector outcome");
  assert.ok(await proj.locator("figure.chart svg").count() > 0, "a chart on the projector");
  ok(`the projector shows the result: ${outcome.trim()}`);
  const projAxe = await person([["testrole", "participant"]], laptop, true);
  await projAxe.goto(`${base}/decide/v/${vote}/result`);
  await axe(projAxe, "results page");

  for (const p of pages) {
    assert.deepEqual(p.outside, [], "requests that left the box");
    assert.deepEqual(p.errors, [], "page errors");
  }
  ok("no request left the box, no page error");
  console.log("RESULT " + JSON.stringify({ vote }));
} finally {
  await browser.close();
}
