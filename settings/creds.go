package settings

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

// Environment variables that override stored credentials (the SDK's names).
const (
	EnvAccessKeyID     = "OSS_ACCESS_KEY_ID"
	EnvAccessKeySecret = "OSS_ACCESS_KEY_SECRET"
	EnvSessionToken    = "OSS_SESSION_TOKEN"
)

// Credentials are an AccessKey pair, with a security token and expiry for STS
// temporary credentials. Printing or logging them never shows the secret or
// the token.
type Credentials struct {
	AccessKeyID     string
	AccessKeySecret string
	SecurityToken   string    // STS only
	Expiry          time.Time // STS only; zero for long-term keys
}

// String shows the key id only.
func (c Credentials) String() string {
	s := "AccessKeyId " + c.AccessKeyID + ", secret hidden"
	if c.SecurityToken != "" {
		s += ", STS token hidden"
	}
	if !c.Expiry.IsZero() {
		s += ", expires " + c.Expiry.Format(time.RFC3339)
	}
	return s
}

// GoString keeps %#v from printing the secret.
func (c Credentials) GoString() string { return "settings.Credentials{" + c.String() + "}" }

// LogValue keeps slog from printing the secret.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("access_key_id", c.AccessKeyID),
		slog.Bool("sts", c.SecurityToken != ""), slog.Time("expiry", c.Expiry))
}

// Source says where a provider's credentials came from.
type Source string

// Credential sources.
const (
	SourceStored      Source = "stored"      // the profile's secret from the SecretStore
	SourceEnvironment Source = "environment" // OSS_ACCESS_KEY_ID/OSS_ACCESS_KEY_SECRET/OSS_SESSION_TOKEN
	SourceLocal       Source = "local"       // the built-in Local bucket
)

// Provider is an oss.CredentialsProvider whose credentials can be replaced at
// any time (the SDK asks on every request, so STS renewals reach uploads
// already running). It also answers the UI's "have they expired?" questions.
type Provider struct {
	mu     sync.RWMutex
	c      Credentials
	source Source
}

var _ oss.CredentialsProvider = (*Provider)(nil)

// NewProvider returns a provider serving c.
func NewProvider(c Credentials, source Source) *Provider {
	return &Provider{c: c, source: source}
}

// GetCredentials implements oss.CredentialsProvider.
func (p *Provider) GetCredentials() oss.Credentials {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return snapshot(p.c)
}

// Credentials returns the current credentials.
func (p *Provider) Credentials() Credentials {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.c
}

// Set replaces the credentials, e.g. with renewed STS ones.
func (p *Provider) Set(c Credentials, source Source) {
	p.mu.Lock()
	p.c, p.source = c, source
	p.mu.Unlock()
}

// Source says where the credentials came from.
func (p *Provider) Source() Source {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.source
}

// String never shows the secret.
func (p *Provider) String() string { return p.Credentials().String() }

// GoString keeps %#v from printing the secret.
func (p *Provider) GoString() string { return "&settings.Provider{" + p.String() + "}" }

// LogValue keeps slog from printing the secret.
func (p *Provider) LogValue() slog.Value { return p.Credentials().LogValue() }

// ExpiryState is how close temporary credentials are to expiring.
type ExpiryState int

// Expiry states.
const (
	NoExpiry     ExpiryState = iota // long-term AccessKey
	Valid                           // STS, more than the warning window left
	ExpiringSoon                    // STS, inside the warning window
	Expired                         // STS, past the expiry
)

func (s ExpiryState) String() string {
	switch s {
	case NoExpiry:
		return "no expiry"
	case Valid:
		return "valid"
	case ExpiringSoon:
		return "expiring soon"
	case Expired:
		return "expired"
	}
	return fmt.Sprintf("ExpiryState(%d)", int(s))
}

// ExpiryStatus is what the UI shows about temporary credentials.
type ExpiryStatus struct {
	State  ExpiryState
	Expiry time.Time
	Left   time.Duration // negative once expired
}

// Message is a sentence for the user, "" for long-term keys.
func (s ExpiryStatus) Message() string {
	switch s.State {
	case Expired:
		return fmt.Sprintf("The temporary (STS) credentials expired at %s; enter new ones to continue uploading.", s.Expiry.Local().Format("15:04:05"))
	case ExpiringSoon:
		return fmt.Sprintf("The temporary (STS) credentials expire in %s; uploads will pause then until new ones are entered.", s.Left.Round(time.Second))
	}
	return ""
}

// Status reports the expiry state at now, warning within the given window.
func (p *Provider) Status(now time.Time, window time.Duration) ExpiryStatus {
	c := p.Credentials()
	return expiryStatus(c.Expiry, now, window)
}

func expiryStatus(exp, now time.Time, window time.Duration) ExpiryStatus {
	if exp.IsZero() {
		return ExpiryStatus{State: NoExpiry}
	}
	left := exp.Sub(now)
	st := Valid
	switch {
	case left <= 0:
		st = Expired
	case left <= window:
		st = ExpiringSoon
	}
	return ExpiryStatus{State: st, Expiry: exp, Left: left}
}

// ExpiryStatus reports the profile's recorded STS expiry (no secret needed).
func (p Profile) ExpiryStatus(now time.Time, window time.Duration) ExpiryStatus {
	return expiryStatus(p.STSExpiry, now, window)
}

type snapshot Credentials

func (s snapshot) GetAccessKeyID() string     { return s.AccessKeyID }
func (s snapshot) GetAccessKeySecret() string { return s.AccessKeySecret }
func (s snapshot) GetSecurityToken() string   { return s.SecurityToken }

// The SDK hands snapshots around as oss.Credentials; printing one must not
// show the secret either.
func (s snapshot) String() string       { return Credentials(s).String() }
func (s snapshot) GoString() string     { return Credentials(s).GoString() }
func (s snapshot) LogValue() slog.Value { return Credentials(s).LogValue() }

// MissingSecretError means a profile has no stored secret: the UI should ask
// for it (and, when State is not persistent, explain why it is asked again).
type MissingSecretError struct {
	Profile string
	State   SecretState
}

func (e *MissingSecretError) Error() string {
	s := fmt.Sprintf("profile %q has no AccessKey secret stored; enter it (or set %s and %s)", e.Profile, EnvAccessKeyID, EnvAccessKeySecret)
	if !e.State.Persistent {
		s += "; " + e.State.Message()
	}
	return s
}

// EnvCredentials reads the override variables. ok is false when neither key
// variable is set; setting only one of them is an error.
func EnvCredentials(getenv func(string) string) (c Credentials, ok bool, err error) {
	id, secret := getenv(EnvAccessKeyID), getenv(EnvAccessKeySecret)
	switch {
	case id == "" && secret == "":
		return Credentials{}, false, nil
	case id == "":
		return Credentials{}, false, fmt.Errorf("%s is set but %s is not; set both or neither", EnvAccessKeySecret, EnvAccessKeyID)
	case secret == "":
		return Credentials{}, false, fmt.Errorf("%s is set but %s is not; set both or neither", EnvAccessKeyID, EnvAccessKeySecret)
	}
	return Credentials{AccessKeyID: id, AccessKeySecret: secret, SecurityToken: getenv(EnvSessionToken)}, true, nil
}

// LoadCredentials returns the profile's credentials: the environment override
// when OSS_ACCESS_KEY_ID/OSS_ACCESS_KEY_SECRET are set (getenv nil means no
// override), else the AccessKeyID from the profile with the secret and STS
// token from store. The Local bucket never takes the override: its server
// only knows its own keys.
func LoadCredentials(p Profile, store SecretStore, getenv func(string) string) (Credentials, Source, error) {
	if getenv != nil && !p.Local {
		c, ok, err := EnvCredentials(getenv)
		if err != nil {
			return Credentials{}, "", err
		}
		if ok {
			return c, SourceEnvironment, nil
		}
	}
	if p.Local && p.AccessKeyID == "" {
		id, err := store.Get(LocalKeyIDKey)
		if err != nil && !errors.Is(err, ErrSecretNotFound) {
			return Credentials{}, "", fmt.Errorf("local bucket: reading its credentials: %w", err)
		}
		p.AccessKeyID = id
	}
	if p.AccessKeyID == "" {
		return Credentials{}, "", &FieldError{Profile: p.Name, Field: "AccessKey ID", Reason: "not set; add it to the profile or set " + EnvAccessKeyID}
	}
	secret, err := store.Get(SecretKey(p.Name))
	if errors.Is(err, ErrSecretNotFound) {
		return Credentials{}, "", &MissingSecretError{Profile: p.Name, State: store.State()}
	}
	if err != nil {
		return Credentials{}, "", fmt.Errorf("profile %q: reading the AccessKey secret: %w", p.Name, err)
	}
	token, err := store.Get(TokenKey(p.Name))
	if err != nil && !errors.Is(err, ErrSecretNotFound) {
		return Credentials{}, "", fmt.Errorf("profile %q: reading the STS token: %w", p.Name, err)
	}
	c := Credentials{AccessKeyID: p.AccessKeyID, AccessKeySecret: secret, SecurityToken: token}
	if token != "" {
		c.Expiry = p.STSExpiry
	}
	src := SourceStored
	if p.Local {
		src = SourceLocal
	}
	return c, src, nil
}

// NewProviderFor is LoadCredentials wrapped in a Provider for transfer.Target.
func NewProviderFor(p Profile, store SecretStore, getenv func(string) string) (*Provider, error) {
	c, src, err := LoadCredentials(p, store, getenv)
	if err != nil {
		return nil, err
	}
	return NewProvider(c, src), nil
}

// SaveCredentials stores c for the named profile: the key id and STS expiry
// in cfg (save it afterwards with Store.Save), the secret and token in store.
// An empty token removes a previously stored one. It returns a fresh
// provider to hand to transfer.Manager.SetCredentials.
func SaveCredentials(cfg *Config, name string, store SecretStore, c Credentials) (*Provider, error) {
	idx := -1
	for i := range cfg.Profiles {
		if cfg.Profiles[i].Name == name {
			idx = i
		}
	}
	if idx < 0 {
		return nil, fmt.Errorf("no profile named %q", name)
	}
	if c.AccessKeyID == "" || c.AccessKeySecret == "" {
		return nil, &FieldError{Profile: name, Field: "credentials", Reason: "both the AccessKey ID and the secret are required"}
	}
	if c.SecurityToken == "" && !c.Expiry.IsZero() {
		return nil, &FieldError{Profile: name, Field: "STS expiry", Reason: "only temporary credentials with a security token expire"}
	}
	if err := store.Set(SecretKey(name), c.AccessKeySecret); err != nil {
		return nil, fmt.Errorf("profile %q: storing the AccessKey secret: %w", name, err)
	}
	if c.SecurityToken != "" {
		if err := store.Set(TokenKey(name), c.SecurityToken); err != nil {
			return nil, fmt.Errorf("profile %q: storing the STS token: %w", name, err)
		}
	} else if err := store.Delete(TokenKey(name)); err != nil {
		return nil, fmt.Errorf("profile %q: removing the old STS token: %w", name, err)
	}
	cfg.Profiles[idx].AccessKeyID = c.AccessKeyID
	cfg.Profiles[idx].STSExpiry = c.Expiry
	src := SourceStored
	if cfg.Profiles[idx].Local {
		src = SourceLocal
	}
	return NewProvider(c, src), nil
}
