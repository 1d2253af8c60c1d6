package image

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/coopbox/coopbox/config"
)

// Config is the part of gokrazy's instance configuration (config.json, kept
// in this repository as gokr-packer.json) that the coopbox image builder
// understands. Field names and meanings are gokrazy's, so the same file can
// be read by gokrazy's own tools; unknown fields are rejected rather than
// silently ignored.
type Config struct {
	Hostname string
	Update   *UpdateConfig `json:",omitempty"`
	// Packages are the box's own programs, installed as /user/NAME.
	Packages      []string
	PackageConfig map[string]PackageConfig `json:",omitempty"`
	// SerialConsole is the console= value for the kernel ("serial0,115200"),
	// or "off"/"disabled".
	SerialConsole string `json:",omitempty"`
	// GokrazyPackages are gokrazy's system programs, installed as /gokrazy/NAME.
	GokrazyPackages *[]string `json:",omitempty"`
	KernelPackage   *string   `json:",omitempty"`
	FirmwarePackage *string   `json:",omitempty"`
	// EEPROMPackage is accepted for compatibility; the builder installs no
	// EEPROM update and requires it to be empty.
	EEPROMPackage              *string      `json:",omitempty"`
	BootloaderExtraLines       []string     `json:",omitempty"`
	InternalCompatibilityFlags *CompatFlags `json:",omitempty"`
}

// UpdateConfig says how the box's gokrazy web interface is reached.
type UpdateConfig struct {
	Hostname string `json:",omitempty"`
	// HTTPPort is gokrazy's own web interface and update endpoint, moved
	// off port 80 so coopbox owns 80 and 443.
	HTTPPort  string `json:",omitempty"`
	HTTPSPort string `json:",omitempty"`
	// HTTPPassword is gokrazy's web password. Left out of the file in the
	// repository (a password in git is no password); the builder takes it
	// from a per-user file instead, as gokrazy's packer does.
	HTTPPassword string `json:",omitempty"`
}

// PackageConfig configures one program.
type PackageConfig struct {
	GoBuildFlags      []string          `json:",omitempty"`
	GoBuildTags       []string          `json:",omitempty"`
	Environment       []string          `json:",omitempty"`
	CommandLineFlags  []string          `json:",omitempty"`
	DontStart         bool              `json:",omitempty"`
	WaitForClock      bool              `json:",omitempty"`
	ExtraFileContents map[string]string `json:",omitempty"`
}

// CompatFlags holds the one of gokrazy's compatibility flags we use.
type CompatFlags struct {
	// InitPkg is the package built as /gokrazy/init.
	InitPkg string `json:",omitempty"`
}

// LoadConfig reads and checks an instance configuration file.
func LoadConfig(file string) (*Config, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var c Config
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("decode %s: %w", file, err)
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return &c, nil
}

// Validate returns one error per problem, joined.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if err := config.CheckHostname(c.Hostname); err != nil {
		bad("Hostname %q: %v", c.Hostname, err)
	}
	if len(c.Packages) == 0 {
		bad("Packages: the image needs at least one program")
	}
	seen := map[string]string{}
	for _, pkg := range append(append([]string(nil), c.Packages...), c.SystemPackages()...) {
		base := path.Base(pkg)
		if other, dup := seen[base]; dup {
			bad("Packages: %s and %s would both be installed as %s", other, pkg, base)
		}
		seen[base] = pkg
	}
	for pkg := range c.PackageConfig {
		if !slices.Contains(c.Packages, pkg) && !slices.Contains(c.SystemPackages(), pkg) {
			bad("PackageConfig: %s is not in Packages or GokrazyPackages", pkg)
		}
	}
	port := func(name, p string) {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			bad("Update.%s %q: want a port number", name, p)
		}
	}
	if c.Update == nil || c.Update.HTTPPort == "" {
		bad("Update.HTTPPort: gokrazy's web interface needs its own port (80 is coopbox's)")
	} else {
		port("HTTPPort", c.Update.HTTPPort)
		if c.Update.HTTPSPort != "" {
			port("HTTPSPort", c.Update.HTTPSPort)
		}
	}
	if c.EEPROMPackage != nil && *c.EEPROMPackage != "" {
		bad("EEPROMPackage %q: this builder installs no EEPROM update; leave it empty", *c.EEPROMPackage)
	}
	if c.InitPackage() == "" {
		bad("InternalCompatibilityFlags.InitPkg: the image needs an init program")
	}
	return errors.Join(errs...)
}

// SystemPackages returns gokrazy's system programs to install.
func (c *Config) SystemPackages() []string {
	if c.GokrazyPackages == nil {
		return []string{
			"github.com/gokrazy/gokrazy/cmd/dhcp",
			"github.com/gokrazy/gokrazy/cmd/ntp",
			"github.com/gokrazy/gokrazy/cmd/randomd",
		}
	}
	return *c.GokrazyPackages
}

// Kernel returns the kernel module path (gokrazy's default: kernel.rpi).
func (c *Config) Kernel() string {
	if c.KernelPackage == nil {
		return "github.com/gokrazy/kernel.rpi"
	}
	return *c.KernelPackage
}

// Firmware returns the Pi firmware module path, or "" for none.
func (c *Config) Firmware() string {
	if c.FirmwarePackage == nil {
		return "github.com/gokrazy/firmware"
	}
	return *c.FirmwarePackage
}

// InitPackage returns the package built as /gokrazy/init.
func (c *Config) InitPackage() string {
	if c.InternalCompatibilityFlags == nil {
		return ""
	}
	return c.InternalCompatibilityFlags.InitPkg
}

// Console returns the kernel's console= value for the serial port, or ""
// when the serial console is off.
func (c *Config) Console() string {
	switch s := c.SerialConsole; s {
	case "off", "disabled":
		return ""
	case "", "UART0":
		return "serial0,115200"
	default:
		return s
	}
}

// Flags returns the command-line flags of pkg.
func (c *Config) Flags(pkg string) []string {
	return c.PackageConfig[pkg].CommandLineFlags
}

// FlagValue returns the value given to -name in pkg's flags, and whether
// the flag is there ("-mdns" alone has the value "true").
func (c *Config) FlagValue(pkg, name string) (string, bool) {
	args := c.Flags(pkg)
	for i, a := range args {
		a = strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-")
		if k, v, ok := strings.Cut(a, "="); ok && k == name {
			return v, true
		}
		if a == name {
			if i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
				return args[i+1], true
			}
			return "true", true
		}
	}
	return "", false
}
