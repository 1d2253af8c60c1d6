// projector.js: the full-screen view follows the vote live. Counts change
// in place; a change of state or a new ballot on a visible result reloads
// the page (drawn on the server), at most once every two seconds.
const view = document.getElementById("projector");
if (view) {
  let last = 0;
  let timer = null;
  const reload = () => {
    const wait = Math.max(0, 2000 - (Date.now() - last));
    if (timer) return;
    timer = setTimeout(() => { last = Date.now(); location.reload(); }, wait);
  };
  const events = new EventSource(`/decide/a/${view.dataset.assembly}/events`);
  events.addEventListener("ballots", (ev) => {
    const d = JSON.parse(ev.data);
    if (d.vote !== view.dataset.vote) return;
    document.getElementById("count").textContent = d.ballots;
    if (document.getElementById("outcome")) reload();
  });
  events.addEventListener("vote", (ev) => {
    const d = JSON.parse(ev.data);
    if (d.id === view.dataset.vote && d.state !== view.dataset.state) reload();
  });
}
