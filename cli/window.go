package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/ossdrop/ossdrop/app"
	"github.com/ossdrop/ossdrop/settings"
	"github.com/ossdrop/ossdrop/transfer"
)

func init() {
	RegisterDefault(Command{Name: "", Summary: "open the window", Run: runWindow})
	// Also by name, for a FILE that is called like a command.
	Register(Command{Name: "window", Summary: "open the window, with FILEs queued (what ossdrop without a command does)", Run: runWindow})
}

// windowArgs is the parsed command line of the window.
type windowArgs struct {
	profile, endpoint, bucket, region, prefix, stateDir string
	v4                                                  bool
	resume                                              settings.ResumePolicy // "" = the settings' choice
	files                                               []string              // absolute paths to queue
}

// parseWindowArgs reads `ossdrop [--profile NAME | --endpoint URL --bucket
// NAME [--region R]] [--resume ask|always|never] [FILE...]`.
func parseWindowArgs(env *Env, args []string) (windowArgs, error) {
	var a windowArgs
	fs := flag.NewFlagSet("ossdrop", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.StringVar(&a.profile, "profile", "", "open with this saved profile as the destination")
	fs.StringVar(&a.endpoint, "endpoint", "", "OSS endpoint URL (with --bucket; credentials from OSS_ACCESS_KEY_ID/OSS_ACCESS_KEY_SECRET)")
	fs.StringVar(&a.bucket, "bucket", "", "bucket name (with --endpoint)")
	fs.StringVar(&a.region, "region", "", "region, e.g. cn-hangzhou (needed with --v4)")
	fs.BoolVar(&a.v4, "v4", false, "sign requests with signature V4 (needs --region)")
	fs.StringVar(&a.prefix, "prefix", "", "key prefix for new uploads (a folder in the bucket)")
	fs.StringVar(&a.stateDir, "state-dir", "", "state directory (default $OSSDROP_STATE_DIR, else $XDG_STATE_HOME/ossdrop)")
	resume := fs.String("resume", "", "unfinished uploads at launch: ask, always or never (default: the setting)")
	if err := fs.Parse(args); err != nil {
		return a, err
	}
	if *resume != "" {
		p, err := settings.ParseResumePolicy(*resume)
		if err != nil {
			return a, fmt.Errorf("--resume: %w", err)
		}
		a.resume = p
	}
	if a.profile != "" && (a.endpoint != "" || a.bucket != "") {
		return a, errors.New("give either --profile or --endpoint with --bucket, not both")
	}
	if (a.endpoint == "") != (a.bucket == "") {
		return a, errors.New("--endpoint and --bucket go together")
	}
	for _, f := range fs.Args() {
		abs, err := filepath.Abs(f)
		if err != nil {
			return a, fmt.Errorf("%s: %w", f, err)
		}
		if _, err := os.Stat(abs); err != nil {
			return a, fmt.Errorf("cannot upload %s: %w", f, err)
		}
		a.files = append(a.files, abs)
	}
	return a, nil
}

// The window is a separate program, ossdrop-window, installed beside ossdrop:
// linking the GUI stack (Fyne, GLFW, the OpenGL/X11/Wayland libraries) into
// ossdrop would cost every command line run about 20 MiB of memory before it
// does anything. With no subcommand ossdrop checks the arguments, then
// replaces itself with that program (startWindow); the program opens the
// window in its own process through WindowMain.

// windowProgram is the window's executable's name without the platform's suffix.
const windowProgram = "ossdrop-window"

// runWindow is ossdrop with no subcommand: the arguments are checked here, so
// a mistake is reported without loading the GUI, then the window program runs.
func runWindow(ctx context.Context, env *Env, args []string) int {
	a, err := parseWindowArgs(env, args)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "ossdrop: %v\n", err)
		return 2
	}
	// A window already running takes the files without the GUI being loaded
	// a second time; otherwise the window program makes itself the instance.
	if app.HandOver(runtimeDirFor(env), a.files) == nil {
		reportHandedOver(env, a.files)
		return 0
	}
	prog, err := windowProgramPath()
	if err != nil {
		fmt.Fprintf(env.Stderr, "ossdrop: %v\n", err)
		return 2
	}
	return startWindow(ctx, env, prog, args)
}

// executable is os.Executable; tests point it elsewhere.
var executable = os.Executable

// windowProgramPath is the window program beside this executable (symbolic
// links resolved, so a link to ossdrop on the PATH finds it too).
func windowProgramPath() (string, error) {
	exe, err := executable()
	if err != nil {
		return "", fmt.Errorf("cannot locate the window program: %w", err)
	}
	if real, err := filepath.EvalSymlinks(exe); err == nil {
		exe = real
	}
	p := filepath.Join(filepath.Dir(exe), windowProgram+exeSuffix)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("the window is the program %s, which must be installed beside %s ('make build' builds both; "+
			"'go install github.com/ossdrop/ossdrop/cmd/ossdrop-window' installs it): %w", windowProgram+exeSuffix, exe, err)
	}
	return p, nil
}

// WindowMain is the window program's whole life: it parses the window's
// arguments (those of `ossdrop` with no subcommand), prepares the launch
// without the GUI, and calls open, which runs the window until it closes.
// SIGINT and SIGTERM close the window.
func WindowMain(args []string, open func(ctx context.Context, l app.Launch) int) int {
	return mainWith(args, func(ctx context.Context, env *Env, args []string) int {
		return openWindow(ctx, env, args, open)
	})
}

// openWindow prepares the launch for args (one instance per user, the log,
// the core, the destination, the resume policy) and hands it to open;
// the window lists what to resume itself once it is shown.
func openWindow(ctx context.Context, env *Env, args []string, open func(ctx context.Context, l app.Launch) int) int {
	a, err := parseWindowArgs(env, args)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "ossdrop: %v\n", err)
		return 2
	}
	stateDir := stateDirFor(a.stateDir, env)
	// What the launch opens is closed when open returns, or by l.Exit when
	// the window has to end the process without returning.
	var closers []func()
	closeAll := sync.OnceFunc(func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	})
	defer closeAll()
	inst, handed, err := app.SingleInstance(runtimeDirFor(env), a.files)
	if err != nil {
		fmt.Fprintf(env.Stderr, "ossdrop: %v\n", err)
	}
	if handed {
		reportHandedOver(env, a.files)
		return 0
	}
	if inst != nil {
		closers = append(closers, func() { inst.Close() })
	}
	log, logClose, err := transfer.OpenLog(stateDir)
	if err != nil {
		fmt.Fprintf(env.Stderr, "ossdrop: %v\n", err)
		return 1
	}
	closers = append(closers, func() { logClose.Close() })

	core := openCore(ctx, env, stateDir, log)
	closers = append(closers, func() { core.Close() })
	if err := core.LoadError(); err != nil {
		// Defaults are in use; the window shows the problem once it is up.
		log.Warn("settings", "err", err)
	}
	core.Secrets() // open the keyring now, not later on the UI goroutine
	tgt, opts, prefix, err := initialTarget(ctx, core, a)
	if err != nil {
		fmt.Fprintf(env.Stderr, "ossdrop: %v\n", err)
		return 1
	}
	m, err := core.NewManager(tgt, opts)
	if err != nil {
		fmt.Fprintf(env.Stderr, "ossdrop: %v\n", err)
		return 1
	}
	policy := a.resume
	if policy == "" {
		policy = core.Config().App.ResumeOnLaunch
	}
	if policy == "" {
		policy = settings.ResumeAsk
	}
	l := app.Launch{Core: core, Manager: m, Target: tgt, Prefix: prefix, Fixed: a.endpoint != "",
		Resume: policy, Files: a.files, Log: log, Getenv: env.Getenv,
		Exit: func(code int) { closeAll(); os.Exit(code) }}
	if inst != nil {
		l.Incoming = inst.Incoming()
	}
	return open(ctx, l)
}

// reportHandedOver tells the user the running window took files.
func reportHandedOver(env *Env, files []string) {
	if len(files) > 0 {
		fmt.Fprintf(env.Stdout, "ossdrop is already running: %d file(s) handed to its window\n", len(files))
	}
}

// runtimeDirFor is where the single-instance socket lives: $XDG_RUNTIME_DIR
// as env sees it, else the xdg default.
func runtimeDirFor(env *Env) string {
	if d := env.Getenv("XDG_RUNTIME_DIR"); d != "" {
		return filepath.Join(d, "ossdrop")
	}
	return app.DefaultRuntimeDir()
}

// initialTarget is the destination the window opens with: --endpoint/--bucket
// with credentials from the environment, else --profile, else the default
// profile (on first launch the built-in Local bucket).
func initialTarget(ctx context.Context, core *app.Core, a windowArgs) (transfer.Target, transfer.Options, string, error) {
	if a.endpoint != "" {
		t, err := core.EnvTarget(a.endpoint, a.bucket, a.region, a.v4)
		return t, transfer.DefaultOptions(), a.prefix, err
	}
	cfg := core.Config()
	var p settings.Profile
	if a.profile != "" {
		var ok bool
		if p, ok = cfg.Profile(a.profile); !ok {
			return transfer.Target{}, transfer.Options{}, "", fmt.Errorf("--profile %q: no such profile (see 'ossdrop profile list')", a.profile)
		}
	} else {
		var ok bool
		if p, ok = cfg.Default(); !ok {
			p = settings.LocalProfile()
		}
	}
	t, err := core.Target(ctx, p)
	var we *app.WaitingError
	if errors.As(err, &we) {
		// The window opens anyway; uploads wait and it asks for the secret.
		err = nil
	}
	if err != nil {
		return transfer.Target{}, transfer.Options{}, "", fmt.Errorf("profile %q: %w", p.Name, err)
	}
	prefix := p.Prefix
	if a.prefix != "" {
		prefix = a.prefix
	}
	return t, p.Options(), prefix, nil
}
