package transfer

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ossdrop/ossdrop/ossemu"
)

// silentServer accepts connections and never reads or answers.
func silentServer(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return "http://" + ln.Addr().String()
}

func TestNoReplyFailsInBoundedTime(t *testing.T) {
	for _, size := range []int{10 << 10, 4 * MinPartSize} {
		tgt := Target{Endpoint: silentServer(t), Bucket: "bkt", Credentials: staticCreds{"id", "secret", ""}}
		o := DefaultOptions()
		o.PartSize = MinPartSize
		m, err := NewManager(Config{Target: tgt, Options: o, StateDir: t.TempDir(), Retry: fastRetry, ReplyTimeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		f := writeFile(t, t.TempDir(), "f.bin", randBytes(size, 1))
		start := time.Now()
		id, _ := m.AddFile(f, "f.bin")
		waitIdle(t, m)
		ts, _ := m.Task(id)
		if ts.State != Failed || ts.Err == nil || !strings.Contains(ts.Err.Error(), "no reply from the server in 1 s") {
			t.Fatalf("size %d: %s %v", size, ts.State, ts.Err)
		}
		// Two tries of one second each, plus a short backoff.
		if d := time.Since(start); d > 6*time.Second {
			t.Fatalf("size %d: failed after %v: %v", size, d, ts.Err)
		}
		m.Close()
	}
}

func TestHTTPSToPlainHTTPFailsAtOnce(t *testing.T) {
	s := newServer(t, ossemu.Options{})
	tgt := targetOf(s)
	tgt.Endpoint = strings.Replace(s.URL, "http://", "https://", 1)
	m, err := NewManager(Config{Target: tgt, Options: DefaultOptions(), StateDir: t.TempDir(), Retry: RetryPolicy{MaxAttempts: 8, BaseDelay: time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	f := writeFile(t, t.TempDir(), "f.bin", []byte("hello"))
	start := time.Now()
	id, _ := m.AddFile(f, "f.bin")
	waitIdle(t, m)
	ts, _ := m.Task(id)
	if ts.State != Failed || ts.Err == nil || !strings.Contains(ts.Err.Error(), "TLS") || !strings.Contains(ts.Err.Error(), "does not speak HTTPS") {
		t.Fatalf("%s %v", ts.State, ts.Err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("retried for %v", d) // one backoff alone is a second
	}
}

func TestOptionsValidateNamesTheField(t *testing.T) {
	for _, tc := range []struct {
		o    Options
		flag string
	}{
		{Options{PartSize: 0, TaskNum: 1, Jobs: 1}, "part-size"},
		{Options{PartSize: MaxPartSize + 1, TaskNum: 1, Jobs: 1}, "part-size"},
		{Options{PartSize: MinPartSize, TaskNum: 0, Jobs: 1}, "task-num"},
		{Options{PartSize: MinPartSize, TaskNum: MaxTaskNum + 1, Jobs: 1}, "task-num"},
		{Options{PartSize: MinPartSize, TaskNum: 1, Jobs: 0}, "jobs"},
		{Options{PartSize: MinPartSize, TaskNum: 1, Jobs: -3}, "jobs"},
	} {
		err := tc.o.Validate()
		oe, ok := err.(*OptionError)
		if !ok || oe.Flag != tc.flag || !strings.Contains(err.Error(), "--"+tc.flag) {
			t.Fatalf("%+v: %v", tc.o, err)
		}
	}
	if err := DefaultOptions().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"", "http://", "ftp://oss.example.com", "http://host:99999", "https://oss.example.com/path", "http://exa mple.com"} {
		if ValidateEndpoint(bad) == nil {
			t.Fatalf("endpoint %q accepted", bad)
		}
	}
	for _, good := range []string{"https://oss-cn-hangzhou.aliyuncs.com", "http://127.0.0.1:9000", "oss-cn-hangzhou.aliyuncs.com"} {
		if err := ValidateEndpoint(good); err != nil {
			t.Fatalf("endpoint %q: %v", good, err)
		}
	}
}
