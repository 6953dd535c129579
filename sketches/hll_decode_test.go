package sketches

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"runtime"
	"strings"
	"testing"
)

// hllBaseImages returns valid images in every mode, type and form.
func hllBaseImages(t testing.TB) map[string][]byte {
	m := map[string][]byte{}
	add := func(name string, s *HLL) {
		m[name] = hllMustMarshal(t, s)
		u, _ := s.AppendUpdatableBinary(nil)
		m[name+"/updatable"] = u
	}
	add("empty", hllMustNew(t, 12, HLL8))
	add("list", hllStream(t, 12, HLL8, seq(3)))
	add("set", hllStream(t, 12, HLL4, seq(50)))
	add("hll8", hllStream(t, 10, HLL8, seq(5000)))
	add("hll6", hllStream(t, 10, HLL6, seq(5000)))
	h4 := hllStream(t, 12, HLL4, seq(100000))
	if h4.aux == nil || h4.curMin == 0 {
		t.Fatalf("hll4 base image has no exceptions or curMin 0")
	}
	add("hll4", h4)
	add("hll4-noaux", hllStream(t, 10, HLL4, seq(3000)))
	return m
}

func hllU32(b []byte, off int, v uint32) []byte {
	c := append([]byte(nil), b...)
	binary.LittleEndian.PutUint32(c[off:], v)
	return c
}

func hllByte(b []byte, off int, v byte) []byte {
	c := append([]byte(nil), b...)
	c[off] = v
	return c
}

func hllF64(b []byte, off int, v float64) []byte {
	c := append([]byte(nil), b...)
	binary.LittleEndian.PutUint64(c[off:], math.Float64bits(v))
	return c
}

var hllPrior []byte

// hllPriorImage is the image of the non-empty sketch that failed decodes must
// leave untouched.
func hllPriorImage(t testing.TB) []byte {
	if hllPrior == nil {
		hllPrior = hllMustMarshal(t, hllStream(t, 9, HLL6, seq(700)))
	}
	return hllPrior
}

// hllExpectCorrupt decodes img into a non-empty receiver and checks the error
// wraps ErrCorrupt, mentions want, and left the receiver unchanged.
func hllExpectCorrupt(t *testing.T, name string, img []byte, want string) {
	t.Helper()
	before := hllPriorImage(t)
	var s HLL
	if err := s.UnmarshalBinary(before); err != nil {
		t.Fatal(err)
	}
	err := s.UnmarshalBinary(img)
	if !errors.Is(err, ErrCorrupt) {
		t.Errorf("%s: error %v; want ErrCorrupt", name, err)
		return
	}
	if want != "" && !strings.Contains(err.Error(), want) {
		t.Errorf("%s: error %q; want it to mention %q", name, err, want)
	}
	if !strings.Contains(err.Error(), "offset") {
		t.Errorf("%s: error %q does not name an offset", name, err)
	}
	if !bytes.Equal(hllMustMarshal(t, &s), before) {
		t.Errorf("%s: failed decode changed the receiver", name)
	}
}

func TestHLLDecodeTruncatedAndExtended(t *testing.T) {
	for name, img := range hllBaseImages(t) {
		for n := 0; n < len(img); n++ {
			if name == "empty/updatable" && n == 8 {
				continue // the 8-byte empty image is valid in either form
			}
			hllExpectCorrupt(t, name+" truncated", img[:n], "")
		}
		hllExpectCorrupt(t, name+" extended", append(append([]byte(nil), img...), 0), "")
	}
}

func TestHLLDecodeCorrupt(t *testing.T) {
	imgs := hllBaseImages(t)
	list, set, setU := imgs["list"], imgs["set"], imgs["set/updatable"]
	h8, h6, h4, h4U := imgs["hll8"], imgs["hll6"], imgs["hll4"], imgs["hll4/updatable"]
	k4 := 4096
	auxOff := 40 + k4/2 // first (only) exception of the compact hll4 image
	e := binary.LittleEndian.Uint32(h4[auxOff:])
	slot := e & hllKeyMask26
	cm := h4[6]

	// An updatable SET whose first coupon is moved one cell on (off its probe path).
	badProbe := append([]byte(nil), setU...)
	mask := uint32(1)<<setU[4] - 1
	moved := false
	for i := 12; i+4 < len(badProbe) && !moved; i += 4 {
		c := binary.LittleEndian.Uint32(badProbe[i:])
		next := binary.LittleEndian.Uint32(badProbe[i+4:])
		if c != 0 && next == 0 && c&mask == uint32(i-12)/4 {
			binary.LittleEndian.PutUint32(badProbe[i:], 0)
			binary.LittleEndian.PutUint32(badProbe[i+4:], c)
			moved = true
		}
	}
	if !moved {
		t.Fatal("no coupon to move in the updatable SET image")
	}
	// A LIST with 8 coupons (a full list is always promoted).
	full := []byte{2, 1, 7, 12, 3, 8, 8, 8}
	for i := 1; i <= 8; i++ {
		full = binary.LittleEndian.AppendUint32(full, uint32(i)<<26|uint32(i))
	}
	// HLL_4: a nibble set to 15 without an exception entry.
	token := append([]byte(nil), h4...)
	for i := 40; i < 40+k4/2; i++ {
		if token[i]&15 != 15 {
			token[i] = token[i]&0xF0 | 15
			break
		}
	}
	// HLL_4 exception on a slot whose nibble is not 15.
	other := (slot + 1) % uint32(k4)

	cases := []struct {
		name string
		img  []byte
		want string
	}{
		{"serVer", hllByte(h8, 1, 2), "serial version"},
		{"family", hllByte(h8, 2, 10), "family"},
		{"lgK 3", hllByte(list, 3, 3), "lgK"},
		{"lgK 22", hllByte(list, 3, 22), "lgK"},
		{"mode 3", hllByte(h8, 7, h8[7]|3), "mode byte"},
		{"type 3", hllByte(h8, 7, 3<<2|2), "mode byte"},
		{"mode high bits", hllByte(h8, 7, h8[7]|0x40), "mode byte"},
		{"preInts", hllByte(h8, 0, 3), "preamble"},
		{"flags bit 6", hllByte(h8, 5, h8[5]|0x40), "flags"},
		{"flags bit 0", hllByte(list, 5, list[5]|1), "flags"},
		{"list lgArr", hllByte(list, 4, 4), "lgArr"},
		{"list count 8", full, "count"},
		{"list count vs size", hllByte(list, 6, 2), "bytes"},
		{"list empty flag with coupons", hllByte(list, 5, list[5]|hllFlagEmpty), "EMPTY"},
		{"list zero-value coupon", hllU32(list, 8, 0x00123456), "value 0"},
		{"list duplicate", hllU32(list, 12, binary.LittleEndian.Uint32(list[8:])), "duplicate"},
		{"set count 0", hllU32(set, 8, 0), "count"},
		{"set count huge", hllU32(set, 8, 0xFFFFFFFF), "count"},
		{"set count above promotion", hllU32(set, 8, 385), "count"},
		{"set lgK 7", hllByte(set, 3, 7), "lgK"},
		{"set lgArr > lgK-3", hllByte(set, 4, 10), "lgArr"},
		{"set empty flag", hllByte(set, 5, set[5]|hllFlagEmpty), "EMPTY"},
		{"set duplicate", hllU32(set, 16, binary.LittleEndian.Uint32(set[12:])), "duplicate"},
		{"set zero coupon", hllU32(set, 16, 0), "value 0"},
		{"updatable set lgArr 4", hllByte(setU, 4, 4), "lgArr"},
		{"updatable set count", hllU32(setU, 8, 49), "table holds"},
		{"updatable set unreachable", badProbe, "reachable"},
		{"hll8 register 64", hllByte(h8, 40+17, 64), "register"},
		{"hll8 kxq0", hllF64(h8, 16, math.Float64frombits(binary.LittleEndian.Uint64(h8[16:]))+1), "KxQ"},
		{"hll8 kxq1", hllF64(h8, 24, 1e-20), "KxQ"},
		{"hll8 numAtCurMin", hllU32(h8, 32, binary.LittleEndian.Uint32(h8[32:])+1), "numAtCurMin"},
		{"hll8 hip NaN", hllF64(h8, 8, math.NaN()), "HIP"},
		{"hll8 hip negative", hllF64(h8, 8, -1), "HIP"},
		{"hll8 hip +Inf", hllF64(h8, 8, math.Inf(1)), "HIP"},
		{"hll8 curMin", hllByte(h8, 6, 1), "curMin"},
		{"hll8 aux count", hllU32(h8, 36, 1), "exception count"},
		{"hll8 lgAux", hllByte(h8, 4, 3), "lgAuxArr"},
		{"hll8 empty flag", hllByte(h8, 5, h8[5]|hllFlagEmpty), "EMPTY"},
		{"hll6 padding", hllByte(h6, len(h6)-1, 1), "padding"},
		{"hll4 aux slot ≥ K", hllU32(h4, auxOff, e&^hllKeyMask26|uint32(k4)), "slot"},
		{"hll4 aux value < curMin+15", hllU32(h4, auxOff, uint32(cm+14)<<26|slot), "value"},
		{"hll4 aux on plain nibble", hllU32(h4, auxOff, e&^hllKeyMask26|other), "not 15"},
		{"hll4 aux count", hllU32(h4, 36, 2), "exception count"},
		{"hll4 token without entry", token, "exception count"},
		{"hll4 curMin too high", hllByte(h4, 6, 60), "exceeds 63"},
		{"hll4 lgAux", hllByte(h4, 4, 14), "lgAuxArr"},
		{"hll4 updatable lgAux", hllByte(h4U, 4, 4), "lgAuxArr"},
		{"hll4 updatable aux count", hllU32(h4U, 36, 0), "exception count"},
	}
	for _, c := range cases {
		hllExpectCorrupt(t, c.name, c.img, c.want)
	}
}

// TestHLLDecodeTolerant covers images that other writers produce and that must
// decode: Java's REBUILD flag (stale curMin/numAtCurMin/KxQ), the read-only
// flag, an 8-byte empty image without the COMPACT flag, an updatable empty LIST,
// and an EMPTY flag on an all-zero HLL array.
func TestHLLDecodeTolerant(t *testing.T) {
	imgs := hllBaseImages(t)
	h8 := imgs["hll8"]
	var want HLL
	if err := want.UnmarshalBinary(h8); err != nil {
		t.Fatal(err)
	}
	stale := hllByte(h8, 5, h8[5]|hllFlagRebuild)
	stale = hllF64(stale, 16, 12345)
	stale = hllF64(stale, 24, 1)
	stale = hllU32(stale, 32, 1)
	stale = hllByte(stale, 6, 3)
	var got HLL
	if err := got.UnmarshalBinary(stale); err != nil {
		t.Fatalf("REBUILD image: %v", err)
	}
	if hllSnapshot(&got) != hllSnapshot(&want) || !bytes.Equal(hllMustMarshal(t, &got), h8) {
		t.Errorf("REBUILD image: state not rebuilt from the registers")
	}

	// Out-of-order flag on coupon-mode images: no effect, but kept.
	for _, name := range []string{"list", "set"} {
		img := hllByte(imgs[name], 5, imgs[name][5]|hllFlagOOO)
		var s HLL
		if err := s.UnmarshalBinary(img); err != nil {
			t.Fatalf("%s with OUT_OF_ORDER: %v", name, err)
		}
		if out := hllMustMarshal(t, &s); !bytes.Equal(out, img) {
			t.Errorf("%s with OUT_OF_ORDER: re-encoding differs at byte %d", name, firstDiff(out, img))
		}
	}

	for name, img := range map[string][]byte{
		"read-only":          hllByte(h8, 5, h8[5]|hllFlagReadOnly),
		"empty not compact":  {2, 1, 7, 12, 3, 4, 0, 8},
		"empty updatable":    imgs["empty/updatable"],
		"empty flag on zero": append([]byte{10, 1, 7, 4, 0, 0x0C, 0, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x30, 0x40, 0, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0}, make([]byte, 16)...),
	} {
		var s HLL
		if err := s.UnmarshalBinary(img); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if strings.HasPrefix(name, "empty") && (!s.IsEmpty() || s.Estimate() != 0) {
			t.Errorf("%s: not empty", name)
		}
	}
}

// TestHLLDecodeAllocations: hostile headers fail before allocating anything
// proportional to what they claim.
func TestHLLDecodeAllocations(t *testing.T) {
	hostile := [][]byte{
		hllU32([]byte{3, 1, 7, 21, 18, 8, 0, 1, 0, 0, 0, 0}, 8, 0x7FFFFFFF),                           // SET claiming 2^31 coupons
		append([]byte{10, 1, 7, 21, 0, 8, 0, 10}, make([]byte, 40)...),                                // HLL_8 lgK 21, no registers
		append(append([]byte{10, 1, 7, 21, 0, 8, 0, 2}, make([]byte, 28)...), 0xFF, 0xFF, 0xFF, 0x7F), // HLL_4 huge aux count
	}
	for i, img := range hostile {
		var s HLL
		if err := s.UnmarshalBinary(img); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("hostile %d: error %v; want ErrCorrupt", i, err)
		}
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		const runs = 100
		for range runs {
			_ = s.UnmarshalBinary(img)
		}
		runtime.ReadMemStats(&m1)
		if per := (m1.TotalAlloc - m0.TotalAlloc) / runs; per > 1024 {
			t.Errorf("hostile %d: %d bytes allocated per decode", i, per)
		}
	}
}
