// What every browser test of the box shares: Debian's Chromium started with
// the flags that keep it off the network (TESTING.md), the "ok -" lines, the
// axe-core check and the phone-width check. Imported by
// appliance/testdata/browser/box.mjs and services/pads/testdata/pads.mjs.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const axePath = createRequire(import.meta.url).resolve("axe-core/axe.min.js");
const started = Date.now();

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

export function ok(what) { console.log(`ok - ${what} (${((Date.now() - started) / 1000).toFixed(1)} s)`); }

// axe runs as an injected script: the box's CSP forbids inline scripts, so
// the page checked must come from a context with bypassCSP.
export async function axe(page, what) {
  await page.addScriptTag({ path: axePath });
  const res = await page.evaluate(async () =>
    await window.axe.run(document, { runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] }));
  const bad = res.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target).join(", ")})`), [],
    `${what}: serious accessibility violations`);
  ok(`${what}: axe finds no serious or critical violation (${res.violations.length} minor)`);
}

export async function noHorizontalScroll(page, what) {
  const [sw, iw] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(sw <= iw, `${what}: the page is ${sw}px wide on a ${iw}px screen`);
}
