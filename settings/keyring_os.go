//go:build darwin || windows || (dragonfly && cgo) || (freebsd && cgo) || linux || netbsd || openbsd

package settings

const keyringUnsupported = false
