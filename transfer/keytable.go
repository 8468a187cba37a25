package transfer

import "math/bits"

// keyTable finds the task that holds each destination key (keyRef). A Go map
// of them cost 22 to 38 bytes a queued file (its tables split in halves, so
// they run between 7/16 and 7/8 full); this one keeps the keys inline in one
// array and the tasks in another, grows by a quarter when 7/8 full and so
// stays 7/10 to 7/8 full: 18 to 23 bytes a file. Probing compares only the
// inline keys, so the fuller table costs no extra pointer chasing. Open
// addressing with linear probing and backward-shift deletion, like qidTable.
// Guarded by Manager.mu.
type keyTable struct {
	refs  []keyRef
	tasks []*task // nil: an empty slot
	n     int
}

func (k *keyTable) home(r keyRef) int {
	hi, _ := bits.Mul64(uint64(r), uint64(len(k.refs)))
	return int(hi)
}

func (k *keyTable) after(i int) int {
	if i++; i == len(k.refs) {
		return 0
	}
	return i
}

// slot is where r is, or the empty slot where it would go.
func (k *keyTable) slot(r keyRef) int {
	i := k.home(r)
	for k.tasks[i] != nil && k.refs[i] != r {
		i = k.after(i)
	}
	return i
}

// get is the task that holds r, nil for none.
func (k *keyTable) get(r keyRef) *task {
	if k.n == 0 {
		return nil
	}
	return k.tasks[k.slot(r)]
}

// put makes t the holder of r, in place of any other.
func (k *keyTable) put(r keyRef, t *task) {
	if (k.n+1)*8 > len(k.refs)*7 {
		k.resize(max(len(k.refs)+len(k.refs)/4, 16))
	}
	i := k.slot(r)
	if k.tasks[i] == nil {
		k.n++
	}
	k.refs[i], k.tasks[i] = r, t
}

// delIf removes r if t holds it.
func (k *keyTable) delIf(r keyRef, t *task) {
	if k.n == 0 {
		return
	}
	i := k.slot(r)
	if k.tasks[i] != t || t == nil {
		return
	}
	for j := k.after(i); k.tasks[j] != nil; j = k.after(j) {
		h := k.home(k.refs[j])
		if (j > i && (h <= i || h > j)) || (j < i && h <= i && h > j) {
			k.refs[i], k.tasks[i] = k.refs[j], k.tasks[j]
			i = j
		}
	}
	k.refs[i], k.tasks[i] = 0, nil
	k.n--
	if len(k.refs) > 64 && k.n*8 < len(k.refs) {
		k.resize(len(k.refs) / 2)
	}
}

func (k *keyTable) resize(size int) {
	refs, tasks := k.refs, k.tasks
	k.refs, k.tasks = make([]keyRef, size), make([]*task, size)
	for i, t := range tasks {
		if t != nil {
			j := k.slot(refs[i])
			k.refs[j], k.tasks[j] = refs[i], t
		}
	}
}
