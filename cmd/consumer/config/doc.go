// Package config is the typed configuration of `consumer run` and
// `consumer backfill`: the types, loading, defaults, validation and the
// generated documentation.
//
// # Sources and precedence
//
// Load combines, each later source overriding the earlier ones:
//
//	defaults < YAML file < environment (KPROFILER_…) < command-line flags
//
// The YAML file is decoded strictly: an unknown key (reported with its line,
// column and a "did you mean" hint), a repeated key, a value of the wrong
// shape or an unparsable scalar is an error. Defaults are applied after all
// sources to the fields that are still zero and that no source set
// explicitly, so "allowed_lateness: 0s" or "every_records: 0" stay zero.
//
// # Environment variables
//
// Every leaf field has a variable derived mechanically from its YAML path:
// "KPROFILER_" followed by the path in upper case with "." and list indices
// replaced by "_" — kafka.brokers is KPROFILER_KAFKA_BROKERS,
// datasets[0].rotation is KPROFILER_DATASETS_0_ROTATION, sinks[1].url is
// KPROFILER_SINKS_1_URL. Lists are comma-separated, maps are
// key=value,key=value, and both also accept YAML flow syntax. See
// Config.ApplyEnv for the details (list growth, empty values, unknown names).
//
// # Validation
//
// Validate checks every rule and returns all violations at once
// (errors.Join of *FieldError, each wrapping ErrInvalid, in field order).
// Each message names the field path, the value and the rule, e.g.
//
//	datasets[1].rotation: "7m" must be a positive duration of at least 1s that divides 1d …
//
// # Secrets
//
// Passwords are Secret values: they can only be read with Secret.Reveal, and
// every rendering (fmt, String, JSON, YAML, slog, zerolog through JSON)
// prints "[redacted]". They can be given directly, through a variable named
// by a *_env field, or through a file (password_file); ResolveSecrets reads
// them. Config.String renders the whole configuration with secrets
// redacted, for logs.
//
// # Documentation
//
// The struct tags in types.go are the single description of the fields.
// Reference renders them as a table (path, type, default, variable,
// description) for `consumer run --help` and the README; Example renders a
// complete commented kprofiler.yaml for `consumer config example`. Tests
// check that every leaf appears in both and that Example loads and
// validates.
//
// Nothing in this package keeps global mutable state; a Config is a plain
// value owned by its caller.
package config
