// Package config holds coopbox's configuration: one struct, its defaults, the
// command-line flags that fill it and the validation that rejects bad values.
//
// It is a leaf package: it imports only the standard library, so every other
// package may depend on it.
package config

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config is everything coopbox needs to know before it starts.
type Config struct {
	// DataDir holds the database, the TLS material and backups.
	// "./coopbox-data" on a laptop, "/perm/coopbox" on the box.
	DataDir string
	// HTTPSAddr is where the box serves everything (host:port).
	HTTPSAddr string
	// HTTPAddr serves only the welcome page that explains the certificate.
	// Empty turns plain HTTP off.
	HTTPAddr string
	// Hostname is announced as <Hostname>.local and written into the
	// certificate. Lowercase letters, digits and hyphens.
	Hostname string
	// MDNS turns on multicast DNS announcements. Off by default: only the
	// appliance image, on the venue's network, turns it on.
	MDNS bool
	// WiFiName is the venue's network name, printed on the join card.
	WiFiName string
	// LogLevel is one of debug, info, warn, error.
	LogLevel string
	// Screen is the framebuffer device where the box shows how to join
	// (/dev/fb0 on the appliance); empty: no screen (a laptop's console).
	Screen string
	// Console is a terminal where the box also prints the claim code and
	// its addresses at start: /dev/console on the appliance (the serial
	// console), which the log does not reach there (gokrazy keeps a
	// program's output in memory, behind its password). Empty: the log only.
	Console string
	// GokrazyPasswordFile is where the claim writes gokrazy's update
	// password (/perm/gokr-pw.txt on the appliance, which the box's init
	// reads at each request before the image builder's). Empty: no update
	// password is asked for (a laptop).
	GokrazyPasswordFile string

	// Version and BuildTime are set by the program, not by flags.
	Version string
	// BuildTime is when this binary was built; a clock earlier than it is
	// taken as unset (a Pi without a battery clock boots in 1970).
	BuildTime time.Time
}

// Default returns the configuration of a laptop run.
func Default() Config {
	return Config{
		DataDir:   "./coopbox-data",
		HTTPSAddr: ":8443",
		HTTPAddr:  ":8080",
		Hostname:  "coopbox",
		LogLevel:  "info",
		Version:   "dev",
	}
}

// RegisterFlags binds c's fields to flags of fs. Defaults are c's current values.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.DataDir, "data", c.DataDir, "data folder (database, certificates, backups)")
	fs.StringVar(&c.HTTPSAddr, "https", c.HTTPSAddr, "HTTPS listen address")
	fs.StringVar(&c.HTTPAddr, "http", c.HTTPAddr, "plain HTTP listen address for the welcome page (empty: off)")
	fs.StringVar(&c.Hostname, "hostname", c.Hostname, "box name on the network, announced as NAME.local")
	fs.BoolVar(&c.MDNS, "mdns", c.MDNS, "announce the box with multicast DNS")
	fs.StringVar(&c.WiFiName, "wifi", c.WiFiName, "Wi-Fi network name printed on the join card")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "log level: debug, info, warn, error")
	fs.StringVar(&c.Screen, "screen", c.Screen, "framebuffer device for the HDMI join screen, such as /dev/fb0 (empty: off)")
	fs.StringVar(&c.Console, "console", c.Console, "terminal to print the claim code and addresses on at start, such as /dev/console (empty: the log only)")
	fs.StringVar(&c.GokrazyPasswordFile, "gokrazy-password-file", c.GokrazyPasswordFile,
		"file where the claim writes gokrazy's update password, such as /perm/gokr-pw.txt (empty: not asked)")
}

// Validate returns one error per bad value, joined; nil when c is usable.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if strings.TrimSpace(c.DataDir) == "" {
		bad("-data: the data folder must not be empty")
	}
	if err := checkAddr(c.HTTPSAddr); err != nil {
		bad("-https %q: %v", c.HTTPSAddr, err)
	}
	if c.HTTPAddr != "" {
		if err := checkAddr(c.HTTPAddr); err != nil {
			bad("-http %q: %v", c.HTTPAddr, err)
		}
	}
	if err := CheckHostname(c.Hostname); err != nil {
		bad("-hostname %q: %v", c.Hostname, err)
	}
	if len(c.WiFiName) > 32 {
		bad("-wifi %q: a Wi-Fi name has at most 32 bytes", c.WiFiName)
	}
	for _, f := range []struct{ flag, path string }{{"-console", c.Console}, {"-gokrazy-password-file", c.GokrazyPasswordFile}} {
		if f.path != "" && (!filepath.IsAbs(f.path) || filepath.Clean(f.path) != f.path) {
			bad("%s %q: want a clean absolute path", f.flag, f.path)
		}
	}
	if _, err := c.Level(); err != nil {
		bad("-log-level %q: %v", c.LogLevel, err)
	}
	return errors.Join(errs...)
}

// Level returns the slog level named by LogLevel.
func (c *Config) Level() (slog.Level, error) {
	switch c.LogLevel {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, errors.New("want one of debug, info, warn, error")
}

// CheckHostname accepts a single DNS label in lowercase: what mDNS announces
// and what the certificate names.
func CheckHostname(h string) error {
	if h == "" || len(h) > 63 {
		return errors.New("want 1 to 63 characters")
	}
	for i, r := range h {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
		case r == '-' && i > 0 && i < len(h)-1:
		default:
			return errors.New("use lowercase letters, digits and inner hyphens only")
		}
	}
	return nil
}

func checkAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return errors.New("want host:port, such as :8443 or 127.0.0.1:8443")
	}
	if host != "" && host != "localhost" && net.ParseIP(host) == nil {
		return errors.New("the host must be empty, localhost or an IP address")
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return errors.New("the port must be a number from 0 to 65535")
	}
	return nil
}
