// Command coopbox-padload measures how a pad server holds up under many
// authors typing at once: each author is a WebSocket client speaking the
// y-websocket protocol that types one character every 1/rate seconds; the
// latency from an author's send to its receipt by every other author is
// recorded, with the server's CPU and memory.
//
//	coopbox-padload -server bin/coopbox -authors 50,100,200
//	coopbox-padload -server bin/coopbox -peer  # also y-websocket's own Node server
//
// With -server it starts coopbox itself (temporary data folder, loopback
// only). It never sends traffic anywhere but 127.0.0.1.
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

func main() {
	server := flag.String("server", "bin/coopbox", "coopbox binary to start")
	authorsFlag := flag.String("authors", "50,100,200", "comma-separated numbers of authors, one run each")
	rate := flag.Float64("rate", 5, "edits per second per author")
	duration := flag.Duration("duration", 10*time.Second, "length of each run")
	peer := flag.Bool("peer", false, "also measure y-websocket's Node server (npm y-websocket 1.x) in the same run")
	flag.Parse()

	var counts []int
	for _, s := range strings.Split(*authorsFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 2 {
			fmt.Fprintf(os.Stderr, "coopbox-padload: -authors %q: want numbers ≥ 2\n", *authorsFlag)
			os.Exit(2)
		}
		counts = append(counts, n)
	}
	if err := run(*server, counts, *rate, *duration, *peer); err != nil {
		fmt.Fprintln(os.Stderr, "coopbox-padload:", err)
		os.Exit(1)
	}
}
