package sketches

import (
	"os"
	"runtime"
	"testing"
)

// Allocation bound of the decoders. A decoder may allocate at most
// decodeAllocSlack + perByte·len(input) bytes for an input, whatever the input
// claims in its header (k, lgK, lgMaxMapSize, counts). The slack covers the
// sketch struct and the fixed-size tables a small map or register array needs
// (a frequent-items map of up to 2^10 slots is always decoded densely: 32 KiB
// of slots plus a 4 KiB occupancy table). The per-byte factors are what the
// in-memory form legitimately costs per image byte:
//
//   - KLL: items are stored as in the image (4 or 8 bytes each), levels as
//     uint32: about 1×; bound 4×.
//   - HLL: registers and coupons as in the image, plus a coupon hash table at
//     most 4× the coupon count: bound 8×.
//   - frequent items: a 32-byte slot per item within a map at most 8× the item
//     count, the item bytes once, an occupancy table; every item takes ≥ 12
//     image bytes: bound 40×.
const decodeAllocSlack = 64 << 10

const (
	kllAllocPerByte = 4
	hllAllocPerByte = 8
	fiAllocPerByte  = 40
)

// decodeAllocated runs decode once and returns the bytes it allocated. It
// reads the runtime's exact counters (ReadMemStats flushes the per-P caches),
// so it must not run concurrently with other allocating test code; fuzz
// targets call it from the single fuzzing goroutine of each worker.
func decodeAllocated(decode func()) uint64 {
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	decode()
	runtime.ReadMemStats(&m1)
	return m1.TotalAlloc - m0.TotalAlloc
}

// checkDecodeAlloc fails t when decode, given an input of n bytes, allocates
// more than decodeAllocSlack + perByte·n bytes. With SKETCHES_ALLOC_LOG=1 it
// logs every measurement (to calibrate the factors).
func checkDecodeAlloc(t *testing.T, what string, n int, perByte uint64, decode func()) {
	t.Helper()
	got := decodeAllocated(decode)
	limit := decodeAllocSlack + perByte*uint64(n)
	if os.Getenv("SKETCHES_ALLOC_LOG") != "" {
		t.Logf("%s: %d input bytes, %d allocated (%.2f per byte)", what, n, got, float64(got)/float64(max(n, 1)))
	}
	if got > limit {
		t.Fatalf("%s: decoding %d bytes allocated %d bytes, more than the %d the input justifies", what, n, got, limit)
	}
}

// TestDecodeAllocBoundDetects makes sure checkDecodeAlloc can fail: an
// allocation far beyond the bound must be seen.
func TestDecodeAllocBoundDetects(t *testing.T) {
	var sink []byte
	got := decodeAllocated(func() { sink = make([]byte, 1<<20) })
	if got < 1<<20 {
		t.Fatalf("measured %d bytes for a 1 MiB allocation", got)
	}
	_ = sink
}
