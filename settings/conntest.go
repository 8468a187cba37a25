package settings

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
	"github.com/ossdrop/ossdrop/transfer"
)

// ConnKind classifies the outcome of a connection test, so the UI can pick an
// icon and point at the field to fix.
type ConnKind int

// Connection test outcomes.
const (
	ConnOK                 ConnKind = iota
	ConnInvalidSettings             // the target is incomplete (no endpoint, no credentials…)
	ConnDNS                         // the endpoint's host name does not resolve
	ConnTLS                         // certificate not trusted, wrong host name, or not TLS
	ConnTimeout                     // no answer in time
	ConnRefused                     // nothing listens at the endpoint
	ConnProxy                       // the proxy could not be reached or refused
	ConnNetwork                     // another network failure (reset, unreachable…)
	ConnInvalidAccessKeyID          // InvalidAccessKeyId
	ConnSignatureMismatch           // SignatureDoesNotMatch: wrong secret
	ConnAccessDenied                // AccessDenied: key valid, not allowed
	ConnNoSuchBucket                // NoSuchBucket
	ConnWrongRegion                 // bucket lives in another region / endpoint
	ConnTokenExpired                // STS token expired or invalid
	ConnOther                       // any other OSS error or surprise
)

var connKindNames = [...]string{"ok", "invalid settings", "dns", "tls", "timeout", "refused", "proxy", "network",
	"invalid access key id", "signature mismatch", "access denied", "no such bucket", "wrong region", "token expired", "other"}

func (k ConnKind) String() string {
	if k < 0 || int(k) >= len(connKindNames) {
		return fmt.Sprintf("ConnKind(%d)", int(k))
	}
	return connKindNames[k]
}

// BucketSummary is what a successful test learned about the bucket.
type BucketSummary struct {
	Name, Location, StorageClass, ACL string
	Created                           time.Time
}

// ConnResult is the outcome of CheckConnection. Message is a sentence for the
// user; it never contains a secret.
type ConnResult struct {
	Kind      ConnKind
	Message   string
	Endpoint  string
	Code      string // OSS error code, when OSS answered
	RequestID string
	Status    int
	// SuggestedEndpoint is the endpoint OSS said the bucket must be addressed
	// with (wrong region), when it said so.
	SuggestedEndpoint string
	Bucket            *BucketSummary // set on success
	Elapsed           time.Duration
	Err               error // the underlying error, nil on success
}

// OK reports whether the bucket was reached with valid credentials.
func (r ConnResult) OK() bool { return r.Kind == ConnOK }

// Error makes a failed result usable as an error.
func (r ConnResult) Error() string { return r.Message }

// Unwrap exposes the underlying error.
func (r ConnResult) Unwrap() error { return r.Err }

// DefaultConnTimeout bounds CheckConnection when the caller gives no timeout.
const DefaultConnTimeout = 15 * time.Second

// CheckConnection calls GetBucketInfo on t's bucket through the SDK and
// explains the outcome. timeout bounds the whole test (0: DefaultConnTimeout);
// getenv is used for proxy variables (nil: os.Getenv).
func CheckConnection(ctx context.Context, t transfer.Target, timeout time.Duration, getenv func(string) string) ConnResult {
	if timeout <= 0 {
		timeout = DefaultConnTimeout
	}
	res := ConnResult{Endpoint: t.Endpoint}
	if err := ValidateBucket(t.Bucket); err != nil {
		res.Kind, res.Message, res.Err = ConnInvalidSettings, err.Error(), err
		return res
	}
	c, err := NewClient(t, getenv)
	if err != nil {
		res.Kind, res.Message, res.Err = ConnInvalidSettings, err.Error(), err
		return res
	}
	defer CloseClient(c)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	info, err := getBucketInfo(ctx, c, t.Bucket)
	res.Elapsed = time.Since(start)
	if err == nil {
		b := info.BucketInfo
		res.Kind = ConnOK
		res.Bucket = &BucketSummary{Name: b.Name, Location: b.Location, StorageClass: b.StorageClass, ACL: b.ACL, Created: b.CreationDate}
		res.Message = fmt.Sprintf("Connected: bucket %q", t.Bucket)
		if b.Location != "" {
			res.Message += " in " + b.Location
		}
		res.Message += fmt.Sprintf(" answered in %s.", res.Elapsed.Round(time.Millisecond))
		return res
	}
	res.Err = err
	classify(&res, t, err, timeout)
	return res
}

func classify(res *ConnResult, t transfer.Target, err error, timeout time.Duration) {
	host := t.Endpoint
	if u, perr := url.Parse(t.Endpoint); perr == nil && u.Host != "" {
		host = u.Host
	}
	var se oss.ServiceError
	if errors.As(err, &se) {
		classifyService(res, t, se)
		return
	}
	var dnsErr *net.DNSError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalidCert x509.CertificateInvalidError
	var verifyErr *tls.CertificateVerificationError
	var recordErr tls.RecordHeaderError
	var alert tls.AlertError
	var uerr *url.Error
	var nerr net.Error
	switch {
	case isProxyError(err):
		res.Kind = ConnProxy
		res.Message = fmt.Sprintf("Could not connect through the proxy%s: %v. Check the proxy setting or HTTPS_PROXY/HTTP_PROXY.", proxyAddr(err), rootCause(err))
	case errors.As(err, &dnsErr):
		res.Kind = ConnDNS
		if dnsErr.IsNotFound {
			res.Message = fmt.Sprintf("The endpoint's host name %q does not exist (DNS lookup found nothing). Check the endpoint or region spelling.", dnsErr.Name)
		} else {
			res.Message = fmt.Sprintf("Could not look up the endpoint's host name %q: %v. Check your network or DNS settings.", dnsErr.Name, dnsErr.Err)
		}
	case errors.As(err, &unknownCA), errors.As(err, &verifyErr) && errors.As(verifyErr.Err, &unknownCA):
		res.Kind = ConnTLS
		res.Message = fmt.Sprintf("The TLS certificate of %s is not signed by an authority this computer trusts, so the connection is not safe. Check the endpoint (or a proxy intercepting HTTPS).", host)
	case errors.As(err, &hostErr):
		res.Kind = ConnTLS
		res.Message = fmt.Sprintf("The TLS certificate presented by %s is for another host name (%v). Check the endpoint.", host, hostErr)
	case errors.As(err, &invalidCert):
		res.Kind = ConnTLS
		res.Message = fmt.Sprintf("The TLS certificate of %s is not valid: %v. Check the endpoint and this computer's clock.", host, invalidCert)
	case errors.As(err, &verifyErr):
		res.Kind = ConnTLS
		res.Message = fmt.Sprintf("The TLS certificate of %s could not be verified: %v.", host, verifyErr.Err)
	case errors.As(err, &recordErr):
		res.Kind = ConnTLS
		res.Message = fmt.Sprintf("%s did not answer with TLS; it may expect plain http, or the port is wrong.", host)
	case strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		res.Kind = ConnTLS
		res.Message = fmt.Sprintf("%s did not answer with TLS but with plain HTTP; use http:// (only for loopback or a trusted network) or the right port.", host)
	case errors.As(err, &alert):
		res.Kind = ConnTLS
		res.Message = fmt.Sprintf("The TLS handshake with %s failed: %v.", host, alert)
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &nerr) && nerr.Timeout():
		res.Kind = ConnTimeout
		res.Message = fmt.Sprintf("%s did not answer within %s. Check the endpoint, your network, firewall or proxy.", host, timeout)
	case errors.Is(err, syscall.ECONNREFUSED):
		res.Kind = ConnRefused
		res.Message = fmt.Sprintf("Nothing accepts connections at %s (connection refused). Check the endpoint and port; for the Local bucket, is it running?", host)
	case errors.Is(err, context.Canceled):
		res.Kind = ConnOther
		res.Message = "The connection test was canceled."
	case errors.As(err, &uerr):
		res.Kind = ConnNetwork
		res.Message = fmt.Sprintf("Could not talk to %s: %v.", host, rootCause(err))
	default:
		res.Kind = ConnOther
		res.Message = fmt.Sprintf("The connection test failed: %v.", err)
	}
}

func isProxyError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "proxyconnect"
}

func proxyAddr(err error) string {
	var op *net.OpError
	if errors.As(err, &op) && op.Addr != nil {
		return " at " + op.Addr.String()
	}
	return ""
}

func rootCause(err error) error {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err
		}
		err = u
	}
}

func classifyService(res *ConnResult, t transfer.Target, se oss.ServiceError) {
	res.Code, res.RequestID, res.Status = se.Code, se.RequestID, se.StatusCode
	ref := ""
	if se.Code != "" {
		ref = " (" + se.Code
		if se.RequestID != "" {
			ref += ", RequestId " + se.RequestID
		}
		ref += ")"
	}
	lowerMsg := strings.ToLower(se.Message)
	switch {
	case se.Endpoint != "" || strings.Contains(lowerMsg, "must be addressed using the specified endpoint"):
		res.Kind = ConnWrongRegion
		res.SuggestedEndpoint = se.Endpoint
		if se.Endpoint != "" {
			ep := se.Endpoint
			if !strings.Contains(ep, "://") {
				ep = "https://" + ep
			}
			res.SuggestedEndpoint = ep
			res.Message = fmt.Sprintf("Bucket %q is in another region: OSS says to use the endpoint %s%s.", t.Bucket, ep, ref)
		} else {
			res.Message = fmt.Sprintf("Bucket %q is in another region than endpoint %s; choose the bucket's region%s.", t.Bucket, t.Endpoint, ref)
		}
	case (se.Code == "SignatureDoesNotMatch" || se.Code == "InvalidArgument") && strings.Contains(lowerMsg, "region"):
		res.Kind = ConnWrongRegion
		res.Message = fmt.Sprintf("The signature region %q does not match the bucket's region; set the profile's region to the bucket's%s.", t.Region, ref)
	default:
		classifyOSS(res, t, se, ref)
	}
}

// classifyOSS explains the OSS error kinds the engine knows (transfer.ClassifyOSS).
func classifyOSS(res *ConnResult, t transfer.Target, se oss.ServiceError, ref string) {
	switch transfer.ClassifyOSS(se.Code, se.StatusCode) {
	case transfer.OSSUnknownKeyID:
		id := ""
		if t.Credentials != nil {
			id = t.Credentials.GetCredentials().GetAccessKeyID()
		}
		res.Kind = ConnInvalidAccessKeyID
		res.Message = fmt.Sprintf("OSS does not know the AccessKey ID %q: check it, or whether the key was disabled or deleted%s.", id, ref)
	case transfer.OSSWrongSecret:
		res.Kind = ConnSignatureMismatch
		res.Message = "The AccessKey secret does not match the AccessKey ID; enter the secret again" + ref + "."
	case transfer.OSSTokenExpired:
		res.Kind = ConnTokenExpired
		res.Message = "The temporary (STS) credentials have expired or are not valid; enter new ones" + ref + "."
	case transfer.OSSNoSuchBucket:
		res.Kind = ConnNoSuchBucket
		res.Message = fmt.Sprintf("There is no bucket %q at %s; check the bucket name and the region%s.", t.Bucket, t.Endpoint, ref)
	case transfer.OSSAccessDenied:
		res.Kind = ConnAccessDenied
		res.Message = fmt.Sprintf("The key is valid but may not read bucket %q's information; check its RAM policy (uploads still work if it allows oss:PutObject)%s.", t.Bucket, ref)
	case transfer.OSSClockSkew:
		res.Kind = ConnOther
		res.Message = "This computer's clock is too far from OSS's; correct the system time" + ref + "."
	default:
		res.Kind = ConnOther
		msg := se.Message
		if msg == "" {
			msg = fmt.Sprintf("HTTP status %d", se.StatusCode)
		}
		res.Message = fmt.Sprintf("OSS refused the request: %s%s.", strings.TrimSuffix(msg, "."), ref)
	}
}

func xmlDecode(r io.Reader, v any) error { return xml.NewDecoder(r).Decode(v) }
