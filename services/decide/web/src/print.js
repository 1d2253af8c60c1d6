// print.js: the "Imprimer" button of the card sheets (member cards,
// ballot cards). The box's CSP allows no inline script, so even this one
// line is a module of its own.
for (const b of document.querySelectorAll("button.print")) b.addEventListener("click", () => window.print());
