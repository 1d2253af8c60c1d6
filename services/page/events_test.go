package page

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// readEvents reads "event:" names from an SSE body until n are seen.
func readEvents(t *testing.T, sc *bufio.Scanner, n int) []string {
	t.Helper()
	var got []string
	for len(got) < n && sc.Scan() {
		if name, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
			got = append(got, name)
		}
	}
	return got
}

func TestHub(t *testing.T) {
	l := NewHub()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.Serve(w, r, r.URL.Query().Get("a"), Event{"hello", []byte(`{}`)})
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	open := func(a string) (*bufio.Scanner, func()) {
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"?a="+a, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
			t.Fatalf("Content-Type %q", ct)
		}
		return bufio.NewScanner(res.Body), func() { res.Body.Close() }
	}
	one, closeOne := open("A")
	defer closeOne()
	other, closeOther := open("B")
	defer closeOther()
	if got := readEvents(t, one, 1); len(got) != 1 || got[0] != "hello" {
		t.Fatalf("first event %v, want hello", got)
	}
	readEvents(t, other, 1)
	// Both are subscribed: serve subscribes before it sends the first event.
	if l.Subscribers("A") != 1 || l.Subscribers("B") != 1 {
		t.Fatalf("subscribers: A %d, B %d; want 1 each", l.Subscribers("A"), l.Subscribers("B"))
	}
	l.Publish("A", "quorum", map[string]int{"present": 3})
	l.Publish("B", "vote", map[string]string{"state": "open"})
	if got := readEvents(t, one, 1); len(got) != 1 || got[0] != "quorum" {
		t.Fatalf("A got %v, want quorum (and only A's events)", got)
	}
	if got := readEvents(t, other, 1); len(got) != 1 || got[0] != "vote" {
		t.Fatalf("B got %v, want vote", got)
	}

	// A stream that falls behind is dropped instead of holding publishers.
	slow, _ := l.Subscribe("A")
	for range StreamBuffer + 1 {
		l.Publish("A", "tick", 1)
	}
	select {
	case <-slow.Gone:
	default:
		t.Fatal("a stream that fell behind was not dropped")
	}

	// close ends every stream.
	l.Close()
	done := make(chan bool)
	go func() {
		for one.Scan() {
		}
		done <- true
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("a stream is still open after close")
	}
	if _, ok := l.Subscribe("A"); ok {
		t.Fatal("a subscription after close was accepted")
	}
}
