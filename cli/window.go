package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"github.com/aliyun/aliyun-oss-go-sdk/oss"
	"github.com/ossdrop/ossdrop/assets"
	"github.com/ossdrop/ossdrop/settings"
	"github.com/ossdrop/ossdrop/transfer"
	"github.com/ossdrop/ossdrop/ui"
)

// AppID is the application's unique id (preferences, notifications); it
// matches FyneApp.toml.
const AppID = "io.github.ossdrop.ossdrop"

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

// connector turns profiles into targets for the window; it starts the Local
// bucket the first time it is used and keeps it running until close.
type connector struct {
	env     *Env
	app     settings.App
	secrets settings.SecretStore
	log     *slog.Logger

	mu    sync.Mutex
	local *settings.LocalBucket
}

func (c *connector) connect(ctx context.Context, p settings.Profile) (transfer.Target, error) {
	if !p.Local {
		t, _, err := settings.TargetFor(p, c.app, c.secrets, c.env.Getenv)
		return t, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.local == nil {
		lb, err := settings.StartLocalBucketWith(ctx, settings.LocalBucketOptions{
			Dir: localBucketDirFor(c.env), Store: c.secrets, Logger: c.log})
		if err != nil {
			return transfer.Target{}, err
		}
		c.local = lb
		c.log.Info("local bucket started", "endpoint", lb.Endpoint(), "dir", lb.Dir())
	}
	return c.local.Target(), nil
}

func (c *connector) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.local != nil {
		c.local.Close()
		c.local = nil
	}
}

func runWindow(ctx context.Context, env *Env, args []string) int {
	a, err := parseWindowArgs(env, args)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "ossdrop: %v\n", err)
		return 2
	}
	stateDir := stateDirFor(a.stateDir, env)
	log, logClose, err := transfer.OpenLog(stateDir)
	if err != nil {
		fmt.Fprintf(env.Stderr, "ossdrop: %v\n", err)
		return 1
	}
	defer logClose.Close()

	store := settings.NewStore(settingsDirFor(env))
	scfg, loadErr := store.Load()
	if loadErr != nil {
		// Defaults are in scfg; the window shows the problem once it is up.
		log.Warn("settings", "err", loadErr)
	}
	ui.UseLanguage(scfg.App.Language) // before the app exists: Fyne reads it once
	secrets := openSecrets(ctx, env, scfg)
	conn := &connector{env: env, app: scfg.App, secrets: secrets, log: log}
	defer conn.close()

	tgt, opts, prefix, err := initialTarget(ctx, env, a, scfg, conn)
	if err != nil {
		fmt.Fprintf(env.Stderr, "ossdrop: %v\n", err)
		return 1
	}
	hist := openHistory(stateDir, tgt.Credentials, env)
	defer hist.Close() // after m.Close below has delivered every finished task
	m, err := transfer.NewManager(transfer.Config{Target: tgt, Options: opts, StateDir: stateDir, Logger: log, OnFinished: hist.RecordTask,
		CredentialsFor: func(profile, endpoint string) (oss.CredentialsProvider, error) {
			p, ok := scfg.Profile(profile)
			if !ok {
				return nil, nil
			}
			t, err := conn.connect(ctx, p)
			return t.Credentials, err
		}})
	if err != nil {
		fmt.Fprintf(env.Stderr, "ossdrop: %v\n", err)
		return 1
	}
	defer m.Close()
	unfinished, err := transfer.ListUnfinished(stateDir)
	if err != nil {
		log.Warn("list unfinished uploads", "err", err)
	}

	fa := app.NewWithID(AppID)
	fa.SetIcon(assets.Icon)
	ui.UseCJKFonts(fa, log)
	w := ui.New(fa, ui.Config{
		Backend: m, Target: tgt, Prefix: prefix, Logger: log, Icon: assets.Icon,
		CloseToTray: scfg.App.CloseToTray,
		Profiles:    &ui.Profiles{Store: store, Secrets: secrets, Getenv: env.Getenv, Connect: conn.connect},
		Settings:    scfg,
		StateDir:    stateDir, History: hist,
	})
	win := w.Window()
	win.SetIcon(assets.Icon)
	win.SetMaster()
	win.Show()
	if loadErr != nil {
		w.ShowProblem(fmt.Errorf("%w\nossdrop started with default settings; the broken file is kept until you save", loadErr))
	}
	policy := a.resume
	if policy == "" {
		policy = scfg.App.ResumeOnLaunch
	}
	if policy == "" {
		policy = settings.ResumeAsk
	}
	w.OfferResume(unfinished, policy)
	w.AddPaths(a.files)
	w.Start(ctx)
	stopOnCancel := context.AfterFunc(ctx, func() { fyne.Do(fa.Quit) })
	defer stopOnCancel()
	// OSSDROP_STALL_PROBE=FILE measures the UI loop's stalls for the
	// benchmark and writes them to FILE as JSON on exit.
	var probeDone func() ui.StallStats
	probeCtx, stopProbe := context.WithCancel(ctx)
	defer stopProbe()
	if env.Getenv("OSSDROP_STALL_PROBE") != "" {
		probeDone = w.ProbeStalls(probeCtx, 5*time.Millisecond)
	}
	fa.Run()
	w.Stop()
	if probeDone != nil {
		stopProbe()
		writeStallReport(env, env.Getenv("OSSDROP_STALL_PROBE"), probeDone())
	}
	return 0
}

func writeStallReport(env *Env, path string, s ui.StallStats) {
	data, err := json.Marshal(s)
	if err == nil {
		err = os.WriteFile(path, data, 0o600)
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "ossdrop: stall report: %v\n", err)
	}
}

// initialTarget is the destination the window opens with: --endpoint/--bucket
// with credentials from the environment, else --profile, else the default
// profile (on first launch the built-in Local bucket).
func initialTarget(ctx context.Context, env *Env, a windowArgs, scfg settings.Config, conn *connector) (transfer.Target, transfer.Options, string, error) {
	if a.endpoint != "" {
		c, ok, err := settings.EnvCredentials(env.Getenv)
		if err != nil {
			return transfer.Target{}, transfer.Options{}, "", err
		}
		if !ok {
			return transfer.Target{}, transfer.Options{}, "", errors.New("--endpoint needs credentials: set OSS_ACCESS_KEY_ID and OSS_ACCESS_KEY_SECRET (and OSS_SESSION_TOKEN for STS)")
		}
		t := transfer.Target{Endpoint: settings.EndpointURL(a.endpoint), Bucket: a.bucket, Region: a.region, AuthV4: a.v4,
			Credentials: settings.NewProvider(c, settings.SourceEnvironment), Proxy: scfg.App.Proxy}
		return t, transfer.DefaultOptions(), a.prefix, nil
	}
	var p settings.Profile
	if a.profile != "" {
		var ok bool
		if p, ok = scfg.Profile(a.profile); !ok {
			return transfer.Target{}, transfer.Options{}, "", fmt.Errorf("--profile %q: no such profile (see 'ossdrop profile list')", a.profile)
		}
	} else {
		var ok bool
		if p, ok = scfg.Default(); !ok {
			p = settings.LocalProfile()
		}
	}
	t, err := conn.connect(ctx, p)
	if err != nil {
		return transfer.Target{}, transfer.Options{}, "", fmt.Errorf("profile %q: %w", p.Name, err)
	}
	prefix := p.Prefix
	if a.prefix != "" {
		prefix = a.prefix
	}
	return t, p.Options(), prefix, nil
}
