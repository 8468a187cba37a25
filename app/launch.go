package app

import (
	"log/slog"

	"github.com/ossdrop/ossdrop/settings"
	"github.com/ossdrop/ossdrop/transfer"
)

// Launch is everything the window opens with, prepared by the command line
// without touching the GUI stack: the core, the Manager on the initial
// destination, the resume-on-launch policy, and the files to queue. The
// unfinished uploads are not listed here: the window reads them
// (Core.Unfinished) after it is shown, since a large queue takes seconds.
type Launch struct {
	Core    *Core
	Manager *transfer.Manager
	Target  transfer.Target // where new drops go
	Prefix  string
	// Fixed is true when the destination came from --endpoint/--bucket: it
	// belongs to no profile, so the profile picker and settings are off.
	Fixed  bool
	Resume settings.ResumePolicy
	Files  []string
	Log    *slog.Logger
	Getenv func(string) string
	// Incoming delivers the file arguments of later launches (one instance
	// runs); nil when single-instance handling is off.
	Incoming <-chan []string
	// Exit closes what the launch opened and ends the process with code. The
	// window calls it only when the GUI toolkit cannot return from its main
	// loop after a quit; nil means os.Exit.
	Exit func(code int)
}
