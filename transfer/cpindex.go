package transfer

import (
	"os"
	"sync"
)

// cpIndex knows which checkpoint files may exist, so a file sent in one request
// is not probed for one with failing system calls. Such a file has a checkpoint
// only when an earlier run (or an earlier attempt) sent it in parts, so the
// checkpoint directory is listed once, when first asked about, and every
// checkpoint this Manager creates after that is added. A directory that cannot
// be listed is probed file by file, as before.
type cpIndex struct {
	mu   sync.Mutex
	dirs map[string]map[string]struct{} // nil set: the listing failed
}

// mayHave reports whether checkpoint name may exist in dir.
func (c *cpIndex) mayHave(dir, name string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	set, ok := c.dirs[dir]
	if !ok {
		set = listNames(dir)
		if c.dirs == nil {
			c.dirs = map[string]map[string]struct{}{}
		}
		c.dirs[dir] = set
	}
	if set == nil {
		return true
	}
	_, ok = set[name]
	return ok
}

// created records a checkpoint this Manager wrote.
func (c *cpIndex) created(dir, name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if set := c.dirs[dir]; set != nil {
		set[name] = struct{}{}
	}
}

// listNames is the set of names in dir; nil when it cannot be read. A missing
// directory holds nothing.
func listNames(dir string) map[string]struct{} {
	set := map[string]struct{}{}
	f, err := os.Open(dir)
	if os.IsNotExist(err) {
		return set
	}
	if err != nil {
		return nil
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return nil
	}
	for _, n := range names {
		set[n] = struct{}{}
	}
	return set
}
