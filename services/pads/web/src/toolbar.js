// The formatting toolbar, following the WAI-ARIA toolbar pattern: one Tab
// stop, arrow keys move between buttons, Home and End jump; toggles say
// whether they are on with aria-pressed.

/**
 * @param {HTMLElement} bar
 * @param {import("@tiptap/core").Editor} editor
 * @param {Record<string, string>} strings
 */
export function setupToolbar(bar, editor, strings) {
  const buttons = [...bar.querySelectorAll("button")];
  const chain = () => editor.chain().focus();
  const commands = {
    h1: { run: () => chain().toggleHeading({ level: 1 }).run(), on: () => editor.isActive("heading", { level: 1 }) },
    h2: { run: () => chain().toggleHeading({ level: 2 }).run(), on: () => editor.isActive("heading", { level: 2 }) },
    bold: { run: () => chain().toggleBold().run(), on: () => editor.isActive("bold") },
    italic: { run: () => chain().toggleItalic().run(), on: () => editor.isActive("italic") },
    underline: { run: () => chain().toggleUnderline().run(), on: () => editor.isActive("underline") },
    strike: { run: () => chain().toggleStrike().run(), on: () => editor.isActive("strike") },
    bulletList: { run: () => chain().toggleBulletList().run(), on: () => editor.isActive("bulletList") },
    orderedList: { run: () => chain().toggleOrderedList().run(), on: () => editor.isActive("orderedList") },
    taskList: { run: () => chain().toggleTaskList().run(), on: () => editor.isActive("taskList") },
    blockquote: { run: () => chain().toggleBlockquote().run(), on: () => editor.isActive("blockquote") },
    code: { run: () => chain().toggleCode().run(), on: () => editor.isActive("code") },
    link: {
      run: () => {
        const url = window.prompt(strings.linkPrompt, editor.getAttributes("link").href || "https://");
        if (url === null) return;
        if (url.trim() === "" || url.trim() === "https://") chain().extendMarkRange("link").unsetLink().run();
        else chain().extendMarkRange("link").setLink({ href: url.trim() }).run();
      },
      on: () => editor.isActive("link"),
    },
    undo: { run: () => chain().undo().run() },
    redo: { run: () => chain().redo().run() },
  };

  for (const b of buttons) {
    b.addEventListener("click", () => commands[b.dataset.cmd]?.run());
  }
  const refresh = () => {
    for (const b of buttons) {
      const c = commands[b.dataset.cmd];
      if (c?.on) b.setAttribute("aria-pressed", String(c.on()));
    }
  };
  editor.on("transaction", refresh);
  refresh();

  bar.addEventListener("keydown", (e) => {
    const i = buttons.indexOf(document.activeElement);
    if (i < 0) return;
    let next = -1;
    if (e.key === "ArrowRight") next = (i + 1) % buttons.length;
    else if (e.key === "ArrowLeft") next = (i - 1 + buttons.length) % buttons.length;
    else if (e.key === "Home") next = 0;
    else if (e.key === "End") next = buttons.length - 1;
    if (next < 0) return;
    e.preventDefault();
    buttons[i].tabIndex = -1;
    buttons[next].tabIndex = 0;
    buttons[next].focus();
  });
}
