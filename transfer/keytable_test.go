package transfer

import (
	"math/rand/v2"
	"testing"
)

// TestKeyTableMatchesMap runs random puts and deletes against the table and a
// map side by side, with few distinct keys, some sharing a home slot, so that
// probe chains collide, wrap around, shift back on delete, grow and shrink.
func TestKeyTableMatchesMap(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var k keyTable
	ref := map[keyRef]*task{}
	keys := make([]keyRef, 400)
	for i := range keys {
		keys[i] = keyRef(r.Uint64())
		if i%3 == 0 { // next to another key: the same home slot in small tables
			keys[i] = keys[(i+1)%len(keys)] ^ 1
		}
	}
	keys[5] = 0 // a zero key is a key like any other
	for step := range 60_000 {
		key := keys[r.IntN(len(keys))]
		if step == 30_000 { // fewer keys from now on: the table shrinks
			grown := len(k.refs)
			for _, x := range keys[40:] {
				k.delIf(x, ref[x])
				delete(ref, x)
			}
			if len(k.refs) >= grown {
				t.Fatalf("still %d slots for %d keys", len(k.refs), k.n)
			}
		}
		if step >= 30_000 {
			key = keys[r.IntN(40)]
		}
		switch op := r.IntN(10); {
		case op < 5:
			nt := &task{id: TaskID(step)}
			k.put(key, nt)
			ref[key] = nt
		case op < 8:
			if x := ref[key]; x != nil {
				k.delIf(key, x)
				delete(ref, key)
			}
		default:
			k.delIf(key, &task{}) // not the holder: nothing goes
		}
		if k.n != len(ref) {
			t.Fatalf("step %d: table holds %d, map %d", step, k.n, len(ref))
		}
		if step%97 == 0 {
			for _, key := range keys {
				if got, want := k.get(key), ref[key]; got != want {
					t.Fatalf("step %d: get(%x) gives %v, want %v", step, key, got, want)
				}
			}
		}
	}
}
