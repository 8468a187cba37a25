package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ossdrop/ossdrop/app"
	"github.com/ossdrop/ossdrop/settings"
	"github.com/ossdrop/ossdrop/transfer"
)

func init() {
	RegisterDefault(Command{Name: "", Summary: "open the window", Run: runWindow})
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

// OpenWindow runs the window until it is closed and returns the exit code. It
// is set by package main, so that the command line does not link (or
// initialise) the GUI stack through this package; nil in a build without a window.
var OpenWindow func(ctx context.Context, l app.Launch) int

func runWindow(ctx context.Context, env *Env, args []string) int {
	a, err := parseWindowArgs(env, args)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "ossdrop: %v\n", err)
		return 2
	}
	if OpenWindow == nil {
		fmt.Fprintln(env.Stderr, "ossdrop: this build has no window")
		return 2
	}
	stateDir := stateDirFor(a.stateDir, env)
	inst, handed, err := app.SingleInstance(runtimeDirFor(env), a.files)
	if err != nil {
		fmt.Fprintf(env.Stderr, "ossdrop: %v\n", err)
	}
	if handed {
		if len(a.files) > 0 {
			fmt.Fprintf(env.Stdout, "ossdrop is already running: %d file(s) handed to its window\n", len(a.files))
		}
		return 0
	}
	if inst != nil {
		defer inst.Close()
	}
	log, logClose, err := transfer.OpenLog(stateDir)
	if err != nil {
		fmt.Fprintf(env.Stderr, "ossdrop: %v\n", err)
		return 1
	}
	defer logClose.Close()

	core := openCore(ctx, env, stateDir, log)
	defer core.Close()
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
	unfinished, err := transfer.ListUnfinished(stateDir)
	if err != nil {
		log.Warn("list unfinished uploads", "err", err)
	}
	policy := a.resume
	if policy == "" {
		policy = core.Config().App.ResumeOnLaunch
	}
	if policy == "" {
		policy = settings.ResumeAsk
	}
	l := app.Launch{Core: core, Manager: m, Target: tgt, Prefix: prefix, Fixed: a.endpoint != "",
		Unfinished: unfinished, Resume: policy, Files: a.files, Log: log, Getenv: env.Getenv}
	if inst != nil {
		l.Incoming = inst.Incoming()
	}
	return OpenWindow(ctx, l)
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
