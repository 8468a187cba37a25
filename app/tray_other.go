//go:build !(linux || freebsd || openbsd || netbsd)

package app

// TrayAvailable reports whether a system tray will show ossdrop's icon: on
// Windows and macOS there always is one.
func TrayAvailable() bool { return true }
