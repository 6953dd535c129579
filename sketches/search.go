package sketches

import "strconv"

// SearchCriteria selects how quantile sketches treat items equal to the search
// key. The semantics are those of DataSketches C++ and Python.
//
// With Inclusive, Rank(x) is the weight of items ≤ x divided by n, and
// Quantile(r) is the smallest retained item whose cumulative weight (including
// itself) is ≥ ⌈r·n⌉. With Exclusive, Rank(x) counts items < x, and Quantile(r)
// is the smallest retained item whose cumulative weight is > ⌊r·n⌋. When no item
// qualifies, the largest retained item is returned.
type SearchCriteria int

const (
	// Inclusive is the default criterion (DataSketches C++/Python inclusive=true,
	// Java INCLUSIVE).
	Inclusive SearchCriteria = iota
	// Exclusive is DataSketches inclusive=false (Java EXCLUSIVE).
	Exclusive
)

// String returns "Inclusive", "Exclusive" or "SearchCriteria(n)".
func (c SearchCriteria) String() string {
	switch c {
	case Inclusive:
		return "Inclusive"
	case Exclusive:
		return "Exclusive"
	}
	return "SearchCriteria(" + strconv.Itoa(int(c)) + ")"
}
