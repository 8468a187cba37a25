//go:build !race

package ossemu

const raceEnabled = false
