// live.js: the live updates of decide's pages are in vote.js and
// projector.js (Server-Sent Events from /decide/a/{id}/events).
export {};
