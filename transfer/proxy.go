package transfer

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strings"
)

// ProxyFunc is ossdrop's one proxy policy, used by uploads and the connection
// test alike. It decides the proxy for each request: the explicit proxy URL when
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
		u, err := url.Parse(explicit)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("proxy %q is not a valid URL (want http://host:port)", redactURL(explicit))
		}
		switch u.Scheme {
		case "http", "https", "socks5", "socks5h":
		default:
			return nil, fmt.Errorf("proxy %q: scheme %q is not supported; use http, https or socks5", redactURL(explicit), u.Scheme)
		}
		return func(r *http.Request) (*url.URL, error) {
			if IsLoopbackHost(r.URL.Hostname()) {
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
	if raw == "" || IsLoopbackHost(target.Hostname()) || noProxy(target, firstEnv(getenv, "NO_PROXY", "no_proxy")) {
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

// IsLoopbackHost reports whether host is localhost or a loopback address: such
// hosts are never proxied, and Settings accepts plain HTTP only for them.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
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
