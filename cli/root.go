// Package cli is ossdrop's command line: it dispatches subcommands and, with no
// subcommand, starts the window program (see WindowMain), which uses this
// package to prepare the window's launch.
package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// Version is set at build time with -ldflags "-X github.com/ossdrop/ossdrop/cli.Version=…".
var Version = "0.1.0-dev"

// Env is what a command may touch of the outside world, so tests can swap it.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
}

// Command is one subcommand. Run returns the process exit code.
type Command struct {
	Name    string
	Summary string // one line for `ossdrop --help`
	Run     func(ctx context.Context, env *Env, args []string) int
}

var commands = map[string]Command{}

// defaultCommand runs when the first argument is not a subcommand (the window).
var defaultCommand *Command

// Register adds a subcommand; files of this package call it from init.
func Register(c Command) {
	if _, dup := commands[c.Name]; dup {
		panic("cli: command registered twice: " + c.Name)
	}
	commands[c.Name] = c
}

// RegisterDefault sets what runs with no subcommand (the window).
func RegisterDefault(c Command) { defaultCommand = &c }

func init() {
	Register(Command{Name: "version", Summary: "print the version", Run: func(_ context.Context, env *Env, _ []string) int {
		fmt.Fprintf(env.Stdout, "ossdrop %s\n", Version)
		return 0
	}})
}

// Main runs ossdrop with the given arguments (without the program name) and
// returns the exit code. SIGINT and SIGTERM cancel the command's context.
func Main(args []string) int { return mainWith(args, Run) }

// mainWith runs run with the process's environment and a context that SIGINT
// and SIGTERM cancel.
func mainWith(args []string, run func(ctx context.Context, env *Env, args []string) int) int {
	env := &Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return run(ctx, env, args)
}

// Run dispatches args to a subcommand, or to the window when none is named.
func Run(ctx context.Context, env *Env, args []string) int {
	if len(args) > 0 {
		switch args[0] {
		case "-h", "--help", "help":
			usage(env.Stdout)
			return 0
		case "--version":
			args = []string{"version"}
		}
		if c, ok := commands[args[0]]; ok {
			return c.Run(ctx, env, args[1:])
		}
	}
	if defaultCommand == nil {
		fmt.Fprintln(env.Stderr, "ossdrop: this build has no window")
		usage(env.Stderr)
		return 2
	}
	return defaultCommand.Run(ctx, env, args)
}

func usage(w io.Writer) {
	names := make([]string, 0, len(commands))
	width := 0
	for n := range commands {
		names = append(names, n)
		width = max(width, len(n))
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("Usage:\n  ossdrop [--profile NAME | --endpoint URL --bucket NAME [--region R]] [--resume ask|always|never] [FILE...]\n")
	b.WriteString("      opens the window, with FILEs queued\n  ossdrop COMMAND [flags]\n\nCommands:\n")
	for _, n := range names {
		fmt.Fprintf(&b, "  %-*s  %s\n", width, n, commands[n].Summary)
	}
	b.WriteString("\nRun 'ossdrop COMMAND --help' for a command's flags.\n")
	io.WriteString(w, b.String())
}
