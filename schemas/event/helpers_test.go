package event

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unsafe"
)

// rec records visitor calls as "col=kind:value" lines.
type rec struct{ out []string }

func (r *rec) Null(col string)         { r.out = append(r.out, col+"=null") }
func (r *rec) Bool(col string, v bool) { r.out = append(r.out, col+"=bool:"+strconv.FormatBool(v)) }
func (r *rec) Int(col string, v int64) { r.out = append(r.out, col+"=int:"+strconv.FormatInt(v, 10)) }
func (r *rec) Float(col string, v float64) {
	r.out = append(r.out, col+"=float:"+fmtFloat(v))
}
func (r *rec) String(col string, v []byte) {
	r.out = append(r.out, col+"=str:"+strconv.Quote(string(v)))
}
func (r *rec) Object(col string) { r.out = append(r.out, col+"=object") }
func (r *rec) String_() string   { return strings.Join(r.out, " ") }

func fmtFloat(v float64) string {
	if math.IsNaN(v) {
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// nop is a visitor doing nothing (benchmarks).
type nop struct{ n int }

func (v *nop) Null(string)           { v.n++ }
func (v *nop) Bool(string, bool)     { v.n++ }
func (v *nop) Int(string, int64)     { v.n++ }
func (v *nop) Float(string, float64) { v.n++ }
func (v *nop) String(string, []byte) { v.n++ }
func (v *nop) Object(string)         { v.n++ }

var _ = fmt.Sprint

func unsafeData(s string) *byte { return unsafe.StringData(s) }
