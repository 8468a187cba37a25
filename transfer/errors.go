package transfer

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

// errKind says what the engine does about an error.
type errKind int

const (
	kindFatal    errKind = iota // fail the task now
	kindRetry                   // transient: back off and try again
	kindCreds                   // STS token expired: pause until new credentials arrive
	kindNoUpload                // the multipart upload is gone on the server
	kindExists                  // x-oss-forbid-overwrite refused: the object exists
	kindCanceled                // our context ended (pause, cancel, close)
	kindChanged                 // the local file changed during the attempt
	kindNoReply                 // the server took the connection but did not answer in time
)

// ErrCredentialsExpired is wrapped in the TaskError of a task paused because its STS
// token expired (errors.Is works on TaskSnapshot.Err); SetCredentials resumes it.
var ErrCredentialsExpired = errors.New("credentials expired")

// OSSErrorKind is what an error reply from OSS means. It is ossdrop's one
// reading of OSS error codes: the engine decides from it what to do (fail,
// retry, pause) and the connection test what to tell the user.
type OSSErrorKind int

// OSS error kinds.
const (
	OSSOther        OSSErrorKind = iota // any other refusal: fail with OSS's message
	OSSUnknownKeyID                     // InvalidAccessKeyId
	OSSWrongSecret                      // SignatureDoesNotMatch
	OSSAccessDenied                     // AccessDenied
	OSSNoSuchBucket                     // NoSuchBucket
	OSSTokenExpired                     // SecurityTokenExpired, InvalidSecurityToken, ExpiredToken
	OSSNoSuchUpload                     // NoSuchUpload: the multipart upload is gone
	OSSExists                           // FileAlreadyExists (x-oss-forbid-overwrite)
	OSSClockSkew                        // RequestTimeTooSkewed
	OSSBusy                             // 5xx, 429, 408: transient
)

// ClassifyOSS reads an OSS error code and HTTP status.
func ClassifyOSS(code string, status int) OSSErrorKind {
	switch code {
	case "InvalidAccessKeyId":
		return OSSUnknownKeyID
	case "SignatureDoesNotMatch":
		return OSSWrongSecret
	case "AccessDenied":
		return OSSAccessDenied
	case "NoSuchBucket":
		return OSSNoSuchBucket
	case "SecurityTokenExpired", "InvalidSecurityToken", "ExpiredToken":
		return OSSTokenExpired
	case "NoSuchUpload":
		return OSSNoSuchUpload
	case "FileAlreadyExists":
		return OSSExists
	case "RequestTimeTooSkewed":
		return OSSClockSkew
	}
	if status >= 500 || status == 429 || status == 408 {
		return OSSBusy
	}
	return OSSOther
}

// classify turns an SDK or network error into a kind and a TaskError a person can read.
func classify(ctx context.Context, op string, t *target, err error) (errKind, *TaskError) {
	return classifyTimeout(ctx, op, t, err, DefaultReplyTimeout)
}

func classifyTimeout(ctx context.Context, op string, t *target, err error, replyTimeout time.Duration) (errKind, *TaskError) {
	te := &TaskError{Op: op, Err: err}
	// net/http reports a canceled request with the context's cause (e.g. "paused"), not
	// context.Canceled; either way it is our own stop, never a network failure to retry.
	if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, ctx.Err()) || errors.Is(err, context.Cause(ctx))) {
		te.Message = op + ": stopped"
		return kindCanceled, te
	}
	var se oss.ServiceError
	if errors.As(err, &se) {
		te.Code, te.RequestID, te.Status = se.Code, se.RequestID, se.StatusCode
		switch ClassifyOSS(se.Code, se.StatusCode) {
		case OSSUnknownKeyID:
			te.Message = fmt.Sprintf("the AccessKey ID is not known to %s", t.endpoint)
			return kindFatal, te
		case OSSWrongSecret:
			te.Message = "the AccessKey secret is wrong"
			return kindFatal, te
		case OSSAccessDenied:
			te.Message = fmt.Sprintf("access to bucket %s is denied: the credentials lack permission to %s", t.bucket, op)
			return kindFatal, te
		case OSSNoSuchBucket:
			te.Message = fmt.Sprintf("bucket %s does not exist at %s (check the bucket name and region)", t.bucket, t.endpoint)
			return kindFatal, te
		case OSSTokenExpired:
			te.Message = "the temporary (STS) credentials have expired: upload paused until new credentials are supplied"
			te.Err = fmt.Errorf("%w: %w", ErrCredentialsExpired, err)
			return kindCreds, te
		case OSSNoSuchUpload:
			te.Message = fmt.Sprintf("%s: the multipart upload no longer exists on the server (expired or aborted)", op)
			return kindNoUpload, te
		case OSSExists:
			te.Message = op + ": the object already exists"
			return kindExists, te
		case OSSClockSkew:
			te.Message = fmt.Sprintf("%s: the server says this computer's clock is wrong by more than 15 minutes; retrying", op)
			return kindRetry, te
		case OSSBusy:
			te.Message = fmt.Sprintf("%s: server error %d %s", op, se.StatusCode, strings.TrimSpace(se.Message))
			return kindRetry, te
		}
		msg := strings.TrimSpace(se.Message)
		if msg == "" {
			msg = fmt.Sprintf("HTTP %d", se.StatusCode)
		}
		te.Message = fmt.Sprintf("%s: %s", op, msg)
		return kindFatal, te
	}
	if kind, msg, ok := tlsProblem(t, err); ok {
		te.Message = fmt.Sprintf("%s: %s", op, msg)
		return kind, te
	}
	if isNoReply(err) {
		te.Message = fmt.Sprintf("%s: no reply from the server in %d s", op, int(replyTimeout.Round(time.Second)/time.Second))
		return kindNoReply, te
	}
	var ce oss.CRCCheckError
	var me *crcMismatchError
	if errors.As(err, &ce) || errors.As(err, &me) {
		te.Message = fmt.Sprintf("%s: data was corrupted in transit (CRC64 mismatch); resending", op)
		return kindRetry, te
	}
	var use oss.UnexpectedStatusCodeError
	if errors.As(err, &use) {
		te.Message = fmt.Sprintf("%s: unexpected reply: %v", op, err)
		return kindRetry, te
	}
	if isNetErr(err) {
		te.Message = fmt.Sprintf("%s: network error: %v", op, err)
		return kindRetry, te
	}
	te.Message = fmt.Sprintf("%s: %v", op, err)
	return kindFatal, te
}

// tlsProblem recognises TLS failures that retrying cannot fix: an https:// endpoint
// that speaks plain HTTP, or a certificate that is not trusted.
func tlsProblem(t *target, err error) (errKind, string, bool) {
	ep := ""
	if t != nil {
		ep = t.endpoint
	}
	var rhe tls.RecordHeaderError
	if errors.Is(err, http.ErrSchemeMismatch) || errors.As(err, &rhe) {
		return kindFatal, fmt.Sprintf("TLS handshake failed: %s does not speak HTTPS (it answered in plain HTTP); use an http:// endpoint or the server's HTTPS port", ep), true
	}
	var ue x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	var ve *tls.CertificateVerificationError
	if errors.As(err, &ue) || errors.As(err, &he) || errors.As(err, &ci) || errors.As(err, &ve) {
		return kindFatal, fmt.Sprintf("TLS certificate of %s is not trusted: %v", ep, err), true
	}
	return 0, "", false
}

// isNoReply reports a request that timed out waiting for the server: no reply
// header, or no progress reading or writing the connection.
// (classify has already set aside the task's own context ending.)
func isNoReply(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	return strings.Contains(err.Error(), "timeout awaiting response headers")
}

func isNetErr(err error) bool {
	var ne net.Error
	var oe *net.OpError
	switch {
	case errors.As(err, &ne), errors.As(err, &oe),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.EPIPE), errors.Is(err, context.DeadlineExceeded):
		return true
	}
	s := err.Error()
	for _, frag := range []string{"connection reset", "broken pipe", "connection refused", "EOF", "timeout", "server closed", "transport connection broken", "invalid response body"} {
		if strings.Contains(s, frag) {
			return true
		}
	}
	return false
}

// backoff is the wait before attempt n (1-based retry count): exponential with full
// jitter, so many workers hitting the same outage do not retry in lockstep.
func backoff(p RetryPolicy, n int) time.Duration {
	d := p.BaseDelay << min(n-1, 20)
	if d > p.MaxDelay || d <= 0 {
		d = p.MaxDelay
	}
	return d/2 + rand.N(d/2+1)
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
