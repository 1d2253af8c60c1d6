package ydoc

import "math"

// ID names one clock unit of one client: the first unit of an item, or any
// unit inside it.
type ID struct {
	Client uint64
	Clock  uint64
}

// noID marks an absent origin, right origin or parent ID. Client IDs above
// 2^53 cannot be decoded, so it never collides with a real one.
var noID = ID{Client: math.MaxUint64}

func (id ID) valid() bool { return id.Client != math.MaxUint64 }

// Content kinds: the low five bits of an item's info byte on the wire.
const (
	refGC      = 0
	refDeleted = 1
	refJSON    = 2
	refBinary  = 3
	refString  = 4
	refEmbed   = 5
	refFormat  = 6
	refType    = 7
	refAny     = 8
	refDoc     = 9
	refSkip    = 10
)

// Item flags.
const (
	flagDeleted   = 1 << iota
	flagHasSub    // parentSub is set (map entry)
	flagCountable // counts towards its parent's length
)

// item is a struct of the Yjs model: an Item with content, or a GC or Skip
// range (ref refGC, refSkip) that only occupies clocks.
type item struct {
	id          ID
	length      uint64 // clock units; UTF-16 units for strings
	origin      ID     // the ID this item was inserted after, or noID
	rightOrigin ID     // the ID this item was inserted before, or noID
	left, right *item  // neighbours in the parent's list, once integrated
	parent      *branch
	parentSub   string
	flags       uint8
	ref         uint8
	scratch     int32    // checkDepth's note on a struct being decoded (fits in padding)
	str         []byte   // refString: UTF-8 text
	content     *content // other kinds
	wire        *wireParent
}

// wireParent is the parent as written on the wire, before integration.
type wireParent struct {
	name   string // root type name, when byName
	id     ID     // parent item, otherwise
	byName bool
}

// content holds the payload of item kinds other than strings, deleted
// ranges and GC.
type content struct {
	json  []string // refJSON: each element as JSON text ("undefined" allowed)
	anys  []any    // refAny
	buf   []byte   // refBinary
	embed string   // refEmbed: JSON text
	key   string   // refFormat
	value string   // refFormat: JSON text
	typ   *branch  // refType
	guid  string   // refDoc
	opts  any      // refDoc
}

func (it *item) deleted() bool   { return it.flags&flagDeleted != 0 }
func (it *item) countable() bool { return it.flags&flagCountable != 0 }
func (it *item) hasSub() bool    { return it.flags&flagHasSub != 0 }
func (it *item) isGC() bool      { return it.ref == refGC }
func (it *item) lastID() ID      { return ID{it.id.Client, it.id.Clock + it.length - 1} }
func (it *item) end() uint64     { return it.id.Clock + it.length }

// countableRef reports whether content of this kind counts in its parent's
// length: everything but deleted ranges and formatting marks.
func countableRef(ref uint8) bool {
	return ref != refDeleted && ref != refFormat && ref != refGC && ref != refSkip
}

// branch is a shared type: a root type named in the document or the type
// held by an item with Type content. Lists use start/right links, maps use
// entries, which point at the current (rightmost) item for each key.
type branch struct {
	item     *item // nil for a root type
	name     string
	typeRef  uint8 // typeArray...; typeUnknown for roots not read yet
	nodeName string
	start    *item
	entries  map[string]*item
	length   uint64
	format   bool // has Format content
	depth    int  // 0 for a root type, its parent's plus one for a nested type
}

// Type references written after content kind 7.
const (
	typeArray       = 0
	typeMap         = 1
	typeText        = 2
	typeXMLElement  = 3
	typeXMLFragment = 4
	typeXMLHook     = 5
	typeXMLText     = 6
	typeUnknown     = 255
)

// splitContent cuts item content at clock offset off (0 < off < length) and
// returns the right part's fields.
func (it *item) splitContent(off uint64) (str []byte, c *content) {
	switch it.ref {
	case refString:
		l, r := splitUTF16(it.str, it.length, off)
		it.str = l
		return r, nil
	case refJSON:
		r := &content{json: it.content.json[off:]}
		it.content.json = it.content.json[:off:off]
		return nil, r
	case refAny:
		r := &content{anys: it.content.anys[off:]}
		it.content.anys = it.content.anys[:off:off]
		return nil, r
	}
	return nil, nil // refDeleted, refGC, refSkip: only the length changes
}

// mergeableRef reports whether two items of this kind can become one.
func mergeableRef(ref uint8) bool {
	switch ref {
	case refString, refDeleted, refJSON, refAny, refGC:
		return true
	}
	return false
}
