// Command ossdrop uploads dropped files and folders to Alibaba Cloud OSS with
// resumable multipart upload; see README.md.
package main

import (
	"os"

	"github.com/ossdrop/ossdrop/cli"
	"github.com/ossdrop/ossdrop/ui"
)

func main() {
	cli.OpenWindow = ui.Run
	os.Exit(cli.Main(os.Args[1:]))
}
