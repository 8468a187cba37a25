// Package app is ossdrop's application core: the one owner of what the window and
// every command share. It loads and saves the settings, adds, renames and removes
// profiles with their secrets kept consistent, resolves a profile (or an upload
// recorded by an earlier run) to a destination with credentials, starts and stops
// the built-in Local bucket, and builds the transfer.Manager. It never imports Fyne.
package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossdrop/ossdrop/history"
	"github.com/ossdrop/ossdrop/settings"
	"github.com/ossdrop/ossdrop/transfer"
)

// Options says where things live; zero values mean the XDG defaults.
type Options struct {
	ConfigDir      string              // settings and the opt-in secrets file; "" = settings.DefaultDir()
	StateDir       string              // checkpoints, queue and log; "" = transfer.DefaultStateDir()
	LocalBucketDir string              // "" = settings.DefaultLocalBucketDir()
	Getenv         func(string) string // credential and proxy variables; nil = os.Getenv
	Logger         *slog.Logger        // nil = discard
	// Secrets replaces the secret store picked from the settings (tests).
	Secrets settings.SecretStore
}

// Core is what ossdrop holds for its lifetime. Its methods are safe for
// concurrent use; every change to the settings is saved at once.
type Core struct {
	opts  Options
	store *settings.Store
	log   *slog.Logger

	secretsOnce sync.Once
	secrets     settings.SecretStore
	allowFile   atomic.Bool // the settings' opt-in to a secrets file, read when the store opens

	mu      sync.Mutex
	cfg     settings.Config
	loadErr error
	local   *LocalBucket
	mgr     *transfer.Manager
	hist    *history.Recorder
}

// Open loads the settings (giving profiles written before ids their id, saved at
// once) and picks the secret store. It always returns a usable core: a broken
// settings file gives defaults, with the reason in LoadError.
func Open(ctx context.Context, o Options) *Core {
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.StateDir == "" {
		o.StateDir = transfer.DefaultStateDir()
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	st := settings.NewStore(o.ConfigDir)
	cfg, err := st.Load()
	c := &Core{opts: o, store: st, cfg: cfg, loadErr: err, log: log}
	if err == nil && needsIDSave(st) {
		if serr := st.Save(cfg); serr != nil {
			log.Warn("saving profile ids", "err", serr)
		}
	}
	c.secrets = o.Secrets
	c.allowFile.Store(cfg.App.SecretsInFile)
	return c
}

// needsIDSave reports whether the file on disk lacks a profile id that Load
// gave out in memory: those ids must be on disk before any upload records them.
func needsIDSave(st *settings.Store) bool {
	data, err := os.ReadFile(st.Path())
	if err != nil {
		return false
	}
	var raw struct {
		Profiles []struct {
			ID *string `json:"id"`
		} `json:"profiles"`
	}
	if json.Unmarshal(data, &raw) != nil {
		return false
	}
	for _, p := range raw.Profiles {
		if p.ID == nil || *p.ID == "" {
			return true
		}
	}
	return false
}

// LoadError is why the settings file could not be used at launch, or nil.
func (c *Core) LoadError() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.loadErr
}

// SettingsPath is the settings file; SettingsDir the folder holding it.
func (c *Core) SettingsPath() string { return c.store.Path() }

// SettingsDir is the folder of the settings file (and of the opt-in secrets file).
func (c *Core) SettingsDir() string { return c.store.Dir() }

// StateDir holds checkpoints, the durable queue and the log.
func (c *Core) StateDir() string { return c.opts.StateDir }

// Unfinished lists the uploads recorded in the state directory that have not
// finished (transfer.ListUnfinished), for the window's resume offer. The read
// cannot stop part way: ctx only keeps it from starting once ended.
func (c *Core) Unfinished(ctx context.Context) ([]transfer.Unfinished, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return transfer.ListUnfinished(c.StateDir())
}

// Getenv is the environment the core reads credentials and proxies from.
func (c *Core) Getenv(k string) string { return c.opts.Getenv(k) }

// Secrets is the store holding AccessKey secrets and STS tokens. It is opened
// on first use (a keyring is a D-Bus connection, which a command that needs no
// secret should not pay for), with the opt-in file when the settings allow it
// then: open it on a background goroutine, never on the UI goroutine.
func (c *Core) Secrets() settings.SecretStore {
	c.secretsOnce.Do(func() {
		if c.secrets == nil {
			c.secrets = settings.OpenSecretStore(context.Background(),
				settings.SecretOptions{Dir: c.store.Dir(), AllowFile: c.allowFile.Load()})
		}
	})
	return c.secrets
}

// SecretState says where secrets are kept, for a notice in the window.
func (c *Core) SecretState() settings.SecretState { return c.Secrets().State() }

// HasSecret reports whether a secret is stored for the profile. It may read the
// keyring: never call it on the UI goroutine.
func (c *Core) HasSecret(name string) bool {
	v, err := c.Secrets().Get(settings.SecretKey(name))
	return err == nil && v != ""
}

// Config returns a copy of the current settings.
func (c *Core) Config() settings.Config {
	c.mu.Lock()
	defer c.mu.Unlock()
	return copyConfig(c.cfg)
}

func copyConfig(cfg settings.Config) settings.Config {
	cfg.Profiles = append([]settings.Profile(nil), cfg.Profiles...)
	return cfg
}

// update applies f to a copy of the settings and saves it; on any error the
// core keeps the old settings.
func (c *Core) update(f func(*settings.Config) error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	cfg := copyConfig(c.cfg)
	if err := f(&cfg); err != nil {
		return err
	}
	if err := c.store.Save(cfg); err != nil {
		return err
	}
	c.cfg = cfg
	c.loadErr = nil
	return nil
}

// SaveProfile validates and stores p: a new profile when orig is "", else the
// profile now called orig, renamed when p.Name differs. A rename moves the stored
// secret and token to the new name, so a secret field left empty keeps the
// secret; the profile keeps its id. With creds, the secret and token go to the
// secret store and the key id and STS expiry into the profile; the returned
// provider serves them (nil without creds).
func (c *Core) SaveProfile(orig string, p settings.Profile, creds *settings.Credentials) (*settings.Provider, error) {
	var prov *settings.Provider
	renamed := orig != "" && orig != p.Name
	err := c.update(func(cfg *settings.Config) error {
		if orig == "" {
			if _, taken := cfg.Profile(p.Name); taken {
				return &settings.FieldError{Profile: p.Name, Field: "name", Value: p.Name, Reason: "another profile has this name"}
			}
			p.ID = ""
		} else {
			old, ok := cfg.Profile(orig)
			if !ok {
				return fmt.Errorf("no profile named %q", orig)
			}
			if old.Local != p.Local || (old.Local && renamed) {
				return &settings.FieldError{Profile: p.Name, Field: "name", Value: p.Name, Reason: "the built-in Local bucket cannot be renamed or replaced"}
			}
			p.ID = old.ID
			if renamed {
				if _, taken := cfg.Profile(p.Name); taken {
					return &settings.FieldError{Profile: p.Name, Field: "name", Value: p.Name, Reason: "another profile has this name"}
				}
				if err := settings.ValidateProfileName(p.Name); err != nil {
					return err
				}
				// Copy first; the old entries go only once the new name is saved.
				if err := c.copySecrets(orig, p.Name); err != nil {
					return err
				}
				for i := range cfg.Profiles {
					if cfg.Profiles[i].Name == orig {
						cfg.Profiles[i].Name = p.Name
					}
				}
				if cfg.DefaultProfile == orig {
					cfg.DefaultProfile = p.Name
				}
			}
		}
		if err := cfg.Put(p); err != nil {
			return err
		}
		if creds != nil {
			var err error
			if prov, err = settings.SaveCredentials(cfg, p.Name, c.Secrets(), *creds); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		if renamed {
			_ = settings.DeleteProfileSecrets(c.Secrets(), p.Name)
		}
		return nil, err
	}
	if renamed {
		if err := settings.DeleteProfileSecrets(c.Secrets(), orig); err != nil {
			c.log.Warn("renamed profile: old secret entries not removed", "profile", orig, "err", err)
		}
	}
	if creds != nil {
		c.ResumeWaiting(p.Name)
	}
	return prov, nil
}

// copySecrets copies a profile's secret and token to another name.
func (c *Core) copySecrets(from, to string) error {
	for _, key := range [][2]string{{settings.SecretKey(from), settings.SecretKey(to)}, {settings.TokenKey(from), settings.TokenKey(to)}} {
		v, err := c.Secrets().Get(key[0])
		if errors.Is(err, settings.ErrSecretNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if err := c.Secrets().Set(key[1], v); err != nil {
			return err
		}
	}
	return nil
}

// RenameProfile renames a profile, keeping its id and moving its secrets.
func (c *Core) RenameProfile(from, to string) error {
	p, ok := c.Config().Profile(from)
	if !ok {
		return fmt.Errorf("no profile named %q", from)
	}
	p.Name = to
	_, err := c.SaveProfile(from, p, nil)
	return err
}

// RemoveProfile deletes a profile and its secrets. The Local bucket stays.
// Uploads recorded for it are no longer sent anywhere: they say it was removed.
func (c *Core) RemoveProfile(name string) error {
	err := c.update(func(cfg *settings.Config) error {
		p, ok := cfg.Profile(name)
		if !ok {
			return fmt.Errorf("no profile named %q", name)
		}
		if p.Local {
			return fmt.Errorf("the built-in %q cannot be removed", name)
		}
		cfg.Remove(name)
		return nil
	})
	if err != nil {
		return err
	}
	if err := settings.DeleteProfileSecrets(c.Secrets(), name); err != nil {
		return fmt.Errorf("profile %q removed, but its secrets were not: %w", name, err)
	}
	return nil
}

// SetDefault makes name the profile used at launch.
func (c *Core) SetDefault(name string) error {
	return c.update(func(cfg *settings.Config) error {
		if _, ok := cfg.Profile(name); !ok {
			return fmt.Errorf("no profile named %q", name)
		}
		cfg.DefaultProfile = name
		return nil
	})
}

// SetApp saves the app-wide behaviour settings.
func (c *Core) SetApp(a settings.App) error {
	return c.update(func(cfg *settings.Config) error {
		if a.ResumeOnLaunch == "" {
			a.ResumeOnLaunch = settings.ResumeAsk
		}
		cfg.App = a
		if err := cfg.Validate(); err != nil {
			return err
		}
		c.allowFile.Store(a.SecretsInFile)
		return nil
	})
}

// SetCredentials stores new credentials for a profile (a secret entered, STS
// renewed) and resumes every upload waiting for them. The returned provider
// serves them; hand it to Manager.SetCredentials when the profile is the
// current target.
func (c *Core) SetCredentials(name string, creds settings.Credentials) (*settings.Provider, error) {
	var prov *settings.Provider
	err := c.update(func(cfg *settings.Config) error {
		var err error
		prov, err = settings.SaveCredentials(cfg, name, c.Secrets(), creds)
		return err
	})
	if err != nil {
		return nil, err
	}
	c.ResumeWaiting(name)
	return prov, nil
}

// ResumeWaiting sends on the uploads waiting for the named profile's credentials.
func (c *Core) ResumeWaiting(name string) {
	p, ok := c.Config().Profile(name)
	c.mu.Lock()
	m := c.mgr
	c.mu.Unlock()
	if ok && m != nil {
		m.ResumeWaiting(p.ID)
	}
}

// Destination returns the upload target and options of a saved profile,
// starting the Local bucket the first time it is used. It may read the keyring
// or start a server: never call it on the UI goroutine.
func (c *Core) Destination(ctx context.Context, name string) (transfer.Target, transfer.Options, error) {
	p, ok := c.Config().Profile(name)
	if !ok {
		return transfer.Target{}, transfer.Options{}, fmt.Errorf("no profile named %q (see 'ossdrop profile list')", name)
	}
	t, err := c.Target(ctx, p)
	var we *WaitingError
	if errors.As(err, &we) {
		return transfer.Target{}, transfer.Options{}, we.Err // says how to give the secret
	}
	if err != nil {
		return transfer.Target{}, transfer.Options{}, err
	}
	return t, p.Options(), nil
}

// Target resolves a profile, saved or not (the settings form tests unsaved
// ones): endpoint, bucket, region, signing, the app-wide proxy and credentials
// (the environment override, else the stored secret). A profile whose secret
// is not available gives a *WaitingError, with the target whose credentials
// hold only the key id, for a window that opens anyway and asks for the secret.
func (c *Core) Target(ctx context.Context, p settings.Profile) (transfer.Target, error) {
	if p.Local {
		lb, err := c.LocalBucket(ctx)
		if err != nil {
			return transfer.Target{}, err
		}
		return lb.Target(), nil
	}
	cfg := c.Config()
	prov, err := settings.NewProviderFor(p, c.Secrets(), c.opts.Getenv)
	if err != nil {
		var ms *settings.MissingSecretError
		if errors.As(err, &ms) {
			empty := settings.NewProvider(settings.Credentials{AccessKeyID: p.AccessKeyID}, settings.SourceStored)
			return p.Target(empty, cfg.App.Proxy), &WaitingError{Profile: p.Name, Err: err}
		}
		return transfer.Target{}, err
	}
	return p.Target(prov, cfg.App.Proxy), nil
}

// WaitingError says a profile's secret is not available yet: uploads to it wait
// (it wraps transfer.ErrWaitingForCredentials) until the secret is entered.
type WaitingError struct {
	Profile string
	Err     error // why, e.g. a *settings.MissingSecretError
}

func (e *WaitingError) Error() string {
	return fmt.Sprintf("waiting for the secret of profile %q", e.Profile)
}

// Unwrap lets errors.Is find transfer.ErrWaitingForCredentials and errors.As the cause.
func (e *WaitingError) Unwrap() []error { return []error{transfer.ErrWaitingForCredentials, e.Err} }

// RemovedError says an upload was recorded for a profile that no longer exists.
// It wraps transfer.ErrDestinationRemoved.
type RemovedError struct{ Profile string }

func (e *RemovedError) Error() string {
	return fmt.Sprintf("profile %q was removed: remove this upload to forget it, or drop the file again to send it elsewhere", e.Profile)
}

// Unwrap lets errors.Is find transfer.ErrDestinationRemoved.
func (e *RemovedError) Unwrap() error { return transfer.ErrDestinationRemoved }

// Resolve answers "where does this recorded upload go, with which credentials":
// the profile it was recorded with (by id; by name for records older than ids),
// never another. It fits transfer.Config.Resolve.
func (c *Core) Resolve(ctx context.Context, d transfer.Destination) (transfer.Target, error) {
	cfg := c.Config()
	p, ok := cfg.ProfileByID(d.ID)
	if !ok && d.ID == "" && d.Profile != "" {
		p, ok = cfg.Profile(d.Profile)
	}
	if !ok {
		if d.ID == "" && d.Profile == "" {
			return c.envTarget(d)
		}
		name := d.Profile
		if name == "" {
			name = d.ID
		}
		return transfer.Target{}, &RemovedError{Profile: name}
	}
	t, err := c.Target(ctx, p)
	if err != nil {
		return transfer.Target{}, err
	}
	t.Bucket = d.Bucket
	return t, nil
}

// envTarget is the destination of an upload started with --endpoint and the
// OSS_ACCESS_KEY_* variables: it needs those variables again.
func (c *Core) envTarget(d transfer.Destination) (transfer.Target, error) {
	cr, ok, err := settings.EnvCredentials(c.opts.Getenv)
	if err != nil {
		return transfer.Target{}, err
	}
	if !ok {
		return transfer.Target{}, fmt.Errorf("%s was started with credentials from the environment: set %s and %s: %w",
			d, settings.EnvAccessKeyID, settings.EnvAccessKeySecret, transfer.ErrWaitingForCredentials)
	}
	return transfer.Target{Endpoint: d.Endpoint, Bucket: d.Bucket, Region: d.Region, AuthV4: d.AuthV4,
		Credentials: settings.NewProvider(cr, settings.SourceEnvironment), Proxy: c.Config().App.Proxy}, nil
}

// EnvTarget is the destination of --endpoint/--bucket with credentials from
// OSS_ACCESS_KEY_ID/OSS_ACCESS_KEY_SECRET (and OSS_SESSION_TOKEN).
func (c *Core) EnvTarget(endpoint, bucket, region string, v4 bool) (transfer.Target, error) {
	cr, ok, err := settings.EnvCredentials(c.opts.Getenv)
	if err != nil {
		return transfer.Target{}, err
	}
	if !ok {
		return transfer.Target{}, errors.New("--endpoint needs credentials: set OSS_ACCESS_KEY_ID and OSS_ACCESS_KEY_SECRET (and OSS_SESSION_TOKEN for STS)")
	}
	return transfer.Target{Endpoint: settings.EndpointURL(endpoint), Bucket: bucket, Region: region, AuthV4: v4,
		Credentials: settings.NewProvider(cr, settings.SourceEnvironment), Proxy: c.Config().App.Proxy}, nil
}

// LocalBucket starts the Local bucket on first call and returns the running one after.
func (c *Core) LocalBucket(ctx context.Context) (*LocalBucket, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.local != nil {
		return c.local, nil
	}
	lb, err := StartLocalBucket(ctx, LocalBucketOptions{Dir: c.opts.LocalBucketDir, Store: c.Secrets(), Logger: c.log})
	if err != nil {
		return nil, err
	}
	c.log.Info("local bucket started", "endpoint", lb.Endpoint(), "dir", lb.Dir())
	c.local = lb
	return lb, nil
}

// NewManager builds the transfer.Manager for t and o, resolving uploads recorded
// by earlier runs through Resolve. The core closes it in Close.
//
// Every task that ends is recorded in the upload history of the state directory,
// for the window and the command line alike.
//
// Each tune, when given, adjusts the Manager's configuration last (a command line
// forgets finished tasks, and sees each finished task before the history does).
func (c *Core) NewManager(t transfer.Target, o transfer.Options, tune ...func(*transfer.Config)) (*transfer.Manager, error) {
	cfg := transfer.Config{Target: t, Options: o, StateDir: c.opts.StateDir, Logger: c.log, Resolve: c.Resolve}
	rec, err := history.Open(c.opts.StateDir, history.Options{
		Secrets: func() []string { return secretsOf(t.Credentials) },
		OnError: func(err error) { c.log.Warn("upload history", "err", err) },
	})
	if err != nil {
		c.log.Warn("upload history is off", "err", err)
		rec = nil
	} else {
		cfg.OnFinished = rec.RecordTask
	}
	for _, f := range tune {
		f(&cfg)
	}
	m, err := transfer.NewManager(cfg)
	if err != nil {
		if rec != nil {
			rec.Close()
		}
		return nil, err
	}
	c.mu.Lock()
	c.mgr, c.hist = m, rec
	c.mu.Unlock()
	return m, nil
}

// History is the upload history the Manager records into; nil before
// NewManager or when the history could not be opened.
func (c *Core) History() *history.Recorder {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hist
}

// secretsOf lists the values of p that must never be written to the state dir.
func secretsOf(p oss.CredentialsProvider) []string {
	if p == nil {
		return nil
	}
	cr := p.GetCredentials()
	if cr == nil {
		return nil
	}
	return []string{cr.GetAccessKeySecret(), cr.GetSecurityToken()}
}

// CheckProfile runs the connection test for a profile, saved or not; creds,
// when given, are used instead of the stored ones.
func (c *Core) CheckProfile(ctx context.Context, p settings.Profile, creds *settings.Credentials, timeout time.Duration) (transfer.Target, settings.ConnResult) {
	var t transfer.Target
	var err error
	if creds != nil && !p.Local {
		t = p.Target(settings.NewProvider(*creds, settings.SourceStored), c.Config().App.Proxy)
	} else {
		t, err = c.Target(ctx, p)
	}
	if err != nil {
		return t, settings.ConnResult{Kind: settings.ConnInvalidSettings, Message: err.Error(), Err: err}
	}
	return t, settings.CheckConnection(ctx, t, timeout, c.opts.Getenv)
}

// Close stops the Manager (uploads resume next launch) and then the Local bucket.
func (c *Core) Close() error {
	c.mu.Lock()
	m, lb, h := c.mgr, c.local, c.hist
	c.mgr, c.local, c.hist = nil, nil, nil
	c.mu.Unlock()
	var errs []error
	if m != nil {
		errs = append(errs, m.Close())
	}
	if h != nil {
		errs = append(errs, h.Close()) // after the Manager has delivered every task
	}
	if lb != nil {
		errs = append(errs, lb.Close())
	}
	return errors.Join(errs...)
}

// LocalBucketDir is where the Local bucket keeps its objects.
func (c *Core) LocalBucketDir() string {
	if c.opts.LocalBucketDir != "" {
		return c.opts.LocalBucketDir
	}
	return settings.DefaultLocalBucketDir()
}

// AddProfiles adds several new profiles sharing one set of credentials (an
// ossutil import): all of them, or none when any name is taken or invalid.
func (c *Core) AddProfiles(ps []settings.Profile, creds settings.Credentials) error {
	var stored []string
	err := c.update(func(cfg *settings.Config) error {
		for _, p := range ps {
			if _, taken := cfg.Profile(p.Name); taken {
				return &settings.FieldError{Profile: p.Name, Field: "name", Value: p.Name, Reason: "another profile has this name; give the import another name"}
			}
			p.ID = ""
			if err := cfg.Put(p); err != nil {
				return err
			}
		}
		for _, p := range ps {
			if _, err := settings.SaveCredentials(cfg, p.Name, c.Secrets(), creds); err != nil {
				return err
			}
			stored = append(stored, p.Name)
		}
		return nil
	})
	if err != nil {
		for _, n := range stored {
			_ = settings.DeleteProfileSecrets(c.Secrets(), n)
		}
	}
	return err
}
