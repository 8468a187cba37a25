// Package errkind names what kind of failure a task's error is, in words that
// stay the same across releases and languages. The window picks its
// plain-language summary by the kind, and the upload history stores the kind
// next to the engine's exact message, so an old entry reads in the language
// of the day it is shown.
package errkind

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io/fs"
	"net"
	"net/http"
	"strings"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossdrop/ossdrop/transfer"
	"github.com/ossdrop/ossdrop/transfer/checkpoint"
)

// Kind is a stable name for a kind of failure. Values are stored in history
// files: never rename one.
type Kind string

// Kinds the engine's typed errors give.
const (
	CredentialsExpired Kind = "credentials-expired"
	WaitingCredentials Kind = "waiting-credentials"
	DestinationRemoved Kind = "destination-removed"
	NoResolver         Kind = "no-resolver"
	InUse              Kind = "in-use"
	FileChanged        Kind = "file-changed"
	CRCMismatch        Kind = "crc-mismatch"
	NoCRC              Kind = "no-crc"
	OSS                Kind = "oss" // an OSS reply: its code and HTTP status say the rest
	Stopped            Kind = "stopped"
	CheckpointDamaged  Kind = "checkpoint-damaged"
	QueueLineDamaged   Kind = "queue-line-damaged"
	FileMissing        Kind = "file-missing"
	NoPermission       Kind = "no-permission"
	NotHTTPS           Kind = "not-https"
	TLSUntrusted       Kind = "tls-untrusted"
	CorruptedInTransit Kind = "crc-in-transit"
	HostNotFound       Kind = "dns"
	Timeout            Kind = "timeout"
	Network            Kind = "network"
	ConnectionFailed   Kind = "connection-failed" // retried: only the network or server can fix it
	KeyConflict        Kind = "key-conflict"
	stepPrefix              = "step:"
)

// Step is the kind of a local check's failure, which has no error type of
// its own: the engine's step (TaskError.Op) names it.
func Step(op string) Kind { return Kind(stepPrefix + op) }

// StepOp is the step of a Step kind, and whether k is one.
func (k Kind) StepOp() (string, bool) { return strings.CutPrefix(string(k), stepPrefix) }

// Of is the kind of a task's error; "" without one. retrying says the engine
// will try again (it retries only what the network or server may fix);
// keyConflict that another task has the key.
func Of(e *transfer.TaskError, retrying, keyConflict bool) Kind {
	if e == nil {
		return ""
	}
	if k := sentinel(e); k != "" {
		return k
	}
	if e.Code != "" || e.Status != 0 {
		return OSS
	}
	if k := cause(e.Err); k != "" {
		return k
	}
	if retrying {
		return ConnectionFailed
	}
	if keyConflict || e.Op == "key" {
		return KeyConflict
	}
	return Step(e.Op)
}

// OfTask is Of for a task as it stands.
func OfTask(t transfer.TaskSnapshot) Kind {
	return Of(t.Err, t.State == transfer.Retrying, t.KeyConflict)
}

func sentinel(e *transfer.TaskError) Kind {
	switch {
	case errors.Is(e, transfer.ErrCredentialsExpired):
		return CredentialsExpired
	case errors.Is(e, transfer.ErrWaitingForCredentials):
		return WaitingCredentials
	case errors.Is(e, transfer.ErrDestinationRemoved):
		return DestinationRemoved
	case errors.Is(e, transfer.ErrNoResolver):
		return NoResolver
	case errors.Is(e, transfer.ErrInUse):
		return InUse
	case errors.Is(e, transfer.ErrFileChanged):
		return FileChanged
	case errors.Is(e, transfer.ErrCRCMismatch):
		return CRCMismatch
	case errors.Is(e, transfer.ErrNoCRC):
		return NoCRC
	}
	return ""
}

// Cause is the kind of a local or network failure by the error's type; ""
// when its type says nothing.
func Cause(err error) Kind { return cause(err) }

func cause(err error) Kind {
	if err == nil {
		return ""
	}
	var rhe tls.RecordHeaderError
	var ue x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	var ve *tls.CertificateVerificationError
	var ce oss.CRCCheckError
	var cpe *checkpoint.CorruptError
	var qle *transfer.QueueLineError
	var dns *net.DNSError
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled):
		return Stopped
	case errors.As(err, &cpe):
		return CheckpointDamaged
	case errors.As(err, &qle):
		return QueueLineDamaged
	case errors.Is(err, fs.ErrNotExist):
		return FileMissing
	case errors.Is(err, fs.ErrPermission):
		return NoPermission
	case errors.Is(err, http.ErrSchemeMismatch), errors.As(err, &rhe):
		return NotHTTPS
	case errors.As(err, &ue), errors.As(err, &he), errors.As(err, &ci), errors.As(err, &ve):
		return TLSUntrusted
	case errors.As(err, &ce):
		return CorruptedInTransit
	case errors.As(err, &dns):
		return HostNotFound
	case errors.As(err, &ne) && ne.Timeout():
		return Timeout
	case isNetwork(err):
		return Network
	}
	return ""
}

func isNetwork(err error) bool {
	var oe *net.OpError
	var ne net.Error
	return errors.As(err, &oe) || errors.As(err, &ne)
}
