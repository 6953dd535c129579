package config

import (
	"errors"
	"strconv"
	"strings"
)

// ErrInvalid is wrapped by every error about the configuration's content
// (unknown field, unparsable value, broken rule), so callers can tell a bad
// configuration from an I/O failure with errors.Is(err, config.ErrInvalid).
var ErrInvalid = errors.New("config: invalid configuration")

// FieldError is one problem with one field. Load, Parse, ApplyEnv,
// Flags.Apply, ResolveSecrets and Validate return every problem they find at
// once, joined with errors.Join in a deterministic order; each part is a
// *FieldError (use errors.As).
//
// Its message reads "[source: ]path: [value ]rule", for example
//
//	kprofiler.yaml:12:15: datasets[1].rotation: "7m" must divide 1d …
//	env KPROFILER_KAFKA_BROKERS: kafka.brokers[0]: "kafka" must be host:port …
//	datasets: must list at least one dataset
//
// Secret values are never part of a FieldError.
type FieldError struct {
	Source string // "file:line:column", "env NAME", "flag --name"; empty for rule checks
	Path   string // display path: "kafka.sasl.mechanism", "datasets[1].rotation"; empty for the whole file
	Value  string // the offending value, rendered (strings quoted); may be empty
	Rule   string // what is required, lower case, no trailing period
}

func (e *FieldError) Error() string {
	var b strings.Builder
	if e.Source != "" {
		b.WriteString(e.Source)
		b.WriteString(": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	if e.Value != "" {
		b.WriteString(e.Value)
		b.WriteByte(' ')
	}
	b.WriteString(e.Rule)
	return b.String()
}

// Unwrap returns ErrInvalid.
func (e *FieldError) Unwrap() error { return ErrInvalid }

// quote renders a string value for an error message.
func quote(s string) string { return strconv.Quote(s) }

// errorList collects FieldErrors in order.
type errorList []error

func (l *errorList) add(source, path, value, rule string) {
	*l = append(*l, &FieldError{Source: source, Path: path, Value: value, Rule: rule})
}

func (l errorList) err() error {
	if len(l) == 0 {
		return nil
	}
	return errors.Join(l...)
}

// suggest returns the candidate closest to name (edit distance at most 2, or
// a case-insensitive match), or "".
func suggest(name string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		if strings.EqualFold(c, name) {
			return c
		}
		if d := editDistance(strings.ToLower(name), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
