package settings

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strings"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
	"github.com/ossdrop/ossdrop/transfer"
)

// ProxyFunc decides the proxy for each request: the explicit proxy URL when
// given, else HTTPS_PROXY (https requests), HTTP_PROXY (http requests) and
// NO_PROXY, upper or lower case, as curl and Go's net/http read them. Loopback
// hosts are never proxied. getenv nil means os.Getenv; unlike
// http.ProxyFromEnvironment the environment is read on each call, not cached
// for the process.
func ProxyFunc(explicit string, getenv func(string) string) (func(*http.Request) (*url.URL, error), error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	if explicit != "" {
		if err := ValidateProxy(explicit); err != nil {
			return nil, err
		}
		u, _ := url.Parse(explicit)
		return func(r *http.Request) (*url.URL, error) {
			if isLoopbackHost(r.URL.Hostname()) {
				return nil, nil
			}
			return u, nil
		}, nil
	}
	return func(r *http.Request) (*url.URL, error) {
		return envProxy(r.URL, getenv)
	}, nil
}

func firstEnv(getenv func(string) string, names ...string) string {
	for _, n := range names {
		if v := getenv(n); v != "" {
			return v
		}
	}
	return ""
}

func envProxy(target *url.URL, getenv func(string) string) (*url.URL, error) {
	var raw string
	switch target.Scheme {
	case "https":
		raw = firstEnv(getenv, "HTTPS_PROXY", "https_proxy")
	case "http":
		raw = firstEnv(getenv, "HTTP_PROXY", "http_proxy")
	}
	if raw == "" || isLoopbackHost(target.Hostname()) || noProxy(target, firstEnv(getenv, "NO_PROXY", "no_proxy")) {
		return nil, nil
	}
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("proxy from the environment %q is not a valid URL", redactURL(raw))
	}
	return u, nil
}

// noProxy applies NO_PROXY: "*", IP addresses, CIDR ranges, and domain names
// matching the host and its subdomains (a leading '.' is optional), each
// optionally with ":port".
func noProxy(target *url.URL, list string) bool {
	host := strings.ToLower(target.Hostname())
	port := target.Port()
	if port == "" {
		port = map[string]string{"https": "443", "http": "80"}[target.Scheme]
	}
	addr, addrErr := netip.ParseAddr(host)
	for _, e := range strings.Split(list, ",") {
		e = strings.ToLower(strings.TrimSpace(e))
		if e == "" {
			continue
		}
		if e == "*" {
			return true
		}
		if p, err := netip.ParsePrefix(e); err == nil {
			if addrErr == nil && p.Contains(addr) {
				return true
			}
			continue
		}
		ehost, eport := e, ""
		if h, p, err := net.SplitHostPort(e); err == nil {
			ehost, eport = h, p
		}
		if eport != "" && eport != port {
			continue
		}
		if a, err := netip.ParseAddr(ehost); err == nil {
			if addrErr == nil && a == addr {
				return true
			}
			continue
		}
		ehost = strings.TrimPrefix(ehost, "*")
		ehost = strings.TrimPrefix(ehost, ".")
		if host == ehost || strings.HasSuffix(host, "."+ehost) {
			return true
		}
	}
	return false
}

// NewHTTPClient builds the HTTP client for OSS requests: the engine's
// (transfer.NewHTTPClient, so a connection test connects exactly as uploads do)
// with the proxy chosen by ProxyFunc.
func NewHTTPClient(proxy string, getenv func(string) string) (*http.Client, error) {
	pf, err := ProxyFunc(proxy, getenv)
	if err != nil {
		return nil, err
	}
	return transfer.NewHTTPClient(pf), nil
}

// NewClient builds an SDK client for t: its endpoint, signature version and
// region, credentials provider, proxy (t.Proxy, else the environment read with
// getenv; nil means os.Getenv) and t.ClientOptions last. Close the returned
// client's idle connections with CloseClient when done.
func NewClient(t transfer.Target, getenv func(string) string) (*oss.Client, error) {
	if t.Endpoint == "" {
		return nil, &FieldError{Profile: t.Profile, Field: "endpoint", Reason: "required"}
	}
	if t.Credentials == nil {
		return nil, &FieldError{Profile: t.Profile, Field: "credentials", Reason: "no credentials provider"}
	}
	if t.AuthV4 && t.Region == "" {
		return nil, &FieldError{Profile: t.Profile, Field: "region", Reason: "signature V4 needs a region (e.g. cn-hangzhou)"}
	}
	hc, err := NewHTTPClient(t.Proxy, getenv)
	if err != nil {
		return nil, err
	}
	return transfer.NewOSSClient(t, hc)
}

// CloseClient drops a client's idle connections (the SDK has no Close).
func CloseClient(c *oss.Client) {
	if c != nil && c.HTTPClient != nil {
		c.HTTPClient.CloseIdleConnections()
	}
}

// getBucketInfo is Client.GetBucketInfo with a context: the SDK's own version
// ignores oss.WithContext for service-level calls.
func getBucketInfo(ctx context.Context, c *oss.Client, bucket string) (oss.GetBucketInfoResult, error) {
	var out oss.GetBucketInfoResult
	resp, err := c.Conn.DoWithContext(ctx, "GET", bucket, "", map[string]interface{}{"bucketInfo": nil}, nil, nil, 0, nil)
	if err != nil {
		return out, err
	}
	defer resp.Body.Close()
	if err := xmlDecode(resp.Body, &out); err != nil {
		return out, fmt.Errorf("reading the GetBucketInfo reply: %w", err)
	}
	return out, nil
}
