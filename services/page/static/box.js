// Small progressive enhancements; every page works without them.

// Forms of facilitators carry the browser's time, so that a box whose clock
// is unset (no battery, no internet) can take it.
for (const input of document.querySelectorAll("input.browser-time")) {
  input.form?.addEventListener("submit", () => { input.value = String(Date.now()); });
}

for (const button of document.querySelectorAll("button.print")) {
  button.addEventListener("click", () => window.print());
}

for (const input of document.querySelectorAll("input.copy")) {
  input.addEventListener("focus", () => input.select());
}
