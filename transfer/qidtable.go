package transfer

import (
	"encoding/binary"
	"math/bits"
)

// qidTable finds the latest task of each identity (qid). A Go map of them
// costs ~35 bytes per task; this table holds only a pointer per slot, because
// the key is the task's own qid: open addressing with linear probing, with
// backward-shift deletion (no tombstones). The array grows by half, not
// double, when 3/4 full, so it stays 1/2 to 3/4 full: ~13 bytes a task, where
// a power-of-two array costs 11 to 21. Identities are hashes, so their first
// bytes, scaled to the array's length, place them evenly.
// Guarded by Manager.mu.
type qidTable struct {
	slots []*task
	n     int
}

func (q *qidTable) home(k qidKey) int {
	hi, _ := bits.Mul64(binary.LittleEndian.Uint64(k[:8]), uint64(len(q.slots)))
	return int(hi)
}

// after is the slot after i, wrapping around.
func (q *qidTable) after(i int) int {
	if i++; i == len(q.slots) {
		return 0
	}
	return i
}

// get is the task of identity k, nil for none.
func (q *qidTable) get(k qidKey) *task {
	if q.n == 0 {
		return nil
	}
	for i := q.home(k); q.slots[i] != nil; i = q.after(i) {
		if q.slots[i].qid == k {
			return q.slots[i]
		}
	}
	return nil
}

// put makes t the task of its identity, in place of any other.
func (q *qidTable) put(t *task) {
	if (q.n+1)*4 > len(q.slots)*3 {
		q.grow()
	}
	i := q.home(t.qid)
	for ; q.slots[i] != nil; i = q.after(i) {
		if q.slots[i].qid == t.qid {
			q.slots[i] = t
			return
		}
	}
	q.slots[i] = t
	q.n++
}

// del removes t if it is the task of its identity.
func (q *qidTable) del(t *task) {
	if q.n == 0 {
		return
	}
	i := q.home(t.qid)
	for ; q.slots[i] != t; i = q.after(i) {
		if q.slots[i] == nil {
			return
		}
	}
	// Shift back the entries after i that a probe from their home would no
	// longer reach across the hole.
	for j := q.after(i); q.slots[j] != nil; j = q.after(j) {
		h := q.home(q.slots[j].qid)
		if (j > i && (h <= i || h > j)) || (j < i && h <= i && h > j) {
			q.slots[i] = q.slots[j]
			i = j
		}
	}
	q.slots[i] = nil
	q.n--
	if len(q.slots) > 64 && q.n*8 < len(q.slots) {
		q.resize(len(q.slots) / 2)
	}
}

func (q *qidTable) grow() { q.resize(max(len(q.slots)+len(q.slots)/2, 16)) }

func (q *qidTable) resize(size int) {
	old := q.slots
	q.slots = make([]*task, size)
	for _, t := range old {
		if t != nil {
			i := q.home(t.qid)
			for q.slots[i] != nil {
				i = q.after(i)
			}
			q.slots[i] = t
		}
	}
}
