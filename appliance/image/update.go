package image

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// Box is a running box's gokrazy interface.
type Box struct {
	// BaseURL is gokrazy's web interface, e.g. http://coopbox.local:8080.
	BaseURL  string
	Password string
	Client   *http.Client
}

// Update builds the boot and root file systems as Build would and sends
// them to a running box through gokrazy's update endpoints, in the order
// gokrazy's packer uses: the root into the inactive root partition, then
// the boot partition, then the switch (gokrazy rewrites cmdline.txt's
// root= to the partition just written) and a reboot. Only the new root
// and boot are touched; /perm and coopbox's data stay as they are.
//
// o.Output and o.Size are not used.
func Update(ctx context.Context, o Options, box Box) error {
	if box.Client == nil {
		box.Client = &http.Client{Timeout: 10 * time.Minute}
	}
	box.BaseURL = strings.TrimSuffix(box.BaseURL, "/")
	features, err := box.call(ctx, "GET", "/update/features", nil, 0, "")
	if err != nil {
		return fmt.Errorf("ask %s what it supports: %w", box.BaseURL, err)
	}
	if !strings.Contains(features, "partuuid") {
		return fmt.Errorf("%s does not boot by PARTUUID (features %q); reinstall it from an image", box.BaseURL, features)
	}
	// The new boot partition names root=PARTUUID=<disk ID>-03 after the
	// switch; the disk ID comes from the hostname. A box built under
	// another name would not find its root: refuse rather than brick it.
	st, err := box.call(ctx, "GET", "/", nil, 0, "json")
	if err != nil {
		return fmt.Errorf("ask %s for its status: %w", box.BaseURL, err)
	}
	var status struct{ Hostname, PermUUID string }
	if err := json.Unmarshal([]byte(st), &status); err != nil {
		return fmt.Errorf("status of %s: %w", box.BaseURL, err)
	}
	if want := fmt.Sprintf("%08x-04", DiskID(o.Config.Hostname)); !strings.EqualFold(status.PermUUID, want) {
		return fmt.Errorf("%s is %q on disk %s, this build is for %q (disk %s): updating would leave it unable to boot; build with its hostname, or reflash it",
			box.BaseURL, status.Hostname, status.PermUUID, o.Config.Hostname, want)
	}
	pt, err := buildParts(ctx, o)
	if err != nil {
		return err
	}
	defer pt.Close()
	for _, part := range []struct{ name, file string }{{"root", pt.root}, {"boot", pt.boot}} {
		if err := box.stream(ctx, part.name, part.file, pt.p); err != nil {
			return err
		}
		pt.p.done("sent the %s file system", part.name)
	}
	if _, err := box.call(ctx, "POST", "/update/switch", nil, 0, ""); err != nil {
		return fmt.Errorf("switch to the new root: %w", err)
	}
	pt.p.done("switched the box to the new root")
	// gokrazy stops the programs (SIGTERM, then up to 10s) and reboots.
	if _, err := box.call(ctx, "POST", "/reboot?wait_per_signal=10s", nil, 0, ""); err != nil {
		return fmt.Errorf("reboot: %w", err)
	}
	pt.p.done("the box is rebooting")
	return nil
}

// stream sends file to /update/NAME and checks the CRC-32 the box computed
// over what it wrote.
func (b Box) stream(ctx context.Context, name, file string, p *progress) error {
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
	got, err := b.call(ctx, "PUT", "/update/"+name, body, st.Size(), "crc32")
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
