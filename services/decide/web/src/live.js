// live.js: nothing yet; the vote pages' live updates (Server-Sent Events) come here.
export {};
