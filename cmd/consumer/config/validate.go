package config

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Limits enforced by Validate.
const (
	MinFetchBytes           = ByteSize(1 << 10)
	MaxFetchBytes           = ByteSize(1 << 30)
	MinFetchMaxWait         = Duration(10 * time.Millisecond)
	MaxFetchMaxWait         = Duration(time.Minute)
	MinSessionTimeout       = Duration(6 * time.Second)
	MaxGroupTimeout         = Duration(30 * time.Minute)
	MinRebalanceTimeout     = Duration(time.Second)
	MinRotation             = Duration(time.Second)
	MaxLatenessPerRotation  = 10 // allowed_lateness ≤ this × rotation …
	MaxAllowedLateness      = Duration(Day)
	MaxSegmentsPerWindowCap = 1_000_000
	MaxClientIDLength       = 256
	MinCheckpointInterval   = Duration(time.Second)
)

// BlobSchemes are the URL schemes a blob sink accepts.
var BlobSchemes = []string{"file", "mem", "s3", "gs", "azblob"}

var (
	datasetNameRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,128}$`)
	topicRE       = regexp.MustCompile(`^[A-Za-z0-9._-]{1,249}$`)
)

// Validate checks every rule and returns all broken ones at once, joined in
// the order of the fields (see FieldError for the message form). It reads
// the TLS files and Avro schema files to check that they exist and parse.
// It does not change c. Credentials named through *_env fields or
// password_file count as set: reading them is ResolveSecrets' job, which
// reports a missing variable or file (Load runs both).
func (c *Config) Validate() error {
	v := &validator{}
	v.kafka(&c.Kafka)
	consumed := map[string]string{} // topic → the first dataset path that reads it
	if len(c.Datasets) == 0 {
		v.add("datasets", "", "must list at least one dataset")
	}
	names := map[string]string{}
	for i := range c.Datasets {
		p := indexPath("datasets", i)
		d := &c.Datasets[i]
		if prev, dup := names[d.Name]; dup && d.Name != "" {
			v.add(p+".name", quote(d.Name), "must be unique (also "+prev+".name)")
		} else {
			names[d.Name] = p
		}
		v.dataset(p, d)
		for _, t := range d.Topics {
			if _, ok := consumed[t]; !ok {
				consumed[t] = p
			}
		}
	}
	v.sinks(c, consumed)
	if t := c.DeadLetter.Topic; t != "" {
		v.topic("dead_letter.topic", t)
		if by, ok := consumed[t]; ok {
			v.add("dead_letter.topic", quote(t), "must not be a topic that "+by+" reads")
		}
	}
	v.hostPort("http.listen", c.HTTP.Listen, true, "must be host:port like 127.0.0.1:9464 or :9464")
	if n := c.Checkpoint.EveryRecords; n < 0 {
		v.add("checkpoint.every_records", strconv.FormatInt(n, 10), "must be 0 (never) or positive")
	}
	if d := c.Checkpoint.EveryInterval; d != 0 && d < MinCheckpointInterval {
		v.add("checkpoint.every_interval", quote(d.String()), "must be 0s (never) or at least "+MinCheckpointInterval.String())
	}
	v.enums("log", &c.Log)
	if c.ShutdownTimeout <= 0 {
		v.add("shutdown_timeout", quote(c.ShutdownTimeout.String()), "must be a positive duration like 25s")
	}
	return v.errs.err()
}

type validator struct{ errs errorList }

func (v *validator) add(path, value, rule string) { v.errs.add("", path, value, rule) }

// enums checks the enum-tagged string fields of the struct *s. An empty value
// is allowed when the field has neither a default nor required:"true".
func (v *validator) enums(path string, s any) {
	rv := reflect.ValueOf(s).Elem()
	for _, f := range fields(rv.Type()) {
		allowed := f.enum()
		if allowed == nil {
			continue
		}
		val := rv.FieldByIndex(f.index).String()
		if val == "" && !f.hasDefault() && f.tag.Get("required") != "true" {
			continue
		}
		if !slices.Contains(allowed, val) {
			v.add(joinPath(path, f.name), quote(val), "must be one of "+strings.Join(allowed, ", "))
		}
	}
}

func (v *validator) kafka(k *Kafka) {
	if len(k.Brokers) == 0 {
		v.add("kafka.brokers", "", "must list at least one broker as host:port")
	}
	for i, b := range k.Brokers {
		v.hostPort(indexPath("kafka.brokers", i), b, false, "must be host:port with a port in 1..65535")
	}
	if k.Group == "" {
		v.add("kafka.group", quote(k.Group), "must not be empty")
	}
	if len(k.ClientID) > MaxClientIDLength {
		v.add("kafka.client_id", quote(k.ClientID), fmt.Sprintf("must be at most %d characters", MaxClientIDLength))
	}
	v.tls(&k.TLS)
	v.sasl(&k.SASL)
	if b := k.FetchMaxBytes; b < MinFetchBytes || b > MaxFetchBytes {
		v.add("kafka.fetch_max_bytes", b.String(), "must be between "+MinFetchBytes.String()+" and "+MaxFetchBytes.String())
	}
	if b := k.PartitionFetchMaxBytes; b < MinFetchBytes || b > k.FetchMaxBytes {
		v.add("kafka.partition_fetch_max_bytes", b.String(), "must be between "+MinFetchBytes.String()+" and kafka.fetch_max_bytes ("+k.FetchMaxBytes.String()+")")
	}
	v.durationRange("kafka.fetch_max_wait", k.FetchMaxWait, MinFetchMaxWait, MaxFetchMaxWait)
	if k.StartFrom.Kind == 0 {
		v.add("kafka.start_from", "", "must be earliest, latest, an RFC 3339 time or epoch milliseconds")
	}
	v.durationRange("kafka.session_timeout", k.SessionTimeout, MinSessionTimeout, MaxGroupTimeout)
	v.durationRange("kafka.rebalance_timeout", k.RebalanceTimeout, MinRebalanceTimeout, MaxGroupTimeout)
}

func (v *validator) durationRange(path string, d, lo, hi Duration) {
	if d < lo || d > hi {
		v.add(path, quote(d.String()), "must be between "+lo.String()+" and "+hi.String())
	}
}

func (v *validator) tls(t *TLS) {
	const p = "kafka.tls"
	if !t.Enabled {
		for _, f := range []struct {
			name string
			set  bool
			val  string
		}{
			{"ca_file", t.CAFile != "", quote(t.CAFile)},
			{"cert_file", t.CertFile != "", quote(t.CertFile)},
			{"key_file", t.KeyFile != "", quote(t.KeyFile)},
			{"insecure_skip_verify", t.InsecureSkipVerify, "true"},
			{"server_name", t.ServerName != "", quote(t.ServerName)},
		} {
			if f.set {
				v.add(p+"."+f.name, f.val, "is set but kafka.tls.enabled is false")
			}
		}
		return
	}
	if t.CAFile != "" {
		if data, ok := v.readable(p+".ca_file", t.CAFile); ok {
			if pool := x509.NewCertPool(); !pool.AppendCertsFromPEM(data) {
				v.add(p+".ca_file", quote(t.CAFile), "must hold at least one PEM certificate")
			}
		}
	}
	switch {
	case t.CertFile != "" && t.KeyFile == "":
		v.add(p+".key_file", quote(""), "must be set when kafka.tls.cert_file is set")
	case t.CertFile == "" && t.KeyFile != "":
		v.add(p+".cert_file", quote(""), "must be set when kafka.tls.key_file is set")
	case t.CertFile != "":
		cert, okc := v.readable(p+".cert_file", t.CertFile)
		key, okk := v.readable(p+".key_file", t.KeyFile)
		if okc && okk {
			if _, err := tls.X509KeyPair(cert, key); err != nil {
				v.add(p+".cert_file", quote(t.CertFile), "must be a PEM certificate matching kafka.tls.key_file: "+err.Error())
			}
		}
	}
}

// readable reads a file that the configuration names.
func (v *validator) readable(path, name string) ([]byte, bool) {
	data, err := os.ReadFile(name)
	if err != nil {
		v.add(path, quote(name), "must be a readable file: "+err.Error())
		return nil, false
	}
	return data, true
}

func (v *validator) sasl(s *SASL) {
	const p = "kafka.sasl"
	v.enums(p, s)
	if s.Mechanism == "" {
		if s.Username != "" || s.UsernameEnv != "" {
			v.add(p+".username", quote(s.Username), "is set but kafka.sasl.mechanism is empty")
		}
		if s.Password.IsSet() || s.PasswordEnv != "" || s.PasswordFile != "" {
			v.add(p+".password", "", "is set but kafka.sasl.mechanism is empty")
		}
		return
	}
	// A credential named through username_env, password_env or
	// password_file that cannot be read is ResolveSecrets' error (Load runs
	// it before Validate); it is not reported a second time here.
	if s.Username == "" && s.UsernameEnv == "" {
		v.add(p+".username", quote(""), "must be set (or username_env) for mechanism "+s.Mechanism)
	}
	if !s.Password.IsSet() && s.PasswordEnv == "" && s.PasswordFile == "" {
		v.add(p+".password", "", "must be set (or password_env or password_file) for mechanism "+s.Mechanism)
	}
}

func (v *validator) dataset(p string, d *Dataset) {
	if !datasetNameRE.MatchString(d.Name) {
		v.add(p+".name", quote(d.Name), "must be 1–128 characters from A–Z a–z 0–9 . _ -")
	}
	if len(d.Topics) == 0 {
		v.add(p+".topics", "", "must list at least one topic")
	}
	seen := map[string]bool{}
	for i, t := range d.Topics {
		tp := indexPath(p+".topics", i)
		v.topic(tp, t)
		if seen[t] {
			v.add(tp, quote(t), "is listed twice")
		}
		seen[t] = true
	}
	v.enums(p, d)
	v.avro(p, d)
	v.enums(p+".event_time", &d.EventTime)
	switch et := d.EventTime; et.Source {
	case "field":
		if et.Field == "" {
			v.add(p+".event_time.field", quote(""), "must be set when event_time.source is field")
		}
	case "record_timestamp":
		if et.Field != "" {
			v.add(p+".event_time.field", quote(et.Field), "is set but event_time.source is record_timestamp")
		}
	}
	v.segments(p+".segments", &d.Segments)
	v.rotation(p, d.Rotation, d.AllowedLateness)
	if n := d.MaxSegmentsPerWindow; n < 1 || n > MaxSegmentsPerWindowCap {
		v.add(p+".max_segments_per_window", strconv.Itoa(n), fmt.Sprintf("must be between 1 and %d", MaxSegmentsPerWindowCap))
	}
	for _, m := range []struct {
		name string
		m    map[string]string
	}{{"tags", d.Tags}, {"metadata", d.Metadata}} {
		if _, ok := m.m[""]; ok {
			v.add(p+"."+m.name, "", "keys must not be empty")
		}
	}
	v.names(p+".include_fields", d.IncludeFields)
	v.names(p+".exclude_fields", d.ExcludeFields)
	for i, f := range d.ExcludeFields {
		if slices.Contains(d.IncludeFields, f) {
			v.add(indexPath(p+".exclude_fields", i), quote(f), "is also in include_fields")
		}
	}
	if d.Nesting == "flatten" && d.Separator == "" {
		v.add(p+".separator", quote(""), "must not be empty when nesting is flatten")
	}
}

// names checks a list of field names: non-empty and unique.
func (v *validator) names(path string, list []string) {
	seen := map[string]bool{}
	for i, n := range list {
		switch {
		case n == "":
			v.add(indexPath(path, i), quote(n), "must not be empty")
		case seen[n]:
			v.add(indexPath(path, i), quote(n), "is listed twice")
		}
		seen[n] = true
	}
}

func (v *validator) avro(p string, d *Dataset) {
	a := &d.Avro
	reg := a.SchemaRegistry
	regSet := reg.URL != "" || reg.Username != "" || reg.UsernameEnv != "" || reg.Password.IsSet() || reg.PasswordEnv != "" || reg.PasswordFile != ""
	if d.Format != "avro" {
		if regSet {
			v.add(p+".avro.schema_registry", "", "is set but "+p+".format is "+d.Format)
		}
		if a.SchemaFile != "" {
			v.add(p+".avro.schema_file", quote(a.SchemaFile), "is set but "+p+".format is "+d.Format)
		}
		return
	}
	if (reg.URL != "") == (a.SchemaFile != "") {
		v.add(p+".avro", "", "must set exactly one of schema_registry.url and schema_file when format is avro")
	}
	if reg.URL != "" {
		u, err := url.Parse(reg.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			v.add(p+".avro.schema_registry.url", quote(reg.URL), "must be an http:// or https:// URL")
		}
	}
	rp := p + ".avro.schema_registry"
	userSet := reg.Username != "" || reg.UsernameEnv != ""
	passSet := reg.Password.IsSet() || reg.PasswordEnv != "" || reg.PasswordFile != ""
	if userSet && !passSet {
		v.add(rp+".password", "", "must be set (or password_env or password_file) when username is set")
	}
	if !userSet && passSet {
		v.add(rp+".username", quote(""), "must be set (or username_env) when a password is set")
	}
	if a.SchemaFile != "" {
		if data, ok := v.readable(p+".avro.schema_file", a.SchemaFile); ok {
			var schema any
			if err := json.Unmarshal(data, &schema); err != nil {
				v.add(p+".avro.schema_file", quote(a.SchemaFile), "must hold an Avro schema in JSON: "+err.Error())
			}
		}
	}
}

func (v *validator) segments(p string, s *Segments) {
	if len(s.Fields) > 0 && len(s.Explicit) > 0 {
		v.add(p, "", "must set either fields or explicit, not both")
	}
	v.names(p+".fields", s.Fields)
	seen := map[string]int{}
	for i, m := range s.Explicit {
		ep := indexPath(p+".explicit", i)
		if len(m) == 0 {
			v.add(ep, "{}", "must name at least one field: value pair")
			continue
		}
		if _, ok := m[""]; ok {
			v.add(ep, "", "keys must not be empty")
		}
		key := canonicalSegment(m)
		if j, dup := seen[key]; dup {
			v.add(ep, key, "repeats "+indexPath(p+".explicit", j))
			continue
		}
		seen[key] = i
	}
}

// canonicalSegment renders a segment as {k: v, …} with sorted keys.
func canonicalSegment(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + m[k]
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// rotation checks the window length and the allowed lateness: rotation ≥ 1s
// and either divides a day exactly or is a whole number of days;
// 0 ≤ allowed_lateness ≤ min(10 × rotation, 1d).
func (v *validator) rotation(p string, r, lateness Duration) {
	okRotation := r >= MinRotation && (Day%r.Std() == 0 || r.Std()%Day == 0)
	if !okRotation {
		v.add(p+".rotation", quote(r.String()), "must be a positive duration of at least 1s that divides 1d (like 30s, 5m, 1h) or is a whole number of days (like 1d, 7d)")
		if lateness < 0 {
			v.add(p+".allowed_lateness", quote(lateness.String()), "must not be negative")
		}
		return
	}
	limit := MaxAllowedLateness
	if r <= MaxAllowedLateness/MaxLatenessPerRotation {
		limit = r * MaxLatenessPerRotation
	}
	if lateness < 0 || lateness > limit {
		v.add(p+".allowed_lateness", quote(lateness.String()), "must be between 0s and "+limit.String()+" (10 × rotation, at most 1d)")
	}
}

func (v *validator) topic(path, t string) {
	if !topicRE.MatchString(t) || t == "." || t == ".." {
		v.add(path, quote(t), "must be a Kafka topic name: 1–249 characters from A–Z a–z 0–9 . _ -")
	}
}

// hostPort checks host:port. With listen, the host may be empty and the
// port 0; otherwise both are required and the port is 1..65535.
func (v *validator) hostPort(path, s string, listen bool, rule string) {
	host, port, err := net.SplitHostPort(s)
	ok := err == nil && (listen || host != "")
	if ok {
		n, err := strconv.Atoi(port)
		ok = err == nil && n >= 0 && n <= 65535 && (listen || n > 0)
	}
	if !ok {
		v.add(path, quote(s), rule)
	}
}

func (v *validator) sinks(c *Config, consumed map[string]string) {
	if len(c.Sinks) == 0 {
		v.add("sinks", "", "must list at least one sink")
	}
	seen := map[string]int{}
	eos := -1
	for i := range c.Sinks {
		s := &c.Sinks[i]
		p := indexPath("sinks", i)
		v.enums(p, s)
		notFor := func(name, value string, set bool) {
			if set {
				v.add(p+"."+name, value, "is set but "+p+".type is "+s.Type)
			}
		}
		var identity string
		switch s.Type {
		case "blob":
			identity = "blob " + s.URL + " " + s.Prefix
			if s.URL == "" {
				v.add(p+".url", quote(""), "must be set for a blob sink")
			} else if u, err := url.Parse(s.URL); err != nil || !slices.Contains(BlobSchemes, u.Scheme) {
				v.add(p+".url", quote(s.URL), "must be a URL with scheme "+strings.Join(BlobSchemes, ", "))
			}
			notFor("topic", quote(s.Topic), s.Topic != "")
			notFor("brokers", quote(strings.Join(s.Brokers, ",")), len(s.Brokers) > 0)
			if s.ExactlyOnce {
				v.add(p+".exactly_once", "true", "is only for kafka sinks")
			}
			notFor("transactional_id", quote(s.TransactionalID), s.TransactionalID != "")
		case "kafka":
			identity = "kafka " + strings.Join(s.Brokers, ",") + " " + s.Topic
			if s.Topic == "" {
				v.add(p+".topic", quote(""), "must be set for a kafka sink")
			} else {
				v.topic(p+".topic", s.Topic)
				if by, ok := consumed[s.Topic]; ok && sameBrokers(s.Brokers, c.Kafka.Brokers) {
					v.add(p+".topic", quote(s.Topic), "must not be a topic that "+by+" reads")
				}
			}
			notFor("url", quote(s.URL), s.URL != "")
			notFor("prefix", quote(s.Prefix), s.Prefix != "")
			for j, b := range s.Brokers {
				v.hostPort(indexPath(p+".brokers", j), b, false, "must be host:port with a port in 1..65535")
			}
			if s.ExactlyOnce {
				if eos >= 0 {
					v.add(p+".exactly_once", "true", "is already set on "+indexPath("sinks", eos)+": at most one sink may be exactly-once")
				} else {
					eos = i
				}
				if len(s.Brokers) > 0 && !sameBrokers(s.Brokers, c.Kafka.Brokers) {
					v.add(p+".brokers", quote(strings.Join(s.Brokers, ",")), "must equal kafka.brokers when exactly_once is true (the transaction commits the source offsets)")
				}
			} else if s.TransactionalID != "" {
				v.add(p+".transactional_id", quote(s.TransactionalID), "is set but "+p+".exactly_once is false")
			}
		default:
			continue
		}
		if j, dup := seen[identity]; dup {
			v.add(p, "", "repeats "+indexPath("sinks", j))
		} else {
			seen[identity] = i
		}
	}
}

func sameBrokers(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

// ClientConfig builds the *tls.Config for the brokers, or returns nil when
// TLS is disabled. It reads the files named in t.
func (t TLS) ClientConfig() (*tls.Config, error) {
	if !t.Enabled {
		return nil, nil
	}
	cfg := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         t.ServerName,
		InsecureSkipVerify: t.InsecureSkipVerify, //nolint:gosec // opt-in, documented as tests only
	}
	if t.CAFile != "" {
		data, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("reading kafka.tls.ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(data) {
			return nil, fmt.Errorf("kafka.tls.ca_file %q holds no PEM certificate: %w", t.CAFile, ErrInvalid)
		}
		cfg.RootCAs = pool
	}
	if t.CertFile != "" || t.KeyFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("loading kafka.tls client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}
