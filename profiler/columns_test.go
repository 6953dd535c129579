package profiler_test

import (
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/kprofiler/kprofiler/profiler"
)

// TestColumnsEqualsColumnUpdates logs one stream of values into the same
// column of several profiles through profiler.Columns (hashes shared) and
// one by one through the Column methods, and wants identical components.
// The profiles differ in item size and row-path NaN, so a shared hash must
// not leak between settings; the stream fills and purges the frequent
// items and moves the HLL out of its list mode.
func TestColumnsEqualsColumnUpdates(t *testing.T) {
	cfgs := []profiler.Config{{}, {MaxFrequentItemSize: 4}, {RowPathNaN: true, FrequentItemsLgMaxK: 3}}
	kinds := []string{"int", "float", "string", "bool", "bytes", "mixed"}
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			var shared, single []*profiler.DatasetProfile
			for _, c := range cfgs {
				shared = append(shared, newProfile(t, c))
				single = append(single, newProfile(t, c))
			}
			cs := make(profiler.Columns, len(shared))
			for i, p := range shared {
				cs[i] = p.Column("x")
			}
			for i := range 3000 {
				k := kind
				if k == "mixed" {
					k = kinds[i%5]
					if i%11 == 0 {
						k = "null"
					}
				}
				switch k {
				case "int":
					v := int64(i*i%1009) - 300
					cs.UpdateInt64(v)
					for _, p := range single {
						p.Column("x").UpdateInt64(v)
					}
				case "float":
					v := float64(i%503) / 7
					switch i % 97 {
					case 5:
						v = math.NaN()
					case 6:
						v = math.Inf(-1)
					}
					cs.UpdateFloat64(v)
					for _, p := range single {
						p.Column("x").UpdateFloat64(v)
					}
				case "string":
					v := "v" + strconv.Itoa(i%701) + strings.Repeat("é", i%9)
					if i%50 == 0 {
						v = ""
					}
					cs.UpdateString(v)
					for _, p := range single {
						p.Column("x").UpdateString(v)
					}
				case "bytes": // shared bytes path against the single string path
					v := "b" + strconv.Itoa(i*31%997) + strings.Repeat("ü", i%7)
					if i%50 == 0 {
						v = ""
					}
					buf := []byte(v)
					cs.UpdateStringBytes(buf)
					clear(buf) // the columns must not keep buf
					for _, p := range single {
						p.Column("x").UpdateString(v)
					}
				case "bool":
					v := i%3 == 0
					cs.UpdateBool(v)
					for _, p := range single {
						p.Column("x").UpdateBool(v)
					}
				case "null":
					cs.UpdateNull()
					for _, p := range single {
						p.Column("x").UpdateNull()
					}
				}
			}
			cs.UpdateObject()
			for _, p := range single {
				p.Column("x").UpdateObject()
			}
			for i := range shared {
				a, err := shared[i].Components()
				if err != nil {
					t.Fatal(err)
				}
				b, err := single[i].Components()
				if err != nil {
					t.Fatal(err)
				}
				if !componentsEqual(a, b) {
					t.Errorf("profile %d (config %+v): Columns updates differ from Column updates", i, cfgs[i])
				}
			}
			if n := getInt(t, summary(t, shared[0], "x"), "counts/n"); n != 3001 {
				t.Errorf("counts/n = %d, want 3001", n)
			}
		})
	}
}

func TestColumnsAllocations(t *testing.T) {
	a, b := newProfile(t, profiler.Config{}), newProfile(t, profiler.Config{})
	cs := profiler.Columns{a.Column("s"), b.Column("s")}
	ci := profiler.Columns{a.Column("i"), b.Column("i")}
	cs.UpdateString("warm")
	ci.UpdateInt64(5)
	buf := []byte("warm bytes")
	if n := testing.AllocsPerRun(200, func() {
		cs.UpdateString("warm")
		cs.UpdateStringBytes(buf)
		ci.UpdateInt64(5)
		ci.UpdateInt64(12345) // tracked after the first run
	}); n != 0 {
		t.Errorf("repeated values allocate %v times", n)
	}
	// New integers and strings share the sketches' chunks.
	k := int64(1000)
	if n := testing.AllocsPerRun(3000, func() {
		ci.UpdateInt64(k)
		buf = strconv.AppendInt(buf[:0], k, 36)
		cs.UpdateStringBytes(buf)
		k++
	}); n > 0.2 {
		t.Errorf("new values allocate %v times", n)
	}
}
