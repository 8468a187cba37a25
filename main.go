// Command ossdrop uploads files and folders to Alibaba Cloud OSS with
// resumable multipart upload; see README.md. This program is the command line;
// with no subcommand it starts the window, the program ossdrop-window beside it
// (cmd/ossdrop-window), so that commands never load the GUI stack.
package main

import (
	"os"

	"github.com/ossdrop/ossdrop/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:]))
}
