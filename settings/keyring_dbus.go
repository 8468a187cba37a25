//go:build (dragonfly && cgo) || (freebsd && cgo) || linux || netbsd || openbsd

package settings

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/godbus/dbus/v5"
)

const (
	secretsName     = "org.freedesktop.secrets"
	secretsPath     = "/org/freedesktop/secrets"
	loginCollection = "/org/freedesktop/secrets/collection/login"
)

// ErrNoKeyring wraps every reason KeyringAvailable gives for not using the keyring.
var ErrNoKeyring = errors.New("no usable keyring")

// KeyringAvailable reports whether a Secret Service answers on the D-Bus
// session bus with an unlocked collection that go-keyring would write to. It
// uses a private connection with ctx's deadline and never auto-launches a
// bus, so a desktop-less machine gets a prompt answer instead of a hang or an
// unlock prompt nobody can see.
func KeyringAvailable(ctx context.Context) error {
	conn, err := dbus.SessionBusPrivateNoAutoStartup(dbus.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("%w: no D-Bus session bus (%v)", ErrNoKeyring, err)
	}
	defer conn.Close()
	if err := conn.Auth(nil); err != nil {
		return fmt.Errorf("%w: D-Bus session bus refused us (%v)", ErrNoKeyring, err)
	}
	if err := conn.Hello(); err != nil {
		return fmt.Errorf("%w: D-Bus session bus refused us (%v)", ErrNoKeyring, err)
	}
	bus := conn.BusObject()
	var owned bool
	if err := bus.CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, secretsName).Store(&owned); err != nil {
		return fmt.Errorf("%w: asking D-Bus for the Secret Service: %v", ErrNoKeyring, err)
	}
	if !owned {
		var activatable []string
		if err := bus.CallWithContext(ctx, "org.freedesktop.DBus.ListActivatableNames", 0).Store(&activatable); err != nil {
			return fmt.Errorf("%w: asking D-Bus for the Secret Service: %v", ErrNoKeyring, err)
		}
		if !slices.Contains(activatable, secretsName) {
			return fmt.Errorf("%w: no Secret Service (such as gnome-keyring or KWallet) is running", ErrNoKeyring)
		}
	}
	svc := conn.Object(secretsName, secretsPath)
	var collections []dbus.ObjectPath
	if err := getProperty(ctx, svc, "org.freedesktop.Secret.Service", "Collections", &collections); err != nil {
		return fmt.Errorf("%w: the Secret Service did not answer: %v", ErrNoKeyring, err)
	}
	// go-keyring writes to the "login" collection when there is one, else to
	// the default alias.
	coll := dbus.ObjectPath(loginCollection)
	if !slices.Contains(collections, coll) {
		if err := svc.CallWithContext(ctx, "org.freedesktop.Secret.Service.ReadAlias", 0, "default").Store(&coll); err != nil {
			return fmt.Errorf("%w: the Secret Service did not answer: %v", ErrNoKeyring, err)
		}
		if coll == "/" || coll == "" {
			return fmt.Errorf("%w: the Secret Service has no default keyring", ErrNoKeyring)
		}
	}
	var locked bool
	if err := getProperty(ctx, conn.Object(secretsName, coll), "org.freedesktop.Secret.Collection", "Locked", &locked); err != nil {
		return fmt.Errorf("%w: the Secret Service did not answer: %v", ErrNoKeyring, err)
	}
	if locked {
		return fmt.Errorf("%w: the keyring is locked (unlock it, e.g. by logging in to the desktop, and restart ossdrop)", ErrNoKeyring)
	}
	return nil
}

func getProperty(ctx context.Context, obj dbus.BusObject, iface, prop string, dst any) error {
	var v dbus.Variant
	if err := obj.CallWithContext(ctx, "org.freedesktop.DBus.Properties.Get", 0, iface, prop).Store(&v); err != nil {
		return err
	}
	return v.Store(dst)
}
