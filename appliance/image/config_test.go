package image

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coopbox/coopbox/appliance/image/aside"
	"github.com/coopbox/coopbox/config"
)

const coopboxPkg = "github.com/coopbox/coopbox/cmd/coopbox"

// TestRepositoryConfig checks the box's real instance configuration: what
// coopbox is told on the box, and that gokrazy keeps out of its way.
func TestRepositoryConfig(t *testing.T) {
	c, err := LoadConfig(filepath.Join("..", "..", "gokr-packer.json"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Hostname != "coopbox" {
		t.Errorf("Hostname = %q, want coopbox", c.Hostname)
	}
	if !strings.Contains(strings.Join(c.Packages, " "), coopboxPkg) {
		t.Errorf("Packages = %q, want %s among them", c.Packages, coopboxPkg)
	}

	// The flags must be ones the real coopbox accepts, with the box's values.
	args := c.Flags(coopboxPkg)
	if len(args) == 0 || args[0] != "serve" {
		t.Fatalf("coopbox's flags %q do not start with the serve command", args)
	}
	cfg := config.Default()
	fs := flag.NewFlagSet("coopbox serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg.RegisterFlags(fs)
	if err := fs.Parse(args[1:]); err != nil {
		t.Fatalf("coopbox would reject its flags %q: %v", args, err)
	}
	if fs.NArg() != 0 {
		t.Errorf("coopbox's flags leave arguments %q unparsed", fs.Args())
	}
	if err := cfg.Validate(); err != nil {
		t.Errorf("coopbox would refuse to start with %q: %v", args, err)
	}
	for _, tt := range []struct{ what, got, want string }{
		{"data folder", cfg.DataDir, "/perm/coopbox"},
		{"HTTPS address", cfg.HTTPSAddr, ":443"},
		{"HTTP address", cfg.HTTPAddr, ":80"},
		{"hostname", cfg.Hostname, c.Hostname},
		// Where the box's init reads the owner's update password, at each
		// request, before the builder's.
		{"update password file", cfg.GokrazyPasswordFile, aside.OwnerFile},
		{"console for the claim code", cfg.Console, "/dev/console"},
	} {
		if tt.got != tt.want {
			t.Errorf("coopbox's %s = %q, want %q", tt.what, tt.got, tt.want)
		}
	}
	if !cfg.MDNS {
		t.Errorf("coopbox's flags %q leave mDNS off; the box must announce itself", args)
	}

	// gokrazy's own web interface moves off coopbox's ports, has a password
	// of its own, and that password is not in git.
	if c.Update == nil {
		t.Fatal("no Update section: gokrazy's web interface would take port 80")
	}
	if c.Update.HTTPPort != "8080" {
		t.Errorf("Update.HTTPPort = %q, want 8080", c.Update.HTTPPort)
	}
	if c.Update.HTTPSPort == "443" {
		t.Errorf("Update.HTTPSPort = 443 collides with coopbox")
	}
	if c.Update.HTTPPassword != "" {
		t.Errorf("Update.HTTPPassword is set in the repository; it belongs in the builder's per-user file")
	}

	if got := c.Console(); got != "serial0,115200" {
		t.Errorf("serial console = %q, want serial0,115200", got)
	}
	if got := c.Kernel(); got != "github.com/gokrazy/kernel.rpi" {
		t.Errorf("KernelPackage = %q, want the Raspberry Pi kernel", got)
	}
	if got := c.Firmware(); got != "github.com/gokrazy/firmware" {
		t.Errorf("FirmwarePackage = %q, want gokrazy's Pi firmware", got)
	}
	if got := c.InitPackage(); got != "github.com/coopbox/coopbox/cmd/coopbox-init" {
		t.Errorf("init package = %q, want coopbox-init", got)
	}
	for _, pkg := range c.SystemPackages() {
		if strings.HasSuffix(pkg, "/heartbeat") {
			t.Errorf("%s reports to a server on the internet; an offline box has no use for it", pkg)
		}
	}

	// After an update, coopbox's /healthz on its own HTTPS port decides
	// whether the new root stays; gokrazy's programs have no say.
	for _, s := range serviceList(c) {
		want := ""
		if s.Path == "/user/coopbox" {
			want = "https://127.0.0.1:443/healthz"
		}
		if s.Health != want {
			t.Errorf("%s: health URL %q, want %q", s.Path, s.Health, want)
		}
	}
}

func TestConfigRejects(t *testing.T) {
	for _, tt := range []struct{ name, json, want string }{
		{"unknown field", `{"Hostname":"coopbox","Hostnme":"x"}`, "unknown field"},
		{"bad hostname", `{"Hostname":"Coop Box","Packages":["a/coopbox"],"Update":{"HTTPPort":"8080"},"InternalCompatibilityFlags":{"InitPkg":"a/init"}}`, "Hostname"},
		{"no packages", `{"Hostname":"coopbox","Update":{"HTTPPort":"8080"},"InternalCompatibilityFlags":{"InitPkg":"a/init"}}`, "Packages"},
		{"gokrazy on port 80", `{"Hostname":"coopbox","Packages":["a/coopbox"],"InternalCompatibilityFlags":{"InitPkg":"a/init"}}`, "HTTPPort"},
		{"bad port", `{"Hostname":"coopbox","Packages":["a/coopbox"],"Update":{"HTTPPort":"web"},"InternalCompatibilityFlags":{"InitPkg":"a/init"}}`, "HTTPPort"},
		{"config for a missing package", `{"Hostname":"coopbox","Packages":["a/coopbox"],"Update":{"HTTPPort":"8080"},"PackageConfig":{"b/other":{}},"InternalCompatibilityFlags":{"InitPkg":"a/init"}}`, "b/other"},
		{"two programs, one name", `{"Hostname":"coopbox","Packages":["a/dhcp"],"Update":{"HTTPPort":"8080"},"InternalCompatibilityFlags":{"InitPkg":"a/init"}}`, "both be installed as dhcp"},
		{"no init", `{"Hostname":"coopbox","Packages":["a/coopbox"],"Update":{"HTTPPort":"8080"}}`, "InitPkg"},
		{"eeprom", `{"Hostname":"coopbox","Packages":["a/coopbox"],"Update":{"HTTPPort":"8080"},"EEPROMPackage":"github.com/gokrazy/rpi-eeprom","InternalCompatibilityFlags":{"InitPkg":"a/init"}}`, "EEPROM"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "config.json")
			if err := os.WriteFile(file, []byte(tt.json), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := LoadConfig(file)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("LoadConfig(%s) error = %v, want one mentioning %q", tt.json, err, tt.want)
			}
		})
	}
}

func TestFlagValue(t *testing.T) {
	c := &Config{PackageConfig: map[string]PackageConfig{"p": {CommandLineFlags: []string{"serve", "-mdns", "-data", "/perm/x", "--https=:443"}}}}
	for _, tt := range []struct{ name, want string }{{"mdns", "true"}, {"data", "/perm/x"}, {"https", ":443"}} {
		if got, ok := c.FlagValue("p", tt.name); !ok || got != tt.want {
			t.Errorf("FlagValue(%s) = %q, %v; want %q", tt.name, got, ok, tt.want)
		}
	}
	if _, ok := c.FlagValue("p", "wifi"); ok {
		t.Errorf("FlagValue(wifi) found a flag that is not there")
	}
}
