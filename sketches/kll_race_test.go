//go:build race

package sketches

// kllRaceEnabled shrinks the statistical sweeps under the race detector, which
// slows updates about tenfold; the full sweeps run in the normal test mode.
const kllRaceEnabled = true
