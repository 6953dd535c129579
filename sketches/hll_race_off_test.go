//go:build !race

package sketches

// hllRaceEnabled reports whether the race detector is on; the accuracy tests
// use shorter streams then.
const hllRaceEnabled = false
