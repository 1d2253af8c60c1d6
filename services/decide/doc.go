// Package decide runs the decisions of a live assembly on the box: the
// member roll and its check-in desk, proxies and quorum, voting rights
// without accounts (member links, printed ballot cards, blind signatures),
// open and secret votes of many kinds, liquid delegation on open votes,
// results drawn on the server, a hash-chained audit log, exports.
//
// Counting is package tally and weights, proxies and quorum package liquid,
// both pure; this package stores (store*.go, bucket "decide"), serves (one
// mux, routes by part: roll_routes.go, vote_routes.go) and explains. The
// wire format and the secrecy model are in PROTOCOL.md.
package decide
