// Package assets holds files shipped inside the binary: the application icon
// and pictures used by the README.
package assets

import (
	_ "embed"

	"fyne.io/fyne/v2"
)

//go:embed icon.png
var iconPNG []byte

// Icon is the application icon, for the window, the tray and notifications.
var Icon = fyne.NewStaticResource("ossdrop.png", iconPNG)
