package ui

import (
	"fmt"
	"runtime"
	"testing"

	"fyne.io/fyne/v2/test"
	"github.com/ossdrop/ossdrop/settings"
	"github.com/ossdrop/ossdrop/transfer"
)

// BenchmarkResumeDialogHeap is the heap the resume dialog keeps beyond the
// listed records themselves, per record, for 100,000 unfinished uploads (one
// in a thousand unreadable): the dialog should hold the records, not copies.
func BenchmarkResumeDialogHeap(b *testing.B) {
	const n = 100_000
	for i := 0; i < b.N; i++ {
		items := make([]transfer.Unfinished, n)
		for j := range items {
			items[j] = transfer.Unfinished{Path: fmt.Sprintf("/home/ana/photos/%03d/img_%06d.jpg", j/1000, j), Key: fmt.Sprintf("photos/%03d/img_%06d.jpg", j/1000, j),
				Bucket: "media", Endpoint: "http://127.0.0.1:9000", Profile: "Local bucket", Dest: "local", Size: 4 << 20}
			if j%1000 == 999 {
				items[j].Err = fmt.Errorf("checkpoint %d: checksum mismatch", j)
			}
		}
		a := test.NewTempApp(b)
		w := New(a, Config{Backend: newViewBackend(), Target: transfer.Target{Bucket: "media"}})
		useLoop(w)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		w.OfferResume(items, settings.ResumeAsk)
		items = nil // from here only the dialog keeps the records
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/n, "B-held/record")
		w.win.Close()
	}
}
