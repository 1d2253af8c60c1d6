// The editor page: TipTap (ProseMirror) bound to a Yjs document, synced with
// the box over y-websocket and kept in IndexedDB for offline editing. See
// ../../PROTOCOL.md for what the document holds.
import * as Y from "yjs";
import { WebsocketProvider } from "y-websocket";
import { IndexeddbPersistence } from "y-indexeddb";
import * as authProtocol from "y-protocols/auth";
import { Editor } from "@tiptap/core";
import StarterKit from "@tiptap/starter-kit";
import { TaskList, TaskItem } from "@tiptap/extension-list";
import Collaboration from "@tiptap/extension-collaboration";
import CollaborationCaret from "@tiptap/extension-collaboration-caret";
import { trackStatus } from "./status.js";
import { renderPeople } from "./people.js";
import { setupChat } from "./chat.js";
import { setupToolbar } from "./toolbar.js";
import { Authorship, setupAuthors, recordAuthor } from "./authors.js";

const root = document.getElementById("pad");
const strings = JSON.parse(document.getElementById("pad-strings").textContent);
const room = root.dataset.room; // the pad id, or its read-only id
const padID = root.dataset.pad; // empty on a read-only link
const me = { name: root.dataset.name, color: root.dataset.color };
let readOnly = root.dataset.readonly === "true";

const doc = new Y.Doc();
// Offline edits live in this browser's IndexedDB and merge on reconnection.
// Read-only pages keep nothing: they never have changes to send.
const local = readOnly ? null : new IndexeddbPersistence("coopbox-pad-" + room, doc);
const wsBase = location.origin.replace(/^http/, "ws") + "/pads/ws";
const provider = new WebsocketProvider(wsBase, room, doc, { maxBackoffTime: 5000 });
const authors = doc.getMap("authors");
const authorsView = { on: false };

const editor = new Editor({
  element: document.getElementById("pad-editor"),
  injectCSS: false, // the CSP allows no inline style: pads.css has the rules
  editable: !readOnly,
  extensions: [
    StarterKit.configure({ undoRedo: false, link: { openOnClick: false, autolink: true } }),
    TaskList,
    TaskItem.configure({ nested: true }),
    // Y.XmlFragment "default"; undo and redo go through Y.UndoManager and
    // only ever undo this person's own changes.
    Collaboration.configure({ document: doc, field: "default" }),
    CollaborationCaret.configure({
      provider,
      user: me,
      // The default selection highlight is an inline style, which the CSP
      // refuses: a class instead.
      selectionRender: () => ({ class: "pad-remote-selection" }),
    }),
    Authorship.configure({ authors, fragment: doc.getXmlFragment("default"), isOn: () => authorsView.on }),
  ],
  editorProps: {
    attributes: {
      role: "textbox",
      "aria-multiline": "true",
      "aria-label": document.getElementById("pad-editor").dataset.label,
      spellcheck: "true",
    },
  },
});

const statusEl = document.getElementById("pad-status");
const statusText = document.getElementById("pad-status-text");
// Screen readers hear when the network goes and comes back, not every
// "sending… saved" after each word.
const statusLive = document.getElementById("pad-status-live");
let lastState = "connecting";
trackStatus(provider, doc, Y, (state) => {
  statusEl.dataset.state = state;
  statusText.textContent = strings[state];
  if (state === "offline" || (lastState === "offline" && state === "saved")) statusLive.textContent = strings[state];
  lastState = state;
});

const notice = document.getElementById("pad-readonly");
// why replaces the notice when it says more (locked, trashed) than the
// generic refusal; a read-only page keeps its own notice on a refusal.
function setReadOnly(why, precise = false) {
  if (readOnly && !notice.hidden && !precise) return;
  readOnly = true;
  editor.setEditable(false);
  notice.textContent = why;
  notice.hidden = false;
  document.getElementById("pad-toolbar").hidden = true;
  document.getElementById("pad-chat-form").hidden = true;
}

// The box refuses updates on a read-only or locked pad with "permission
// denied": the editor stops being editable and says so.
provider.messageHandlers[2] = (_encoder, decoder, prov) => {
  authProtocol.readAuthMessage(decoder, prov.doc, () => setReadOnly(strings.readonly));
};

// A facilitator may lock or trash the pad while it is open: the box then
// closes the connections; on each reconnection we ask what became of it.
provider.on("status", async ({ status }) => {
  if (status !== "connected" || !padID) return;
  try {
    const res = await fetch("/api/pads/" + encodeURIComponent(padID), { headers: { Accept: "application/json" } });
    if (!res.ok) return;
    const pad = await res.json();
    if (pad.trashed) {
      provider.disconnect();
      setReadOnly(strings.gone, true);
    } else if (pad.locked && root.dataset.role !== "facilitator") {
      setReadOnly(strings.lockedNotice, true);
    }
  } catch {
    // offline again: the status says so
  }
});

setupAuthors(editor, authors, authorsView, strings);
if (!readOnly) recordAuthor(doc, authors, me, [provider, local]);
renderPeople(document.getElementById("pad-people"), provider.awareness, doc.clientID, strings);
setupChat(doc, me, () => readOnly);
if (!readOnly) setupToolbar(document.getElementById("pad-toolbar"), editor, strings);

// For tests and curious people: the page's objects.
window.coopboxPad = { doc, provider, editor, local };
