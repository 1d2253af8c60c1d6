// meeting.js: the meeting pages' script (placeholder until the core part writes it).
export {};
