// Command ossdrop uploads dropped files and folders to Alibaba Cloud OSS with
// resumable multipart upload; see README.md.
package main

import (
	"os"

	"github.com/ossdrop/ossdrop/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:]))
}
