package appliance

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The dependency rules of the repository (ARCHITECTURE.md): cmd → appliance →
// services, config on the standard library alone, each service on its own
// code and the shared leaves, nothing on cmd. They hold for tests too: a test
// that reaches into another layer couples them as much as the code would.
// One allowance, for tests only: a service's test may start another service
// through its root package (its constructor and the methods it offers peers)
// to check a peer interface against the real thing, as the box wires it; never
// another service's subpackages (its internals), never in production code,
// where services reach each other only through page.Env.Peer.

const module = "github.com/coopbox/coopbox"

// sharedLeaves are the services/ packages every service may import.
var sharedLeaves = []string{"services/page", "services/person", "services/locale"}

// listedPackage is what `go list -json` says of a package's imports.
type listedPackage struct {
	ImportPath   string
	Imports      []string
	TestImports  []string
	XTestImports []string
}

// TestDependencyRules lists every package of the module, tests included, and
// checks each import against the rules.
func TestDependencyRules(t *testing.T) {
	cmd := exec.Command("go", "list", "-json", module+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []listedPackage
	for dec := json.NewDecoder(bytes.NewReader(out)); ; {
		var p listedPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	// A listing that missed the layers would pass vacuously.
	for _, want := range []string{"cmd/coopbox", "appliance", "config", "services/pads", "services/page"} {
		if !slices.ContainsFunc(pkgs, func(p listedPackage) bool { return p.ImportPath == module+"/"+want }) {
			t.Fatalf("go list did not list %s: %d packages", want, len(pkgs))
		}
	}
	for _, v := range violations(pkgs) {
		t.Error(v)
	}
}

// violations checks every import of pkgs, tests included.
func violations(pkgs []listedPackage) []string {
	var out []string
	for _, p := range pkgs {
		for _, list := range []struct {
			what    string
			imports []string
		}{{"", p.Imports}, {"test ", p.TestImports}, {"external test ", p.XTestImports}} {
			for _, imp := range list.imports {
				if list.what != "" && peerForTest(p.ImportPath, imp) {
					continue
				}
				if err := checkImport(p.ImportPath, imp); err != nil {
					out = append(out, fmt.Sprintf("%s: %simport %s: %v", p.ImportPath, list.what, imp, err))
				}
			}
		}
	}
	return out
}

// checkImport says whether package from may import package to.
func checkImport(from, to string) error {
	if from == to { // an external test imports its own package
		return nil
	}
	f, ok := inModule(from)
	if !ok {
		return nil
	}
	if !slices.Contains([]string{"cmd", "appliance", "services", "config"}, layer(f)) {
		return fmt.Errorf("%s is in no layer the rules know (cmd, appliance, services, config): add a rule for it", f)
	}
	t, toModule := inModule(to)
	if !toModule {
		if layer(f) == "config" && !isStandard(to) {
			return errors.New("config imports only the standard library")
		}
		return nil
	}
	if layer(t) == "cmd" {
		return errors.New("nothing imports cmd/: a command is a thin main over appliance")
	}
	switch layer(f) {
	case "cmd":
		return nil
	case "config":
		return errors.New("config imports only the standard library")
	case "appliance":
		return nil // config, services, its own parts
	case "services":
		switch {
		case layer(t) == "appliance":
			return errors.New("a service never imports the appliance: the box imports services")
		case layer(t) != "services":
			return nil // config
		case service(f) == service(t):
			return nil // its own subpackages
		case isLeaf(t):
			return nil
		}
		return fmt.Errorf("a service imports only its own packages and the shared leaves (%s), not %s",
			strings.Join(sharedLeaves, ", "), "services/"+service(t))
	}
	return nil
}

// peerForTest tells a service's test starting another service through that
// service's root package (see the allowance above).
func peerForTest(from, to string) bool {
	f, ok1 := inModule(from)
	t, ok2 := inModule(to)
	return ok1 && ok2 && layer(f) == "services" && layer(t) == "services" && !isLeaf(t) &&
		service(f) != service(t) && t == "services/"+service(t)
}

// inModule returns the path of p inside the module.
func inModule(p string) (string, bool) {
	if p == module {
		return "", true
	}
	rel, ok := strings.CutPrefix(p, module+"/")
	return rel, ok
}

// layer is the top folder of a package of the module.
func layer(rel string) string {
	top, _, _ := strings.Cut(rel, "/")
	return top
}

// service is the name of the service a services/ package belongs to.
func service(rel string) string {
	parts := strings.Split(rel, "/")
	if len(parts) < 2 {
		return ""
	}
	return parts[1]
}

func isLeaf(rel string) bool {
	return slices.Contains(sharedLeaves, "services/"+service(rel))
}

// isStandard tells a standard library path: its first element has no dot
// (the rule the go command itself uses for reserved paths).
func isStandard(p string) bool {
	first, _, _ := strings.Cut(p, "/")
	return !strings.Contains(first, ".")
}

// TestDependencyRulesCatch runs the checker over crafted imports: each rule
// refuses what it should and lets the layers' ordinary imports through.
func TestDependencyRulesCatch(t *testing.T) {
	m := func(rel string) string { return module + "/" + rel }
	for _, tc := range []struct {
		from, to string
		bad      bool
	}{
		{m("cmd/coopbox"), m("appliance"), false},
		{m("cmd/coopbox"), m("config"), false},
		{m("cmd/coopbox"), m("services/pads/ydoc"), false},
		{m("cmd/coopbox"), m("cmd/coopbox-image"), true},
		{m("appliance"), m("services/pads"), false},
		{m("appliance"), m("appliance/backup"), false},
		{m("appliance"), m("config"), false},
		{m("appliance"), m("cmd/coopbox"), true},
		{m("appliance/backup"), "go.etcd.io/bbolt", false},
		{m("config"), "flag", false},
		{m("config"), "net/netip", false},
		{m("config"), "go.etcd.io/bbolt", true},
		{m("config"), m("services/locale"), true},
		{m("services/pads"), m("services/pads/ydoc"), false},
		{m("services/pads"), m("services/page"), false},
		{m("services/pads"), m("services/person"), false},
		{m("services/pads"), m("services/locale"), false},
		{m("services/pads"), "github.com/coder/websocket", false},
		{m("services/pads"), m("appliance"), true},
		{m("services/pads"), m("appliance/backup"), true},
		{m("services/pads"), m("cmd/coopbox"), true},
		{m("services/vote"), m("services/pads"), true},
		{m("services/vote"), m("services/pads/ydoc"), true},
		{m("services/vote/tally"), m("services/pads"), true},
		{m("services/page"), m("services/person"), false},
		{m("services/page"), m("services/pads"), true},
		{m("tools/gen"), "fmt", true},
		{m("tools/gen"), m("config"), true},
	} {
		err := checkImport(tc.from, tc.to)
		if (err != nil) != tc.bad {
			t.Errorf("%s → %s: %v, want a violation: %v", tc.from, tc.to, err, tc.bad)
		}
	}

	// And through violations, as a listing would show them: test imports
	// count, and a test may start a peer service by its root package only.
	got := violations([]listedPackage{
		{ImportPath: m("config"), Imports: []string{"fmt"}},
		{ImportPath: m("services/vote"), Imports: []string{m("services/pads")}},
		{ImportPath: m("services/vote"), TestImports: []string{m("appliance"), m("services/pads")}},
		{ImportPath: m("services/vote"), XTestImports: []string{m("services/vote"), m("services/pads/ydoc")}},
	})
	if len(got) != 3 || !strings.Contains(got[0], ": import "+m("services/pads")) ||
		!strings.Contains(got[1], "test import "+m("appliance")) ||
		!strings.Contains(got[2], "external test import "+m("services/pads/ydoc")) {
		t.Errorf("violations: got %q, want the code's import of services/pads, the test import of appliance and the external test import of services/pads/ydoc", got)
	}
}
