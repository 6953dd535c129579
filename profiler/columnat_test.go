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
