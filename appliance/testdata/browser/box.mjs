// Browser test of the box, driven by appliance/browser_test.go, which starts
// the box and passes its HTTPS base URL. Debian's Chromium, playwright-core,
// axe-core. Prints one line per check; exits non-zero on the first failure.
import assert from "node:assert/strict";
import { launch, ok, axe, noHorizontalScroll } from "../../../services/page/testdata/browser.mjs";

const base = process.argv[2];
const code = process.argv[3]; // the claim code the box shows on its screen and in its log
const shots = process.argv[4]; // folder for screenshots, optional
assert.ok(base?.startsWith("https://") && /^\d{4} \d{4} \d{4}$/.test(code ?? ""),
  "usage: node box.mjs https://127.0.0.1:PORT 'CLAIM CODE' [SHOTS]");
const browser = await launch();

try {
  // A phone: Pixel-like viewport, French browser.
  const phone = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
    ignoreHTTPSErrors: true, bypassCSP: true, locale: "fr-FR" };
  const ctx = await browser.newContext(phone);
  const page = await ctx.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  const outside = [];
  page.on("request", (r) => { if (!r.url().startsWith(base) && !r.url().startsWith("data:")) outside.push(r.url()); });

  // 1. Unclaimed: the landing page leads to the claim form, in French.
  await page.goto(base + "/");
  assert.equal(new URL(page.url()).pathname, "/claim");
  assert.equal(await page.getAttribute("html", "lang"), "fr");
  assert.equal(await page.locator("h1").innerText(), "Mettre en route la boîte");
  ok("an unclaimed box leads to the French claim page");
  await axe(page, "claim page");
  await noHorizontalScroll(page, "claim page");

  // 2. Claim, by labels as a screen reader user would find the fields;
  // first with a wrong code (a digit mistyped), then the code as shown.
  const wrong = code.replace(/\d$/, (d) => String((Number(d) + 1) % 10));
  await page.getByLabel("Code de mise en route").fill(wrong);
  await page.getByLabel("Nom de la boîte").fill("Tiers-lieu La Fabrique");
  await page.getByLabel("Votre nom").fill("Camille");
  await page.getByLabel("Phrase de passe", { exact: true }).fill("les communs sont à nous");
  await page.getByLabel("La même phrase de passe, encore").fill("les communs sont à nous");
  await Promise.all([page.waitForNavigation(), page.getByRole("button", { name: "Mettre en route" }).click()]);
  assert.equal(new URL(page.url()).pathname, "/claim");
  assert.match(await page.locator("main").innerText(), /Ce code de mise en route n’?'?est pas le bon/);
  assert.equal(await page.getByLabel("Nom de la boîte").inputValue(), "Tiers-lieu La Fabrique", "what was typed is kept");
  // The refusal's 403 is the one console message expected: nothing else.
  assert.deepEqual(errors.splice(0), ["Failed to load resource: the server responded with a status of 403 ()"]);
  ok("a wrong claim code is refused (403) with a clear message, the form kept");
  await axe(page, "claim page with an error");
  await page.getByLabel("Code de mise en route").fill(code.replaceAll(" ", ""));
  await page.getByLabel("Phrase de passe", { exact: true }).fill("les communs sont à nous");
  await page.getByLabel("La même phrase de passe, encore").fill("les communs sont à nous");
  await page.getByRole("button", { name: "Mettre en route" }).click();
  await page.waitForURL(base + "/admin");
  assert.equal(await page.locator("h1").innerText(), "Administration");
  assert.match(await page.locator("header").innerText(), /Camille/);
  ok("claim flow: the owner lands on the administration page, signed in");
  await axe(page, "administration page");
  if (shots) await page.screenshot({ path: `${shots}/admin.png`, fullPage: true });

  // 3. The landing page in French, then the English switch.
  await page.goto(base + "/");
  assert.equal(await page.locator("h1").innerText(), "Tiers-lieu La Fabrique");
  assert.ok(await page.getByRole("heading", { name: "Comment rejoindre" }).isVisible());
  assert.ok(await page.locator("svg.qr").first().isVisible(), "a QR code is shown");
  ok("landing page in French with the box's name and a QR code");
  await axe(page, "landing page (fr)");
  await noHorizontalScroll(page, "landing page");
  if (shots) await page.screenshot({ path: `${shots}/landing-fr.png`, fullPage: true });

  await Promise.all([page.waitForNavigation(), page.getByRole("button", { name: "English" }).click()]);
  assert.equal(await page.getAttribute("html", "lang"), "en");
  assert.ok(await page.getByRole("heading", { name: "How to join" }).isVisible());
  ok("the English switch gives the English landing page");
  await axe(page, "landing page (en)");
  await page.reload();
  assert.equal(await page.getAttribute("html", "lang"), "en", "the language choice is remembered");
  await Promise.all([page.waitForNavigation(), page.getByRole("button", { name: "Français" }).click()]);
  assert.equal(await page.getAttribute("html", "lang"), "fr");
  ok("the choice is remembered, and switching back works");

  // 4. A participant joins from another phone, with the keyboard only.
  const ctx2 = await browser.newContext(phone);
  const p2 = await ctx2.newPage();
  await p2.goto(base + "/");
  await p2.keyboard.press("Tab");
  assert.equal(await p2.evaluate(() => document.activeElement?.className), "skip", "first Tab reaches the skip link");
  await p2.getByLabel("Votre nom (visible des autres)").focus();
  await p2.keyboard.type("Ana Lúcia");
  await Promise.all([p2.waitForNavigation(), p2.keyboard.press("Enter")]);
  assert.match(await p2.locator("header").innerText(), /Ana Lúcia/);
  const me = await (await p2.request.get(base + "/api/me")).json();
  assert.equal(me.role, "participant");
  ok("a participant joins by keyboard and is remembered by name");
  await axe(p2, "landing page of a participant");

  // 5. A participant cannot open the administration page.
  await p2.goto(base + "/admin");
  assert.equal(new URL(p2.url()).pathname, "/signin");
  ok("a participant asking for /admin is sent to the sign-in page");

  // 6. The printable card.
  await page.goto(base + "/card");
  assert.ok(await page.locator(".join-card svg.qr").isVisible());
  await axe(page, "join card");
  if (shots) await page.screenshot({ path: `${shots}/card.png` });

  assert.deepEqual(errors, [], "no script error in the pages");
  assert.deepEqual(outside, [], "no request leaves the box");
  ok("no script error, no request outside the box");
} finally {
  await browser.close();
}
