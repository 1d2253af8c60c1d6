package config

import (
	"flag"
	"strings"
	"testing"
)

func TestDefaultIsValid(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v, want nil", err)
	}
}

func TestFlags(t *testing.T) {
	c := Default()
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	c.RegisterFlags(fs)
	err := fs.Parse([]string{"-data", "/perm/coopbox", "-https", ":443", "-http", ":80", "-mdns", "-hostname", "salle-2", "-wifi", "Tiers-Lieu"})
	if err != nil {
		t.Fatal(err)
	}
	if c.DataDir != "/perm/coopbox" || c.HTTPSAddr != ":443" || c.HTTPAddr != ":80" || !c.MDNS || c.Hostname != "salle-2" || c.WiFiName != "Tiers-Lieu" {
		t.Errorf("flags not applied: %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate() = %v", err)
	}
}

func TestValidateReportsEachBadValue(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*Config)
		want []string
	}{
		{"empty data", func(c *Config) { c.DataDir = " " }, []string{"-data"}},
		{"https no port", func(c *Config) { c.HTTPSAddr = "localhost" }, []string{"-https"}},
		{"https bad port", func(c *Config) { c.HTTPSAddr = ":99999" }, []string{"-https"}},
		{"http bad host", func(c *Config) { c.HTTPAddr = "example.org:80" }, []string{"-http"}},
		{"http off", func(c *Config) { c.HTTPAddr = "" }, nil},
		{"uppercase hostname", func(c *Config) { c.Hostname = "CoopBox" }, []string{"-hostname"}},
		{"hostname with space", func(c *Config) { c.Hostname = "coop box" }, []string{"-hostname"}},
		{"hostname leading hyphen", func(c *Config) { c.Hostname = "-coop" }, []string{"-hostname"}},
		{"wifi too long", func(c *Config) { c.WiFiName = strings.Repeat("x", 33) }, []string{"-wifi"}},
		{"log level", func(c *Config) { c.LogLevel = "loud" }, []string{"-log-level"}},
		{"gokrazy password file relative", func(c *Config) { c.GokrazyPasswordFile = "perm/gokr-pw.txt" }, []string{"-gokrazy-password-file"}},
		{"gokrazy password file unclean", func(c *Config) { c.GokrazyPasswordFile = "/perm/../etc/gokr-pw.txt" }, []string{"-gokrazy-password-file"}},
		{"gokrazy password file", func(c *Config) { c.GokrazyPasswordFile = "/perm/gokr-pw.txt" }, nil},
		{"console relative", func(c *Config) { c.Console = "console" }, []string{"-console"}},
		{"console", func(c *Config) { c.Console = "/dev/console" }, nil},
		{"three at once", func(c *Config) { c.LogLevel = "loud"; c.Hostname = ""; c.HTTPSAddr = "x" }, []string{"-log-level", "-hostname", "-https"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.mod(&c)
			err := c.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want errors about %v", tt.want)
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tt.want) {
				t.Errorf("got %d messages %q, want %d", len(lines), lines, len(tt.want))
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %q, want a message about %s", err, w)
				}
			}
		})
	}
}
