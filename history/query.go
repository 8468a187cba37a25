package history

import (
	"strings"
	"unicode"
)

// Query selects entries: every word of Text must appear (case-insensitively) in the
// file name, the key or the bucket; State, when set, must match exactly.
type Query struct {
	Text  string
	State string
}

// Index answers Queries over a fixed list of entries quickly enough to run on every
// keystroke: the searchable text of each entry is lowered once, up front.
type Index struct {
	entries []Entry
	hay     []string
}

// NewIndex indexes entries (oldest first, as Load returns them).
func NewIndex(entries []Entry) *Index {
	x := &Index{entries: entries, hay: make([]string, len(entries))}
	for i := range entries {
		e := &entries[i]
		x.hay[i] = strings.ToLower(e.Name() + "\x00" + e.Key + "\x00" + e.Bucket)
	}
	return x
}

// Len is the number of indexed entries.
func (x *Index) Len() int { return len(x.entries) }

// Entry returns entry i (as numbered by Search).
func (x *Index) Entry(i int) *Entry { return &x.entries[i] }

// Search appends to dst[:0] the numbers of the matching entries, newest first,
// stopping after limit (0: no limit).
func (x *Index) Search(q Query, limit int, dst []int) []int {
	dst = dst[:0]
	words := strings.FieldsFunc(strings.ToLower(q.Text), unicode.IsSpace)
	for i := len(x.entries) - 1; i >= 0; i-- {
		if q.State != "" && x.entries[i].State != q.State {
			continue
		}
		if !containsAll(x.hay[i], words) {
			continue
		}
		dst = append(dst, i)
		if limit > 0 && len(dst) == limit {
			break
		}
	}
	return dst
}

func containsAll(s string, words []string) bool {
	for _, w := range words {
		if !strings.Contains(s, w) {
			return false
		}
	}
	return true
}

// ValidState reports whether s is an entry state (or empty, meaning any).
func ValidState(s string) bool {
	if s == "" {
		return true
	}
	for _, v := range States {
		if v == s {
			return true
		}
	}
	return false
}
