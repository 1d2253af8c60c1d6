// The chat beside the pad lives in the document itself, in the Y.Array
// "chat" of {name, color, text, at}: it syncs, works offline and is stored
// like the text. `at` is the writer's clock (milliseconds), for display only.

const maxShown = 200;

/**
 * @param {import("yjs").Doc} doc
 * @param {{name: string, color: string}} me
 * @param {() => boolean} readOnly
 */
export function setupChat(doc, me, readOnly) {
  const chat = doc.getArray("chat");
  const list = document.getElementById("pad-chat");
  const form = document.getElementById("pad-chat-form");
  const input = document.getElementById("pad-chat-input");
  const time = new Intl.DateTimeFormat(document.documentElement.lang, { hour: "2-digit", minute: "2-digit" });

  const item = (m) => {
    const li = document.createElement("li");
    const who = document.createElement("strong");
    const dot = document.createElement("span");
    dot.className = "pad-swatch";
    dot.setAttribute("aria-hidden", "true");
    dot.style.backgroundColor = String(m?.color || "#777");
    who.append(dot, String(m?.name || "?"));
    const when = document.createElement("time");
    const at = Number(m?.at);
    if (at > 0) {
      when.dateTime = new Date(at).toISOString();
      when.textContent = time.format(at);
    }
    const text = document.createElement("p");
    text.textContent = String(m?.text ?? "");
    li.append(who, " ", when, text);
    return li;
  };
  // The list is a live region: new messages are appended, so that a screen
  // reader reads only them. A message merged into the middle (someone was
  // offline) redraws the list.
  const render = () => {
    list.replaceChildren(...chat.toArray().slice(-maxShown).map(item));
    list.scrollTop = list.scrollHeight;
  };
  chat.observe((event) => {
    const d = event.changes.delta;
    const appended = d.length === 2 && d[0].retain === chat.length - d[1].insert?.length && d[1].insert;
    const onlyInsert = d.length === 1 && d[0].insert && chat.length === d[0].insert.length;
    const added = appended ? d[1].insert : onlyInsert ? d[0].insert : null;
    if (!added) return render();
    list.append(...added.map(item));
    while (list.children.length > maxShown) list.firstElementChild.remove();
    list.scrollTop = list.scrollHeight;
  });
  render();

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const text = input.value.trim().slice(0, 500);
    if (!text || readOnly()) return;
    chat.push([{ name: me.name, color: me.color, text, at: Date.now() }]);
    input.value = "";
  });
}
