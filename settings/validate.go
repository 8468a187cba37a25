package settings

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/dustin/go-humanize"
	"github.com/ossdrop/ossdrop/transfer"
)

// Validate checks every field of the profile and returns all problems at
// once (a *FieldError, or *ValidationErrors holding several).
func (p Profile) Validate() error {
	var errs []error
	add := func(err error) {
		if err == nil {
			return
		}
		if fe, ok := err.(*FieldError); ok {
			fe.Profile = p.Name
		}
		errs = append(errs, err)
	}
	add(ValidateProfileName(p.Name))
	if !p.Local {
		add(ValidateEndpoint(p.Endpoint, p.AllowHTTP))
	}
	add(ValidateBucket(p.Bucket))
	add(ValidatePrefix(p.Prefix))
	if p.SignatureV4 && p.SigningRegion() == "" && !p.Local {
		add(&FieldError{Field: "region", Reason: "signature V4 needs a region (e.g. cn-hangzhou) and none can be derived from the endpoint"})
	}
	if p.Region != "" {
		add(ValidateRegion(p.Region))
	}
	add(ValidateACL(p.ACL))
	add(ValidateStorageClass(p.StorageClass))
	if p.Callback != nil {
		add(ValidateCallback(*p.Callback))
	}
	add(p.Transfer.Validate())
	var out []error
	for _, e := range errs {
		if ve, ok := e.(*ValidationErrors); ok {
			for _, inner := range ve.Errs {
				if fe, ok := inner.(*FieldError); ok {
					fe.Profile = p.Name
				}
				out = append(out, inner)
			}
			continue
		}
		out = append(out, e)
	}
	return joinErrors(out)
}

// Validate checks the transfer defaults' ranges.
func (d TransferDefaults) Validate() error {
	var errs []error
	if d.PartSize < transfer.MinPartSize || d.PartSize > transfer.MaxPartSize {
		errs = append(errs, &FieldError{Field: "part size", Value: sizeString(d.PartSize),
			Reason: "must be between 100 KiB and 5 GiB (OSS limits for one part)"})
	}
	if d.TaskNum < MinTaskNum || d.TaskNum > MaxTaskNum {
		errs = append(errs, &FieldError{Field: "TaskNum (parts in parallel per file)", Value: fmt.Sprint(d.TaskNum),
			Reason: fmt.Sprintf("must be between %d and %d", MinTaskNum, MaxTaskNum)})
	}
	if d.Jobs < MinJobs || d.Jobs > MaxJobs {
		errs = append(errs, &FieldError{Field: "jobs (files in parallel)", Value: fmt.Sprint(d.Jobs),
			Reason: fmt.Sprintf("must be between %d and %d", MinJobs, MaxJobs)})
	}
	if d.LimitRate < 0 {
		errs = append(errs, &FieldError{Field: "bandwidth limit", Value: fmt.Sprint(d.LimitRate), Reason: "must be 0 (unlimited) or a positive number of bytes per second"})
	}
	if d.MultipartThreshold < 0 || d.MultipartThreshold > transfer.MaxPartSize {
		errs = append(errs, &FieldError{Field: "multipart threshold", Value: sizeString(d.MultipartThreshold),
			Reason: "must be between 0 (same as the part size) and 5 GiB (the largest single PutObject)"})
	}
	if _, err := transfer.ParseOnExists(d.OnExists); err != nil {
		errs = append(errs, &FieldError{Field: "on exists", Value: d.OnExists, Reason: "must be one of overwrite, skip, skip-identical, rename, ask"})
	}
	if d.CheckpointDir != "" && !strings.HasPrefix(d.CheckpointDir, "/") && !isWindowsAbs(d.CheckpointDir) {
		errs = append(errs, &FieldError{Field: "checkpoint directory", Value: d.CheckpointDir, Reason: "must be an absolute path"})
	}
	return joinErrors(errs)
}

func isWindowsAbs(p string) bool {
	return len(p) >= 3 && p[1] == ':' && (p[2] == '\\' || p[2] == '/')
}

func sizeString(n int64) string {
	if n < 0 {
		return fmt.Sprint(n)
	}
	return humanize.IBytes(uint64(n))
}

// ValidateProfileName checks a profile name: it names keyring entries
// ("<name>/secret"), so it may not contain '/' or control characters.
func ValidateProfileName(name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return &FieldError{Field: "name", Reason: "a profile needs a name"}
	case utf8.RuneCountInString(name) > maxNameLen:
		return &FieldError{Field: "name", Value: name, Reason: fmt.Sprintf("is longer than %d characters", maxNameLen)}
	case strings.ContainsRune(name, '/'):
		return &FieldError{Field: "name", Value: name, Reason: "may not contain '/'"}
	case !utf8.ValidString(name):
		return &FieldError{Field: "name", Reason: "is not valid UTF-8"}
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return &FieldError{Field: "name", Value: name, Reason: "may not contain control characters"}
	case name != strings.TrimSpace(name):
		return &FieldError{Field: "name", Value: name, Reason: "may not start or end with spaces"}
	}
	return nil
}

// ValidateEndpoint checks an endpoint URL or region shorthand. https is the
// default; plain http is refused unless the host is loopback or allowHTTP is
// set, because it sends signatures and data unencrypted.
func ValidateEndpoint(endpoint string, allowHTTP bool) error {
	if strings.TrimSpace(endpoint) == "" {
		return &FieldError{Field: "endpoint", Reason: "required: a URL like https://oss-cn-hangzhou.aliyuncs.com or a region like cn-hangzhou"}
	}
	// A mistyped endpoint may carry credentials; never echo them.
	shown := redactURL(endpoint)
	raw := EndpointURL(endpoint)
	u, err := url.Parse(raw)
	if err != nil {
		return &FieldError{Field: "endpoint", Value: shown, Reason: "is not a valid URL"}
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !allowHTTP && !transfer.IsLoopbackHost(u.Hostname()) {
			return &FieldError{Field: "endpoint", Value: shown,
				Reason: "plain http sends data unencrypted; use https, or allow http explicitly (only loopback addresses are allowed without asking)"}
		}
	default:
		return &FieldError{Field: "endpoint", Value: shown, Reason: fmt.Sprintf("scheme %q is not supported; use https:// (or http://)", u.Scheme)}
	}
	if u.User != nil {
		return &FieldError{Field: "endpoint", Reason: "must not contain a user name or password; keys go in the credentials fields"}
	}
	if u.Hostname() == "" {
		return &FieldError{Field: "endpoint", Value: shown, Reason: "has no host name"}
	}
	if u.Port() != "" {
		if _, err := net.LookupPort("tcp", u.Port()); err != nil {
			return &FieldError{Field: "endpoint", Value: shown, Reason: "has an invalid port"}
		}
	}
	if u.Path != "" && u.Path != "/" {
		return &FieldError{Field: "endpoint", Value: shown, Reason: "must not have a path; the bucket is set separately"}
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return &FieldError{Field: "endpoint", Value: shown, Reason: "must not have a query or fragment"}
	}
	return nil
}

// ValidateBucket applies OSS's bucket naming rules (the engine's, transfer.BucketNameProblem) as a field error.
func ValidateBucket(b string) error {
	if b == "" {
		return &FieldError{Field: "bucket", Reason: "required"}
	}
	if r := transfer.BucketNameProblem(b); r != "" {
		return &FieldError{Field: "bucket", Value: b, Reason: r}
	}
	return nil
}

// ValidatePrefix checks a destination prefix: valid UTF-8, no leading '/' or
// '\', no control characters, no "." or ".." segments, and short enough to
// leave room for a file name inside OSS's 1023-byte key limit.
func ValidatePrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	switch {
	case !utf8.ValidString(prefix):
		return &FieldError{Field: "prefix", Reason: "is not valid UTF-8 (OSS object keys must be)"}
	case strings.HasPrefix(prefix, "/") || strings.HasPrefix(prefix, "\\"):
		return &FieldError{Field: "prefix", Value: prefix, Reason: "must not start with '/' or '\\' (OSS keys are relative to the bucket)"}
	case len(prefix) >= MaxPrefixBytes:
		return &FieldError{Field: "prefix", Reason: fmt.Sprintf("is %d bytes; object keys are limited to %d bytes and a file name must still fit", len(prefix), MaxPrefixBytes)}
	case strings.IndexFunc(prefix, unicode.IsControl) >= 0:
		return &FieldError{Field: "prefix", Value: prefix, Reason: "must not contain control characters"}
	}
	for _, seg := range strings.Split(prefix, "/") {
		if seg == "." || seg == ".." {
			return &FieldError{Field: "prefix", Value: prefix, Reason: "must not contain \".\" or \"..\" path segments"}
		}
	}
	return nil
}

// ValidateRegion checks the form of a region id such as cn-hangzhou.
func ValidateRegion(r string) error {
	for _, c := range r {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return &FieldError{Field: "region", Value: r, Reason: "must look like cn-hangzhou (lowercase letters, digits, hyphens)"}
		}
	}
	if strings.HasPrefix(r, "oss-") {
		return &FieldError{Field: "region", Value: r, Reason: "is a region id without the \"oss-\" prefix, e.g. cn-hangzhou"}
	}
	return nil
}

var (
	acls           = []string{"", "default", "private", "public-read", "public-read-write"}
	storageClasses = []string{"", "Standard", "IA", "Archive", "ColdArchive", "DeepColdArchive"}
)

// ValidateACL accepts the OSS object ACLs, or "" for the bucket's default.
func ValidateACL(acl string) error {
	for _, a := range acls {
		if a == acl {
			return nil
		}
	}
	return &FieldError{Field: "ACL", Value: acl, Reason: "must be private, public-read, public-read-write or default"}
}

// ValidateStorageClass accepts the OSS storage classes, or "" for the bucket's.
func ValidateStorageClass(sc string) error {
	for _, s := range storageClasses {
		if s == sc {
			return nil
		}
	}
	return &FieldError{Field: "storage class", Value: sc, Reason: "must be Standard, IA, Archive, ColdArchive or DeepColdArchive"}
}

// ValidateCallback checks an upload callback: up to five http(s) URLs
// separated by ';', a known body type, and custom variables named x:….
func ValidateCallback(cb Callback) error {
	if cb.URL == "" {
		if cb.Body != "" || len(cb.Vars) > 0 {
			return &FieldError{Field: "callback URL", Reason: "required when a callback body or variables are set"}
		}
		return nil
	}
	urls := strings.Split(cb.URL, ";")
	if len(urls) > 5 {
		return &FieldError{Field: "callback URL", Reason: fmt.Sprintf("OSS accepts at most 5 URLs, got %d", len(urls))}
	}
	for _, s := range urls {
		u, err := url.Parse(strings.TrimSpace(s))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return &FieldError{Field: "callback URL", Value: s, Reason: "must be an http:// or https:// URL"}
		}
	}
	switch cb.BodyType {
	case "", "application/x-www-form-urlencoded", "application/json":
	default:
		return &FieldError{Field: "callback body type", Value: cb.BodyType, Reason: "must be application/x-www-form-urlencoded or application/json"}
	}
	for k := range cb.Vars {
		if !strings.HasPrefix(k, "x:") || len(k) < 3 || strings.ToLower(k) != k {
			return &FieldError{Field: "callback variable", Value: k, Reason: "names must start with \"x:\" and be lowercase (e.g. x:uid)"}
		}
	}
	return nil
}

// ValidateProxy checks an explicit proxy URL (http, https or socks5).
func ValidateProxy(proxy string) error {
	u, err := url.Parse(proxy)
	if err != nil || u.Host == "" {
		return &FieldError{Field: "proxy", Value: redactURL(proxy), Reason: "must be a URL like http://proxy.example.com:3128"}
	}
	switch u.Scheme {
	case "http", "https", "socks5", "socks5h":
		return nil
	}
	return &FieldError{Field: "proxy", Value: redactURL(proxy), Reason: fmt.Sprintf("scheme %q is not supported; use http, https or socks5", u.Scheme)}
}

// redactURL hides a password in a URL so it can be shown in a message.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		if i := strings.LastIndex(s, "@"); i >= 0 {
			return "…@" + s[i+1:]
		}
		return s
	}
	return u.Redacted()
}
