//go:build !((dragonfly && cgo) || (freebsd && cgo) || linux || netbsd || openbsd)

package settings

import (
	"context"
	"errors"
)

// ErrNoKeyring wraps every reason KeyringAvailable gives for not using the keyring.
var ErrNoKeyring = errors.New("no usable keyring")

// KeyringAvailable reports whether the OS keyring can be used. Keychain and
// Credential Manager are part of the OS; on other systems go-keyring has no
// backend at all.
func KeyringAvailable(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if keyringUnsupported {
		return errors.Join(ErrNoKeyring, errors.New("this system has no supported keyring"))
	}
	return nil
}
