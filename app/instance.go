package app

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/adrg/xdg"
)

// One ossdrop window runs per user. The first launch listens on a local
// endpoint (a unix socket in the runtime dir; on Windows a loopback port named,
// with a random token, in a 0600 file there); a later launch hands it its file
// arguments, which brings the running window to the front, and exits.

// DefaultRuntimeDir is $XDG_RUNTIME_DIR/ossdrop (a private temporary folder
// where the system has no runtime dir).
func DefaultRuntimeDir() string { return filepath.Join(xdg.RuntimeDir, "ossdrop") }

// instanceMsg is what a later launch sends: its files (absolute paths), and
// the token where the endpoint is not private by itself.
type instanceMsg struct {
	Token string   `json:"token,omitempty"`
	Files []string `json:"files"`
}

// maxInstanceMsg bounds one message: a launch with thousands of files fits,
// a hostile peer cannot make the window buffer without end.
const maxInstanceMsg = 8 << 20

// Instance is the running window's side: it receives later launches' files.
type Instance struct {
	ln       net.Listener
	token    string
	cleanup  func()
	incoming chan []string
	wg       sync.WaitGroup
	once     sync.Once
}

// SingleInstance makes this process the one instance, or hands files to the
// instance already running. handed is true when another instance took the
// files (and raised its window): this launch should exit. An error means
// single-instance handling is unavailable; the caller may run anyway.
func SingleInstance(dir string, files []string) (inst *Instance, handed bool, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, false, fmt.Errorf("single instance: %w", err)
	}
	for attempt := 0; attempt < 3; attempt++ {
		if handOver(dir, files) == nil {
			return nil, true, nil
		}
		ln, token, cleanup, err := listenInstance(dir)
		if err == nil {
			inst := &Instance{ln: ln, token: token, cleanup: cleanup, incoming: make(chan []string, 16)}
			inst.wg.Add(1)
			go inst.serve()
			return inst, false, nil
		}
		if !errors.Is(err, errInstanceRace) {
			return nil, false, fmt.Errorf("single instance: %w", err)
		}
		time.Sleep(50 * time.Millisecond) // another launch is starting: ask it next
	}
	return nil, false, errors.New("single instance: another launch holds the endpoint but does not answer")
}

// errInstanceRace means another process took the endpoint between our
// failed hand-over and our listen.
var errInstanceRace = errors.New("endpoint taken")

// HandOver gives files to the window already running in dir, which comes to
// the front and queues them; an error means no window took them (none runs,
// or it did not answer in time). A launch can ask this before loading the GUI.
func HandOver(dir string, files []string) error { return handOver(dir, files) }

// handOver sends files to a running instance and waits for its answer.
func handOver(dir string, files []string) error {
	conn, token, err := dialInstance(dir)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	if files == nil {
		files = []string{}
	}
	if err := json.NewEncoder(conn).Encode(instanceMsg{Token: token, Files: files}); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if line != "ok\n" {
		return fmt.Errorf("the running ossdrop answered %q", line)
	}
	return nil
}

// Incoming delivers each later launch's files (an empty list: just show the window).
func (i *Instance) Incoming() <-chan []string { return i.incoming }

func (i *Instance) serve() {
	defer i.wg.Done()
	for {
		c, err := i.ln.Accept()
		if err != nil {
			return
		}
		i.handle(c)
	}
}

// handle reads one message, answers, and passes the files on. A peer that
// sends garbage, too much, or nothing in time is dropped.
func (i *Instance) handle(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	var m instanceMsg
	if err := json.NewDecoder(bufio.NewReader(&limitedConn{c, maxInstanceMsg})).Decode(&m); err != nil {
		return
	}
	if m.Token != i.token {
		return
	}
	var files []string
	for _, f := range m.Files {
		if filepath.IsAbs(f) {
			files = append(files, f)
		}
	}
	select {
	case i.incoming <- files:
		c.Write([]byte("ok\n"))
	default:
		c.Write([]byte("busy\n"))
	}
}

type limitedConn struct {
	net.Conn
	left int64
}

func (l *limitedConn) Read(p []byte) (int, error) {
	if l.left <= 0 {
		return 0, errors.New("message too long")
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.Conn.Read(p)
	l.left -= int64(n)
	return n, err
}

// Close stops listening and removes the endpoint.
func (i *Instance) Close() error {
	var err error
	i.once.Do(func() {
		err = i.ln.Close()
		i.wg.Wait()
		if i.cleanup != nil {
			i.cleanup()
		}
	})
	return err
}
