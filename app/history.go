package app

import "github.com/ossdrop/ossdrop/history"

// History is the recorder of the Manager built by NewManager, so the window
// records the links it issues in the same history; nil before NewManager or
// when the history could not be opened (a nil Recorder records nothing).
func (c *Core) History() *history.Recorder {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hist
}
