// Package editor serves the pads: real-time collaborative documents that any
// stock Yjs client joins with the y-websocket protocol. The document model is
// package ydoc; this package holds the WebSocket endpoint, the pads' rooms
// (connections, presence), their durable storage in bbolt, and the pages.
//
// See PROTOCOL.md for the messages and the storage format.
package pads
