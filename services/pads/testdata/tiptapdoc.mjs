// A pad as the editor page makes it: a ProseMirror document in the editor's
// own schema (StarterKit, task lists), turned into the Yjs document by the
// same binding the page uses (@tiptap/y-tiptap, fragment "default").
//
//   node tiptapdoc.mjs        prints that document's Yjs state as base64
//   node tiptapdoc.mjs read   reads a base64 Yjs state on stdin and prints
//                             the ProseMirror document the editor would show
//                             (the binding, checked against the schema)
import * as Y from "yjs";
import { getSchema } from "@tiptap/core";
import StarterKit from "@tiptap/starter-kit";
import { TaskList, TaskItem } from "@tiptap/extension-list";
import { prosemirrorJSONToYDoc, yXmlFragmentToProseMirrorRootNode } from "@tiptap/y-tiptap";
import fs from "node:fs";

const schema = getSchema([
  StarterKit.configure({ undoRedo: false, link: { openOnClick: false, autolink: true } }),
  TaskList,
  TaskItem.configure({ nested: true }),
]);
const t = (text, ...marks) => ({ type: "text", text, ...(marks.length ? { marks } : {}) });
const p = (...content) => ({ type: "paragraph", content });
const li = (...content) => ({ type: "listItem", content });
const doc = {
  type: "doc",
  content: [
    { type: "heading", attrs: { level: 1 }, content: [t("Compte rendu de l'AG")] },
    p(t("Présents : "), t("Ana", { type: "bold" }), t(", "), t("Bo", { type: "italic" }), t(" et "),
      t("la Fabrique", { type: "link", attrs: { href: "https://fabrique.example/" } }), t(".")),
    { type: "heading", attrs: { level: 2 }, content: [t("Décisions")] },
    { type: "orderedList", attrs: { start: 1 }, content: [
      li(p(t("Budget "), t("adopté", { type: "underline" }))),
      li(p(t("Charte "), t("amendée", { type: "strike" })),
        { type: "bulletList", content: [li(p(t("article 3"))), li(p(t("article *7*")))] }),
    ] },
    { type: "taskList", content: [
      { type: "taskItem", attrs: { checked: true }, content: [p(t("Envoyer le compte rendu"))] },
      { type: "taskItem", attrs: { checked: false }, content: [p(t("Réserver la salle"))] },
    ] },
    { type: "blockquote", content: [p(t("Les communs sont à nous."))] },
    { type: "codeBlock", attrs: { language: "sh" }, content: [t("coopbox backup\nexit 0")] },
    { type: "horizontalRule" },
    p(t("Ligne 1"), { type: "hardBreak" }, t("Ligne 2 avec "), t("code", { type: "code" }), t(" & <balises>")),
  ],
};
if (process.argv[2] === "read") {
  const d = new Y.Doc();
  Y.applyUpdate(d, new Uint8Array(Buffer.from(fs.readFileSync(0, "utf8"), "base64")));
  const node = yXmlFragmentToProseMirrorRootNode(d.getXmlFragment("default"), schema);
  node.check(); // throws if the document does not fit the schema
  process.stdout.write(JSON.stringify(node.toJSON()));
} else {
  const ydoc = prosemirrorJSONToYDoc(schema, doc, "default");
  process.stdout.write(Buffer.from(Y.encodeStateAsUpdate(ydoc)).toString("base64"));
}
