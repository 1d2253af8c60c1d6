// Browser test of the roll and the check-in desk, driven by
// desk_browser_test.go, which serves decide on plain http://127.0.0.1 (a
// secure context, the box's CSP on) and passes its URL. Debian's Chromium,
// playwright-core, axe-core. A facilitator on a 390-px phone creates an
// assembly, imports a broken roll (refused, nothing stored) then a good
// one, sets the quorum, searches and checks members in, records a proxy,
// sees a proxy over the cap refused, and sees the quorum change, on the
// desk and live on a second screen. Prints "RESULT {assembly}" for the Go
// test to compare with the database; exits non-zero on the first failure.
import assert from "node:assert/strict";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import jsQR from "jsqr";
import { launch, ok, axe, noHorizontalScroll } from "../../page/testdata/browser.mjs";

const base = process.argv[2];
const shots = process.argv[3];
assert.ok(base?.startsWith("http://127.0.0.1"), "usage: node roll_desk.mjs http://127.0.0.1:PORT [SHOTS]");
const browser = await launch();
const phone = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: "fr-FR" };
const laptop = { viewport: { width: 1280, height: 800 }, locale: "fr-FR" };
const allPages = [];

async function person(id, name, role, device, bypassCSP = false) {
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

const goodRoll = "\ufeffNom;Collège;Poids;Droit de vote\r\nÉloïse Lœuvre;Salariés;1;oui\r\nZoé Martin;Usagers;2;oui\r\n" +
  "Emile Durand;Usagers;1;non\r\n\"Bernard, Anne\";Salariés;1;oui\r\nÉmile Zola;Usagers;3;oui\r\nAgnès Petit;Salariés;1;oui\r\n;;;\r\n";
const brokenRoll = "name,category,weight,voting right\nAlice,A,1,yes\nBob,A,zero,yes\n";

const quorumText = (page) => page.locator("#quorum").innerText();
async function waitQuorum(page, re, what) {
  try {
    await page.waitForFunction((src) => new RegExp(src).test(document.getElementById("quorum")?.innerText ?? ""), re.source, { timeout: 10000 });
  } catch {
    assert.fail(`${what}: quorum reads ${JSON.stringify(await quorumText(page))}, want ${re}`);
  }
}

let exitCode = 0;
try {
  const F = await person("p-cam", "Camille", "facilitator", phone);

  // 1. Create an assembly from the list page.
  await F.goto(base + "/decide/");
  await F.getByLabel("Titre").fill("AG de la Fabrique");
  await F.getByLabel("Date (facultatif)").fill("samedi 14 mars");
  await Promise.all([F.waitForURL(/\/decide\/a\/[\w-]+\/roll$/), F.getByRole("button", { name: "Créer l'assemblée" }).click()]);
  const assembly = new URL(F.url()).pathname.split("/")[3];
  ok("a facilitator creates an assembly; its roll page opens");

  // 2. A broken roll: every refused line listed, nothing imported.
  await F.getByLabel("Fichier CSV du registre").setInputFiles({ name: "registre.csv", mimeType: "text/csv", buffer: Buffer.from(brokenRoll) });
  await F.getByRole("button", { name: "Importer", exact: true }).click();
  await F.getByRole("heading", { name: "Lignes refusées : 1" }).waitFor();
  assert.match(await F.locator(".report").innerText(), /3\s+poids « zero »/);
  assert.equal(await F.getByRole("heading", { name: "Membres (0)" }).count(), 1, "nothing imported");
  ok("a roll with a broken line is refused line by line, nothing imported");

  // 3. The good roll (';', BOM, CRLF, French headers).
  await F.getByLabel("Fichier CSV du registre").setInputFiles({ name: "registre.csv", mimeType: "text/csv", buffer: Buffer.from(goodRoll) });
  await F.getByRole("button", { name: "Importer", exact: true }).click();
  await F.getByText("Membres importés : 6.").waitFor();
  await F.getByRole("heading", { name: "Membres (6)" }).waitFor();
  await noHorizontalScroll(F, "roll page on a phone");
  ok("the spreadsheet's roll is imported: 6 members");

  // 4. The quorum: half of the members, present or represented.
  await F.getByLabel("Fraction requise").fill("1");
  await F.getByLabel("sur", { exact: true }).fill("2");
  await F.getByLabel("Compter aussi les membres représentés par un pouvoir").check();
  await F.getByRole("button", { name: "Enregistrer les règles" }).click();
  await F.waitForURL(/\/roll#rules$/);
  ok("rules saved: quorum 1/2, proxies counted");

  // A second screen follows the assembly page live.
  const wall = await person("p-cam", "Camille", "facilitator", laptop);
  await wall.goto(`${base}/decide/a/${assembly}/`);
  assert.match(await quorumText(wall), /0 \/ 5/);

  // 5. The desk on the phone.
  await F.getByRole("link", { name: "Ouvrir l'émargement" }).click();
  await F.waitForURL(/\/desk$/);
  await F.locator(".desk-item").first().waitFor();
  await waitQuorum(F, /Présents : 0 sur 5/, "an empty desk");
  assert.equal(await F.locator(".desk-item").count(), 6);
  const search = F.getByLabel("Chercher un membre");
  await search.pressSequentially("eloi", { delay: 30 });
  await F.waitForFunction(() => document.querySelectorAll(".desk-item").length === 1);
  await F.getByText("Membres affichés : 1.").waitFor();
  await F.getByLabel("Éloïse Lœuvre").check();
  await F.getByText("Éloïse Lœuvre : présent·e.").waitFor();
  await waitQuorum(F, /Présents : 1 sur 5/, "after Éloïse");
  ok("search as you type without accents finds Éloïse; ticking her moves the quorum");

  await search.fill("");
  await search.pressSequentially("ZOE", { delay: 30 });
  await F.waitForFunction(() => document.querySelectorAll(".desk-item").length === 1);
  await F.getByLabel("Zoé Martin").check();
  await waitQuorum(F, /Présents : 2 sur 5 · présents ou représentés : 2 · requis : 3/, "after Zoé");
  await waitQuorum(F, /pas encore atteint/, "two of five");
  await waitQuorum(wall, /Présents : 2 sur 5/, "the second screen, live");
  ok("the second screen's quorum follows live (Server-Sent Events)");

  // 6. Agnès, absent, gives her proxy to Zoé: the quorum is met.
  await search.fill("agnes");
  await F.waitForFunction(() => document.querySelectorAll(".desk-item").length === 1);
  await F.getByRole("button", { name: "Pouvoir Agnès Petit" }).click();
  const dialog = F.locator("#desk-dialog");
  await dialog.getByLabel("Qui porte le pouvoir ?").selectOption({ label: "Zoé Martin (Usagers) — 0/2" });
  await dialog.getByRole("button", { name: "Donner le pouvoir" }).click();
  await F.getByText("Pouvoir de Agnès Petit à Zoé Martin enregistré.").waitFor();
  await waitQuorum(F, /présents ou représentés : 3/, "after Agnès's proxy");
  await waitQuorum(F, /Quorum atteint/, "three of five");
  await waitQuorum(wall, /Quorum atteint/, "the second screen");
  assert.match(await F.locator(".desk-item").first().innerText(), /pouvoir à Zoé Martin, compté/);
  ok("a proxy to a present member counts: quorum reached, on both screens");

  // 7. Anne's proxy to Zoé too (2 of 2), then Émile Zola's: refused.
  for (const [who, n] of [["Bernard, Anne", 1], ["Émile Zola", 2]]) {
    await search.fill(who.split(" ")[1].replace(",", ""));
    await F.getByRole("button", { name: `Pouvoir ${who}` }).click();
    await dialog.getByLabel("Qui porte le pouvoir ?").selectOption({ label: `Zoé Martin (Usagers) — ${n}/2` });
    await dialog.getByRole("button", { name: "Donner le pouvoir" }).click();
    if (n === 2) {
      await dialog.getByRole("alert").filter({ hasText: "autant de pouvoirs que la règle le permet" }).waitFor();
      await dialog.getByRole("button", { name: "Annuler" }).click();
    } else {
      await waitQuorum(F, /présents ou représentés : 4/, "after Anne's proxy");
    }
  }
  await waitQuorum(F, /présents ou représentés : 4/, "after the refused proxy");
  ok("a third proxy to the same carrier is refused with the rule's message");

  // 8. Zoé leaves: her proxies stop counting.
  await search.fill("zoe");
  await F.getByLabel("Zoé Martin").uncheck();
  await waitQuorum(F, /Présents : 1 sur 5 · présents ou représentés : 1/, "Zoé gone");
  await F.getByLabel("Zoé Martin").check();
  await waitQuorum(F, /Présents : 2 sur 5 · présents ou représentés : 4/, "Zoé back");
  ok("a carrier who leaves takes her proxies' count away; it comes back with her");

  await search.fill("");
  await noHorizontalScroll(F, "desk on a phone");
  if (shots) await F.screenshot({ path: `${shots}/desk-phone.png`, fullPage: true });

  // 9. Accessibility (axe needs the CSP bypassed to inject).
  const checker = await person("p-cam", "Camille", "facilitator", phone, true);
  await checker.goto(`${base}/decide/a/${assembly}/desk`);
  await checker.locator(".desk-item").first().waitFor();
  await axe(checker, "desk page");
  await checker.getByLabel("Chercher un membre").fill("zola");
  await checker.getByRole("button", { name: "Lien Émile Zola" }).click();
  await checker.locator("#desk-dialog").getByRole("button", { name: "Lien", exact: true }).click();
  await checker.locator("#desk-dialog svg.qr").waitFor();
  await axe(checker, "desk page showing a member's link full screen");

  // 10. The QR code drawn by the box decodes to the link shown beside it;
  // a camera that films it checks Émile Zola in at the desk.
  const url = await checker.locator("#desk-dialog .link-url").innerText();
  const frame = await checker.evaluate(async () => {
    const svg = document.querySelector("#desk-dialog svg.qr");
    const img = new Image();
    img.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(new XMLSerializer().serializeToString(svg));
    await img.decode();
    const c = document.createElement("canvas");
    c.width = 640;
    c.height = 480;
    const ctx = c.getContext("2d");
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, 640, 480);
    ctx.drawImage(img, 160, 80, 320, 320);
    return Array.from(ctx.getImageData(0, 0, 640, 480).data);
  });
  const rgba = Uint8ClampedArray.from(frame);
  assert.equal(jsQR(rgba, 640, 480)?.data, url, "the QR code decodes to the link");
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/decide\/m\/[\w-]{22}$/);
  await checker.keyboard.press("Escape");
  ok("a member's link is shown full screen; its QR code decodes to the link");

  // Chromium's fake camera plays a Y4M file: two frames of that image.
  const y4m = join(mkdtempSync(join(tmpdir(), "desk-")), "card.y4m");
  const W = 640, H = 480, Y = Buffer.alloc(W * H), UV = Buffer.alloc(W * H / 2, 128);
  for (let i = 0; i < W * H; i++) Y[i] = Math.round(0.299 * rgba[4 * i] + 0.587 * rgba[4 * i + 1] + 0.114 * rgba[4 * i + 2]);
  const fr = Buffer.concat([Buffer.from("FRAME\n"), Y, UV]);
  writeFileSync(y4m, Buffer.concat([Buffer.from(`YUV4MPEG2 W${W} H${H} F10:1 Ip A1:1 C420jpeg\n`), fr, fr]));
  const cam = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
      "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream", `--use-file-for-fake-video-capture=${y4m}`],
  });
  try {
    const ctx = await cam.newContext({ ...phone });
    await ctx.grantPermissions(["camera"], { origin: base });
    await ctx.addCookies([{ name: "testperson", value: encodeURIComponent(["p-cam", "Camille", "#1a5fb4", "facilitator"].join("|")), url: base }]);
    const D = await ctx.newPage();
    allPages.push(D);
    D.errors = [];
    D.outside = [];
    D.on("pageerror", (e) => D.errors.push(`camera desk: ${e}`));
    D.on("request", (r) => { if (!r.url().startsWith(base) && !r.url().startsWith("data:") && !r.url().startsWith("blob:")) D.outside.push(r.url()); });
    await D.goto(`${base}/decide/a/${assembly}/desk`);
    await D.locator(".desk-item").first().waitFor();
    await D.getByRole("button", { name: "Scanner une carte" }).click();
    await D.getByText("Carte lue. Émile Zola : présent·e.").waitFor({ timeout: 15000 });
    await waitQuorum(D, /Présents : 3 sur 5/, "after the scan");
    assert.equal(await D.locator("#scan-video").isHidden(), true, "the camera stops once a card is read");
  } finally {
    await cam.close();
  }
  ok("the desk's camera reads the card: Émile Zola checked in, camera stopped");
  for (const p of ["/decide/", `/decide/a/${assembly}/`, `/decide/a/${assembly}/roll`, `/decide/a/${assembly}/cards`]) {
    await checker.goto(base + p);
    await axe(checker, p);
  }

  // 11. Member cards: the members without a link (Émile Zola has one now), ten
  // to an A4 sheet of 105 × 59.4 mm cards when printed.
  await F.goto(`${base}/decide/a/${assembly}/cards`);
  await F.getByRole("button", { name: "Préparer les cartes" }).click();
  await F.getByText("Cartes prêtes à imprimer : 5.").waitFor();
  assert.equal(await F.locator("article.member-card svg.qr").count(), 5);
  await F.emulateMedia({ media: "print" });
  const card = await F.locator("article.member-card").first().boundingBox();
  const mm = 96 / 25.4;
  assert.ok(Math.abs(card.width - 105 * mm) < 2 && Math.abs(card.height - 59.4 * mm) < 2,
    `a printed card is ${card.width}×${card.height} px, want 105×59.4 mm`);
  if (shots) await F.screenshot({ path: `${shots}/cards-print.png`, fullPage: true });
  ok("member cards: 5 QR codes drawn by the box, 105 × 59.4 mm when printed");

  // The refused import (422) and the refused proxy (409) are expected.
  const errors = allPages.flatMap((p) => p.errors)
    .filter((e) => !/status of (422 \(Unprocessable Entity|409 \(Conflict)\)/.test(e));
  assert.deepEqual(errors, [], "no script error or CSP refusal in the pages");
  assert.deepEqual(allPages.flatMap((p) => p.outside), [], "no request leaves the box");
  ok("no script error, no CSP refusal, no request outside the box");
  console.log("RESULT " + JSON.stringify({ assembly }));
} catch (e) {
  console.error(e);
  console.error("page errors:", allPages.flatMap((p) => p.errors));
  if (shots) for (const [i, p] of allPages.entries()) await p.screenshot({ path: `${shots}/failed-${i}.png`, fullPage: true }).catch(() => {});
  exitCode = 1;
} finally {
  await browser.close();
}
process.exit(exitCode);
