// Package meeting runs a live debate or assembly from the box: the agenda
// and its timings, the speakers' queue and its balance, questions from the
// room, pros and cons, temperature checks, one projector view driven by the
// facilitator, and the minutes written into a pad when the meeting ends.
//
// The facilitators' tools (agenda, queue, projector, minutes) are in
// core_*.go and the room's (questions, pros and cons, checks) in room_*.go;
// storage in store*.go (bucket "meeting"); live updates go through the
// box's Server-Sent Events hub (page.Hub). The minutes reach the pads, and
// a decision item its vote, through page.Env.Peer, never by import.
// PROTOCOL.md holds the routes and events.
package meeting
