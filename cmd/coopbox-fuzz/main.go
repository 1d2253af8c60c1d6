// Command coopbox-fuzz runs every fuzz target of the module, one after the
// other, for a given time each (make fuzz): the targets are found with
// `go test -list`, so a new decoder's target is fuzzed without editing the
// Makefile.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

func main() {
	fuzztime := flag.String("fuzztime", "30s", "how long to fuzz each target")
	match := flag.String("run", "", "fuzz only the targets whose name contains this")
	flag.Parse()
	targets, err := list()
	if err != nil {
		fmt.Fprintln(os.Stderr, "coopbox-fuzz:", err)
		os.Exit(1)
	}
	failed := 0
	for _, t := range targets {
		if !strings.Contains(t.name, *match) {
			continue
		}
		fmt.Printf("== %s %s (%s)\n", t.pkg, t.name, *fuzztime)
		cmd := exec.Command("go", "test", "-run", "^$", "-fuzz", "^"+t.name+"$", "-fuzztime", *fuzztime, t.pkg)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			failed++
		}
	}
	if failed > 0 {
		fmt.Printf("%d fuzz target(s) failed\n", failed)
		os.Exit(1)
	}
}

type target struct{ pkg, name string }

// list asks go test for the fuzz targets of every package: it prints their
// names, then "ok  <package>".
func list() ([]target, error) {
	out, err := exec.Command("go", "test", "-list", "^Fuzz", "./...").Output()
	if err != nil {
		return nil, fmt.Errorf("go test -list: %w", err)
	}
	var all, pending []target
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		switch f := strings.Fields(line); {
		case strings.HasPrefix(line, "Fuzz"):
			pending = append(pending, target{name: line})
		case len(f) >= 2 && f[0] == "ok":
			for _, t := range pending {
				all = append(all, target{pkg: f[1], name: t.name})
			}
			pending = nil
		}
	}
	return all, nil
}
