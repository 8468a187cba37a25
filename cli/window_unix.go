//go:build !windows

package cli

import (
	"context"
	"fmt"
	"os"
	"syscall"
)

const exeSuffix = ""

// startWindow replaces this process with the window program: the same
// process id, terminal, signals and exit code, so a launcher or a test that
// waits for or kills `ossdrop` waits for or kills the window.
func startWindow(_ context.Context, env *Env, prog string, args []string) int {
	err := syscall.Exec(prog, append([]string{prog}, args...), os.Environ())
	// Exec returns only when it failed.
	fmt.Fprintf(env.Stderr, "ossdrop: start the window program %s: %v\n", prog, err)
	return 1
}
