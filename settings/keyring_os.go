//go:build darwin || windows

package settings

const keyringUnsupported = false
