// Command coopbox-init is the first process of the coopbox image
// (/gokrazy/init). gokrazy's packer generates such a program; coopbox builds
// its image itself (see package appliance/image), so this is ours: it calls
// gokrazy.Boot, which mounts /proc, /sys, /dev, /tmp and /perm, sets the
// hostname and reads the gokrazy password, then starts and supervises every
// program listed in /etc/coopbox/services.json (coopbox and gokrazy's dhcp,
// ntp and randomd), and serves gokrazy's status and update endpoints on the
// port named in /etc/http-port.txt.
//
// It never returns: the kernel panics when init exits.
package main

import (
	"log"
	"os"

	"github.com/gokrazy/gokrazy"

	"github.com/coopbox/coopbox/appliance/image/services"
)

// Set with -ldflags "-X main.buildTimestamp=…" by the image builder; gokrazy
// shows it on its status page.
var buildTimestamp = "unknown"

func main() {
	if err := gokrazy.Boot(buildTimestamp); err != nil {
		log.Fatalf("boot: %v", err)
	}
	list, err := services.Read(services.Path)
	if err != nil {
		// Keep the machine up with gokrazy's status page, so that an update
		// can repair it.
		log.Printf("read %s: %v", services.Path, err)
	}
	var svcs []*gokrazy.Service
	for _, s := range list {
		cmd := s.Command()
		switch {
		case s.DontStart:
			svcs = append(svcs, gokrazy.NewStoppedService(cmd))
		case s.WaitForClock:
			svcs = append(svcs, gokrazy.NewWaitForClockService(cmd))
		default:
			svcs = append(svcs, gokrazy.NewService(cmd))
		}
	}
	if err := gokrazy.SuperviseServices(svcs); err != nil {
		log.Printf("supervise: %v", err)
		os.Exit(1)
	}
	select {}
}
