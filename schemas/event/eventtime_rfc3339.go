package event

import "encoding/binary"

// Fast RFC 3339 parsing. parseRFC3339 handles the valid common shapes
// (YYYY-MM-DDTHH:MM:SS, optional fraction, Z or ±hh:mm) with a
// days-from-civil computation instead of time.Date; anything it does not
// accept outright (any error, year 0, out of int64-nanosecond range) goes to
// parseRFC3339Ref, the reference parser, so results and error reasons are
// those of the reference on every input (TestRFC3339FastMatchesRef,
// FuzzRFC3339).

// dig2 returns the two-digit number at s[0:2]; ok is false unless both
// bytes are ASCII digits. The caller guarantees len(s) >= 2.
func dig2(a, b byte) (int, bool) {
	x, y := uint(a)-'0', uint(b)-'0'
	return int(x*10 + y), x <= 9 && y <= 9
}

// daysFromCivil returns the days from 1970-01-01 to the proleptic Gregorian
// date y-m-d (y >= 1, 1 <= m <= 12, d valid for the month). It counts from
// March 1 so that the leap day is the last day of the counted year.
func daysFromCivil(y, m, d int) int64 {
	// Unsigned arithmetic: the divisions by constants become multiplications
	// without sign fix-ups.
	yy, mm := uint(y), uint(m)
	if mm <= 2 {
		yy--
		mm += 9
	} else {
		mm -= 3
	}
	doy := (153*mm+2)/5 + uint(d) - 1
	days := yy*365 + yy/4 - yy/100 + yy/400 + doy // days since 0000-03-01
	return int64(days) - 719468
}

// The fixed layout of bytes 0-7, 8-15 and 16-18 of an RFC 3339 date-time
// (digits as '0', byte 10 as 0), little-endian, and the separator bytes.
const (
	layout0  = 0x2d30302d30303030 // "0000-00-"
	layout1  = 0x30303a3030003030 // "00\x0000:00" (byte 10 cleared)
	layout2  = 0x30303a           // ":00"
	sepMask0 = 0xff0000ff00000000 // bytes 4 and 7
	sepMask1 = 0x0000ff0000000000 // byte 13
	sepMask2 = 0x00000000000000ff // byte 16
)

// digitsLE9 returns 0 when every byte of x is <= 9 (no carries between
// bytes: the high bit is masked before the addition).
func digitsLE9(x uint64) uint64 {
	return ((x & 0x7f7f7f7f7f7f7f7f) + 0x7676767676767676 | x) & 0x8080808080808080
}

// pow10ns[k] scales a k-digit fraction to nanoseconds.
var pow10ns = [10]int{1e9, 1e8, 1e7, 1e6, 1e5, 1e4, 1e3, 1e2, 1e1, 1}

// parseRFC3339 parses an RFC 3339 date-time to Unix nanoseconds without
// allocating. The returned reason is empty on success.
func parseRFC3339(s []byte) (int64, string) {
	if secs, nsec, ok := rfc3339Fast(s); ok {
		return secs*1e9 + int64(nsec), ""
	}
	return parseRFC3339Ref(s)
}

// rfc3339Fast parses the common valid shapes of RFC 3339 to Unix seconds and
// nanoseconds; ok is false for everything else (which parseRFC3339Ref then
// handles, giving the reason), including values outside the int64-nanosecond
// range.
func rfc3339Fast(s []byte) (secs int64, nsec int, ok bool) {
	if len(s) < 20 {
		return 0, 0, false
	}
	// 0123456789012345678
	// YYYY-MM-DDTHH:MM:SS
	// Eight bytes at a time: XOR with the layout turns digits into 0..9
	// and matching separators into 0; digitsLE9 then checks every byte is
	// <= 9 and sepMask that the separators matched exactly. Byte 10 (T, t
	// or space) is checked on its own.
	x0 := binary.LittleEndian.Uint64(s[0:8]) ^ layout0
	x1 := binary.LittleEndian.Uint64(s[8:16])&^(0xff<<16) ^ layout1
	x2 := uint64(binary.LittleEndian.Uint32(s[16:20]))&0xffffff ^ layout2
	if (digitsLE9(x0)|digitsLE9(x1)|digitsLE9(x2))|(x0&sepMask0|x1&sepMask1|x2&sepMask2) != 0 {
		return 0, 0, false
	}
	if c := s[10]; c != 'T' && c != 't' && c != ' ' {
		return 0, 0, false
	}
	// Byte k of t holds 10*digit(k) + digit(k+1).
	t0, t1, t2 := x0*10+x0>>8, x1*10+x1>>8, x2*10+x2>>8
	y := int(t0&0xff)*100 + int(t0>>16&0xff)
	mo, d := int(t0>>40&0xff), int(t1&0xff)
	h, mi, sec := int(t1>>24&0xff), int(t1>>48&0xff), int(t2>>8&0xff)
	if y == 0 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 59 {
		return 0, 0, false
	}
	if dim := daysIn[mo]; d > dim {
		if mo != 2 || d != 29 || !(y%4 == 0 && (y%100 != 0 || y%400 == 0)) {
			return 0, 0, false
		}
	}
	i := 19
	frac := 0
	if s[i] == '.' {
		i++
		start := i
		for i < len(s) && i-start < 9 {
			c := uint(s[i]) - '0'
			if c > 9 {
				break
			}
			frac = frac*10 + int(c)
			i++
		}
		if i == start {
			return 0, 0, false
		}
		frac *= pow10ns[i-start]
		for i < len(s) && s[i]-'0' <= 9 { // digits beyond nanoseconds are ignored
			i++
		}
		if i >= len(s) {
			return 0, 0, false
		}
	}
	off := 0
	switch s[i] {
	case 'Z', 'z':
		i++
	case '+', '-':
		if len(s)-i != 6 || s[i+3] != ':' {
			return 0, 0, false
		}
		oh, ok1 := dig2(s[i+1], s[i+2])
		om, ok2 := dig2(s[i+4], s[i+5])
		if !ok1 || !ok2 || oh > 23 || om > 59 {
			return 0, 0, false
		}
		off = (oh*60 + om) * 60
		if s[i] == '-' {
			off = -off
		}
		i += 6
	default:
		return 0, 0, false
	}
	if i != len(s) {
		return 0, 0, false
	}
	secs = daysFromCivil(y, mo, d)*86400 + int64(h*3600+mi*60+sec) - int64(off)
	if secs > maxNanos/int64(1e9)-1 || secs < minNanos/int64(1e9)+1 {
		return 0, 0, false
	}
	return secs, frac, true
}
