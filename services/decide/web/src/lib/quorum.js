// The live quorum (PROTOCOL.md, "quorum" event), drawn into an element
// with role="status": the numbers, and whether the quorum is met.
import { fill } from "./fold.js";

export function drawQuorum(el, q, T) {
  el.classList.toggle("met", !!q.met && q.required > 0);
  el.dataset.rev = String(q.rev);
  el.replaceChildren();
  const line = (text, cls) => {
    const p = document.createElement("p");
    p.textContent = text;
    if (cls) p.className = cls;
    el.append(p);
  };
  if (q.problem) {
    line(T.problem, "quorum-problem");
    return;
  }
  line(fill(T.quorumLine, { present: q.present, voting: q.voting, represented: q.represented,
    required: q.required > 0 && q.basis === "members" ? q.required : "—" }), "quorum-numbers");
  if (q.basis === "weight") {
    line(fill(T.weightLine, { have: q.have, weight: q.weight, required: q.required }), "quorum-numbers");
  }
  line(q.required === 0 ? T.noQuorum : q.met ? T.quorumMet : T.quorumNotMet, "quorum-met");
}

// follow opens the assembly's event stream and calls onQuorum with each
// "quorum" event; EventSource reconnects by itself.
export function follow(assemblyID, onQuorum, onState) {
  const es = new EventSource(`/decide/a/${encodeURIComponent(assemblyID)}/events`);
  es.addEventListener("quorum", (e) => onQuorum(JSON.parse(e.data)));
  es.addEventListener("open", () => onState?.(true));
  es.addEventListener("error", () => onState?.(false));
  return es;
}
