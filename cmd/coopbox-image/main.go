// Command coopbox-image builds coopbox's appliance image and works with it:
//
//	coopbox-image build [-machine pi|vm] [-o FILE|DEVICE] [-size 2G] [-gz]
//	                    build the image (a Pi SD card image by default)
//	coopbox-image vm [-image FILE] [-https 8443] [-http 8080] [-gokrazy 8081]
//	                    boot a vm image under QEMU, serial console here
//	coopbox-image update -host HOST[:PORT] [-machine pi|vm] [-wait 10m]
//	                    build and send a new root and boot partition to a
//	                    running box through gokrazy's update endpoints, then
//	                    wait until the box has made the new version permanent
//	                    or gone back to the previous one by itself
//
// Everything is read from gokr-packer.json at the module root; gokrazy's web
// password comes from -password-file, created with a random password at the
// first build. See docs/appliance.md.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/coopbox/coopbox/appliance/image"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "coopbox-image:", err)
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: want a command: build, vm or update", flag.ErrHelp)
	}
	cmd, args := args[0], args[1:]
	fs := flag.NewFlagSet("coopbox-image "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	configFile := fs.String("config", "gokr-packer.json", "gokrazy instance configuration")
	pwFile := fs.String("password-file", defaultPasswordFile(), "gokrazy web password (created when missing)")
	machine := fs.String("machine", image.Pi, "machine: pi (Raspberry Pi 3B+, 4, 5, Zero 2 W) or vm (QEMU arm64 virt)")
	version := fs.String("version", "dev", "version stamped into coopbox")
	switch cmd {
	case "build":
		out := fs.String("o", "", "image file or card device (default dist/coopbox-MACHINE.img)")
		size := fs.String("size", "2G", "image file size (K, M, G suffixes); a card is used whole")
		gz := fs.Bool("gz", false, "also write a gzip copy for download")
		if err := fs.Parse(args); err != nil {
			return err
		}
		n, err := parseSize(*size)
		if err != nil {
			return fmt.Errorf("-size %q: %v", *size, err)
		}
		o, err := options(*configFile, *pwFile, *machine, *version, stderr)
		if err != nil {
			return err
		}
		o.Output, o.Size, o.Compress = *out, n, *gz
		if o.Output == "" {
			o.Output = filepath.Join("dist", "coopbox-"+*machine+".img")
		}
		if err := os.MkdirAll(filepath.Dir(o.Output), 0o755); err != nil {
			return err
		}
		s, err := image.Build(ctx, o)
		if err != nil {
			return err
		}
		_, err = s.WriteTo(stdout)
		return err
	case "vm":
		img := fs.String("image", filepath.Join("dist", "coopbox-vm.img"), "image built with build -machine vm")
		https := fs.Int("https", 8443, "port on 127.0.0.1 forwarded to the box's HTTPS (443)")
		http := fs.Int("http", 8080, "port on 127.0.0.1 forwarded to the box's welcome page (80)")
		gokrazy := fs.Int("gokrazy", 8081, "port on 127.0.0.1 forwarded to gokrazy's interface (8080)")
		if err := fs.Parse(args); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "coopbox: https://127.0.0.1:%d  welcome: http://127.0.0.1:%d  gokrazy: http://127.0.0.1:%d (user gokrazy, password in %s)\n"+
			"serial console below; Ctrl-C stops the machine\n", *https, *http, *gokrazy, *pwFile)
		return vm(ctx, *img, []image.Forward{{Host: *https, Guest: 443}, {Host: *http, Guest: 80}, {Host: *gokrazy, Guest: 8080}}, stdout)
	case "update":
		host := fs.String("host", "", "the box: NAME or ADDRESS, with :PORT when gokrazy's interface is not on 8080")
		wait := fs.Duration("wait", 10*time.Minute, "how long to wait for the box to come back on the new version or go back to the previous one")
		if err := fs.Parse(args); err != nil {
			return err
		}
		if *host == "" {
			return fmt.Errorf("%w: -host is required", flag.ErrHelp)
		}
		o, err := options(*configFile, *pwFile, *machine, *version, stderr)
		if err != nil {
			return err
		}
		base := *host
		if !strings.Contains(base, "://") {
			if _, _, err := net.SplitHostPort(base); err != nil {
				base = net.JoinHostPort(base, o.Config.Update.HTTPPort)
			}
			base = "http://" + base
		}
		box := image.Box{BaseURL: base, Password: o.Password}
		sent, err := image.Update(ctx, o, box)
		if err != nil {
			return err
		}
		// A good update is permanent about a minute after the reboot; a bad
		// one is back on the previous version within two boots and the
		// one-minute trial. Ten minutes leaves room for a slow card.
		wctx, cancel := context.WithTimeout(ctx, *wait)
		defer cancel()
		if err := box.Await(wctx, sent); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s runs the new version %s\n", base, *version)
		return nil
	}
	return fmt.Errorf("%w: unknown command %q: want build, vm or update", flag.ErrHelp, cmd)
}

// vm boots img until it powers off or ctx ends, booting it again after
// each reboot, as a real box would come back.
func vm(ctx context.Context, img string, fwd []image.Forward, console io.Writer) error {
	for {
		w := &rebootWatcher{w: console}
		g, err := image.Boot(ctx, image.VMConfig{Image: img, Machine: image.VM, Forwards: fwd, Console: w, Stdin: os.Stdin})
		if err != nil {
			return err
		}
		err = g.Wait()
		if ctx.Err() != nil {
			return nil
		}
		if !w.rebooted {
			return err
		}
		fmt.Fprintln(console, "\n--- the box rebooted; booting the image again ---")
	}
}

// rebootWatcher passes the console through and notes the kernel's last
// words on a reboot (QEMU runs with -no-reboot, so that the next boot reads
// the kernel and cmdline.txt from the image again, as a Pi's firmware does).
type rebootWatcher struct {
	w        io.Writer
	tail     []byte
	rebooted bool
}

func (r *rebootWatcher) Write(b []byte) (int, error) {
	r.tail = append(r.tail, b...)
	// A kernel panic (a new init that crashes during an update's trial)
	// reboots after panic=10 seconds without the usual last words.
	if bytes.Contains(r.tail, []byte("reboot: Restarting system")) || bytes.Contains(r.tail, []byte("Rebooting in ")) {
		r.rebooted = true
	}
	if len(r.tail) > 64 {
		r.tail = r.tail[len(r.tail)-64:]
	}
	return r.w.Write(b)
}

func options(configFile, pwFile, machine, version string, progress io.Writer) (image.Options, error) {
	c, err := image.LoadConfig(configFile)
	if err != nil {
		return image.Options{}, err
	}
	pw, err := password(pwFile)
	if err != nil {
		return image.Options{}, err
	}
	wd, err := os.Getwd()
	if err != nil {
		return image.Options{}, err
	}
	return image.Options{Config: c, ModuleDir: wd, Machine: machine, Password: pw, Version: version, Progress: progress}, nil
}

func defaultPasswordFile() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return ".coopbox-gokrazy-password"
	}
	return filepath.Join(dir, "coopbox", "gokrazy-password.txt")
}

// password reads gokrazy's web password, creating a random one at first use.
func password(file string) (string, error) {
	b, err := os.ReadFile(file)
	if err == nil {
		if pw := strings.TrimSpace(string(b)); pw != "" {
			return pw, nil
		}
		return "", fmt.Errorf("%s is empty", file)
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	pw := rand.Text()
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return "", err
	}
	if err := os.WriteFile(file, []byte(pw+"\n"), 0o600); err != nil {
		return "", err
	}
	fmt.Fprintf(os.Stderr, "gokrazy web password (user gokrazy) created in %s\n", file)
	return pw, nil
}

func parseSize(s string) (int64, error) {
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "K"):
		mult = 1 << 10
	case strings.HasSuffix(s, "M"):
		mult = 1 << 20
	case strings.HasSuffix(s, "G"):
		mult = 1 << 30
	}
	n, err := strconv.ParseInt(strings.TrimRight(s, "KMG"), 10, 64)
	if err != nil || n <= 0 {
		return 0, errors.New("want a positive size such as 2G or 1500M")
	}
	return n * mult, nil
}
