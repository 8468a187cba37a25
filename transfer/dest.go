package transfer

import (
	"context"
	"errors"
	"fmt"
)

// Destination is where a recorded upload goes, as its checkpoint and the durable
// queue name it. ID is the stable identity (a profile id) that survives renames and
// endpoint changes — the built-in Local bucket listens on a new port every launch —
// so the endpoint is looked up again at run time through Config.Resolve.
type Destination struct {
	ID       string // Target.Dest when recorded; "" for records older than destination ids
	Profile  string // the profile's name when recorded, for messages and old records
	Endpoint string // the endpoint when recorded; only a hint
	Region   string
	Bucket   string
	AuthV4   bool
}

// String names the destination for messages.
func (d Destination) String() string {
	if d.Profile != "" {
		return fmt.Sprintf("profile %q, bucket %s", d.Profile, d.Bucket)
	}
	return fmt.Sprintf("bucket %s at %s", d.Bucket, d.Endpoint)
}

// Resolver turns a recorded destination into a Target with credentials, now. The
// engine calls it without holding any lock, from a worker or a caller's goroutine, so
// it may read a keyring, prompt or start a server. The engine uploads to d.Bucket
// whatever bucket the Target names.
//
// An error wrapping ErrWaitingForCredentials leaves the task paused, waiting, with its
// progress intact, until ResumeWaiting; any other error (such as one wrapping
// ErrDestinationRemoved) fails it and the user may retry or forget it.
type Resolver func(ctx context.Context, d Destination) (Target, error)

// ErrWaitingForCredentials marks a destination whose credentials are not available
// yet (a secret not entered, a keyring still locked): a state, not a failure.
var ErrWaitingForCredentials = errors.New("waiting for credentials")

// ErrDestinationRemoved marks a recorded destination that no longer exists (its
// profile was removed). Such an upload is never sent elsewhere.
var ErrDestinationRemoved = errors.New("destination removed")

// ErrNoResolver is returned for a recorded upload to a destination other than the
// current target when the Manager has no Config.Resolve.
var ErrNoResolver = errors.New("no way to reach this destination")

// sameDestination reports whether a record names the destination t: by id when the
// record has one, else (old records) by endpoint, or by profile name for a target
// with an id, since old records of the Local bucket name a port that is gone.
func sameDestination(d Destination, t Target) bool {
	if d.ID != "" || t.Dest == "" {
		if d.ID != "" {
			return d.ID == t.Dest
		}
		return d.Endpoint == t.Endpoint && d.Profile == t.Profile
	}
	return d.Endpoint == t.Endpoint || (d.Profile != "" && d.Profile == t.Profile)
}

// resolveRecorded finds the target of a recorded destination, calling the resolver
// with no lock held.
func (m *Manager) resolveRecorded(ctx context.Context, d Destination) (*target, error) {
	m.mu.Lock()
	cur := m.tgtSpec
	m.mu.Unlock()
	var t Target
	var creds = cur.Credentials
	switch {
	case m.cfg.Resolve != nil:
		r, err := m.cfg.Resolve(ctx, d)
		if err != nil {
			return nil, err
		}
		t, creds = r, r.Credentials
	case sameDestination(d, cur):
		t = cur
	default:
		return nil, fmt.Errorf("%s: %w", d, ErrNoResolver)
	}
	if d.Bucket != "" {
		t.Bucket = d.Bucket
	}
	if t.Region == "" && d.Region != "" {
		t.Region, t.AuthV4 = d.Region, d.AuthV4
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if creds == nil || m.cfg.Resolve == nil {
		if !sameDestination(d, m.tgtSpec) || t.Endpoint != m.tgtSpec.Endpoint {
			return nil, fmt.Errorf("%s: no credentials: %w", d, ErrWaitingForCredentials)
		}
		// The current target: share its swappable credentials, so SetCredentials
		// reaches these uploads too.
		creds = m.creds
	}
	return m.resolveLocked(t, creds)
}

// destination is the destination a resolved target stands for.
func (g *target) destination() Destination {
	return Destination{ID: g.dest, Profile: g.profile, Endpoint: g.endpoint, Region: g.region, Bucket: g.bucket, AuthV4: g.authV4}
}

// destination is the destination a task's records name.
func (t *task) destination() Destination {
	if t.tgt != nil {
		return t.tgt.destination()
	}
	if t.rec() != nil {
		return *t.rec()
	}
	return Destination{}
}

// ResumeWaiting requeues the tasks waiting for credentials of destination id (every
// waiting task when id is ""), for instance once the user entered a secret; each
// resolves its destination again when it starts.
func (m *Manager) ResumeWaiting(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, t := range m.tasks {
		if t.credWait && t.state == Paused && (id == "" || t.destination().ID == id) {
			m.resumeLocked(t)
		}
	}
}
