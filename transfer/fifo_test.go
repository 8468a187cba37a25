package transfer

import "testing"

// The queue of tasks queued again keeps order across its blocks and lets go
// of used ones.
func TestTaskFIFO(t *testing.T) {
	var q taskFIFO
	if _, ok := q.peek(); ok {
		t.Fatal("empty queue has a first task")
	}
	tasks := make([]task, 3*fifoBlock+7)
	pushed, popped := 0, 0
	check := func() {
		e, ok := q.peek()
		if !ok || e.t != &tasks[popped] || e.after != TaskID(popped) {
			t.Fatalf("entry %d out of order", popped)
		}
		q.pop()
		popped++
		if held, left := len(q.blocks), pushed-popped; held > (left+fifoBlock-1)/fifoBlock+1 {
			t.Fatalf("%d blocks held for %d entries", held, left)
		}
	}
	for _, n := range []int{5, fifoBlock, 2*fifoBlock + 2} {
		for range n {
			q.push(requeued{&tasks[pushed], TaskID(pushed)})
			pushed++
		}
		for range n / 2 {
			check()
		}
	}
	for popped < pushed {
		check()
	}
	if _, ok := q.peek(); ok {
		t.Fatal("drained queue has a first task")
	}
	q.push(requeued{t: &tasks[0]})
	if e, _ := q.peek(); e.t != &tasks[0] {
		t.Fatal("queue refilled after draining lost its task")
	}
}

// Tasks start in the order they were queued: those queued as they were added
// wait in the task list, those queued again after every task added before,
// and removing tasks from the list does not lose the place.
func TestQueuedOrder(t *testing.T) {
	m := &Manager{}
	add := func() *task {
		m.nextID++
		tk := &task{id: m.nextID, state: Queued}
		m.tasks = append(m.tasks, tk)
		tk.set(bitFresh, true)
		return tk
	}
	requeue := func(tk *task) {
		tk.set(bitInQueue, true)
		m.pending.push(requeued{tk, m.nextID})
	}
	next := func() TaskID {
		tk, fresh := m.nextQueuedLocked()
		if tk == nil {
			return 0
		}
		m.unqueueLocked(tk, fresh)
		return tk.id
	}
	for range 3 {
		add()
	}
	if id := next(); id != 1 {
		t.Fatalf("first started %d, want 1", id)
	}
	again := m.tasks[0]
	requeue(again) // queued again after 2 and 3
	for range 3 {
		add() // 4, 5, 6
	}
	m.tasks = append(m.tasks[:1], m.tasks[2:]...) // 2 removed
	var got []TaskID
	for id := next(); id != 0; id = next() {
		got = append(got, id)
		if id == 4 {
			requeue(again) // again after 6
			add()          // 7
		}
	}
	want := []TaskID{3, 1, 4, 5, 6, 1, 7}
	if len(got) != len(want) {
		t.Fatalf("started %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("started %v, want %v", got, want)
		}
	}
}
