package ui

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/ossdrop/ossdrop/ossemu"
	"github.com/ossdrop/ossdrop/transfer"
)

// TestTitleShowsProgressBeforeAPartCompletes uploads through a throttled
// server: while the first part is still on the wire, the row, the overall
// bar and the window title already move, where counting completed parts
// showed 0%.
func TestTitleShowsProgressBeforeAPartCompletes(t *testing.T) {
	r := newRig(t, func(o *transfer.Options) { o.TaskNum = 1 })
	slow := r.srv.Inject(ossemu.Fault{Match: ossemu.MatchOp("UploadPart"), Bandwidth: 32 << 10})
	data := randBytes(2<<20, 7)
	p := writeFile(t, filepath.Join(t.TempDir(), "movie.mp4"), data)
	if r.w.win.Title() != "ossdrop" {
		t.Fatalf("idle title %q", r.w.win.Title())
	}
	r.w.AddPaths([]string{p})
	// The title follows the window's last refresh, so it is read in the same
	// refresh as the row it must agree with; a refresh may pass before both
	// show bytes on the wire.
	var snap transfer.TaskSnapshot
	var title, want string
	r.waitFor(t, "the title to show bytes on the wire before any part completed", func(transfer.Totals) bool {
		for _, s := range r.w.list.tasks() {
			snap = s
		}
		if snap.Done != 0 {
			t.Fatalf("a part completed (%d bytes) before the check; the cap is not slow enough", snap.Done)
		}
		title = r.w.win.Title()
		want = percent(float64(snap.Sent)/float64(snap.Size)) + " — ossdrop"
		return snap.State == transfer.Uploading && snap.Sent*100 >= snap.Size && title == want
	})
	if strings.HasPrefix(title, "0%") {
		t.Fatalf("title %q with %d of %d bytes sent and none acknowledged as a part, want %q", title, snap.Sent, snap.Size, want)
	}
	row := r.w.list.visible[0]
	if row.bar.value <= 0 || !strings.HasPrefix(row.status.Text, strings.TrimSuffix(title, " — ossdrop")) {
		t.Fatalf("row bar %v, status %q, title %q", row.bar.value, row.status.Text, title)
	}
	if r.w.overall.value <= 0 {
		t.Fatal("overall bar at 0 while bytes are on the wire")
	}
	slow()
	r.waitFor(t, "done", func(tt transfer.Totals) bool { return tt.Done == 1 })
	if r.w.win.Title() != "ossdrop" {
		t.Fatalf("title after the batch: %q", r.w.win.Title())
	}
	if !strings.HasPrefix(r.w.summary.Text, "1 of 1 file · 100%") {
		t.Fatalf("summary after the batch: %q", r.w.summary.Text)
	}
	r.assertObject(t, "in/movie.mp4", data)
}
