package ossemu

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

// WaitIdle is what lets a test read byte counters after a client cancelled
// mid-body: it must wait while a request is still arriving, and end once the
// client is gone.
func TestWaitIdle(t *testing.T) {
	s := newServer(t, Options{})
	tr := &http.Transport{}
	b := bucketOf(t, s, oss.HTTPClient(&http.Client{Transport: tr}))
	if err := s.WaitIdle(context.Background()); err != nil {
		t.Fatalf("fresh server: %v", err)
	}
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	// A LimitedReader gives the SDK the length, so the body is not chunked.
	go func() { done <- b.PutObject("half.bin", &io.LimitedReader{R: pr, N: 128 << 10}) }()
	if _, err := pw.Write(make([]byte, 64<<10)); err != nil { // the server is reading the body
		t.Fatal(err)
	}
	// The client may have written into the socket before the server accepted
	// the connection: wait until the server is handling the request.
	for deadline := time.Now().Add(10 * time.Second); s.busy.Load() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the server never started handling the upload")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	err := s.WaitIdle(ctx)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitIdle during an upload = %v, want a deadline error", err)
	}
	pw.CloseWithError(errors.New("client gave up"))
	if err := <-done; err == nil {
		t.Fatal("the abandoned upload succeeded")
	}
	tr.CloseIdleConnections()
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.WaitIdle(ctx); err != nil {
		t.Fatalf("after the client left: %v", err)
	}
	if n := s.BytesReceived(OpPutObject); n < 64<<10 {
		t.Fatalf("server counted %d bytes of the abandoned body, want at least %d", n, 64<<10)
	}
}
