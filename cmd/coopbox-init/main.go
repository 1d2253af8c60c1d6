// Command coopbox-init is the first process of the coopbox image
// (/gokrazy/init). gokrazy's packer generates such a program; coopbox builds
// its image itself (see package appliance/image), so this is ours: it calls
// gokrazy.Boot, which mounts /proc, /sys, /dev, /tmp and /perm, sets the
// hostname, then starts and supervises every program listed in
// /etc/coopbox/services.json (coopbox and gokrazy's dhcp, ntp and randomd).
// It serves gokrazy's status and update endpoints itself, on the port named
// in /etc/http-port.txt, with the box's listener limits and the update
// password read at each request (package appliance/image/aside says why):
// the image has no /etc/gokr-pw.txt, so gokrazy serves them only on its
// unix socket.
//
// After an update it also decides whether the new root stays: on a test
// boot it waits for coopbox's /healthz, then makes the root permanent or
// reboots into the previous one (package appliance/image/testboot says how
// and why here). Its answer is on gokrazy's interface at /coopbox/boot.
//
// It never returns: the kernel panics when init exits.
package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gokrazy/gokrazy"

	"github.com/coopbox/coopbox/appliance/image/aside"
	"github.com/coopbox/coopbox/appliance/image/services"
	"github.com/coopbox/coopbox/appliance/image/testboot"
	"github.com/coopbox/coopbox/appliance/listener"
)

// Set with -ldflags "-X main.buildTimestamp=…" by the image builder; gokrazy
// shows it on its status page.
var buildTimestamp = "unknown"

func main() {
	// gokrazy.Boot switches into the other root first when cmdline.txt
	// asks for a test boot: what follows runs on the root being tried.
	if err := gokrazy.Boot(buildTimestamp); err != nil {
		log.Fatalf("boot: %v", err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil)).With("program", "coopbox-init")
	list, err := services.Read(services.Path)
	if err != nil {
		// Keep the machine up with gokrazy's status page, so that an update
		// can repair it. A test boot then never gets healthy and goes back.
		logger.Error("read the programs to start", "file", services.Path, "err", err)
	}
	var svcs []*gokrazy.Service
	var urls []string
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
		if s.Health != "" {
			urls = append(urls, s.Health)
		}
	}
	checker := testboot.NewChecker(detect(logger), logger)
	checker.URLs = urls
	if err != nil {
		checker.Err = fmt.Errorf("read %s: %w", services.Path, err)
	}
	checker.Client = &http.Client{Transport: &http.Transport{
		// The programs' certificates are issued by the box's own CA for
		// its names; asked on loopback, only the answer matters.
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
	}}
	checker.Confirm = confirm
	checker.Reboot = func() { reboot(logger) }
	// gokrazy's handlers are on http.DefaultServeMux: the one way to add to
	// its interface, where the updater reads this boot's state.
	http.Handle("GET "+testboot.Path, checker)

	if err := gokrazy.SuperviseServices(svcs); err != nil {
		log.Printf("supervise: %v", err)
		os.Exit(1)
	}
	side := &aside.Handler{PasswordFiles: []string{aside.OwnerFile, aside.BuilderFile},
		Next: http.DefaultServeMux, Limits: listener.Default(), Log: logger}
	go func() {
		addr := net.JoinHostPort("", httpPort(logger))
		logger.Error("gokrazy's interface stopped", "err", side.Serve(context.Background(), addr))
	}()
	checker.Run(context.Background())
	select {}
}

// httpPort is the port of gokrazy's interface, from /etc/http-port.txt
// (written by the image builder from gokr-packer.json), else 8080.
func httpPort(logger *slog.Logger) string {
	b, err := os.ReadFile("/etc/http-port.txt")
	port := strings.TrimSpace(string(b))
	if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 1 || n > 65535 {
		logger.Error("no port for gokrazy's interface in /etc/http-port.txt: using 8080", "err", err, "port", port)
		return "8080"
	}
	return port
}

// detect tells a test boot from a normal one. When it cannot tell, the boot
// is taken as normal: nothing is confirmed, nothing rebooted.
func detect(logger *slog.Logger) testboot.Report {
	cmdline, err := os.ReadFile("/proc/cmdline")
	if err != nil {
		logger.Error("read the kernel command line", "err", err)
		return testboot.Report{State: testboot.Normal}
	}
	running, err := testboot.RunningPartition("/", "/sys")
	if err != nil {
		logger.Error("find the running root partition", "err", err)
		return testboot.Report{State: testboot.Normal}
	}
	rep, err := testboot.Detect(string(cmdline), running)
	if err != nil {
		logger.Error("read the kernel command line", "err", err)
		return testboot.Report{State: testboot.Normal, RunningRoot: running}
	}
	rep.BootID = testboot.BootID()
	logger.Info("boot", "state", rep.State, "root", running, "cmdline root", rep.NamedRoot)
	return rep
}

// confirm makes the running root permanent with gokrazy's own switch, the
// handler of POST /update/switch, called in-process: it rewrites root= in
// cmdline.txt in place to the root gokrazy calls inactive, which on a test
// boot is the one running (the kernel command line still names the
// previous one). Then everything is written out before it counts.
func confirm() error {
	rec := httptest.NewRecorder()
	http.DefaultServeMux.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/update/switch", nil))
	if rec.Code != http.StatusOK {
		return fmt.Errorf("gokrazy's switch: %d %s", rec.Code, rec.Body)
	}
	syscall.Sync()
	return nil
}

// reboot restarts the box the way gokrazy's POST /reboot does (programs
// stopped, SIGKILL after 10s, /perm unmounted), called in-process; if that
// has not rebooted the box within 30 seconds, it reboots it at once.
func reboot(logger *slog.Logger) {
	rec := httptest.NewRecorder()
	http.DefaultServeMux.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/reboot?wait_per_signal=10s", nil))
	time.Sleep(30 * time.Second)
	logger.Error("gokrazy's reboot did not happen; rebooting now", "answer", rec.Body.String())
	syscall.Sync()
	if err := syscall.Reboot(syscall.LINUX_REBOOT_CMD_RESTART); err != nil {
		logger.Error("reboot", "err", err)
	}
}
