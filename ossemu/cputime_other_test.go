//go:build !unix

package ossemu

import "time"

func cpuTime() time.Duration { return 0 }
