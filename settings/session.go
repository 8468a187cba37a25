package settings

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
	"github.com/ossdrop/ossdrop/transfer"
)

// SessionOptions configures OpenSession; zero values mean the XDG defaults.
type SessionOptions struct {
	ConfigDir      string              // settings and opt-in secrets file; "" = DefaultDir()
	LocalBucketDir string              // "" = DefaultLocalBucketDir()
	Getenv         func(string) string // credential and proxy variables; nil = os.Getenv
	Logger         *slog.Logger        // for the Local bucket server; nil = discard
}

// Session is what the app holds for its lifetime: the loaded settings, the
// secret store, and the Local bucket once something uses it. Its methods are
// safe for concurrent use and save every change at once.
type Session struct {
	opts    SessionOptions
	store   *Store
	secrets SecretStore

	mu      sync.Mutex
	cfg     Config
	loadErr error
	local   *LocalBucket
}

// OpenSession loads the settings and picks the secret store. It always
// returns a usable session: a broken settings file gives defaults, with the
// reason in LoadError (show it; the file is kept aside on the next save).
func OpenSession(ctx context.Context, o SessionOptions) *Session {
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	st := NewStore(o.ConfigDir)
	cfg, err := st.Load()
	s := &Session{opts: o, store: st, cfg: cfg, loadErr: err}
	s.secrets = OpenSecretStore(ctx, SecretOptions{Dir: st.Dir(), AllowFile: cfg.App.SecretsInFile})
	return s
}

// LoadError is why the settings file could not be used at launch, or nil.
func (s *Session) LoadError() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.loadErr
}

// Path is the settings file.
func (s *Session) Path() string { return s.store.Path() }

// Secrets is the store holding AccessKey secrets and STS tokens.
func (s *Session) Secrets() SecretStore { return s.secrets }

// SecretState says where secrets are kept, for a notice in the window.
func (s *Session) SecretState() SecretState { return s.secrets.State() }

// Config returns a copy of the current settings.
func (s *Session) Config() Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.cfg
	c.Profiles = append([]Profile(nil), s.cfg.Profiles...)
	return c
}

// update applies f to a copy of the settings and saves it; on any error the
// session keeps the old settings.
func (s *Session) update(f func(*Config) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.cfg
	c.Profiles = append([]Profile(nil), s.cfg.Profiles...)
	if err := f(&c); err != nil {
		return err
	}
	if err := s.store.Save(c); err != nil {
		return err
	}
	s.cfg = c
	s.loadErr = nil
	return nil
}

// SaveProfile validates and stores p (added, or replacing the profile of the
// same name). With creds, the secret and token go to the secret store and the
// key id and STS expiry into the profile.
func (s *Session) SaveProfile(p Profile, creds *Credentials) error {
	return s.update(func(c *Config) error {
		if old, ok := c.Profile(p.Name); ok && old.Local != p.Local {
			return &FieldError{Profile: p.Name, Field: "name", Value: p.Name, Reason: "is taken by the built-in Local bucket"}
		}
		if err := c.Put(p); err != nil {
			return err
		}
		if creds != nil {
			if _, err := SaveCredentials(c, p.Name, s.secrets, *creds); err != nil {
				return err
			}
		}
		return nil
	})
}

// RenameProfile renames a profile and moves its secrets.
func (s *Session) RenameProfile(from, to string) error {
	err := s.update(func(c *Config) error {
		p, ok := c.Profile(from)
		if !ok {
			return fmt.Errorf("no profile named %q", from)
		}
		if p.Local {
			return fmt.Errorf("the built-in %q cannot be renamed", from)
		}
		if _, taken := c.Profile(to); taken {
			return &FieldError{Field: "name", Value: to, Reason: "another profile has this name"}
		}
		p.Name = to
		if err := p.Validate(); err != nil {
			return err
		}
		// Copy first, delete the old entries only once the new name is saved.
		for _, key := range [][2]string{{SecretKey(from), SecretKey(to)}, {TokenKey(from), TokenKey(to)}} {
			v, err := s.secrets.Get(key[0])
			if errors.Is(err, ErrSecretNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if err := s.secrets.Set(key[1], v); err != nil {
				return err
			}
		}
		for i := range c.Profiles {
			if c.Profiles[i].Name == from {
				c.Profiles[i] = p
			}
		}
		if c.DefaultProfile == from {
			c.DefaultProfile = to
		}
		return nil
	})
	if err != nil {
		return err
	}
	return DeleteProfileSecrets(s.secrets, from)
}

// RemoveProfile deletes a profile and its secrets. The Local bucket stays.
func (s *Session) RemoveProfile(name string) error {
	return s.update(func(c *Config) error {
		p, ok := c.Profile(name)
		if !ok {
			return fmt.Errorf("no profile named %q", name)
		}
		if p.Local {
			return fmt.Errorf("the built-in %q cannot be removed", name)
		}
		c.Remove(name)
		return DeleteProfileSecrets(s.secrets, name)
	})
}

// SetDefault makes name the profile used at launch.
func (s *Session) SetDefault(name string) error {
	return s.update(func(c *Config) error {
		if _, ok := c.Profile(name); !ok {
			return fmt.Errorf("no profile named %q", name)
		}
		c.DefaultProfile = name
		return nil
	})
}

// SetApp saves the app-wide behaviour settings.
func (s *Session) SetApp(a App) error {
	return s.update(func(c *Config) error {
		if a.ResumeOnLaunch == "" {
			a.ResumeOnLaunch = ResumeAsk
		}
		c.App = a
		return c.Validate()
	})
}

// RenewCredentials stores new (typically STS) credentials for a profile and
// returns a fresh provider for transfer.Manager.SetCredentials, which resumes
// the tasks paused for expired credentials.
func (s *Session) RenewCredentials(name string, creds Credentials) (*Provider, error) {
	var prov *Provider
	err := s.update(func(c *Config) error {
		var err error
		prov, err = SaveCredentials(c, name, s.secrets, creds)
		return err
	})
	return prov, err
}

// Resolve returns the upload destination and options of a profile, starting
// the Local bucket in-process the first time it is used.
func (s *Session) Resolve(ctx context.Context, name string) (transfer.Target, transfer.Options, *Provider, error) {
	s.mu.Lock()
	p, ok := s.cfg.Profile(name)
	app := s.cfg.App
	s.mu.Unlock()
	if !ok {
		return transfer.Target{}, transfer.Options{}, nil, fmt.Errorf("no profile named %q", name)
	}
	if p.Local {
		lb, err := s.LocalBucket(ctx)
		if err != nil {
			return transfer.Target{}, transfer.Options{}, nil, err
		}
		return lb.Target(), p.Options(), lb.Provider, nil
	}
	t, prov, err := TargetFor(p, app, s.secrets, s.opts.Getenv)
	if err != nil {
		return transfer.Target{}, transfer.Options{}, nil, err
	}
	return t, p.Options(), prov, nil
}

// LocalBucket starts the Local bucket on first call and returns the running one after.
func (s *Session) LocalBucket(ctx context.Context) (*LocalBucket, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.local != nil {
		return s.local, nil
	}
	lb, err := StartLocalBucketWith(ctx, LocalBucketOptions{Dir: s.opts.LocalBucketDir, Store: s.secrets, Logger: s.opts.Logger})
	if err != nil {
		return nil, err
	}
	s.local = lb
	return lb, nil
}

// CredentialsFor fits transfer.Config.CredentialsFor: credentials for an
// unfinished upload recorded under a profile (the endpoint is not needed:
// the Local bucket's port changes between launches).
func (s *Session) CredentialsFor(profile, endpoint string) (oss.CredentialsProvider, error) {
	s.mu.Lock()
	p, ok := s.cfg.Profile(profile)
	s.mu.Unlock()
	if !ok {
		if profile == "" {
			c, ok, err := EnvCredentials(s.opts.Getenv)
			if err != nil {
				return nil, err
			}
			if ok {
				return NewProvider(c, SourceEnvironment), nil
			}
		}
		return nil, fmt.Errorf("uploads to %s were started with profile %q, which no longer exists", endpoint, profile)
	}
	if p.Local {
		lb, err := s.LocalBucket(context.Background())
		if err != nil {
			return nil, err
		}
		return lb.Provider, nil
	}
	return NewProviderFor(p, s.secrets, s.opts.Getenv)
}

// CheckProfile runs the connection test for a saved profile.
func (s *Session) CheckProfile(ctx context.Context, name string, timeout time.Duration) ConnResult {
	t, _, _, err := s.Resolve(ctx, name)
	if err != nil {
		return ConnResult{Kind: ConnInvalidSettings, Message: err.Error(), Err: err}
	}
	return CheckConnection(ctx, t, timeout, s.opts.Getenv)
}

// Close stops the Local bucket if it was started.
func (s *Session) Close() error {
	s.mu.Lock()
	lb := s.local
	s.local = nil
	s.mu.Unlock()
	if lb != nil {
		return lb.Close()
	}
	return nil
}
