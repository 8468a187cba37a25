package transfer

import (
	"math/rand/v2"
	"testing"
)

// TestQIDTableMatchesMap runs random puts and deletes against the table and a
// map side by side, with few distinct identities, a third of them sharing a
// fingerprint with another, and a small table so that probe chains collide,
// run into the slack and shift back on delete.
func TestQIDTableMatchesMap(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var q qidTable
	ref := map[qidKey]*task{}
	keys := make([]qidKey, 300)
	for i := range keys {
		for j := range keys[i] {
			keys[i][j] = byte(r.IntN(256))
		}
		if i%3 == 0 { // the same fingerprint as another key
			copy(keys[i][:8], keys[(i+1)%len(keys)][:8])
		}
	}
	for i := 10; i < 14; i++ { // fingerprints like a free slot's
		copy(keys[i][:4], []byte{0xff, 0xff, 0xff, 0xff})
	}
	var live []*task
	for step := range 50_000 {
		k := keys[r.IntN(len(keys))]
		switch op := r.IntN(10); {
		case op < 5:
			nt := &task{qid: k, id: TaskID(step)}
			q.put(nt)
			ref[k] = nt
			live = append(live, nt)
		case len(live) > 0:
			i := r.IntN(len(live))
			x := live[i]
			live = append(live[:i], live[i+1:]...)
			q.del(x)
			if ref[x.qid] == x {
				delete(ref, x.qid)
			}
		}
		if q.n != len(ref) {
			t.Fatalf("step %d: table holds %d, map %d", step, q.n, len(ref))
		}
		if step%97 == 0 {
			checkQIDTable(t, &q)
			for _, k := range keys {
				if got, want := q.get(k), ref[k]; got != want {
					t.Fatalf("step %d: get gives %v, want %v", step, got, want)
				}
			}
		}
	}
}

// checkQIDTable checks the table's layout as checkKeyTable does, with
// fingerprints that may repeat and must be their tasks' own.
func checkQIDTable(t *testing.T, q *qidTable) {
	t.Helper()
	for i, x := range q.slots {
		if x != nil && q.fps[i] != qidFP(x.qid) {
			t.Fatalf("slot %d: %x, its task's is %x", i, q.fps[i], qidFP(x.qid))
		}
	}
	checkOrdered(t, q.fps, q.slots, q.n, q.home, freeFP, false)
}

// TestQIDTableGrowth fills a table with many identities, then with ones
// crowding the top of the fingerprints (some sharing one), whose overflow runs
// out of slack: it gets more slack. Every identity stays found, the table
// 7/12 to 7/8 full.
func TestQIDTableGrowth(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	var q qidTable
	var all []*task
	add := func(k qidKey) {
		nt := &task{qid: k}
		q.put(nt)
		all = append(all, nt)
	}
	for range 100_000 {
		var k qidKey
		for j := range k {
			k[j] = byte(r.IntN(256))
		}
		add(k)
		if (q.homes() > 1000 && q.n*12 < q.homes()*7-20) || q.n*8 > q.homes()*7 {
			t.Fatalf("%d tasks in %d home slots", q.n, q.homes())
		}
	}
	checkQIDTable(t, &q)
	grown := q.homes()
	for i := range 200 {
		k := qidKey{0xff, 0xff, 0xff, 0xff - byte(i/2), 0, 0, 0, 0, 0, 0, 0, byte(i)}
		add(k)
	}
	checkQIDTable(t, &q)
	if q.homes() != grown || len(q.fps)-q.homes() < 200 {
		t.Fatalf("%d tasks crowding the end: %d home slots (%d before), %d past them", q.n, q.homes(), grown, len(q.fps)-q.homes())
	}
	for _, x := range all {
		if got := q.get(x.qid); got != x {
			t.Fatalf("get(%x) gives %v, want %v", x.qid, got, x)
		}
	}
	for _, x := range all {
		q.del(x)
	}
	if q.n != 0 || q.homes() > 128 {
		t.Fatalf("emptied: %d tasks in %d home slots", q.n, q.homes())
	}
}

func BenchmarkQIDTable(b *testing.B) {
	r := rand.New(rand.NewPCG(11, 12))
	tasks := make([]task, 500_000)
	for i := range tasks {
		for j := range tasks[i].qid {
			tasks[i].qid[j] = byte(r.IntN(256))
		}
	}
	b.Run("admit", func(b *testing.B) { // a miss then a put, as admitting a file does
		for b.Loop() {
			var q qidTable
			for i := range tasks {
				if q.get(tasks[i].qid) == nil {
					q.put(&tasks[i])
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(tasks)), "ns/key")
	})
}
