package transfer

import (
	"context"
	"strings"
)

// IsHidden reports whether a file or folder name is hidden by Unix
// convention (a leading "."). Inside a folder, hidden entries are what
// AddSkippingHidden leaves out and what Survey counts apart.
func IsHidden(name string) bool { return strings.HasPrefix(name, ".") }

// FolderSurvey is what adding some paths would queue, so a front end can ask
// before uploading a whole folder.
type FolderSurvey struct {
	Files       int   // regular files, hidden ones included
	Bytes       int64 // their total size
	HiddenFiles int   // files that are hidden or inside a hidden folder
	HiddenBytes int64
	Problems    int // entries that would be queued as failed (unreadable, bad names, loops)

	roots int // leading key parts that name the dropped items themselves
}

func (s *FolderSurvey) count(it walkItem) {
	if it.te != nil {
		s.Problems++
		return
	}
	s.Files++
	s.Bytes += it.size
	if hiddenBelow(it.key, s.roots) {
		s.HiddenFiles++
		s.HiddenBytes += it.size
	}
}

// hiddenBelow reports whether any part of key after its root is hidden.
func hiddenBelow(key string, roots int) bool {
	parts := strings.Split(key, "/")
	for _, p := range parts[min(roots, len(parts)):] {
		if IsHidden(p) {
			return true
		}
	}
	return false
}

// Survey walks paths the way Add does (following symbolic links, reporting
// loops) and counts what it would queue, without queueing anything. It stops
// early when ctx ends.
func Survey(ctx context.Context, paths []string) (FolderSurvey, error) {
	var s FolderSurvey
	w := &walker{ctx: ctx, survey: &s}
	for _, p := range paths {
		if ctx.Err() != nil {
			break
		}
		// Keys start "<name>/…": the dropped item itself is never "hidden"
		// for this count, only what is inside it.
		s.roots = 1
		w.add(p, "")
	}
	return s, ctx.Err()
}

// AddSkippingHidden is Add, leaving out hidden files and folders inside the
// given folders (a hidden path given directly is still added).
func (m *Manager) AddSkippingHidden(paths []string, prefix string) { m.add(paths, prefix, true) }
