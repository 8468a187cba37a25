package cli

import (
	"context"
	"fmt"
	"os/exec"
)

const exeSuffix = ".exe"

// startWindow starts the window program and returns at once, as Windows
// starts any windowed program: the console (if any) is free again, and the
// window's own single-instance handling takes over from here.
func startWindow(_ context.Context, env *Env, prog string, args []string) int {
	cmd := exec.Command(prog, args...)
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(env.Stderr, "ossdrop: start the window program %s: %v\n", prog, err)
		return 1
	}
	if err := cmd.Process.Release(); err != nil {
		fmt.Fprintf(env.Stderr, "ossdrop: %v\n", err)
	}
	return 0
}
