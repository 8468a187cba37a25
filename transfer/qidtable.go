package transfer

import "encoding/binary"

// qidTable finds the latest task of each identity (qid). A Go map of them
// costs ~35 bytes per task; this table holds only a pointer per slot, because
// the key is the task's own qid: open addressing with linear probing over a
// power-of-two array, at most 3/4 full, with backward-shift deletion (no
// tombstones). Identities are hashes, so their first bytes place them evenly.
// Guarded by Manager.mu.
type qidTable struct {
	slots []*task
	n     int
}

func (q *qidTable) home(k qidKey) int {
	return int(binary.LittleEndian.Uint64(k[:8]) & uint64(len(q.slots)-1))
}

// get is the task of identity k, nil for none.
func (q *qidTable) get(k qidKey) *task {
	if q.n == 0 {
		return nil
	}
	mask := len(q.slots) - 1
	for i := q.home(k); q.slots[i] != nil; i = (i + 1) & mask {
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
	mask := len(q.slots) - 1
	i := q.home(t.qid)
	for ; q.slots[i] != nil; i = (i + 1) & mask {
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
	mask := len(q.slots) - 1
	i := q.home(t.qid)
	for ; q.slots[i] != t; i = (i + 1) & mask {
		if q.slots[i] == nil {
			return
		}
	}
	// Shift back the entries after i that a probe from their home would no
	// longer reach across the hole.
	for j := (i + 1) & mask; q.slots[j] != nil; j = (j + 1) & mask {
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

func (q *qidTable) grow() { q.resize(max(2*len(q.slots), 16)) }

func (q *qidTable) resize(size int) {
	old := q.slots
	q.slots = make([]*task, size)
	mask := size - 1
	for _, t := range old {
		if t != nil {
			i := q.home(t.qid)
			for q.slots[i] != nil {
				i = (i + 1) & mask
			}
			q.slots[i] = t
		}
	}
}
