//go:build race

package daemon

// raceEnabled says the tests run under the race detector, which multiplies
// memory and slows everything down.
const raceEnabled = true
