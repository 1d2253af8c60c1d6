package image

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/coopbox/coopbox/appliance/image/testboot"
)

// Box is a running box's gokrazy interface.
type Box struct {
	// BaseURL is gokrazy's web interface, e.g. http://coopbox.local:8080.
	BaseURL  string
	Password string
	Client   *http.Client
}

// Update builds the boot and root file systems as Build would and sends
// them to a running box through gokrazy's update endpoints for a test
// boot (package testboot tells the whole story): the root goes into the
// root partition not in use, then the boot partition, whose command line
// asks gokrazy to try the other root once, through /update/bootonly, which
// keeps root= on the root in use. Then the box reboots into the new root;
// it makes it permanent itself once coopbox answers /healthz, or goes back
// to the previous root after testboot.Deadline. Only the new root and boot
// are touched; /perm and coopbox's data stay as they are.
//
// Update returns once the box is rebooting; Await follows the rest.
// o.Output and o.Size are not used.
func Update(ctx context.Context, o Options, box Box) (*Sent, error) {
	box = box.withDefaults()
	features, err := box.call(ctx, "GET", "/update/features", nil, 0, "")
	if err != nil {
		return nil, fmt.Errorf("ask %s what it supports: %w", box.BaseURL, err)
	}
	if !strings.Contains(features, "partuuid") {
		return nil, fmt.Errorf("%s does not boot by PARTUUID (features %q); reinstall it from an image", box.BaseURL, features)
	}
	// The new boot partition names root=PARTUUID=<disk ID>-0N; the disk ID
	// comes from the hostname. A box built under another name would not
	// find its root: refuse rather than brick it.
	status, err := box.status(ctx)
	if err != nil {
		return nil, fmt.Errorf("ask %s for its status: %w", box.BaseURL, err)
	}
	if want := fmt.Sprintf("%08x-04", DiskID(o.Config.Hostname)); !strings.EqualFold(status.PermUUID, want) {
		return nil, fmt.Errorf("%s is %q on disk %s, this build is for %q (disk %s): updating would leave it unable to boot; build with its hostname, or reflash it",
			box.BaseURL, status.Hostname, status.PermUUID, o.Config.Hostname, want)
	}
	// After a test boot the kernel still names the previous root, so until
	// the next reboot gokrazy would take the running root for the one not
	// in use and write the new version over it. Boxes without the report
	// (older builds) never test-boot.
	if rep, err := box.bootReport(ctx); err == nil && rep.RunningRoot != rep.NamedRoot {
		return nil, fmt.Errorf("%s runs root %d from its last update (%s) without a reboot since: reboot it first (gokrazy's page, or unplug it), then update", box.BaseURL, rep.RunningRoot, rep.State)
	}
	pt, err := buildParts(ctx, o, testboot.Marker)
	if err != nil {
		return nil, err
	}
	defer pt.Close()
	if err := box.stream(ctx, "root", "root", pt.root, pt.p); err != nil {
		return nil, err
	}
	pt.p.done("sent the root file system to the root partition not in use")
	if err := box.stream(ctx, "bootonly", "boot", pt.boot, pt.p); err != nil {
		return nil, err
	}
	pt.p.done("sent the boot file system: the next boot tries the new root once")
	// gokrazy stops the programs (SIGTERM, then up to 10s) and reboots.
	if _, err := box.call(ctx, "POST", "/reboot?wait_per_signal=10s", nil, 0, ""); err != nil {
		return nil, fmt.Errorf("reboot: %w", err)
	}
	pt.p.done("the box is rebooting into the new root")
	return &Sent{Version: o.Version, Build: pt.stamp, Previous: status.BuildTimestamp, p: pt.p}, nil
}

// Sent is an update on its way, as Update leaves it.
type Sent struct {
	Version string
	// Build is the new build's timestamp, Previous the running one's, as
	// gokrazy's status tells them: how Await knows which root answers.
	Build, Previous string
	p               *progress
}

// ErrRolledBack is the error of an update that did not come up healthy:
// the box went back to the previous version by itself.
var ErrRolledBack = errors.New("the new version did not come up healthy; the box went back to the previous version")

// Await follows the box after Update until the new version is permanent
// (nil), or the box went back to the previous version (an error wrapping
// ErrRolledBack, with what the test boot last saw), or ctx ends. A real
// box takes about a minute for a good update, and at most twice the boot
// time plus testboot.Deadline for a bad one.
func (b Box) Await(ctx context.Context, s *Sent) error {
	b = b.withDefaults()
	p := s.p
	if p == nil {
		p = newProgress(nil)
	}
	// The box answers for a moment after the reboot was asked for: only
	// what answers after it was seen gone counts.
	down, up, tried := false, true, false
	detail := "the new version never answered"
	for {
		status, err := b.status(ctx)
		if err == nil {
			up = true
		}
		switch {
		case err != nil:
			if up {
				p.done("the box is down")
			}
			down, up = true, false
			p.status("waiting for the box: %v", err)
		case !down:
		case status.BuildTimestamp == s.Build:
			rep, err := b.bootReport(ctx)
			if err != nil {
				p.status("waiting for the new version's state: %v", err)
				break
			}
			switch rep.State {
			case testboot.Permanent, testboot.Normal:
				p.done("the new version %s answered and is now permanent", s.Version)
				return nil
			case testboot.Testing, testboot.Failed:
				if rep.Detail != "" {
					detail = rep.Detail
				}
				if !tried {
					p.done("the new version is up, on trial until coopbox answers (at most %s)", testboot.Deadline)
				}
				tried = true
				p.status("the new version is on trial (%s)", detail)
			}
		case status.BuildTimestamp == s.Previous:
			return fmt.Errorf("%w (build %s); the new version's last word: %s", ErrRolledBack, s.Previous, detail)
		default:
			return fmt.Errorf("the box runs build %s, neither the new %s nor the previous %s", status.BuildTimestamp, s.Build, s.Previous)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for the box to come back: %w (last: %s)", ctx.Err(), detail)
		case <-time.After(time.Second):
		}
	}
}

// boxStatus is the part of gokrazy's status that the updater reads.
type boxStatus struct{ Hostname, PermUUID, BuildTimestamp string }

// status asks gokrazy for its status, within 5 seconds.
func (b Box) status(ctx context.Context) (boxStatus, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var s boxStatus
	st, err := b.call(ctx, "GET", "/", nil, 0, "json")
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal([]byte(st), &s); err != nil {
		return s, fmt.Errorf("status of %s: %w", b.BaseURL, err)
	}
	return s, nil
}

// bootReport asks coopbox-init how the boot stands, within 5 seconds.
func (b Box) bootReport(ctx context.Context) (testboot.Report, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var r testboot.Report
	body, err := b.call(ctx, "GET", testboot.Path, nil, 0, "")
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		return r, fmt.Errorf("boot state of %s: %w", b.BaseURL, err)
	}
	return r, nil
}

func (b Box) withDefaults() Box {
	if b.Client == nil {
		b.Client = &http.Client{Timeout: 10 * time.Minute}
	}
	b.BaseURL = strings.TrimSuffix(b.BaseURL, "/")
	return b
}

// stream sends file to /update/ENDPOINT and checks the CRC-32 the box
// computed over what it wrote; name is the file system's, for messages.
func (b Box) stream(ctx context.Context, endpoint, name, file string, p *progress) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	sum := crc32.NewIEEE()
	body := io.TeeReader(io.TeeReader(f, sum), p.counter("send "+name, st.Size()))
	got, err := b.call(ctx, "PUT", "/update/"+endpoint, body, st.Size(), "crc32")
	if err != nil {
		return fmt.Errorf("send the %s file system: %w", name, err)
	}
	if want := fmt.Sprintf("%x", sum.Sum(nil)); strings.TrimSpace(got) != want {
		return fmt.Errorf("send the %s file system: the box wrote CRC-32 %s, we sent %s", name, got, want)
	}
	return nil
}

// call makes one authenticated request. hash "json" asks for gokrazy's
// JSON answer; another non-empty hash asks gokrazy to answer with that
// checksum of what it wrote.
func (b Box) call(ctx context.Context, method, path string, body io.Reader, size int64, hash string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, method, b.BaseURL+path, body)
	if err != nil {
		return "", err
	}
	if body != nil {
		req.ContentLength = size
	}
	req.SetBasicAuth("gokrazy", b.Password)
	switch hash {
	case "":
	case "json":
		req.Header.Set("Accept", "application/json")
	default:
		req.Header.Set("X-Gokrazy-Update-Hash", hash)
	}
	res, err := b.Client.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	msg, err := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	if err != nil {
		return "", err
	}
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s %s: %s: %s", method, path, res.Status, strings.TrimSpace(string(msg)))
	}
	return string(msg), nil
}
