package transfer

import (
	"math"
	"math/bits"
)

// keyTable finds the task that holds each destination key (keyRef). A Go map
// of them cost 22 to 38 bytes a queued file (its tables split in halves, so
// they run between 7/16 and 7/8 full); this one keeps the keys inline in one
// array and the tasks in another, grows by half when 7/8 full and so stays
// 7/12 to 7/8 full: 18 to 27 bytes a file. (Growing by a quarter saved ~3
// bytes a file but grew twice as often: a third more CPU for the table while
// half a million files were listed.)
//
// It is an ordered linear-probing table: a key's home slot grows with its
// value (the high bits of key × homes), and the keys stand in ascending order
// through the whole array, each in its home slot or in the first free one
// after, with no wrap-around (slack slots past the last home take the
// overflow). So a probe stops at the first key not below the one sought, and a
// miss costs about as little as a hit even 7/8 full; free slots hold freeRef,
// above every key, so probing reads only the key array. Growing walks both
// arrays once in order and writes the new ones in order, with no probing and
// no task touched. Deleting shifts the keys after back (no tombstones).
// Guarded by Manager.mu.
type keyTable struct {
	refs  []keyRef // ascending; freeRef in a free slot (and in a slot holding freeRef itself)
	tasks []*task  // nil: a free slot
	n     int
	h     int // home slots: the first h of refs
}

// tableSlack is how many slots an ordered table (keyTable, qidTable) keeps
// past its last home slot for the keys displaced beyond it; the very last one
// is always free, so a probe always ends. A table whose overflow needs more
// is made again with twice the slack: at 7/8 full, random keys need that
// about once in ten thousand tables, and keys crowding the end of the range
// (no hash does that) cost memory, never a loop.
const tableSlack = 64

// The rules both ordered tables share: when they grow and shrink, and how an
// entry goes in or out with the entries after it.

// grownHomes is the home slots an ordered table of n entries and h home slots
// needs for one more entry; ok is false while it has room.
func grownHomes(n, h int) (homes int, ok bool) {
	if (n+1)*8 > h*7 {
		return max(h+h/2, 16), true
	}
	return h, false
}

// shrunkHomes is the home slots an ordered table shrinks to once mostly
// empty; ok is false while it stays.
func shrunkHomes(n, h int) (homes int, ok bool) {
	if h > 64 && n*8 < h {
		return h / 2, true
	}
	return h, false
}

// insertAt puts k and t in slot i, the entries from i up to the first free
// slot moving up one. It returns false, changing nothing, when that free slot
// is the last one: the table needs more slack first.
func insertAt[K ~uint32 | ~uint64](keys []K, tasks []*task, i int, k K, t *task) bool {
	e := i
	for tasks[e] != nil {
		e++
	}
	if e == len(tasks)-1 {
		return false
	}
	copy(keys[i+1:e+1], keys[i:e])
	copy(tasks[i+1:e+1], tasks[i:e])
	keys[i], tasks[i] = k, t
	return true
}

// removeAt empties slot i: the entries after it down to the first free slot or
// entry in its home slot move back one (each is displaced, so its home is at
// most its new slot), and the last slot they leave holds free.
func removeAt[K ~uint32 | ~uint64](keys []K, tasks []*task, i int, home func(K) int, free K) {
	e := i + 1
	for tasks[e] != nil && home(keys[e]) < e {
		e++
	}
	copy(keys[i:e-1], keys[i+1:e])
	copy(tasks[i:e-1], tasks[i+1:e])
	keys[e-1], tasks[e-1] = free, nil
}

const freeRef = keyRef(math.MaxUint64)

// homes is how many slots are home to some key.
func (k *keyTable) homes() int { return k.h }

func (k *keyTable) home(r keyRef) int { return refHome(r, k.homes()) }

// refHome is key r's home slot in a table of homes home slots: its value
// scaled to the slots, so the homes ascend with the keys.
func refHome(r keyRef, homes int) int {
	hi, _ := bits.Mul64(uint64(r), uint64(homes))
	return int(hi)
}

// slot is where r is, or where it would go.
func (k *keyTable) slot(r keyRef) int {
	i := k.home(r)
	for k.refs[i] < r {
		i++
	}
	return i
}

// get is the task that holds r, nil for none.
func (k *keyTable) get(r keyRef) *task {
	if k.n == 0 {
		return nil
	}
	if i := k.slot(r); k.refs[i] == r {
		return k.tasks[i]
	}
	return nil
}

// put makes t the holder of r, in place of any other.
func (k *keyTable) put(r keyRef, t *task) {
	if h, grow := grownHomes(k.n, k.homes()); grow {
		k.resize(h, tableSlack)
	}
	for {
		i := k.slot(r)
		if k.refs[i] == r && k.tasks[i] != nil {
			k.tasks[i] = t
			return
		}
		if insertAt(k.refs, k.tasks, i, r, t) {
			k.n++
			return
		}
		k.resize(k.h, 2*(len(k.refs)-k.h))
	}
}

// delIf removes r if t holds it.
func (k *keyTable) delIf(r keyRef, t *task) {
	if k.n == 0 || t == nil {
		return
	}
	i := k.slot(r)
	if k.refs[i] != r || k.tasks[i] != t {
		return
	}
	removeAt(k.refs, k.tasks, i, k.home, freeRef)
	k.n--
	if h, shrink := shrunkHomes(k.n, k.homes()); shrink {
		k.resize(h, tableSlack)
	}
}

// resize moves the keys to a table of the given number of home slots and at
// least slack slots past them, more should the last keys need them.
func (k *keyTable) resize(homes, slack int) {
	k.refs, k.tasks = resized(k.refs, k.tasks, homes, slack, refHome, freeRef)
	k.h = homes
}

// resized is an ordered table's entries (keys, tasks) placed in a new table of
// homes home slots (home gives a key's home among them) and at least slack
// slots past them, doubled until the last entries fit.
func resized[K ~uint32 | ~uint64](keys []K, tasks []*task, homes, slack int, home func(K, int) int, free K) ([]K, []*task) {
	for ; ; slack *= 2 {
		nk, nt := make([]K, homes+slack), make([]*task, homes+slack)
		if placeAll(nk, nt, keys, tasks, func(k K) int { return home(k, homes) }, free) {
			return nk, nt
		}
	}
}

// placeAll copies the ascending keys of an ordered table (oldKeys, oldTasks)
// into the empty keys and tasks, each in its home slot (home) or the first free
// one after, and fills the free slots with free; false if the last slot would
// be taken.
func placeAll[K ~uint32 | ~uint64](keys []K, tasks []*task, oldKeys []K, oldTasks []*task, home func(K) int, free K) bool {
	next := 0 // the first slot not taken
	for i, t := range oldTasks {
		if t == nil {
			continue
		}
		k := oldKeys[i]
		j := max(home(k), next)
		if j >= len(keys)-1 {
			return false
		}
		for ; next < j; next++ {
			keys[next] = free
		}
		keys[j], tasks[j] = k, t
		next = j + 1
	}
	for ; next < len(keys); next++ {
		keys[next] = free
	}
	return true
}
