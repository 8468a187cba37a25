package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dustin/go-humanize"
	"golang.org/x/term"

	"github.com/ossdrop/ossdrop/app"
	"github.com/ossdrop/ossdrop/settings"
)

func init() {
	Register(Command{Name: "profile", Summary: "manage upload profiles: add, list, remove, test, import-ossutil", Run: runProfile})
}

const profileUsage = `Usage:
  ossdrop profile add NAME --endpoint URL|REGION --bucket NAME [flags]   (secret read from standard input)
  ossdrop profile list
  ossdrop profile remove NAME
  ossdrop profile test NAME [--timeout 15s]
  ossdrop profile import-ossutil [FILE] [--bucket NAME] [--name NAME] [--replace]

Settings are kept in $XDG_CONFIG_HOME/ossdrop/settings.json; secrets in the system keyring.
Run 'ossdrop profile SUBCOMMAND --help' for its flags.
`

func runProfile(ctx context.Context, env *Env, args []string) int {
	if len(args) == 0 {
		io.WriteString(env.Stderr, profileUsage)
		return 2
	}
	switch args[0] {
	case "-h", "--help", "help":
		io.WriteString(env.Stdout, profileUsage)
		return 0
	case "add":
		return profileAdd(ctx, env, args[1:])
	case "list", "ls":
		return profileList(ctx, env, args[1:])
	case "remove", "rm":
		return profileRemove(ctx, env, args[1:])
	case "test":
		return profileTest(ctx, env, args[1:])
	case "import-ossutil":
		return profileImport(ctx, env, args[1:])
	}
	fmt.Fprintf(env.Stderr, "ossdrop profile: unknown subcommand %q\n", args[0])
	io.WriteString(env.Stderr, profileUsage)
	return 2
}

// settingsDirFor is the settings directory, honouring XDG_CONFIG_HOME as seen
// through env so tests and wrappers can redirect it.
func settingsDirFor(env *Env) string {
	if d := env.Getenv("XDG_CONFIG_HOME"); d != "" {
		return filepath.Join(d, "ossdrop")
	}
	return settings.DefaultDir()
}

// localBucketDirFor is the Local bucket's data directory, honouring XDG_DATA_HOME through env.
func localBucketDirFor(env *Env) string {
	if d := env.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "ossdrop", "local-bucket")
	}
	return settings.DefaultLocalBucketDir()
}

// openSettings opens the application core for a profile command. A broken
// settings file is reported and, when mutating, refused: the user should look at
// it before anything replaces it.
func openSettings(ctx context.Context, env *Env, mutating bool) (*app.Core, settings.Config, bool) {
	core := openCore(ctx, env, stateDirFor("", env), nil)
	if err := core.LoadError(); err != nil {
		fmt.Fprintf(env.Stderr, "ossdrop: %v\n", err)
		if mutating {
			fmt.Fprintf(env.Stderr, "ossdrop: not changing settings until %s is fixed or removed\n", core.SettingsPath())
			return core, core.Config(), false
		}
	}
	return core, core.Config(), true
}

func newFlagSet(name string, env *Env) *flag.FlagSet {
	fs := flag.NewFlagSet("ossdrop profile "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	return fs
}

// parseWithName accepts the NAME argument before or after the flags.
func parseWithName(fs *flag.FlagSet, args []string) (string, error) {
	name := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return "", err
	}
	rest := fs.Args()
	if name == "" && len(rest) > 0 {
		name, rest = rest[0], rest[1:]
	}
	if len(rest) > 0 {
		return "", fmt.Errorf("unexpected arguments: %s", strings.Join(rest, " "))
	}
	if name == "" {
		return "", errors.New("a profile NAME is required")
	}
	return name, nil
}

func flagExit(err error, env *Env) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintf(env.Stderr, "ossdrop profile: %v\n", err)
	return 2
}

func profileAdd(ctx context.Context, env *Env, args []string) int {
	fs := newFlagSet("add", env)
	var (
		endpoint, region, bucket, prefix, keyID, acl, storageClass string
		partSize, limitRate, threshold, onExists, checkpointDir    string
		stsExpiry                                                  string
		taskNum, jobs                                              int
		v4, allowHTTP, sts, noCheckpoint, makeDefault, replace     bool
		secretsInFile                                              bool
	)
	d := settings.DefaultTransfer()
	fs.StringVar(&endpoint, "endpoint", "", "endpoint URL (https://oss-cn-hangzhou.aliyuncs.com) or region (cn-hangzhou)")
	fs.StringVar(&bucket, "bucket", "", "bucket name")
	fs.StringVar(&region, "region", "", "signing region for --v4 (default: derived from the endpoint)")
	fs.StringVar(&prefix, "prefix", "", "destination prefix (folder) in the bucket")
	fs.BoolVar(&v4, "v4", false, "sign with signature V4")
	fs.StringVar(&keyID, "access-key-id", "", "AccessKey ID; its secret is read from standard input (never a flag)")
	fs.BoolVar(&sts, "sts", false, "temporary STS credentials: read the secret, then the security token, from standard input")
	fs.StringVar(&stsExpiry, "sts-expiry", "", "when the STS credentials expire: a duration from now (1h) or an RFC 3339 time")
	fs.BoolVar(&allowHTTP, "allow-http", false, "allow a plain-http endpoint that is not loopback (unencrypted)")
	fs.StringVar(&acl, "acl", "", "object ACL: private, public-read, public-read-write or default")
	fs.StringVar(&storageClass, "storage-class", "", "Standard, IA, Archive, ColdArchive or DeepColdArchive")
	fs.StringVar(&partSize, "part-size", humanize.IBytes(uint64(d.PartSize)), "part size, 100KiB..5GiB")
	fs.IntVar(&taskNum, "task-num", d.TaskNum, "parts in parallel per file")
	fs.IntVar(&jobs, "jobs", d.Jobs, "files in parallel")
	fs.StringVar(&limitRate, "limit-rate", "0", "bandwidth cap, e.g. 10MiB (per second; 0 = unlimited)")
	fs.StringVar(&threshold, "multipart-threshold", "", "files below this size use one request (default: the part size)")
	fs.StringVar(&onExists, "on-exists", d.OnExists, "overwrite, skip, skip-identical or rename")
	fs.BoolVar(&noCheckpoint, "no-checkpoint", false, "do not record progress for resuming")
	fs.StringVar(&checkpointDir, "checkpoint-dir", "", "checkpoint directory (default $XDG_STATE_HOME/ossdrop/checkpoints)")
	fs.BoolVar(&makeDefault, "default", false, "make this the default profile")
	fs.BoolVar(&replace, "replace", false, "replace an existing profile of the same name")
	fs.BoolVar(&secretsInFile, "secrets-in-file", false, "when no keyring is available, store secrets UNENCRYPTED in a 0600 file (remembered)")
	name, err := parseWithName(fs, args)
	if err != nil {
		return flagExit(err, env)
	}
	core, cfg, ok := openSettings(ctx, env, true)
	defer core.Close()
	if !ok {
		return 1
	}
	if name == settings.LocalProfileName {
		fmt.Fprintf(env.Stderr, "ossdrop profile add: %q is the built-in Local bucket; choose another name\n", name)
		return 1
	}
	if _, exists := cfg.Profile(name); exists && !replace {
		fmt.Fprintf(env.Stderr, "ossdrop profile add: profile %q exists; use --replace to change it\n", name)
		return 1
	}
	p := settings.Profile{Name: name, Endpoint: endpoint, AllowHTTP: allowHTTP, Region: region, Bucket: bucket, Prefix: prefix,
		SignatureV4: v4, AccessKeyID: keyID, ACL: acl, StorageClass: storageClass, Transfer: d}
	var sizeErrs []string
	parseSize := func(flagName, v string, dst *int64) {
		if v == "" {
			return
		}
		n, err := humanize.ParseBytes(strings.TrimSuffix(strings.TrimSpace(v), "/s"))
		if err != nil {
			sizeErrs = append(sizeErrs, fmt.Sprintf("--%s %q: want a size such as 8MiB", flagName, v))
			return
		}
		*dst = int64(n)
	}
	parseSize("part-size", partSize, &p.Transfer.PartSize)
	parseSize("limit-rate", limitRate, &p.Transfer.LimitRate)
	parseSize("multipart-threshold", threshold, &p.Transfer.MultipartThreshold)
	if len(sizeErrs) > 0 {
		fmt.Fprintf(env.Stderr, "ossdrop profile add: %s\n", strings.Join(sizeErrs, "; "))
		return 2
	}
	p.Transfer.TaskNum, p.Transfer.Jobs, p.Transfer.OnExists = taskNum, jobs, onExists
	p.Transfer.Checkpoint, p.Transfer.CheckpointDir = !noCheckpoint, checkpointDir
	if err := p.Validate(); err != nil {
		fmt.Fprintf(env.Stderr, "ossdrop profile add: %v\n", err)
		return 1
	}
	var expiry time.Time
	if stsExpiry != "" {
		if !sts {
			fmt.Fprintln(env.Stderr, "ossdrop profile add: --sts-expiry needs --sts")
			return 2
		}
		if expiry, err = parseExpiry(stsExpiry, time.Now()); err != nil {
			fmt.Fprintf(env.Stderr, "ossdrop profile add: --sts-expiry: %v\n", err)
			return 2
		}
	}
	if sts && keyID == "" {
		fmt.Fprintln(env.Stderr, "ossdrop profile add: --sts needs --access-key-id")
		return 2
	}
	if secretsInFile && !cfg.App.SecretsInFile {
		a := cfg.App
		a.SecretsInFile = true
		if err := core.SetApp(a); err != nil {
			fmt.Fprintf(env.Stderr, "ossdrop profile add: %v\n", err)
			return 1
		}
	}
	var creds *settings.Credentials
	if keyID != "" {
		in := newSecretReader(env)
		secret, err := in.read("AccessKey secret for " + keyID)
		if err == nil && secret == "" {
			err = errors.New("it is empty")
		}
		if err != nil {
			fmt.Fprintf(env.Stderr, "ossdrop profile add: reading the AccessKey secret from standard input: %v\n", err)
			return 1
		}
		c := settings.Credentials{AccessKeyID: keyID, AccessKeySecret: secret, Expiry: expiry}
		if sts {
			if c.SecurityToken, err = in.read("STS security token"); err == nil && c.SecurityToken == "" {
				err = errors.New("it is empty")
			}
			if err != nil {
				fmt.Fprintf(env.Stderr, "ossdrop profile add: reading the STS token from standard input: %v\n", err)
				return 1
			}
		}
		creds = &c
	}
	orig := ""
	if _, exists := cfg.Profile(name); exists {
		orig = name
	}
	if _, err := core.SaveProfile(orig, p, creds); err != nil {
		fmt.Fprintf(env.Stderr, "ossdrop profile add: %v\n", err)
		return 1
	}
	if makeDefault {
		if err := core.SetDefault(name); err != nil {
			fmt.Fprintf(env.Stderr, "ossdrop profile add: %v\n", err)
			return 1
		}
	}
	fmt.Fprintf(env.Stdout, "Saved profile %q: %s, bucket %s\n", name, settings.EndpointURL(p.Endpoint), p.Bucket)
	if keyID == "" {
		fmt.Fprintf(env.Stdout, "No AccessKey stored: set %s and %s, or add it with --access-key-id.\n", settings.EnvAccessKeyID, settings.EnvAccessKeySecret)
	} else {
		reportSecretState(env, core.SecretState())
	}
	return 0
}

// reportSecretState tells the user where the secret went when it is not the keyring.
func reportSecretState(env *Env, s settings.SecretState) {
	switch s.Backend {
	case settings.BackendKeyring:
		fmt.Fprintln(env.Stdout, "The secret is stored in the system keyring.")
	case settings.BackendFile:
		fmt.Fprintln(env.Stderr, s.Message())
	default:
		fmt.Fprintf(env.Stderr, "Warning: the secret was NOT saved: %s\nSet %s/%s when running ossdrop, or add the profile again with --secrets-in-file.\n",
			s.Message(), settings.EnvAccessKeyID, settings.EnvAccessKeySecret)
	}
}

func parseExpiry(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		if d <= 0 {
			return time.Time{}, errors.New("the duration must be positive")
		}
		return now.Add(d).UTC().Truncate(time.Second), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither a duration (1h) nor an RFC 3339 time (2026-01-02T15:04:05Z)", s)
	}
	return t, nil
}

// secretReader reads secrets from standard input: without echo after a
// prompt on a terminal, else one per line.
type secretReader struct {
	env *Env
	fd  int
	tty bool
	br  *bufio.Reader
}

func newSecretReader(env *Env) *secretReader {
	r := &secretReader{env: env}
	if f, ok := env.Stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		r.fd, r.tty = int(f.Fd()), true
	} else {
		r.br = bufio.NewReader(env.Stdin)
	}
	return r
}

func (r *secretReader) read(prompt string) (string, error) {
	if r.tty {
		fmt.Fprintf(r.env.Stderr, "%s: ", prompt)
		b, err := term.ReadPassword(r.fd)
		fmt.Fprintln(r.env.Stderr)
		return strings.TrimSpace(string(b)), err
	}
	line, err := r.br.ReadString('\n')
	if err == io.EOF && line != "" {
		err = nil
	}
	if err == io.EOF {
		return "", errors.New("standard input ended before the secret was given")
	}
	return strings.TrimRight(line, "\r\n"), err
}

func profileList(ctx context.Context, env *Env, args []string) int {
	fs := newFlagSet("list", env)
	if err := fs.Parse(args); err != nil {
		return flagExit(err, env)
	}
	core, cfg, _ := openSettings(ctx, env, false)
	defer core.Close()
	store := core.Secrets()
	tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\tNAME\tENDPOINT\tBUCKET\tPREFIX\tACCESS KEY ID\tSECRET")
	now := time.Now()
	for _, p := range cfg.Profiles {
		mark := ""
		if p.Name == cfg.DefaultProfile {
			mark = "*"
		}
		ep := settings.EndpointURL(p.Endpoint)
		id := p.AccessKeyID
		secret := "-"
		switch {
		case p.Local:
			ep, id, secret = "(in-process, "+localBucketDirFor(env)+")", "(generated)", "(generated)"
		case id != "":
			if _, err := store.Get(settings.SecretKey(p.Name)); err == nil {
				secret = string(store.State().Backend)
			} else if errors.Is(err, settings.ErrSecretNotFound) {
				secret = "missing"
			} else {
				secret = "unreadable"
			}
			if st := p.ExpiryStatus(now, 10*time.Minute); st.State != settings.NoExpiry {
				secret += ", STS " + st.State.String()
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", mark, p.Name, ep, p.Bucket, p.Prefix, id, secret)
	}
	tw.Flush()
	if s := store.State(); s.Backend != settings.BackendKeyring {
		fmt.Fprintln(env.Stderr, s.Message())
	}
	return 0
}

func profileRemove(ctx context.Context, env *Env, args []string) int {
	fs := newFlagSet("remove", env)
	name, err := parseWithName(fs, args)
	if err != nil {
		return flagExit(err, env)
	}
	core, cfg, ok := openSettings(ctx, env, true)
	defer core.Close()
	if !ok {
		return 1
	}
	p, exists := cfg.Profile(name)
	if !exists {
		fmt.Fprintf(env.Stderr, "ossdrop profile remove: no profile named %q (see 'ossdrop profile list')\n", name)
		return 1
	}
	if p.Local {
		fmt.Fprintf(env.Stderr, "ossdrop profile remove: %q is built in and cannot be removed\n", name)
		return 1
	}
	if err := core.RemoveProfile(name); err != nil {
		fmt.Fprintf(env.Stderr, "ossdrop profile remove: %v\n", err)
		return 1
	}
	fmt.Fprintf(env.Stdout, "Removed profile %q and its stored secrets.\n", name)
	return 0
}

func profileTest(ctx context.Context, env *Env, args []string) int {
	fs := newFlagSet("test", env)
	timeout := fs.Duration("timeout", settings.DefaultConnTimeout, "give up after this long")
	name, err := parseWithName(fs, args)
	if err != nil {
		return flagExit(err, env)
	}
	core, cfg, _ := openSettings(ctx, env, false)
	defer core.Close()
	p, ok := cfg.Profile(name)
	if !ok {
		fmt.Fprintf(env.Stderr, "ossdrop profile test: no profile named %q (see 'ossdrop profile list')\n", name)
		return 1
	}
	_, res := core.CheckProfile(ctx, p, nil, *timeout)
	if !res.OK() {
		fmt.Fprintf(env.Stderr, "ossdrop profile test %s: %s\n", name, res.Message)
		return 1
	}
	fmt.Fprintf(env.Stdout, "%s: %s\n", name, res.Message)
	return 0
}

func profileImport(ctx context.Context, env *Env, args []string) int {
	fs := newFlagSet("import-ossutil", env)
	bucket := fs.String("bucket", "", "bucket for the imported profile (ossutil keeps none; default: one profile per [Bucket-Endpoint] entry)")
	name := fs.String("name", "", "name of the imported profile (default \"ossutil\" or \"ossutil BUCKET\")")
	replace := fs.Bool("replace", false, "replace existing profiles of the same name")
	file := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		file, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return flagExit(err, env)
	}
	if rest := fs.Args(); len(rest) > 1 || (len(rest) == 1 && file != "") {
		return flagExit(fmt.Errorf("unexpected arguments: %s", strings.Join(rest, " ")), env)
	} else if len(rest) == 1 {
		file = rest[0]
	}
	if file == "" {
		if home := env.Getenv("HOME"); home != "" {
			file = filepath.Join(home, ".ossutilconfig")
		}
	}
	oc, err := settings.ReadOssutilConfig(file)
	if err != nil {
		fmt.Fprintf(env.Stderr, "ossdrop profile import-ossutil: %v\n", err)
		return 1
	}
	profiles, err := oc.Profiles(*name, *bucket)
	if err != nil {
		fmt.Fprintf(env.Stderr, "ossdrop profile import-ossutil: %v\n", err)
		return 1
	}
	core, cfg, ok := openSettings(ctx, env, true)
	defer core.Close()
	if !ok {
		return 1
	}
	for _, p := range profiles {
		if _, exists := cfg.Profile(p.Name); exists && !*replace {
			fmt.Fprintf(env.Stderr, "ossdrop profile import-ossutil: profile %q exists; use --replace or --name\n", p.Name)
			return 1
		}
	}
	for _, p := range profiles {
		orig := ""
		if _, exists := cfg.Profile(p.Name); exists {
			orig = p.Name
		}
		if _, err := core.SaveProfile(orig, p, &oc.Credentials); err != nil {
			fmt.Fprintf(env.Stderr, "ossdrop profile import-ossutil: %v\n", err)
			return 1
		}
	}
	for _, p := range profiles {
		fmt.Fprintf(env.Stdout, "Imported profile %q: %s, bucket %s\n", p.Name, settings.EndpointURL(p.Endpoint), p.Bucket)
	}
	if oc.Credentials.SecurityToken != "" {
		fmt.Fprintln(env.Stdout, "The STS token was imported without an expiry (ossutil does not record one).")
	}
	reportSecretState(env, core.SecretState())
	fmt.Fprintf(env.Stdout, "%s still holds the secret in plain text; ossdrop no longer needs it.\n", oc.Path)
	return 0
}

// openCore opens the application core with the directories env points at.
func openCore(ctx context.Context, env *Env, stateDir string, log *slog.Logger) *app.Core {
	return app.Open(ctx, app.Options{
		ConfigDir: settingsDirFor(env), StateDir: stateDir, LocalBucketDir: localBucketDirFor(env),
		Getenv: env.Getenv, Logger: log,
	})
}
