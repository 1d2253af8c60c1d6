// The people present, from y-websocket's awareness (each client's "user":
// name and colour, set by the caret extension).

/**
 * @param {HTMLElement} list
 * @param {import("y-protocols/awareness").Awareness} awareness
 * @param {number} myID
 * @param {Record<string, string>} strings
 */
export function renderPeople(list, awareness, myID, strings) {
  const render = () => {
    const people = [];
    for (const [id, state] of awareness.getStates()) {
      if (state?.user?.name) people.push({ id, ...state.user });
    }
    people.sort((a, b) => (a.id === myID ? -1 : b.id === myID ? 1 : a.name.localeCompare(b.name)));
    list.replaceChildren(
      ...people.map((p) => {
        const li = document.createElement("li");
        const dot = document.createElement("span");
        dot.className = "pad-swatch";
        dot.setAttribute("aria-hidden", "true");
        dot.style.backgroundColor = p.color; // CSSOM: allowed by the CSP
        li.append(dot, p.id === myID ? `${p.name} (${strings.you})` : p.name);
        return li;
      }),
    );
    if (people.length <= 1) {
      const li = document.createElement("li");
      li.className = "hint";
      li.textContent = strings.nobody;
      list.append(li);
    }
  };
  awareness.on("change", render);
  render();
}
