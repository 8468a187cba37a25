package transfer

import (
	"math/rand/v2"
	"testing"
)

// TestKeyTableMatchesMap runs random puts and deletes against the table and a
// map side by side, with few distinct keys, some sharing a home slot, so that
// probe chains collide, run into the slack, shift back on delete, grow and
// shrink.
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
	keys[5] = 0       // a zero key is a key like any other
	keys[6] = freeRef // and so is the one free slots hold
	keys[7] = freeRef - 1
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
			checkKeyTable(t, &k)
			for _, key := range keys {
				if got, want := k.get(key), ref[key]; got != want {
					t.Fatalf("step %d: get(%x) gives %v, want %v", step, key, got, want)
				}
			}
		}
	}
}

// checkKeyTable checks the table's layout (checkOrdered) with distinct keys.
func checkKeyTable(t *testing.T, k *keyTable) {
	t.Helper()
	checkOrdered(t, k.refs, k.tasks, k.n, k.home, freeRef, true)
}

// checkOrdered checks an ordered table's layout: keys ascending (strictly
// when distinct), each in its home slot or after it with no free slot
// between, free slots holding free, n entries, the last slot free.
func checkOrdered[K ~uint32 | ~uint64](t *testing.T, keys []K, tasks []*task, n int, home func(K) int, free K, distinct bool) {
	t.Helper()
	seen, prev := 0, K(0)
	for i, x := range tasks {
		if x == nil {
			if keys[i] != free {
				t.Fatalf("free slot %d holds %x", i, keys[i])
			}
			continue
		}
		k := keys[i]
		if seen > 0 && (k < prev || distinct && k == prev) {
			t.Fatalf("slot %d: %x after %x", i, k, prev)
		}
		h := home(k)
		if h > i {
			t.Fatalf("slot %d holds %x, whose home is %d", i, k, h)
		}
		for j := h; j < i; j++ {
			if tasks[j] == nil {
				t.Fatalf("free slot %d between %x's home %d and its slot %d", j, k, h, i)
			}
		}
		seen, prev = seen+1, k
	}
	if seen != n {
		t.Fatalf("%d entries in the slots, n is %d", seen, n)
	}
	if l := len(tasks); l > 0 && tasks[l-1] != nil {
		t.Fatal("the last slot is taken")
	}
}

// TestKeyTableGrowth fills a table with many random keys, then with keys
// crowding the top of the range, whose overflow runs out of slack: it gets
// more slack, not more home slots; every key stays found and the table 7/12 to 7/8 full.
func TestKeyTableGrowth(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var k keyTable
	ref := map[keyRef]*task{}
	add := func(key keyRef) {
		nt := &task{id: TaskID(len(ref))}
		k.put(key, nt)
		ref[key] = nt
	}
	for range 100_000 {
		add(keyRef(r.Uint64()))
		if (k.homes() > 1000 && k.n*12 < k.homes()*7-20) || k.n*8 > k.homes()*7 {
			t.Fatalf("%d keys in %d home slots", k.n, k.homes())
		}
	}
	checkKeyTable(t, &k)
	grown := k.homes()
	for i := range 200 { // all homed in the last slots: more than the slack holds
		add(freeRef - keyRef(i))
	}
	checkKeyTable(t, &k)
	if k.homes() != grown || len(k.refs)-k.homes() < 200 {
		t.Fatalf("%d keys crowding the end: %d home slots (%d before), %d past them", k.n, k.homes(), grown, len(k.refs)-k.homes())
	}
	for key, want := range ref {
		if got := k.get(key); got != want {
			t.Fatalf("get(%x) gives %v, want %v", key, got, want)
		}
	}
	for key, x := range ref {
		k.delIf(key, x)
	}
	if k.n != 0 || k.homes() > 128 {
		t.Fatalf("emptied: %d keys in %d home slots", k.n, k.homes())
	}
}

func BenchmarkKeyTable(b *testing.B) {
	r := rand.New(rand.NewPCG(7, 8))
	keys := make([]keyRef, 500_000)
	for i := range keys {
		keys[i] = keyRef(r.Uint64())
	}
	nt := &task{}
	b.Run("admit", func(b *testing.B) { // a miss then a put, as admitting a file does
		for b.Loop() {
			var k keyTable
			for _, key := range keys {
				if k.get(key) == nil {
					k.put(key, nt)
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(keys)), "ns/key")
	})
}
