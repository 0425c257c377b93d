//go:build !unix

package history

import "time"

// processCPU is unknown here: articles per CPU-second are not reported.
func processCPU() time.Duration { return 0 }
