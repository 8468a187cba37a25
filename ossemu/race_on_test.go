//go:build race

package ossemu

// raceEnabled: the race detector's shadow memory inflates RSS, so only the
// Go heap is compared with the memory budget.
const raceEnabled = true
