package transfer

import (
	"math/rand/v2"
	"testing"
)

// TestQIDTableMatchesMap runs random puts and deletes against the table and a
// map side by side, with few distinct identities and a small table so that
// probe chains collide, wrap around and shift back on delete.
func TestQIDTableMatchesMap(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var q qidTable
	ref := map[qidKey]*task{}
	keys := make([]qidKey, 300)
	for i := range keys {
		for j := range keys[i] {
			keys[i][j] = byte(r.IntN(256))
		}
		if i%3 == 0 { // the same home slot as another key
			copy(keys[i][:8], keys[(i+1)%len(keys)][:8])
		}
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
			for _, k := range keys {
				if got, want := q.get(k), ref[k]; got != want {
					t.Fatalf("step %d: get gives %v, want %v", step, got, want)
				}
			}
		}
	}
}
