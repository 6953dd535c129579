//go:build !race

package sketches

const kllRaceEnabled = false
