package settings

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/ini.v1"
)

// DefaultOssutilConfig is ~/.ossutilconfig, where `ossutil config` writes.
func DefaultOssutilConfig() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return ".ossutilconfig"
	}
	return filepath.Join(home, ".ossutilconfig")
}

// OssutilConfig is what an ossutil config file holds.
type OssutilConfig struct {
	Path        string
	Endpoint    string
	Credentials Credentials
	// BucketEndpoints is the [Bucket-Endpoint] section: per-bucket endpoints.
	BucketEndpoints map[string]string
}

// ReadOssutilConfig parses an ossutil (1.x) config file: [Credentials] with
// endpoint, accessKeyID, accessKeySecret and optional stsToken, plus the
// optional [Bucket-Endpoint] section. Errors name the file and the key; they
// never quote a value.
func ReadOssutilConfig(path string) (OssutilConfig, error) {
	if path == "" {
		path = DefaultOssutilConfig()
	}
	oc := OssutilConfig{Path: path, BucketEndpoints: map[string]string{}}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return oc, fmt.Errorf("ossutil config %s does not exist (run `ossutil config`, or name the file)", path)
	}
	if err != nil {
		return oc, fmt.Errorf("ossutil config: %w", err)
	}
	f, err := ini.LoadSources(ini.LoadOptions{Insensitive: false, IgnoreInlineComment: true}, data)
	if err != nil {
		return oc, fmt.Errorf("ossutil config %s is not a valid INI file: %v", path, redactINIError(err))
	}
	sec, err := f.GetSection("Credentials")
	if err != nil {
		return oc, fmt.Errorf("ossutil config %s has no [Credentials] section", path)
	}
	get := func(names ...string) string {
		for _, n := range names {
			for _, k := range sec.Keys() {
				if strings.EqualFold(k.Name(), n) {
					return strings.TrimSpace(k.Value())
				}
			}
		}
		return ""
	}
	oc.Endpoint = get("endpoint")
	oc.Credentials = Credentials{
		AccessKeyID:     get("accessKeyID", "accessKeyId", "access_key_id"),
		AccessKeySecret: get("accessKeySecret", "access_key_secret"),
		SecurityToken:   get("stsToken", "sts_token"),
	}
	var missing []string
	if oc.Endpoint == "" {
		missing = append(missing, "endpoint")
	}
	if oc.Credentials.AccessKeyID == "" {
		missing = append(missing, "accessKeyID")
	}
	if oc.Credentials.AccessKeySecret == "" {
		missing = append(missing, "accessKeySecret")
	}
	if len(missing) > 0 {
		return oc, fmt.Errorf("ossutil config %s: [Credentials] has no %s", path, strings.Join(missing, ", "))
	}
	if be, err := f.GetSection("Bucket-Endpoint"); err == nil {
		for _, k := range be.Keys() {
			if v := strings.TrimSpace(k.Value()); v != "" {
				oc.BucketEndpoints[k.Name()] = v
			}
		}
	}
	return oc, nil
}

// redactINIError keeps only the parser's description: a broken line might be
// one holding a key.
func redactINIError(err error) string {
	s := err.Error()
	if i := strings.Index(s, ": "); i >= 0 && strings.Contains(s[i:], "=") {
		return s[:i]
	}
	return s
}

// Profiles turns the ossutil config into profiles: one for bucket when it is
// given (named name, or "ossutil"), else one per [Bucket-Endpoint] entry
// (named "ossutil <bucket>"). Every profile shares the same credentials.
func (oc OssutilConfig) Profiles(name, bucket string) ([]Profile, error) {
	mk := func(n, b, ep string) Profile {
		return Profile{Name: n, Endpoint: ep, Bucket: b, AccessKeyID: oc.Credentials.AccessKeyID, Transfer: DefaultTransfer()}
	}
	var out []Profile
	switch {
	case bucket != "":
		if name == "" {
			name = "ossutil"
		}
		ep := oc.Endpoint
		if e, ok := oc.BucketEndpoints[bucket]; ok {
			ep = e
		}
		out = append(out, mk(name, bucket, ep))
	case len(oc.BucketEndpoints) > 0:
		buckets := make([]string, 0, len(oc.BucketEndpoints))
		for b := range oc.BucketEndpoints {
			buckets = append(buckets, b)
		}
		sort.Strings(buckets)
		for _, b := range buckets {
			n := "ossutil " + b
			if name != "" && len(buckets) == 1 {
				n = name
			}
			out = append(out, mk(n, b, oc.BucketEndpoints[b]))
		}
	default:
		return nil, fmt.Errorf("ossutil config %s names no bucket (ossutil keeps only credentials); give the bucket to use", oc.Path)
	}
	var errs []error
	for _, p := range out {
		if err := p.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := joinErrors(errs); err != nil {
		return nil, fmt.Errorf("importing %s: %w", oc.Path, err)
	}
	return out, nil
}
