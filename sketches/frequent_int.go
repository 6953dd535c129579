package sketches

import "math/bits"

// The frequent-items item of an integer is its decimal string (whylogs logs
// str(v)); FrequentIntItem formats it and computes its FrequentHash in one
// pass over the digits, two digits at a time.

// frequentDigitPairs holds the two decimal digits of 0…99, in order.
const frequentDigitPairs = "00010203040506070809" +
	"10111213141516171819" +
	"20212223242526272829" +
	"30313233343536373839" +
	"40414243444546474849" +
	"50515253545556575859" +
	"60616263646566676869" +
	"70717273747576777879" +
	"80818283848586878889" +
	"90919293949596979899"

// frequentPairJava[r] is Java's String.hashCode of the two digits of r
// ("00" … "99"): d0·31 + d1.
var frequentPairJava = func() (t [100]uint32) {
	for r := range t {
		t[r] = uint32(frequentDigitPairs[2*r])*31 + uint32(frequentDigitPairs[2*r+1])
	}
	return t
}()

// frequentPow10 holds 10^0 … 10^19.
var frequentPow10 = func() (t [20]uint64) {
	t[0] = 1
	for i := 1; i < len(t); i++ {
		t[i] = t[i-1] * 10
	}
	return t
}()

// FrequentIntItem writes the decimal string of v (strconv.AppendInt(nil, v,
// 10): an optional '-' and the digits, without leading zeros) to the start of
// buf and returns it with its FrequentHash, which equals
// FrequentHashBytes(item). 20 bytes hold every int64 (math.MinInt64 has 19
// digits and a sign).
func FrequentIntItem(buf *[20]byte, v int64) (item []byte, h uint64) {
	u := uint64(v)
	var n int // bytes to write
	var jh uint32
	pw := uint32(1) // 31^(digits written so far), mod 2^32
	if v < 0 {
		u = -u // also right for math.MinInt64: 1<<63
		n = 1
	}
	// Number of digits: t ≈ floor(log10(u)) from the bit length, corrected
	// by one comparison (u|1 < 10^t exactly when u < 10^t for t ≥ 1, and
	// never for t = 0, so 0 has one digit).
	t := (bits.Len64(u|1) * 1233) >> 12
	if u|1 < frequentPow10[t] {
		t--
	}
	n += t + 1
	i := n
	for u >= 100 {
		q := u / 100
		r := u - 100*q
		i -= 2
		buf[i], buf[i+1] = frequentDigitPairs[2*r], frequentDigitPairs[2*r+1]
		jh += frequentPairJava[r] * pw
		pw *= 961
		u = q
	}
	if u >= 10 {
		i -= 2
		buf[i], buf[i+1] = frequentDigitPairs[2*u], frequentDigitPairs[2*u+1]
		jh += frequentPairJava[u] * pw
		pw *= 961
	} else {
		i--
		buf[i] = byte('0' + u)
		jh += uint32('0'+u) * pw
		pw *= 31
	}
	if v < 0 {
		buf[0] = '-'
		jh += '-' * pw
	}
	return buf[:n], Fmix64(uint64(int64(int32(jh))))
}
