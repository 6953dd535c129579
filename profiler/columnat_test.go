package profiler

import (
	"testing"
	"time"
)

func TestColumnAt(t *testing.T) {
	ts := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	p, err := NewDatasetProfile(ts, ts, Config{})
	if err != nil {
		t.Fatal(err)
	}
	a := p.ColumnAt(0, "a")
	if a != p.Column("a") || a.Name() != "a" {
		t.Fatal("ColumnAt(0, a) is not Column(a)")
	}
	if p.ColumnAt(0, "a") != a {
		t.Fatal("second ColumnAt(0, a) returned another column")
	}
	b := p.ColumnAt(0, "b") // another field at the same position
	if b == a || b != p.Column("b") || p.ColumnAt(0, "b") != b {
		t.Fatal("ColumnAt(0, b) after a")
	}
	if c := p.ColumnAt(5, "c"); c != p.Column("c") || p.ColumnAt(5, "c") != c {
		t.Fatal("ColumnAt beyond the remembered positions")
	}
	if x := p.ColumnAt(maxColumnSeq+10, "x"); x != p.Column("x") {
		t.Fatal("ColumnAt far beyond the remembered positions")
	}
	p.ColumnAt(0, "a").UpdateInt64(1)
	p.DeleteColumn("a")
	if got := p.ColumnAt(0, "a"); got == a || got.Type() != TypeUnknown {
		t.Fatal("ColumnAt returned a deleted column")
	}
	q := p.Clone()
	if q.ColumnAt(0, "a") == p.ColumnAt(0, "a") {
		t.Fatal("a clone's ColumnAt returned the original's column")
	}
	o, _ := NewDatasetProfile(ts, ts, Config{})
	o.Column("b").UpdateInt64(7)
	if err := p.Merge(o, MergeOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := p.ColumnAt(0, "b"); got != p.Column("b") {
		t.Fatal("ColumnAt after Merge is not the merged column")
	}
}

func TestAppendColumnsAt(t *testing.T) {
	ts := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	p, _ := NewDatasetProfile(ts, ts, Config{})
	q, _ := NewDatasetProfile(ts, ts, Config{})
	ps := []*DatasetProfile{p, q}
	name := "field"
	cs := AppendColumnsAt(nil, ps, 2, name)
	if len(cs) != 2 || cs[0] != p.Column("field") || cs[1] != q.Column("field") {
		t.Fatal("AppendColumnsAt is not Column of each profile")
	}
	// The same name at another address (not interned) finds the same
	// columns; another name at the same position finds its own.
	other := string([]byte("field"))
	if got := AppendColumnsAt(cs[:0], ps, 2, other); got[0] != p.Column("field") || got[1] != q.Column("field") {
		t.Fatal("equal name at another address")
	}
	if got := AppendColumnsAt(nil, ps, 2, "fiel"); got[0] != p.Column("fiel") || got[0] == p.Column("field") {
		t.Fatal("a prefix of the name at the same position")
	}
	if got := AppendColumnsAt(nil, ps, 2, name[:4]); got[0] != p.Column("fiel") {
		t.Fatal("a prefix sharing the name's bytes")
	}
	if got := AppendColumnsAt(nil, ps, maxColumnSeq+1, name); got[1] != q.Column("field") {
		t.Fatal("beyond the remembered positions")
	}
}
