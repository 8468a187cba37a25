package transfer

import (
	"encoding/binary"
	"math"
)

// qidTable finds the latest task of each identity (qid). A Go map of them
// costs ~35 bytes per task. This table is ordered like keyTable: the first 32
// bits of each identity (its fingerprint; identities are hashes, so these are
// even) stand inline and ascending in one array, the tasks in another, so a
// probe reads the task, and so its identity, only on a fingerprint match, and
// growing never reads a task. It grows by half when 7/8 full and so stays
// 7/12 to 7/8 full: 14 to 21 bytes a task (by a quarter it would write five
// times its final size on the way to it, rather than three, and the writes to
// fresh memory are most of what growing costs). Tasks whose identities share
// a fingerprint stand next to each other, in no particular order.
// Guarded by Manager.mu.
type qidTable struct {
	fps   []uint32 // ascending; freeFP in a free slot (and in a slot holding freeFP itself)
	slots []*task  // nil: a free slot
	n     int
	h     int // home slots: the first h of fps
}

const freeFP = math.MaxUint32

func qidFP(k qidKey) uint32 { return binary.BigEndian.Uint32(k[:4]) }

func (q *qidTable) homes() int { return q.h }

func (q *qidTable) home(fp uint32) int { return fpHome(fp, q.homes()) }

// fpHome is fingerprint fp's home slot in a table of homes home slots (as
// refHome).
func fpHome(fp uint32, homes int) int { return int(uint64(fp) * uint64(homes) >> 32) }

// first is the first slot of fingerprint fp, or where it would go.
func (q *qidTable) first(fp uint32) int {
	i := q.home(fp)
	for q.fps[i] < fp {
		i++
	}
	return i
}

// get is the task of identity k, nil for none.
func (q *qidTable) get(k qidKey) *task {
	if q.n == 0 {
		return nil
	}
	fp := qidFP(k)
	for i := q.first(fp); q.fps[i] == fp && q.slots[i] != nil; i++ {
		if q.slots[i].qid == k {
			return q.slots[i]
		}
	}
	return nil
}

// put makes t the task of its identity, in place of any other.
func (q *qidTable) put(t *task) {
	if h, grow := grownHomes(q.n, q.homes()); grow {
		q.resize(h, tableSlack)
	}
	fp := qidFP(t.qid)
	for {
		i := q.first(fp)
		for ; q.fps[i] == fp && q.slots[i] != nil; i++ {
			if q.slots[i].qid == t.qid {
				q.slots[i] = t
				return
			}
		}
		if insertAt(q.fps, q.slots, i, fp, t) {
			q.n++
			return
		}
		q.resize(q.h, 2*(len(q.fps)-q.h))
	}
}

// del removes t if it is the task of its identity.
func (q *qidTable) del(t *task) {
	if q.n == 0 || t == nil {
		return
	}
	fp := qidFP(t.qid)
	i := q.first(fp)
	for ; q.slots[i] != t; i++ {
		if q.fps[i] != fp || q.slots[i] == nil {
			return
		}
	}
	removeAt(q.fps, q.slots, i, q.home, freeFP)
	q.n--
	if h, shrink := shrunkHomes(q.n, q.homes()); shrink {
		q.resize(h, tableSlack)
	}
}

// resize moves the tasks to a table of the given number of home slots and at
// least slack slots past them (as keyTable.resize).
func (q *qidTable) resize(homes, slack int) {
	q.fps, q.slots = resized(q.fps, q.slots, homes, slack, fpHome, freeFP)
	q.h = homes
}
