package event

import (
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// randJSON writes a random JSON value; strings mix plain ASCII runs (long
// enough for the 8-byte fast path), escapes, multi-byte UTF-8 and invalid
// bytes at every alignment.
func randJSON(r *rand.Rand, sb *strings.Builder, depth int, obj bool) {
	if obj || (depth < 4 && r.IntN(6) == 0) {
		sb.WriteByte('{')
		for k := range r.IntN(5) {
			if k > 0 {
				sb.WriteByte(',')
			}
			randJSONString(r, sb, 6)
			sb.WriteString(strings.Repeat(" ", r.IntN(2)) + ":")
			randJSON(r, sb, depth+1, false)
		}
		sb.WriteByte('}')
		return
	}
	switch r.IntN(8) {
	case 0:
		sb.WriteByte('[')
		for k := range r.IntN(3) {
			if k > 0 {
				sb.WriteByte(',')
			}
			randJSON(r, sb, depth+1, false)
		}
		sb.WriteByte(']')
	case 1:
		sb.WriteString([]string{"true", "false", "null"}[r.IntN(3)])
	case 2:
		sb.WriteString(strconv.FormatInt(r.Int64()>>r.IntN(64)*int64(1-2*r.IntN(2)), 10))
	case 3:
		sb.WriteString(strconv.FormatFloat(r.NormFloat64()*1e6, []byte("efg")[r.IntN(3)], -1, 64))
	case 4:
		sb.WriteString([]string{"9223372036854775807", "-9223372036854775808", "9223372036854775808",
			"-0", "0.0", "1E+2", "123456789012345678901234567890", "1e-400", "1e400"}[r.IntN(9)])
	default:
		randJSONString(r, sb, 40)
	}
}

func randJSONString(r *rand.Rand, sb *strings.Builder, maxLen int) {
	sb.WriteByte('"')
	n := r.IntN(maxLen)
	for range n {
		switch r.IntN(20) {
		case 0:
			sb.WriteString([]string{`\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`}[r.IntN(8)])
		case 1:
			sb.WriteString(`\u` + strconv.FormatInt(0x10000+int64(r.IntN(0x10000)), 16)[1:])
		case 2:
			sb.WriteString([]string{"é", "✓", "😀", "\xff", "\xe2\x82", "\xc0\x80"}[r.IntN(6)])
		default:
			sb.WriteByte(byte(' ' + r.IntN(95)))
			if sb.String()[sb.Len()-1] == '"' || sb.String()[sb.Len()-1] == '\\' {
				s := sb.String()
				sb.Reset()
				sb.WriteString(s[:len(s)-1] + "x")
			}
		}
	}
	sb.WriteByte('"')
}

func TestJSONMatchesStdlib(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	d, _ := NewJSONDecoder(JSONOptions{})
	for i := range 5000 {
		var sb strings.Builder
		randJSON(r, &sb, 0, true)
		data := []byte(sb.String())
		if !json.Valid(data) {
			t.Fatalf("generator produced invalid JSON %q", data)
		}
		var got rec
		if _, err := d.Decode(data, &got); err != nil {
			t.Fatalf("doc %d %q: %v", i, data, err)
		}
		want, ok := jsonReference(data)
		if !ok {
			t.Fatalf("reference failed on %q", data)
		}
		if g, w := strings.Join(got.out, " "), strings.Join(want, " "); g != w {
			t.Fatalf("doc %q\ngot  %s\nwant %s", data, g, w)
		}
	}
}
