package settings

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/zalando/go-keyring"
)

// KeyringService is the service name of every keyring entry ossdrop writes.
const KeyringService = "ossdrop"

// SecretsFileName is the opt-in plaintext secrets file in the config directory.
const SecretsFileName = "secrets.json"

// ErrSecretNotFound is returned by SecretStore.Get for a key never stored.
var ErrSecretNotFound = errors.New("secret not found")

// SecretKey names the AccessKey secret of a profile in a SecretStore.
func SecretKey(profile string) string { return profile + "/secret" }

// TokenKey names the STS security token of a profile in a SecretStore.
func TokenKey(profile string) string { return profile + "/sts-token" }

// SecretStore keeps secrets by key. Implementations never put a secret value
// in an error message.
type SecretStore interface {
	Get(key string) (string, error) // ErrSecretNotFound when absent
	Set(key, value string) error
	Delete(key string) error // nil when absent
	State() SecretState
}

// SecretBackend is where secrets actually go.
type SecretBackend string

// Backends.
const (
	BackendKeyring SecretBackend = "keyring" // OS keyring: Secret Service, Keychain, Credential Manager
	BackendMemory  SecretBackend = "memory"  // this process only; lost on exit
	BackendFile    SecretBackend = "file"    // 0600 plaintext file, explicit opt-in
)

// SecretState tells the UI where secrets are kept and why, so it can show a
// notice when they are not in the keyring.
type SecretState struct {
	Backend SecretBackend
	// Persistent is false when secrets vanish when ossdrop exits.
	Persistent bool
	// Reason explains why the keyring is not used ("" when it is).
	Reason string
	// Path is the secrets file for BackendFile.
	Path string
}

// Message is a sentence for the user describing the state, in plain words:
// the technical Reason is left to logs and details views.
func (s SecretState) Message() string {
	switch s.Backend {
	case BackendKeyring:
		return "Secrets are stored in the system keyring."
	case BackendFile:
		return fmt.Sprintf("Warning: no system keyring was found, so secrets are stored unencrypted in %s, where any program running as you can read them (storing them in a file was allowed in Settings).", s.Path)
	default:
		return "No system keyring was found, so secrets are kept in memory only: ossdrop asks for them again after it exits. To keep them, start or unlock your keyring, or allow keeping secrets in a file in Settings."
	}
}

// SecretOptions configures OpenSecretStore.
type SecretOptions struct {
	// Dir holds the opt-in secrets file; "" means DefaultDir().
	Dir string
	// AllowFile is the user's explicit consent to a plaintext 0600 file when
	// no keyring is available (App.SecretsInFile).
	AllowFile bool
	// Timeout bounds the keyring probe and each keyring call; 0 means 10s.
	Timeout time.Duration
}

// OpenSecretStore picks where secrets go: the OS keyring when one answers,
// else the opt-in file, else process memory. It never fails; the returned
// store's State says which was chosen and why.
func OpenSecretStore(ctx context.Context, opts SecretOptions) SecretStore {
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	pctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	err := KeyringAvailable(pctx)
	cancel()
	if err == nil {
		return &keyringStore{timeout: opts.Timeout}
	}
	reason := err.Error()
	if opts.AllowFile {
		dir := opts.Dir
		if dir == "" {
			dir = DefaultDir()
		}
		return &fileStore{path: filepath.Join(dir, SecretsFileName), reason: reason}
	}
	return &memoryStore{reason: reason, m: sessionSecrets}
}

// keyringStore uses the OS keyring through go-keyring.
type keyringStore struct{ timeout time.Duration }

func (k *keyringStore) State() SecretState {
	return SecretState{Backend: BackendKeyring, Persistent: true}
}

// call bounds a keyring call: a Secret Service that shows an unlock prompt
// nobody answers would otherwise block forever.
func (k *keyringStore) call(what, key string, f func() error) error {
	done := make(chan error, 1)
	go func() { done <- f() }()
	t := time.NewTimer(k.timeout)
	defer t.Stop()
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, keyring.ErrNotFound) {
			return fmt.Errorf("keyring: %s %q: %w", what, key, err)
		}
		return err
	case <-t.C:
		return fmt.Errorf("keyring: %s %q: no answer within %s (is the keyring waiting to be unlocked?)", what, key, k.timeout)
	}
}

func (k *keyringStore) Get(key string) (string, error) {
	var v string
	err := k.call("reading", key, func() (err error) {
		v, err = keyring.Get(KeyringService, key)
		return err
	})
	if errors.Is(err, keyring.ErrNotFound) {
		return "", ErrSecretNotFound
	}
	return v, err
}

func (k *keyringStore) Set(key, value string) error {
	return k.call("storing", key, func() error { return keyring.Set(KeyringService, key, value) })
}

func (k *keyringStore) Delete(key string) error {
	err := k.call("deleting", key, func() error { return keyring.Delete(KeyringService, key) })
	if errors.Is(err, keyring.ErrNotFound) {
		return nil
	}
	return err
}

// sessionSecrets is the memory fallback shared by every store in the process,
// so that a secret entered once is found again for the rest of the session.
var sessionSecrets = &secretMap{m: map[string]string{}}

type secretMap struct {
	mu sync.Mutex
	m  map[string]string
}

type memoryStore struct {
	reason string
	m      *secretMap
}

func (s *memoryStore) State() SecretState {
	return SecretState{Backend: BackendMemory, Reason: s.reason}
}

func (s *memoryStore) Get(key string) (string, error) {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	v, ok := s.m.m[key]
	if !ok {
		return "", ErrSecretNotFound
	}
	return v, nil
}

func (s *memoryStore) Set(key, value string) error {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	s.m.m[key] = value
	return nil
}

func (s *memoryStore) Delete(key string) error {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	delete(s.m.m, key)
	return nil
}

// NewMemorySecretStore returns a store private to the caller that forgets
// everything when dropped; reason is shown in its State.
func NewMemorySecretStore(reason string) SecretStore {
	return &memoryStore{reason: reason, m: &secretMap{m: map[string]string{}}}
}

// fileStore keeps secrets in a 0600 JSON file: only with the user's consent.
type fileStore struct {
	mu     sync.Mutex
	path   string
	reason string
}

func (s *fileStore) State() SecretState {
	return SecretState{Backend: BackendFile, Persistent: true, Reason: s.reason, Path: s.path}
}

func (s *fileStore) load() (map[string]string, error) {
	data, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("secrets file: %w", err)
	}
	m := map[string]string{}
	if err := json.Unmarshal(data, &m); err != nil {
		// The JSON error could quote part of a secret; keep only the position.
		return nil, fmt.Errorf("secrets file %s is not valid JSON; fix or remove it", s.path)
	}
	return m, nil
}

func (s *fileStore) save(m map[string]string) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("secrets file: %w", err)
	}
	dir := filepath.Dir(s.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("secrets file: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("secrets file: %w", err)
	}
	if err := writeFileAtomic(s.path, data, 0o600); err != nil {
		return fmt.Errorf("secrets file %s: %w", s.path, err)
	}
	return nil
}

func (s *fileStore) Get(key string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.load()
	if err != nil {
		return "", err
	}
	v, ok := m[key]
	if !ok {
		return "", ErrSecretNotFound
	}
	return v, nil
}

func (s *fileStore) Set(key, value string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.load()
	if err != nil {
		return err
	}
	m[key] = value
	return s.save(m)
}

func (s *fileStore) Delete(key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.load()
	if err != nil {
		return err
	}
	if _, ok := m[key]; !ok {
		return nil
	}
	delete(m, key)
	return s.save(m)
}

// DeleteProfileSecrets removes the AccessKey secret and STS token of a profile.
func DeleteProfileSecrets(store SecretStore, profile string) error {
	return errors.Join(store.Delete(SecretKey(profile)), store.Delete(TokenKey(profile)))
}
