package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// TestPowerCutBallots kills coopbox with SIGKILL while secret ballots
// arrive from four clients, starts it again on the same folder, closes the
// vote and checks that every ballot the box had acknowledged is counted:
// its receipt is in the published list.
func TestPowerCutBallots(t *testing.T) {
	dir := t.TempDir()
	cmd, base, code := startUnclaimed(t, dir)
	owner := insecureClient()
	res, err := owner.PostForm(base+"/claim", url.Values{"box": {"Urne"}, "name": {"Camille"}, "code": {code},
		"passphrase": {"une longue phrase"}, "again": {"une longue phrase"}})
	if err != nil || res.StatusCode != http.StatusSeeOther {
		t.Fatalf("claim: %v %v", err, res)
	}
	res.Body.Close()

	// An assembly, written into the stopped box's database as decide's
	// store lays it out (the roll's API is another part's).
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	db, err := bolt.Open(filepath.Join(dir, "coopbox.db"), 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		d := tx.Bucket([]byte("decide"))
		if d == nil {
			return fmt.Errorf("no decide bucket")
		}
		if err := d.Bucket([]byte("assemblies")).Put([]byte("ag"), []byte(`{"id":"ag","title":"AG","rules":{"maxProxies":0,"quorum":{"num":0,"den":0,"of":"","represented":false}}}`)); err != nil {
			return err
		}
		a, err := d.Bucket([]byte("a")).CreateBucketIfNotExists([]byte("ag"))
		if err != nil {
			return err
		}
		m, err := a.CreateBucketIfNotExists([]byte("members"))
		if err != nil {
			return err
		}
		return m.Put([]byte("m1"), []byte(`{"id":"m1","name":"Ana","weight":1,"voting":true}`))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	cmd, base = startProcess(t, dir)

	post := func(path string, body any) []byte {
		t.Helper()
		raw, _ := json.Marshal(body)
		res, err := owner.Post(base+path, "application/json", strings.NewReader(string(raw)))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		out, _ := io.ReadAll(res.Body)
		if res.StatusCode/100 != 2 {
			t.Fatalf("%s: %d %s", path, res.StatusCode, out)
		}
		return out
	}
	var v struct{ ID string }
	json.Unmarshal(post("/api/decide/a/ag/votes", map[string]any{"title": "Budget", "type": "yesno", "secret": true}), &v)
	post("/api/decide/votes/"+v.ID+"/state", map[string]string{"state": "open"})
	res, err = owner.PostForm(base+"/decide/v/"+v.ID+"/cards", url.Values{"count": {"400"}})
	if err != nil {
		t.Fatal(err)
	}
	sheet, _ := io.ReadAll(res.Body)
	res.Body.Close()
	var codes []string
	for _, m := range regexp.MustCompile(`<p class="code">([A-Z2-7-]+)</p>`).FindAllSubmatch(sheet, -1) {
		codes = append(codes, string(m[1]))
	}
	if len(codes) != 400 {
		t.Fatalf("%d cards printed, want 400 (status %d)", len(codes), res.StatusCode)
	}

	next := make(chan string, len(codes))
	for _, c := range codes {
		next <- c
	}
	close(next)
	voter := insecureClient()
	acked := cutPower(t, cmd, 4, 0, 60, "ballots", func() (string, bool) {
		c, ok := <-next
		if !ok {
			return "", false
		}
		res, err := voter.Post(base+"/api/decide/votes/"+v.ID+"/cast", "application/json",
			strings.NewReader(fmt.Sprintf(`{"token":%q,"ballot":{"choice":0}}`, c)))
		if err != nil {
			return "", false // the box died under us: not acknowledged
		}
		var out struct{ Receipt string }
		err = json.NewDecoder(res.Body).Decode(&out)
		res.Body.Close()
		if err != nil || res.StatusCode != http.StatusOK {
			return "", false
		}
		return out.Receipt, true
	})

	_, base = startProcess(t, dir)
	var closed struct {
		Result struct {
			Ballots   int
			Published []struct{ Receipt string }
		}
	}
	json.Unmarshal(post("/api/decide/votes/"+v.ID+"/state", map[string]string{"state": "closed"}), &closed)
	published := map[string]bool{}
	for _, p := range closed.Result.Published {
		if published[p.Receipt] {
			t.Errorf("receipt %s published twice", p.Receipt)
		}
		published[p.Receipt] = true
	}
	for _, r := range acked {
		if !published[r] {
			t.Errorf("acknowledged ballot %s is not counted after the restart", r)
		}
	}
	if closed.Result.Ballots < len(acked) || closed.Result.Ballots != len(published) {
		t.Errorf("%d ballots counted, %d published, %d acknowledged", closed.Result.Ballots, len(published), len(acked))
	}
}
