//go:build !unix && !windows

package history

// lockDir is a no-op where ossdrop has no file locks; one process per state
// directory is then the rule.
func lockDir(string) (func(), error) { return func() {}, nil }
