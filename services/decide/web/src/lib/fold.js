// fold is the search form of a name, the same as the server's fold
// (desk_search.go): lower case, marks removed, ligatures spelt out, spaces
// collapsed. "Éloïse Lœuvre" → "eloise loeuvre".
export function fold(s) {
  return s.normalize("NFD").replace(/\p{Mn}/gu, "").toLowerCase()
    .replace(/œ/g, "oe").replace(/æ/g, "ae").replace(/ß/g, "ss")
    .trim().replace(/\s+/g, " ");
}

// matches says whether a folded name holds every word of a folded query.
export function matches(key, query) {
  return query.split(" ").every((w) => key.includes(w));
}

// fill replaces {name} placeholders of a message.
export function fill(msg, args) {
  return msg.replace(/\{(\w+)\}/g, (m, k) => (k in args ? String(args[k]) : m));
}
