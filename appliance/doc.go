// Package appliance is the composition root of coopbox and everything that
// makes the program a box rather than a web app: the data folder and its
// bbolt database, the local certificate authority and HTTPS, the plain-HTTP
// welcome page, the first-boot claim, people and sessions, the landing page,
// mDNS, backups, the clock and the HTTP server with its security middleware.
//
// One file per concern:
//
//	box.go       Box: New, Run, Close; mounting services
//	store.go     the bbolt file and the appliance's own bucket
//	certs.go     the machine's addresses, which the certificate (package certs) covers
//	welcome.go   the plain-HTTP welcome page
//	people.go    accounts, sessions, the session cookie, the who-is-asking middleware
//	claim.go     the first boot: the claim code, gokrazy's update password
//	routes.go    every HTTPS route; landing, claim, sign-in, join, invitations, card
//	pages.go     templates, the message catalog, errors mapped to HTTP status
//	admin.go     the facilitator's status page, backup download, restore upload
//	security.go  headers, CSP, body limits, rate limits
//	web/         templates, messages.json (fr, en), static files; embedded
//	mdns/        the multicast DNS responder, one network at a time
//	backup.go    the box's schema check for backups; Restore and CheckFile (package backup)
//	clock.go     the box's idea of the time on a Pi without a battery clock
//	screen/      package screen: the HDMI screen (name, Wi-Fi, addresses, QR code on /dev/fb0)
//
// The data folder (default ./coopbox-data, /perm/coopbox on the box):
//
//	coopbox.db           bbolt: one top-level bucket per service, "box" for this package
//	tls/ca.crt, ca.key   the box's own certificate authority (key 0600)
//	tls/leaf.crt, .key   the server certificate, re-issued when addresses change
//	before-restore-*/    what a restore replaced, kept aside
//	restore-staging-*/   an uploaded backup being checked (removed at start)
//	restore-pending/     a checked backup being moved in (finished at start)
package appliance
