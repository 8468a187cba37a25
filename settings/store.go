package settings

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/adrg/xdg"
)

// FileName is the settings file inside the config directory.
const FileName = "settings.json"

// DefaultDir is $XDG_CONFIG_HOME/ossdrop.
func DefaultDir() string { return filepath.Join(xdg.ConfigHome, "ossdrop") }

// DefaultLocalBucketDir is $XDG_DATA_HOME/ossdrop/local-bucket, where the
// Local bucket keeps its objects.
func DefaultLocalBucketDir() string { return filepath.Join(xdg.DataHome, "ossdrop", "local-bucket") }

// Store reads and writes the settings file in one directory. It is safe for
// concurrent use; writes are atomic (temp file, fsync, rename).
type Store struct {
	dir string
	mu  sync.Mutex
	now func() time.Time
}

// NewStore uses dir ("" means DefaultDir()) for the settings file.
func NewStore(dir string) *Store {
	if dir == "" {
		dir = DefaultDir()
	}
	return &Store{dir: dir, now: time.Now}
}

// Dir is the configuration directory.
func (s *Store) Dir() string { return s.dir }

// Path is the settings file.
func (s *Store) Path() string { return filepath.Join(s.dir, FileName) }

// LoadError says the settings file exists but cannot be used. Load still
// returns defaults with it, so the app can start; the broken file is moved
// aside (Backup) before anything is saved over it.
type LoadError struct {
	Path string
	Err  error
}

func (e *LoadError) Error() string {
	return fmt.Sprintf("settings file %s cannot be used, starting with defaults (it will be kept as %s.broken-<time> when settings are next saved): %v", e.Path, e.Path, e.Err)
}

func (e *LoadError) Unwrap() error { return e.Err }

// Load reads the settings. A missing file gives Defaults() and no error; a
// broken, unreadable or too-new file gives Defaults() and a *LoadError.
// Older formats are migrated in memory; the file is rewritten on the next Save.
func (s *Store) Load() (Config, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cfg, _, err := s.read()
	return cfg, err
}

// read returns the config and the on-disk version (0 when missing or broken).
func (s *Store) read() (Config, int, error) {
	path := s.Path()
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Defaults(), 0, nil
	}
	if err != nil {
		return Defaults(), 0, &LoadError{Path: path, Err: err}
	}
	cfg, version, err := decode(data)
	if err != nil {
		return Defaults(), 0, &LoadError{Path: path, Err: err}
	}
	return cfg, version, nil
}

// decode parses any supported version and migrates it to CurrentVersion.
func decode(data []byte) (Config, int, error) {
	var head struct {
		Version *int `json:"version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return Config{}, 0, describeJSONError(data, err)
	}
	if head.Version == nil {
		return Config{}, 0, errors.New(`no "version" field; this is not an ossdrop settings file`)
	}
	v := *head.Version
	switch {
	case v > CurrentVersion:
		return Config{}, v, fmt.Errorf("written by a newer ossdrop (format version %d; this version reads up to %d)", v, CurrentVersion)
	case v < 1:
		return Config{}, v, fmt.Errorf("unknown format version %d", v)
	}
	for from := v; from < CurrentVersion; from++ {
		var err error
		if data, err = migrations[from](data); err != nil {
			return Config{}, v, fmt.Errorf("migrating from format version %d: %w", from, err)
		}
	}
	var cfg Config
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return Config{}, v, describeJSONError(data, err)
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, v, fmt.Errorf("invalid settings: %w", err)
	}
	if cfg.App.ResumeOnLaunch == "" {
		cfg.App.ResumeOnLaunch = ResumeAsk
	}
	cfg.EnsureIDs()
	return cfg, v, nil
}

// describeJSONError adds the line and column of a syntax error.
func describeJSONError(data []byte, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	off := int64(-1)
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off < 0 {
		return err
	}
	line, col := 1, 1
	for _, c := range data[:min(int(off), len(data))] {
		if c == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return fmt.Errorf("line %d, column %d: %w", line, col, err)
}

// Save validates cfg and writes it atomically with mode 0600 in a 0700
// directory. A file on disk that does not load (broken, or from a newer
// version) is first renamed to settings.json.broken-<time>; an older version
// is copied to settings.json.v<N>.bak so a downgrade can still read it.
func (s *Store) Save(cfg Config) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cfg.Version = CurrentVersion
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("settings not saved: %w", err)
	}
	data, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding settings: %w", err)
	}
	data = append(data, '\n')
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return fmt.Errorf("creating settings directory: %w", err)
	}
	// MkdirAll leaves an existing directory's mode alone; settings may sit
	// next to a secrets file, so tighten it.
	if err := os.Chmod(s.dir, 0o700); err != nil {
		return fmt.Errorf("securing settings directory: %w", err)
	}
	if err := s.preserveOld(); err != nil {
		return err
	}
	if err := writeFileAtomic(s.Path(), data, 0o600); err != nil {
		return fmt.Errorf("saving settings: %w", err)
	}
	return nil
}

// preserveOld keeps what Save is about to replace when it is not a
// current-version file that loads cleanly.
func (s *Store) preserveOld() error {
	path := s.Path()
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading %s before saving: %w", path, err)
	}
	_, v, err := decode(data)
	switch {
	case err != nil:
		backup := fmt.Sprintf("%s.broken-%s", path, s.now().UTC().Format("20060102T150405.000000000Z"))
		if err := os.Rename(path, backup); err != nil {
			return fmt.Errorf("keeping the unusable settings file %s aside: %w", path, err)
		}
	case v < CurrentVersion:
		backup := fmt.Sprintf("%s.v%d.bak", path, v)
		if _, err := os.Stat(backup); err == nil {
			return nil
		}
		if err := writeFileAtomic(backup, data, 0o600); err != nil {
			return fmt.Errorf("backing up version %d settings: %w", v, err)
		}
	}
	return nil
}

// writeFileAtomic writes data to a temp file in the same directory, syncs it,
// renames it over path and syncs the directory, so a crash leaves either the
// old or the new file, never a torn one.
func writeFileAtomic(path string, data []byte, perm fs.FileMode) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err = f.Chmod(perm); err != nil {
		return err
	}
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	if d, derr := os.Open(dir); derr == nil {
		// Not every platform can fsync a directory; the rename already happened.
		_ = d.Sync()
		d.Close()
	}
	return nil
}
