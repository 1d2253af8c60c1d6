// The authorship view: who wrote what, on or off.
//
// Every Yjs item records the client (one browser page) that inserted it. The
// document's Y.Map "authors" maps each client id to {name, color}: a page
// adds its entry the first time its person changes the pad. With the view
// on, a ProseMirror plugin walks the Y.XmlFragment behind the editor, which
// mirrors the ProseMirror document node for node (an element opens and
// closes, a leaf counts one, text counts its UTF-16 length, as ProseMirror
// positions do), and highlights each inserted run with a class per colour.
// The colours go into a constructed stylesheet (CSSOM), since the CSP refuses
// inline styles. Deleted text is not shown.
import { Extension } from "@tiptap/core";
import { Plugin, PluginKey } from "@tiptap/pm/state";
import { Decoration, DecorationSet } from "@tiptap/pm/view";
import * as Y from "yjs";

const key = new PluginKey("coopboxAuthors");
const colorRe = /^#[0-9a-fA-F]{6}$/;

function classFor(color) {
  return colorRe.test(color) ? "pad-by-" + color.slice(1).toLowerCase() : "pad-by-unknown";
}

/**
 * The extension; options.authors is the Y.Map, options.fragment the
 * editor's Y.XmlFragment, options.isOn() says whether the view is on.
 */
export const Authorship = Extension.create({
  name: "coopboxAuthorship",
  addOptions() {
    return { authors: null, fragment: null, isOn: () => false };
  },
  addProseMirrorPlugins() {
    const { authors, fragment, isOn } = this.options;
    return [new Plugin({
      key,
      props: {
        decorations(state) {
          if (!isOn()) return null;
          const decos = [];
          const size = state.doc.content.size;
          // Runs of one author make one highlight, not one per keystroke.
          let run = null;
          const add = (from, to, cls) => {
            if (run && run.to === from && run.cls === cls) {
              run.to = to;
              return;
            }
            if (run) decos.push(Decoration.inline(run.from, run.to, { class: run.cls }));
            run = { from, to, cls };
          };
          const walk = (type, pos) => {
            for (const child of type.toArray()) {
              if (child instanceof Y.XmlText) {
                for (let item = child._start; item !== null; item = item.right) {
                  if (item.deleted || !item.countable) continue;
                  const author = authors.get(String(item.id.client));
                  // The editor may be a keystroke ahead of the document:
                  // the next refresh catches up.
                  if (pos + item.length <= size) {
                    add(pos, pos + item.length, "pad-by " + classFor(author?.color));
                  }
                  pos += item.length;
                }
              } else if (child instanceof Y.XmlElement) {
                pos = state.schema.nodes[child.nodeName]?.isLeaf ? pos + 1 : walk(child, pos + 1) + 1;
              }
            }
            return pos;
          };
          walk(fragment, 0);
          if (run) decos.push(Decoration.inline(run.from, run.to, { class: run.cls }));
          return DecorationSet.create(state.doc, decos);
        },
      },
    })];
  },
});

/**
 * Wires the toggle, the legend and the stylesheet.
 * @param {import("@tiptap/core").Editor} editor
 * @param {import("yjs").Map<any>} authors
 * @param {{on: boolean}} view
 * @param {Record<string, string>} strings
 */
export function setupAuthors(editor, authors, view, strings) {
  const toggle = document.getElementById("pad-authors-toggle");
  const legend = document.getElementById("pad-authors-legend");
  const list = document.getElementById("pad-authors-list");
  const sheet = new CSSStyleSheet();
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];

  const render = () => {
    const people = new Map(); // name + colour → {name, color}
    authors.forEach((a) => {
      if (a && typeof a.name === "string") people.set(a.name + a.color, a);
    });
    const rules = [...people.values()]
      .filter((a) => colorRe.test(a.color))
      .map((a) => `.pad-authors-on .${classFor(a.color)} { background-color: ${a.color}2e; border-bottom: 2px solid ${a.color}; }`);
    sheet.replaceSync(rules.join("\n"));
    list.replaceChildren(...[...people.values()].map((a) => {
      const li = document.createElement("li");
      const dot = document.createElement("span");
      dot.className = "pad-swatch";
      dot.setAttribute("aria-hidden", "true");
      if (colorRe.test(a.color)) dot.style.backgroundColor = a.color;
      li.append(dot, a.name);
      return li;
    }));
  };
  const refresh = () => {
    render();
    editor.view.dispatch(editor.state.tr.setMeta(key, true));
  };
  // Any change to the document while the view is on: redraw once the
  // editor has caught up.
  let queued = false;
  authors.doc.on("afterTransaction", () => {
    if (!view.on || queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      if (view.on) refresh();
    });
  });
  toggle.addEventListener("click", () => {
    view.on = !view.on;
    toggle.setAttribute("aria-pressed", String(view.on));
    legend.hidden = !view.on;
    editor.view.dom.parentElement.classList.toggle("pad-authors-on", view.on);
    refresh();
  });
}

/**
 * Adds this page's entry to the authors map the first time its person
 * changes the document.
 */
export function recordAuthor(doc, authors, me, remoteOrigins) {
  const onUpdate = (_u, origin) => {
    if (remoteOrigins.includes(origin) || authors.has(String(doc.clientID))) return;
    doc.off("update", onUpdate);
    authors.set(String(doc.clientID), { name: me.name, color: me.color });
  };
  doc.on("update", onUpdate);
}
