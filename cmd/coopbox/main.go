// Command coopbox serves a venue's cooperation tools over HTTPS with no
// internet: pads, calls and decisions. See the README.
//
//	coopbox [serve] [flags]     serve the box (the default)
//	coopbox version             print the version (also -version, --version)
//	coopbox check FILE|DIR      verify a backup, a database or a data folder's database
//	coopbox restore -data DIR FILE
//	                            restore a backup while the box is stopped
//	coopbox tally --method M FILE
//	                            count a PrefLib or JSON ballot file as the box does
//	coopbox help                list the commands (also -h, --help)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/coopbox/coopbox/appliance"
	"github.com/coopbox/coopbox/config"
	"github.com/coopbox/coopbox/services/decide/tally"
)

// Set with -ldflags "-X main.version=… -X main.buildTime=…" by the Makefile.
var (
	version   = "dev"
	buildTime = "2026-11-01T00:00:00Z"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	cmd := ""
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	if cmd == "" {
		cmd = "serve"
		// The spellings people try first: a bare "coopbox -h" lists the
		// commands ("coopbox serve -h" lists serve's flags).
		if len(args) == 1 {
			switch args[0] {
			case "-h", "-help", "--help":
				cmd, args = "help", nil
			case "-version", "--version":
				cmd, args = "version", nil
			}
		}
	}
	switch cmd {
	case "serve":
		return serve(args, stderr)
	case "version":
		fmt.Fprintln(stdout, "coopbox", version)
		return 0
	case "check":
		return check(args, stdout, stderr)
	case "restore":
		return restore(args, stdout, stderr)
	case "tally":
		return tally.Main(args, os.Stdin, stdout, stderr)
	case "help":
		usage(stdout)
		return 0
	}
	fmt.Fprintf(stderr, "coopbox: unknown command %q\n", cmd)
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage: coopbox [command] [arguments]

commands:
  serve [flags]            serve the box (the default); coopbox serve -h lists its flags
  version                  print the version (also coopbox --version)
  check FILE|DIR           verify a backup, a coopbox.db, or the coopbox.db in a data folder
  restore [-data DIR] FILE restore a backup into a stopped box's data folder
  tally --method M FILE    count ballots (PrefLib .soc/.soi/.toc/.toi/.cat or JSON; - for stdin)
                           with schulze, rankedpairs, irv, mj, approval, plurality or score
`)
}

func newConfig() config.Config {
	cfg := config.Default()
	cfg.Version = version
	cfg.BuildTime, _ = time.Parse(time.RFC3339, buildTime)
	return cfg
}

func serve(args []string, stderr io.Writer) int {
	cfg := newConfig()
	fs := flag.NewFlagSet("coopbox serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg.RegisterFlags(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	level, _ := cfg.Level()
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	box, err := appliance.New(cfg, log)
	if err != nil {
		log.Error("start", "err", err)
		return 1
	}
	defer box.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := box.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		log.Error("serve", "err", err)
		return 1
	}
	return 0
}

func check(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintln(stderr, "usage: coopbox check FILE|DIR")
		return 2
	}
	report, err := appliance.CheckFile(args[0])
	if err != nil {
		fmt.Fprintf(stderr, "coopbox check: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, report)
	return 0
}

func restore(args []string, stdout, stderr io.Writer) int {
	cfg := newConfig()
	fs := flag.NewFlagSet("coopbox restore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.DataDir, "data", cfg.DataDir, "data folder of the stopped box")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: coopbox restore [-data DIR] FILE")
		return 2
	}
	aside, err := appliance.Restore(cfg.DataDir, fs.Arg(0), time.Now())
	if err != nil {
		fmt.Fprintf(stderr, "coopbox restore: %v\n", err)
		return 1
	}
	if aside == "" {
		fmt.Fprintf(stdout, "restored %s into %s, which held no data before\n", fs.Arg(0), cfg.DataDir)
		return 0
	}
	fmt.Fprintf(stdout, "restored %s into %s; the previous data is kept in %s\n", fs.Arg(0), cfg.DataDir, aside)
	return 0
}
