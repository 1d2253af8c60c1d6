// Package ydoc is a Yjs-compatible document model: it reads and writes the
// Yjs update format v1 and merges updates exactly as yjs 13.6 does, so that
// the pad server can hold a pad, answer sync requests and read its content
// without a JavaScript runtime.
//
// # What is implemented
//
//   - Decoding and encoding of v1 updates: lib0 variable-length integers,
//     strings and "any" values; per-client groups of structs (Item with every
//     content kind: Deleted, JSON, Binary, String, Embed, Format, Type with
//     all seven type references, Any, Doc; GC; Skip); the delete set.
//     Decoding never panics, allocates at most in proportion to its input
//     and reports failures as errors wrapping ErrMalformed. Strings must be
//     valid UTF-8, as yjs's fatal TextDecoder demands.
//   - Doc.ApplyUpdate: integration of items in YATA order with yjs's
//     conflict resolution (scan from the origin, items ordered by their own
//     origins, then by client ID), splitting of items an ID points into,
//     deletions, structs and deletions waiting for missing dependencies
//     (retried when later updates supply them), then yjs's clean-up: the
//     content of deleted items is dropped (yjs's gc, always on here) and
//     neighbouring structs are merged. It is atomic with respect to
//     decoding: a malformed update changes nothing.
//   - A nesting limit (SetMaxDepth): an update that would nest types
//     deeper is refused whole with ErrTooDeep (depth.go says where depth is
//     resolved and why there).
//   - Sync: StateVector, EncodeStateVector, DecodeStateVector,
//     EncodeStateAsUpdate (the whole state, or the difference from a state
//     vector, with the whole delete set, as sync step 2 needs), DiffUpdate.
//   - Reading: Text (String, Delta with formatting attributes), Map, Array,
//     XMLFragment, XMLElement (name, attributes, children), XMLText (delta
//     with marks; DeltaOf keeps only the attributes a reader wants),
//     XMLHook. Root types are read as whatever kind the caller
//     asks for, as doc.get(name, Type) does in yjs. TipTap keeps its
//     document in the XML fragment "default"; y-prosemirror stores marks as
//     formatting attributes named after the mark (see MarkName).
//   - Local edits, as the document's own client: Text.Insert (with Yjs's
//     formatting rules) and Text.Delete; Map.Set and Delete; Array.Insert
//     and Delete; XML elements and text nodes inserted and deleted,
//     attributes set and removed. Each returns the update to broadcast, or,
//     inside Doc.Transact, contributes to the one update Transact returns.
//     Positions are in UTF-16 code units (see UTF16Index).
//
// # Not implemented
//
// Update format v2, snapshots and keeping deleted content (gc off),
// relative positions, undo, events, subdocument loading, nested types as
// map values or array elements created locally (they are read fine).
// Yjs's clean-up of redundant formatting marks after a deletion is not
// done by local Delete (the text and its delta are the same either way).
// Local edits walk the list from its start (Yjs keeps search markers), so
// a local edit costs time linear in the number of items before it.
//
// # Invariants
//
//   - Per client, the store holds structs sorted by clock, covering clocks
//     from 0 to the client's state with no gap and no overlap. GC ranges and
//     items with Deleted content are always flagged deleted.
//   - Every item in the store other than a GC range has a parent; items of
//     a parent are linked left to right in document order; a map key points
//     at its rightmost item, the current value; all others are deleted.
//   - A branch's length is the sum of the lengths of its countable,
//     undeleted list items (map entries do not count).
//   - Lengths and positions are in clock units; for strings that is UTF-16
//     code units, as in JavaScript. Text is kept as UTF-8. Cutting an item
//     inside a surrogate pair turns each half into U+FFFD, as yjs does, so
//     both documents keep the same length and content.
//   - Pending structs only reference clocks the document does not have yet;
//     HasPending reports them.
//
// A Doc is not safe for concurrent use: the pad server owns one per pad and
// serialises access to it. The wire format is described in
// services/pads/PROTOCOL.md.
package ydoc
