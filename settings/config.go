// Package settings holds everything ossdrop remembers about the user: upload
// profiles, app-wide behaviour, and the secrets that go with the profiles.
//
// Settings live in a versioned JSON file under $XDG_CONFIG_HOME/ossdrop; secrets
// never do: they go to the OS keyring (or, when there is none, stay in memory
// for the session, or in a 0600 file when the user explicitly opts in).
package settings

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
	"github.com/ossdrop/ossdrop/transfer"
)

// CurrentVersion is the settings file format this build writes.
const CurrentVersion = 2

// LocalProfileName is the name of the built-in profile backed by the in-process
// OSS-compatible server.
const LocalProfileName = "Local bucket"

// LocalBucketName is the bucket the built-in Local bucket serves.
const LocalBucketName = "local"

// ResumePolicy says what to do with unfinished uploads found at launch.
type ResumePolicy string

// Resume policies.
const (
	ResumeAsk    ResumePolicy = "ask"
	ResumeAlways ResumePolicy = "always"
	ResumeNever  ResumePolicy = "never"
)

// ParseResumePolicy accepts "ask", "always" or "never".
func ParseResumePolicy(s string) (ResumePolicy, error) {
	switch p := ResumePolicy(s); p {
	case ResumeAsk, ResumeAlways, ResumeNever:
		return p, nil
	}
	return "", &FieldError{Field: "resume on launch", Value: s, Reason: "must be ask, always or never"}
}

// Config is the whole settings file.
type Config struct {
	Version        int       `json:"version"`
	DefaultProfile string    `json:"default_profile"`
	Profiles       []Profile `json:"profiles"`
	App            App       `json:"app"`
}

// App is app-wide behaviour, independent of the profile in use.
type App struct {
	ResumeOnLaunch ResumePolicy `json:"resume_on_launch"`
	Notifications  bool         `json:"notifications"`
	CloseToTray    bool         `json:"close_to_tray"`
	// Proxy is an explicit proxy URL (http://host:port, optionally with
	// user:password@); empty means HTTPS_PROXY/HTTP_PROXY/NO_PROXY decide.
	Proxy string `json:"proxy,omitempty"`
	// SecretsInFile is the explicit opt-in to keep secrets in a 0600 file when
	// no OS keyring is available. Off by default: the file is readable by
	// anything running as the user.
	SecretsInFile bool `json:"secrets_in_file,omitempty"`
	// Language of the window, applied at the next launch: "" follows the
	// system, else a BCP 47 tag of a translation ("en", "zh-Hans").
	Language string `json:"language,omitempty"`
}

// Profile is one destination: where to upload, how to sign, and the transfer
// defaults used with it. It holds no secret; those live in a SecretStore keyed
// by the profile name.
type Profile struct {
	// ID is the profile's stable identity, made when it is created and kept
	// through renames; uploads record it (not the name or the endpoint) so they
	// find their destination again in a later run.
	ID   string `json:"id,omitempty"`
	Name string `json:"name"`
	// Local marks the built-in Local bucket; its endpoint is only known once
	// StartLocalBucket runs.
	Local bool `json:"local,omitempty"`
	// Endpoint is a URL (https://oss-cn-hangzhou.aliyuncs.com) or a region
	// shorthand (cn-hangzhou); see EndpointURL.
	Endpoint string `json:"endpoint,omitempty"`
	// AllowHTTP permits a plain-http endpoint that is not loopback.
	AllowHTTP   bool   `json:"allow_http,omitempty"`
	Region      string `json:"region,omitempty"`
	Bucket      string `json:"bucket"`
	Prefix      string `json:"prefix,omitempty"`
	SignatureV4 bool   `json:"signature_v4,omitempty"`
	// AccessKeyID is not secret (it names the key, like a user name); the
	// matching secret and any STS token are in the SecretStore.
	AccessKeyID string `json:"access_key_id,omitempty"`
	// STSExpiry is when the stored temporary credentials stop working; zero
	// for long-term AccessKeys.
	STSExpiry    time.Time        `json:"sts_expiry,omitzero"`
	ACL          string           `json:"acl,omitempty"`
	StorageClass string           `json:"storage_class,omitempty"`
	Callback     *Callback        `json:"callback,omitempty"`
	Transfer     TransferDefaults `json:"transfer"`
}

// Callback mirrors transfer.Callback with stable JSON names.
type Callback struct {
	URL      string            `json:"url"`
	Host     string            `json:"host,omitempty"`
	Body     string            `json:"body,omitempty"`
	BodyType string            `json:"body_type,omitempty"`
	Vars     map[string]string `json:"vars,omitempty"`
}

// TransferDefaults are a profile's upload parameters (see transfer.Options).
type TransferDefaults struct {
	PartSize           int64  `json:"part_size"`
	TaskNum            int    `json:"task_num"`
	Jobs               int    `json:"jobs"`
	LimitRate          int64  `json:"limit_rate,omitempty"` // bytes/s, 0 = unlimited
	Checkpoint         bool   `json:"checkpoint"`
	CheckpointDir      string `json:"checkpoint_dir,omitempty"`
	MultipartThreshold int64  `json:"multipart_threshold,omitempty"`
	OnExists           string `json:"on_exists"` // transfer.OnExists names
}

// Ranges accepted by Validate: the engine's, so a saved profile is always one
// the engine runs.
const (
	MinTaskNum = 1
	MaxTaskNum = transfer.MaxTaskNum
	MinJobs    = 1
	MaxJobs    = transfer.MaxJobs
	// MaxPrefixBytes is OSS's object key limit; a prefix must leave room for a name.
	MaxPrefixBytes = 1023
	maxNameLen     = 64
)

// DefaultTransfer is what a new profile starts with: the engine's defaults,
// the same as the command line's, except that the window asks what to do
// with an object that already exists (the command line's --on-exists flag
// has its own default).
func DefaultTransfer() TransferDefaults {
	o := transfer.DefaultOptions()
	return TransferDefaults{
		PartSize:   o.PartSize,
		TaskNum:    o.TaskNum,
		Jobs:       o.Jobs,
		Checkpoint: o.EnableCheckpoint,
		// The window asks when an object exists; the command line cannot ask, so
		// its own default (transfer.DefaultOptions) is used there unless a flag says otherwise.
		OnExists: transfer.Ask.String(),
	}
}

// LocalProfileID is the built-in Local bucket's fixed profile id.
const LocalProfileID = "local"

// LocalProfile is the built-in Local bucket profile.
func LocalProfile() Profile {
	return Profile{ID: LocalProfileID, Name: LocalProfileName, Local: true, Bucket: LocalBucketName, Transfer: DefaultTransfer()}
}

// NewProfileID returns a fresh random profile id.
func NewProfileID() string { return "p-" + randomToken(12) }

// EnsureIDs gives every profile without an id one (the Local bucket its fixed
// id), as settings written before profiles had ids need; it reports whether it
// changed anything, so the caller can save.
func (c *Config) EnsureIDs() bool {
	changed := false
	for i := range c.Profiles {
		p := &c.Profiles[i]
		switch {
		case p.Local && p.ID != LocalProfileID:
			p.ID = LocalProfileID
		case p.ID == "":
			p.ID = NewProfileID()
		default:
			continue
		}
		changed = true
	}
	return changed
}

// ProfileByID returns the profile with the given id.
func (c Config) ProfileByID(id string) (Profile, bool) {
	if id == "" {
		return Profile{}, false
	}
	for _, p := range c.Profiles {
		if p.ID == id {
			return p, true
		}
	}
	return Profile{}, false
}

// Defaults is the configuration of a first launch: only the Local bucket,
// which is also the default profile.
func Defaults() Config {
	return Config{
		Version:        CurrentVersion,
		DefaultProfile: LocalProfileName,
		Profiles:       []Profile{LocalProfile()},
		App:            App{ResumeOnLaunch: ResumeAsk, Notifications: true},
	}
}

// Profile returns the named profile.
func (c Config) Profile(name string) (Profile, bool) {
	for _, p := range c.Profiles {
		if p.Name == name {
			return p, true
		}
	}
	return Profile{}, false
}

// Default returns the default profile, falling back to the first one.
func (c Config) Default() (Profile, bool) {
	if p, ok := c.Profile(c.DefaultProfile); ok {
		return p, true
	}
	if len(c.Profiles) > 0 {
		return c.Profiles[0], true
	}
	return Profile{}, false
}

// Put validates p and adds it, or replaces the profile of the same name.
// A profile without an id gets the id of the profile it replaces, or a new one.
func (c *Config) Put(p Profile) error {
	if err := p.Validate(); err != nil {
		return err
	}
	for i := range c.Profiles {
		if c.Profiles[i].Name == p.Name {
			if p.ID == "" {
				p.ID = c.Profiles[i].ID
			}
			c.Profiles[i] = p
			return nil
		}
	}
	if p.ID == "" {
		p.ID = NewProfileID()
		if p.Local {
			p.ID = LocalProfileID
		}
	}
	c.Profiles = append(c.Profiles, p)
	return nil
}

// Remove deletes the named profile and reports whether it existed. Its secrets
// are the caller's to delete (see DeleteProfileSecrets).
func (c *Config) Remove(name string) bool {
	n := len(c.Profiles)
	c.Profiles = slices.DeleteFunc(c.Profiles, func(p Profile) bool { return p.Name == name })
	if c.DefaultProfile == name {
		c.DefaultProfile = ""
		if len(c.Profiles) > 0 {
			c.DefaultProfile = c.Profiles[0].Name
		}
	}
	return len(c.Profiles) != n
}

// Validate checks the whole configuration; the error lists every problem.
func (c Config) Validate() error {
	var errs []error
	seen, seenID := map[string]bool{}, map[string]bool{}
	for _, p := range c.Profiles {
		if seen[p.Name] {
			errs = append(errs, &FieldError{Profile: p.Name, Field: "name", Value: p.Name, Reason: "two profiles have this name"})
		}
		seen[p.Name] = true
		if p.ID != "" && seenID[p.ID] {
			errs = append(errs, &FieldError{Profile: p.Name, Field: "id", Value: p.ID, Reason: "two profiles have this id"})
		}
		seenID[p.ID] = true
		if err := p.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	if c.App.ResumeOnLaunch != "" {
		if _, err := ParseResumePolicy(string(c.App.ResumeOnLaunch)); err != nil {
			errs = append(errs, err)
		}
	}
	if c.App.Proxy != "" {
		if err := ValidateProxy(c.App.Proxy); err != nil {
			errs = append(errs, err)
		}
	}
	return joinErrors(errs)
}

// regionShorthand matches OSS region ids (cn-hangzhou, ap-southeast-1,
// rg-china-mainland…), optionally with the "oss-" host prefix. The leading
// area code is listed so that a dot-less host name like "my-nas" is not mistaken
// for a region.
var regionShorthand = regexp.MustCompile(`^(oss-)?((?:cn|us|ap|eu|me|rg|na|sa|af)(?:-[a-z0-9]+)+)$`)

// EndpointURL expands a profile's endpoint: a region shorthand such as
// "cn-hangzhou" (or "oss-cn-hangzhou") becomes https://oss-cn-hangzhou.aliyuncs.com,
// a bare host gets https://, and a URL is returned without a trailing slash.
func EndpointURL(endpoint string) string {
	e := strings.TrimSpace(endpoint)
	if m := regionShorthand.FindStringSubmatch(e); m != nil {
		return "https://oss-" + m[2] + ".aliyuncs.com"
	}
	if e != "" && !strings.Contains(e, "://") {
		e = "https://" + e
	}
	return strings.TrimRight(e, "/")
}

var aliyunHost = regexp.MustCompile(`^oss-((?:cn|us|ap|eu|me|rg|na|sa|af)(?:-[a-z0-9]+)+?)(?:-internal)?\.aliyuncs\.com$`)

// RegionOf derives the signing region from a region shorthand or an
// oss-<region>.aliyuncs.com endpoint; "" when it cannot tell.
func RegionOf(endpoint string) string {
	e := strings.TrimSpace(endpoint)
	if m := regionShorthand.FindStringSubmatch(e); m != nil {
		return m[2]
	}
	u := EndpointURL(e)
	host := strings.TrimPrefix(strings.TrimPrefix(u, "https://"), "http://")
	host, _, _ = strings.Cut(host, "/")
	if m := aliyunHost.FindStringSubmatch(host); m != nil {
		return m[1]
	}
	return ""
}

// SigningRegion is the region used for V4 signatures: the explicit Region, or
// the one derived from the endpoint.
func (p Profile) SigningRegion() string {
	if p.Region != "" {
		return p.Region
	}
	return RegionOf(p.Endpoint)
}

// Target converts the profile into the engine's destination, with creds asked
// on every request and proxy the app-wide explicit proxy ("" leaves the choice
// to HTTPS_PROXY/HTTP_PROXY/NO_PROXY). The Local bucket has no endpoint until
// it runs: use LocalBucket.Target for it.
func (p Profile) Target(creds oss.CredentialsProvider, proxy string) transfer.Target {
	t := transfer.Target{
		Dest:        p.ID,
		Profile:     p.Name,
		Endpoint:    EndpointURL(p.Endpoint),
		Bucket:      p.Bucket,
		AuthV4:      p.SignatureV4,
		Credentials: creds,
		Proxy:       proxy,
	}
	if p.SignatureV4 {
		t.Region = p.SigningRegion()
	}
	return t
}

// Options converts the profile's transfer defaults, ACL, storage class and
// callback into engine options. Call Validate first: an unknown on-exists
// name falls back to overwrite here.
func (p Profile) Options() transfer.Options {
	d := p.Transfer
	onExists, err := transfer.ParseOnExists(d.OnExists)
	if err != nil {
		onExists = transfer.Overwrite
	}
	o := transfer.Options{
		PartSize:           d.PartSize,
		TaskNum:            d.TaskNum,
		Jobs:               d.Jobs,
		MultipartThreshold: d.MultipartThreshold,
		EnableCheckpoint:   d.Checkpoint,
		CheckpointDir:      d.CheckpointDir,
		OnExists:           onExists,
		LimitRate:          d.LimitRate,
		Meta:               transfer.ObjectMeta{ACL: p.ACL, StorageClass: p.StorageClass},
	}
	if p.Callback != nil && p.Callback.URL != "" {
		cb := transfer.Callback{URL: p.Callback.URL, Host: p.Callback.Host, Body: p.Callback.Body, BodyType: p.Callback.BodyType}
		if len(p.Callback.Vars) > 0 {
			cb.Vars = make(map[string]string, len(p.Callback.Vars))
			for k, v := range p.Callback.Vars {
				cb.Vars[k] = v
			}
		}
		o.Callback = &cb
	}
	return o
}

func joinErrors(errs []error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return &ValidationErrors{Errs: errs}
}

// ValidationErrors is several problems found at once; each is usually a *FieldError.
type ValidationErrors struct{ Errs []error }

func (e *ValidationErrors) Error() string {
	parts := make([]string, len(e.Errs))
	for i, err := range e.Errs {
		parts[i] = err.Error()
	}
	return strings.Join(parts, "; ")
}

// Unwrap lets errors.As find each *FieldError.
func (e *ValidationErrors) Unwrap() []error { return e.Errs }

// FieldError is one invalid setting: which profile and field, the offending
// value (never a secret), and why it is refused.
type FieldError struct {
	Profile string
	Field   string
	Value   string
	Reason  string
}

func (e *FieldError) Error() string {
	var b strings.Builder
	if e.Profile != "" {
		fmt.Fprintf(&b, "profile %q: ", e.Profile)
	}
	b.WriteString(e.Field)
	if e.Value != "" {
		fmt.Fprintf(&b, " %q", e.Value)
	}
	b.WriteString(": ")
	b.WriteString(e.Reason)
	return b.String()
}
