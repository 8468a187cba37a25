// Command ossdrop-window is ossdrop's window. `ossdrop` with no subcommand
// (or with only window flags and files) runs it; it is a program of its own
// so that the command line does not load the GUI stack. See README.md.
package main

import (
	"os"

	"github.com/ossdrop/ossdrop/cli"
	"github.com/ossdrop/ossdrop/ui"
)

func main() {
	os.Exit(cli.WindowMain(os.Args[1:], ui.Run))
}
