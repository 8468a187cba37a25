package settings

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
	"github.com/ossdrop/ossdrop/transfer"
)

// ProxyFunc is the engine's proxy policy (transfer.ProxyFunc) for an explicit
// proxy that is first checked as a setting, so a bad one is reported as a
// *FieldError naming the field.
func ProxyFunc(explicit string, getenv func(string) string) (func(*http.Request) (*url.URL, error), error) {
	if explicit != "" {
		if err := ValidateProxy(explicit); err != nil {
			return nil, err
		}
	}
	return transfer.ProxyFunc(explicit, getenv)
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
