package profiler

import (
	"fmt"
	"slices"

	"github.com/kprofiler/kprofiler/sketches"
)

// Derived full-dataset profiles.
//
// With column segments every record lands in exactly one segment entry of its
// window (a column segment or the overflow segment), so a window's
// full-dataset profile is the union of its segment profiles. When the window
// set derives it (WindowSet doc: derived full-dataset profile) Route updates
// only the segment profile of each record and keeps the full profile's
// bookkeeping (first and last offset, record count, the offset that seeds
// it); the profile itself is built when its window, late partial or
// checkpoint partial is emitted, by merging the segment profiles column by
// column in sorted segment-key order.

// deriveFull builds the full-dataset profile of win from its segment
// profiles. Segment keys are visited in sorted order and each column's
// metrics are combined in that order, so the bytes depend only on the
// segment profiles, never on map order.
func (w *WindowSet) deriveFull(win *window) *DatasetProfile {
	p := w.newProfile(win, "", Segment{}, win.full.seedOff)
	keys := make([]string, 0, len(win.segs))
	for k := range win.segs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	byName := map[string][]*Column{}
	var names []string
	for _, k := range keys {
		sp := win.segs[k].prof
		cn := make([]string, 0, len(sp.columns))
		for name := range sp.columns {
			cn = append(cn, name)
		}
		slices.Sort(cn)
		for _, name := range cn {
			if _, ok := byName[name]; !ok {
				names = append(names, name)
			}
			byName[name] = append(byName[name], sp.columns[name])
		}
	}
	for _, name := range names {
		c, err := mergeColumns(name, byName[name], p.set, &w.mergeScratch)
		if err != nil { // cannot happen: every profile of a window set shares its settings
			panic(fmt.Sprintf("profiler: deriving the full-dataset profile of window %v: %v", win.win.Start, err))
		}
		p.columns[name] = c
	}
	return p
}

// mergeColumns returns the merge of cols (the same column of several
// profiles, in merge order) as a column of a profile with settings s. The
// result equals merging them pairwise with Column.merge (counts, types and
// ints exactly; mean and m2 with Chan's formula in the same order; the
// sketches as DataSketches merges them), but every sketch is merged into
// one accumulator instead of being copied at each step. Its type is the
// first known type of cols and its metric set the union of theirs.
//
// scratch, when not nil, holds the KLL merge scratch space between calls:
// the accumulator borrows it for its merges and hands it back, so deriving
// a window allocates it once (MoveScratch; the bytes do not depend on it).
func mergeColumns(name string, cols []*Column, s *settings, scratch *sketches.KLLDoubles) (*Column, error) {
	for _, c := range cols {
		if len(c.subs) > 0 || len(c.extra) > 0 {
			return mergeColumnsPairwise(name, cols, s)
		}
	}
	n := &Column{name: name, set: s}
	var has uint8
	lgK, hllType := 0, sketches.HLL4
	for _, c := range cols {
		if n.typ == TypeUnknown {
			n.typ = c.typ
		}
		has |= c.m.has
		if c.m.card != nil {
			if c.m.card.LgK() > lgK {
				lgK = c.m.card.LgK()
			}
			if c.m.card.Type() > hllType {
				hllType = c.m.card.Type()
			}
		}
	}
	seed := columnSeed(s.seed, name, "")
	m := metricSet{has: has, seed: seed, rowNaN: s.rowNaN}
	if has&hasInts != 0 {
		m.ints = intsMetric{max: intsEmptyMax, min: intsEmptyMin}
	}
	var u *sketches.HLLUnion
	if has&hasCard != 0 && lgK > 0 {
		var err error
		if u, err = sketches.NewHLLUnion(lgK); err != nil {
			return nil, err
		}
	}
	for _, c := range cols {
		o := &c.m
		if o.has&hasCounts != 0 {
			m.counts.n += o.counts.n
			m.counts.null += o.counts.null
			m.counts.nan += o.counts.nan
			m.counts.inf += o.counts.inf
			m.counts.true_ += o.counts.true_
		}
		if o.has&hasTypes != 0 {
			m.types.integral += o.types.integral
			m.types.fractional += o.types.fractional
			m.types.boolean += o.types.boolean
			m.types.string_ += o.types.string_
			m.types.object += o.types.object
			m.types.tensor += o.types.tensor
		}
		if o.has&hasDist != 0 {
			if m.dist.kll == nil {
				m.dist.kll = newKLL(s.kllK, seed)
				if scratch != nil {
					scratch.MoveScratch(m.dist.kll)
					defer m.dist.kll.MoveScratch(scratch)
				}
			}
			an, bn := float64(m.dist.kll.N()), float64(o.dist.kll.N())
			m.dist.mean, m.dist.m2 = chanMerge(an, m.dist.mean, m.dist.m2, bn, o.dist.mean, o.dist.m2)
			if err := m.dist.kll.Merge(o.dist.kll); err != nil {
				return nil, fmt.Errorf("profiler: merging column %q: %w", name, err)
			}
		}
		if o.has&hasInts != 0 {
			m.ints.max = max(m.ints.max, o.ints.max)
			m.ints.min = min(m.ints.min, o.ints.min)
		}
		if o.has&hasCard != 0 && u != nil {
			u.Update(o.card)
		}
		if o.has&hasFI != 0 {
			if m.fi.fs == nil {
				f, err := sketches.NewFrequentStrings(s.fiLgMaxK)
				if err != nil {
					return nil, err
				}
				m.fi.fs = f
			}
			if err := m.fi.fs.Merge(o.fi.fs); err != nil {
				return nil, fmt.Errorf("profiler: merging column %q: %w", name, err)
			}
			m.fi.maxSize = max(m.fi.maxSize, o.fi.maxSize)
		}
	}
	if u != nil {
		m.card = u.Result(hllType)
	}
	n.m = m
	return n, nil
}

// mergeColumnsPairwise merges cols with Column.merge, for columns carrying
// compound sub-metrics or unknown components.
func mergeColumnsPairwise(name string, cols []*Column, s *settings) (*Column, error) {
	acc := cols[0].clone()
	acc.set = s
	for _, c := range cols[1:] {
		m, err := acc.merge(c, s)
		if err != nil {
			return nil, err
		}
		acc = m
	}
	acc.name = name
	return acc, nil
}
