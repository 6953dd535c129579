package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// validBase is the minimal configuration with defaults applied.
func validBase(t *testing.T) *Config {
	t.Helper()
	c, err := Parse("base.yaml", []byte(minimalYAML))
	if err != nil {
		t.Fatal(err)
	}
	c.SetDefaults()
	if err := c.Validate(); err != nil {
		t.Fatalf("base configuration invalid: %v", err)
	}
	return c
}

// writeFile writes a file in dir and returns its path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// certPair returns a self-signed certificate and its key, PEM encoded.
func certPair(t *testing.T) (certPEM, keyPEM string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "kprofiler-test"},
		NotBefore:    time.Unix(0, 0),
		NotAfter:     time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC),
		IsCA:         true,
		KeyUsage:     x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}))
}

func TestValidationRules(t *testing.T) {
	dir := t.TempDir()
	certA, keyA := certPair(t)
	_, keyB := certPair(t)
	ca := writeFile(t, dir, "ca.pem", certA)
	cert := writeFile(t, dir, "cert.pem", certA)
	key := writeFile(t, dir, "key.pem", keyA)
	otherKey := writeFile(t, dir, "other-key.pem", keyB)
	notPEM := writeFile(t, dir, "not.pem", "hello")
	missing := filepath.Join(dir, "missing.pem")
	schema := writeFile(t, dir, "orders.avsc", `{"type":"record","name":"o","fields":[]}`)
	badSchema := writeFile(t, dir, "bad.avsc", `{"type":`)

	tests := []struct {
		name   string
		mutate func(c *Config)
		want   string // the whole error; "" means valid
	}{
		// kafka
		{"no brokers", func(c *Config) { c.Kafka.Brokers = nil }, "kafka.brokers: must list at least one broker as host:port"},
		{"broker without port", func(c *Config) { c.Kafka.Brokers = []string{"a:9092", "kafka"} }, `kafka.brokers[1]: "kafka" must be host:port with a port in 1..65535`},
		{"broker port zero", func(c *Config) { c.Kafka.Brokers = []string{"a:0"} }, `kafka.brokers[0]: "a:0" must be host:port with a port in 1..65535`},
		{"broker no host", func(c *Config) { c.Kafka.Brokers = []string{":9092"} }, `kafka.brokers[0]: ":9092" must be host:port with a port in 1..65535`},
		{"ipv6 broker", func(c *Config) { c.Kafka.Brokers = []string{"[::1]:9092"} }, ""},
		{"empty group", func(c *Config) { c.Kafka.Group = "" }, `kafka.group: "" must not be empty`},
		{"long client id", func(c *Config) { c.Kafka.ClientID = strings.Repeat("c", 257) }, `kafka.client_id: "` + strings.Repeat("c", 257) + `" must be at most 256 characters`},
		{"tls file while disabled", func(c *Config) { c.Kafka.TLS.CAFile = ca }, `kafka.tls.ca_file: "` + ca + `" is set but kafka.tls.enabled is false`},
		{"tls skip verify while disabled", func(c *Config) { c.Kafka.TLS.InsecureSkipVerify = true }, `kafka.tls.insecure_skip_verify: true is set but kafka.tls.enabled is false`},
		{"tls enabled, system roots", func(c *Config) { c.Kafka.TLS.Enabled = true }, ""},
		{"tls full", func(c *Config) {
			c.Kafka.TLS = TLS{Enabled: true, CAFile: ca, CertFile: cert, KeyFile: key, ServerName: "k"}
		}, ""},
		{"tls ca missing", func(c *Config) { c.Kafka.TLS = TLS{Enabled: true, CAFile: missing} }, `kafka.tls.ca_file: "` + missing + `" must be a readable file: open ` + missing + `: no such file or directory`},
		{"tls ca not PEM", func(c *Config) { c.Kafka.TLS = TLS{Enabled: true, CAFile: notPEM} }, `kafka.tls.ca_file: "` + notPEM + `" must hold at least one PEM certificate`},
		{"tls cert without key", func(c *Config) { c.Kafka.TLS = TLS{Enabled: true, CertFile: cert} }, `kafka.tls.key_file: "" must be set when kafka.tls.cert_file is set`},
		{"tls key without cert", func(c *Config) { c.Kafka.TLS = TLS{Enabled: true, KeyFile: key} }, `kafka.tls.cert_file: "" must be set when kafka.tls.key_file is set`},
		{"tls key file missing", func(c *Config) { c.Kafka.TLS = TLS{Enabled: true, CertFile: cert, KeyFile: missing} }, `kafka.tls.key_file: "` + missing + `" must be a readable file: open ` + missing + `: no such file or directory`},
		{"tls key mismatch", func(c *Config) { c.Kafka.TLS = TLS{Enabled: true, CertFile: cert, KeyFile: otherKey} }, `kafka.tls.cert_file: "` + cert + `" must be a PEM certificate matching kafka.tls.key_file: tls: private key does not match public key`},
		{"sasl bad mechanism", func(c *Config) {
			c.Kafka.SASL = SASL{Mechanism: "GSSAPI", Credentials: Credentials{Username: "u", Password: NewSecret(secretValue)}}
		}, `kafka.sasl.mechanism: "GSSAPI" must be one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512`},
		{"sasl ok", func(c *Config) {
			c.Kafka.SASL = SASL{Mechanism: "SCRAM-SHA-512", Credentials: Credentials{Username: "u", Password: NewSecret(secretValue)}}
		}, ""},
		{"sasl no password", func(c *Config) { c.Kafka.SASL = SASL{Mechanism: "PLAIN", Credentials: Credentials{Username: "u"}} }, "kafka.sasl.password: must be set (or password_env or password_file) for mechanism PLAIN"},
		{"sasl no username", func(c *Config) {
			c.Kafka.SASL = SASL{Mechanism: "SCRAM-SHA-256", Credentials: Credentials{Password: NewSecret(secretValue)}}
		}, `kafka.sasl.username: "" must be set (or username_env) for mechanism SCRAM-SHA-256`},
		{"sasl credentials without mechanism", func(c *Config) {
			c.Kafka.SASL = SASL{Credentials: Credentials{Username: "u", Password: NewSecret(secretValue)}}
		}, "kafka.sasl.username: \"u\" is set but kafka.sasl.mechanism is empty\nkafka.sasl.password: is set but kafka.sasl.mechanism is empty"},
		{"fetch max bytes too small", func(c *Config) { c.Kafka.FetchMaxBytes = 100; c.Kafka.PartitionFetchMaxBytes = 100 }, "kafka.fetch_max_bytes: 100 must be between 1KiB and 1GiB\nkafka.partition_fetch_max_bytes: 100 must be between 1KiB and kafka.fetch_max_bytes (100)"},
		{"fetch max bytes too large", func(c *Config) { c.Kafka.FetchMaxBytes = 2 << 30 }, "kafka.fetch_max_bytes: 2GiB must be between 1KiB and 1GiB"},
		{"partition fetch above fetch", func(c *Config) { c.Kafka.PartitionFetchMaxBytes = 64 << 20 }, "kafka.partition_fetch_max_bytes: 64MiB must be between 1KiB and kafka.fetch_max_bytes (50MiB)"},
		{"fetch wait too short", func(c *Config) { c.Kafka.FetchMaxWait = Duration(time.Millisecond) }, `kafka.fetch_max_wait: "1ms" must be between 10ms and 1m`},
		{"session timeout too short", func(c *Config) { c.Kafka.SessionTimeout = Duration(time.Second) }, `kafka.session_timeout: "1s" must be between 6s and 30m`},
		{"rebalance timeout too long", func(c *Config) { c.Kafka.RebalanceTimeout = Duration(time.Hour) }, `kafka.rebalance_timeout: "1h" must be between 1s and 30m`},
		{"start position unset", func(c *Config) { c.Kafka.StartFrom = StartPosition{} }, "kafka.start_from: must be earliest, latest, an RFC 3339 time or epoch milliseconds"},

		// datasets
		{"no datasets", func(c *Config) { c.Datasets = nil }, "datasets: must list at least one dataset"},
		{"bad dataset name", func(c *Config) { c.Datasets[0].Name = "my orders" }, `datasets[0].name: "my orders" must be 1–128 characters from A–Z a–z 0–9 . _ -`},
		{"empty dataset name", func(c *Config) { c.Datasets[0].Name = "" }, `datasets[0].name: "" must be 1–128 characters from A–Z a–z 0–9 . _ -`},
		{"duplicate dataset name", func(c *Config) {
			c.Datasets = append(c.Datasets, c.Datasets[0])
			c.Datasets[1].Topics = []string{"other"}
		}, `datasets[1].name: "orders" must be unique (also datasets[0].name)`},
		{"no topics", func(c *Config) { c.Datasets[0].Topics = nil }, "datasets[0].topics: must list at least one topic"},
		{"bad topic", func(c *Config) { c.Datasets[0].Topics = []string{"a b"} }, `datasets[0].topics[0]: "a b" must be a Kafka topic name: 1–249 characters from A–Z a–z 0–9 . _ -`},
		{"topic twice", func(c *Config) { c.Datasets[0].Topics = []string{"a", "a"} }, `datasets[0].topics[1]: "a" is listed twice`},
		{"bad format", func(c *Config) { c.Datasets[0].Format = "xml" }, `datasets[0].format: "xml" must be one of json, avro`},
		{"avro needs a source", func(c *Config) { c.Datasets[0].Format = "avro" }, "datasets[0].avro: must set exactly one of schema_registry.url and schema_file when format is avro"},
		{"avro both sources", func(c *Config) {
			c.Datasets[0].Format = "avro"
			c.Datasets[0].Avro = Avro{SchemaRegistry: SchemaRegistry{URL: "http://r:8081"}, SchemaFile: schema}
		}, "datasets[0].avro: must set exactly one of schema_registry.url and schema_file when format is avro"},
		{"avro registry", func(c *Config) {
			c.Datasets[0].Format = "avro"
			c.Datasets[0].Avro.SchemaRegistry = SchemaRegistry{URL: "https://r", Credentials: Credentials{Username: "u", Password: NewSecret(secretValue)}}
		}, ""},
		{"avro registry bad url", func(c *Config) {
			c.Datasets[0].Format = "avro"
			c.Datasets[0].Avro.SchemaRegistry.URL = "r:8081"
		}, `datasets[0].avro.schema_registry.url: "r:8081" must be an http:// or https:// URL`},
		{"avro registry user without password", func(c *Config) {
			c.Datasets[0].Format = "avro"
			c.Datasets[0].Avro.SchemaRegistry = SchemaRegistry{URL: "http://r", Credentials: Credentials{Username: "u"}}
		}, "datasets[0].avro.schema_registry.password: must be set (or password_env or password_file) when username is set"},
		{"avro schema file", func(c *Config) { c.Datasets[0].Format = "avro"; c.Datasets[0].Avro.SchemaFile = schema }, ""},
		{"avro schema file missing", func(c *Config) { c.Datasets[0].Format = "avro"; c.Datasets[0].Avro.SchemaFile = missing }, `datasets[0].avro.schema_file: "` + missing + `" must be a readable file: open ` + missing + `: no such file or directory`},
		{"avro schema file not JSON", func(c *Config) { c.Datasets[0].Format = "avro"; c.Datasets[0].Avro.SchemaFile = badSchema }, `datasets[0].avro.schema_file: "` + badSchema + `" must hold an Avro schema in JSON: unexpected end of JSON input`},
		{"avro settings on json", func(c *Config) { c.Datasets[0].Avro.SchemaFile = schema }, `datasets[0].avro.schema_file: "` + schema + `" is set but datasets[0].format is json`},
		{"event time field missing", func(c *Config) { c.Datasets[0].EventTime.Source = "field" }, `datasets[0].event_time.field: "" must be set when event_time.source is field`},
		{"event time field with record timestamp", func(c *Config) { c.Datasets[0].EventTime.Field = "ts" }, `datasets[0].event_time.field: "ts" is set but event_time.source is record_timestamp`},
		{"event time bad source", func(c *Config) { c.Datasets[0].EventTime.Source = "header" }, `datasets[0].event_time.source: "header" must be one of field, record_timestamp`},
		{"event time bad format", func(c *Config) { c.Datasets[0].EventTime.Format = "epoch" }, `datasets[0].event_time.format: "epoch" must be one of rfc3339, epoch_s, epoch_ms, epoch_us, epoch_ns, auto`},
		{"segments both", func(c *Config) {
			c.Datasets[0].Segments = Segments{Fields: []string{"country"}, Explicit: []map[string]string{{"country": "DE"}}}
		}, "datasets[0].segments: must set either fields or explicit, not both"},
		{"segment field empty", func(c *Config) { c.Datasets[0].Segments.Fields = []string{"a", ""} }, `datasets[0].segments.fields[1]: "" must not be empty`},
		{"segment explicit empty", func(c *Config) { c.Datasets[0].Segments.Explicit = []map[string]string{{}} }, "datasets[0].segments.explicit[0]: {} must name at least one field: value pair"},
		{"segment explicit repeated", func(c *Config) {
			c.Datasets[0].Segments.Explicit = []map[string]string{{"b": "2", "a": "1"}, {"a": "1", "b": "2"}}
		}, "datasets[0].segments.explicit[1]: {a: 1, b: 2} repeats datasets[0].segments.explicit[0]"},
		{"rotation 7m", func(c *Config) { c.Datasets[0].Rotation = Duration(7 * time.Minute) }, `datasets[0].rotation: "7m" must be a positive duration of at least 1s that divides 1d (like 30s, 5m, 1h) or is a whole number of days (like 1d, 7d)`},
		{"rotation zero", func(c *Config) { c.Datasets[0].Rotation = 0 }, `datasets[0].rotation: "0s" must be a positive duration of at least 1s that divides 1d (like 30s, 5m, 1h) or is a whole number of days (like 1d, 7d)`},
		{"rotation negative", func(c *Config) { c.Datasets[0].Rotation = Duration(-time.Hour) }, `datasets[0].rotation: "-1h" must be a positive duration of at least 1s that divides 1d (like 30s, 5m, 1h) or is a whole number of days (like 1d, 7d)`},
		{"rotation 500ms", func(c *Config) {
			c.Datasets[0].Rotation = Duration(500 * time.Millisecond)
			c.Datasets[0].AllowedLateness = 0
		}, `datasets[0].rotation: "500ms" must be a positive duration of at least 1s that divides 1d (like 30s, 5m, 1h) or is a whole number of days (like 1d, 7d)`},
		{"rotation 36h", func(c *Config) { c.Datasets[0].Rotation = Duration(36 * time.Hour) }, `datasets[0].rotation: "1d12h" must be a positive duration of at least 1s that divides 1d (like 30s, 5m, 1h) or is a whole number of days (like 1d, 7d)`},
		{"rotation 7d", func(c *Config) { c.Datasets[0].Rotation = Duration(7 * Day) }, ""},
		{"rotation 90m", func(c *Config) { c.Datasets[0].Rotation = Duration(90 * time.Minute) }, ""},
		{"rotation 1s", func(c *Config) {
			c.Datasets[0].Rotation = Duration(time.Second)
			c.Datasets[0].AllowedLateness = Duration(10 * time.Second)
		}, ""},
		{"lateness negative", func(c *Config) { c.Datasets[0].AllowedLateness = Duration(-time.Second) }, `datasets[0].allowed_lateness: "-1s" must be between 0s and 10h (10 × rotation, at most 1d)`},
		{"lateness above 10 rotations", func(c *Config) {
			c.Datasets[0].Rotation = Duration(time.Minute)
			c.Datasets[0].AllowedLateness = Duration(11 * time.Minute)
		}, `datasets[0].allowed_lateness: "11m" must be between 0s and 10m (10 × rotation, at most 1d)`},
		{"lateness above a day", func(c *Config) {
			c.Datasets[0].Rotation = Duration(7 * Day)
			c.Datasets[0].AllowedLateness = Duration(2 * Day)
		}, `datasets[0].allowed_lateness: "2d" must be between 0s and 1d (10 × rotation, at most 1d)`},
		{"lateness a day", func(c *Config) { c.Datasets[0].Rotation = Duration(Day); c.Datasets[0].AllowedLateness = Duration(Day) }, ""},
		{"max segments zero", func(c *Config) { c.Datasets[0].MaxSegmentsPerWindow = 0 }, "datasets[0].max_segments_per_window: 0 must be between 1 and 1000000"},
		{"empty tag key", func(c *Config) { c.Datasets[0].Tags = map[string]string{"": "x"} }, "datasets[0].tags: keys must not be empty"},
		{"include and exclude overlap", func(c *Config) {
			c.Datasets[0].IncludeFields = []string{"a", "b"}
			c.Datasets[0].ExcludeFields = []string{"b"}
		}, `datasets[0].exclude_fields[0]: "b" is also in include_fields`},
		{"include twice", func(c *Config) { c.Datasets[0].IncludeFields = []string{"a", "a"} }, `datasets[0].include_fields[1]: "a" is listed twice`},
		{"bad nesting", func(c *Config) { c.Datasets[0].Nesting = "deep" }, `datasets[0].nesting: "deep" must be one of flatten, ignore`},
		{"empty separator", func(c *Config) { c.Datasets[0].Separator = "" }, `datasets[0].separator: "" must not be empty when nesting is flatten`},
		{"empty separator ignored", func(c *Config) { c.Datasets[0].Separator = ""; c.Datasets[0].Nesting = "ignore" }, ""},
		{"bad arrays", func(c *Config) { c.Datasets[0].Arrays = "explode" }, `datasets[0].arrays: "explode" must be one of object, ignore`},

		// sinks
		{"no sinks", func(c *Config) { c.Sinks = nil }, "sinks: must list at least one sink"},
		{"sink without type", func(c *Config) { c.Sinks[0].Type = "" }, `sinks[0].type: "" must be one of blob, kafka`},
		{"blob without url", func(c *Config) { c.Sinks[0].URL = "" }, `sinks[0].url: "" must be set for a blob sink`},
		{"blob bad scheme", func(c *Config) { c.Sinks[0].URL = "ftp://host/x" }, `sinks[0].url: "ftp://host/x" must be a URL with scheme file, mem, s3, gs, azblob`},
		{"blob schemes", func(c *Config) {
			c.Sinks = []Sink{{Type: "blob", URL: "file:///tmp/x"}, {Type: "blob", URL: "s3://b?region=x"}, {Type: "blob", URL: "gs://b"}, {Type: "blob", URL: "azblob://c"}}
		}, ""},
		{"blob with kafka fields", func(c *Config) { c.Sinks[0].Topic = "t"; c.Sinks[0].TransactionalID = "x" }, "sinks[0].topic: \"t\" is set but sinks[0].type is blob\nsinks[0].transactional_id: \"x\" is set but sinks[0].type is blob"},
		{"exactly once on blob", func(c *Config) { c.Sinks[0].ExactlyOnce = true }, "sinks[0].exactly_once: true is only for kafka sinks"},
		{"duplicate sinks", func(c *Config) { c.Sinks = append(c.Sinks, c.Sinks[0]) }, "sinks[1]: repeats sinks[0]"},
		{"kafka sink", func(c *Config) {
			c.Sinks = []Sink{{Type: "kafka", Topic: "profiles", Brokers: c.Kafka.Brokers, ExactlyOnce: true, TransactionalID: "tx"}}
		}, ""},
		{"kafka sink without topic", func(c *Config) { c.Sinks = []Sink{{Type: "kafka", Brokers: c.Kafka.Brokers}} }, `sinks[0].topic: "" must be set for a kafka sink`},
		{"kafka sink into a consumed topic", func(c *Config) { c.Sinks = []Sink{{Type: "kafka", Topic: "orders", Brokers: c.Kafka.Brokers}} }, `sinks[0].topic: "orders" must not be a topic that datasets[0] reads`},
		{"kafka sink into a same-named topic elsewhere", func(c *Config) { c.Sinks = []Sink{{Type: "kafka", Topic: "orders", Brokers: []string{"other:9092"}}} }, ""},
		{"kafka sink with blob fields", func(c *Config) {
			c.Sinks = []Sink{{Type: "kafka", Topic: "p", URL: "mem://", Brokers: c.Kafka.Brokers}}
		}, `sinks[0].url: "mem://" is set but sinks[0].type is kafka`},
		{"kafka sink bad broker", func(c *Config) { c.Sinks = []Sink{{Type: "kafka", Topic: "p", Brokers: []string{"x"}}} }, `sinks[0].brokers[0]: "x" must be host:port with a port in 1..65535`},
		{"two exactly-once sinks", func(c *Config) {
			c.Sinks = []Sink{{Type: "kafka", Topic: "p1", Brokers: c.Kafka.Brokers, ExactlyOnce: true}, {Type: "kafka", Topic: "p2", Brokers: c.Kafka.Brokers, ExactlyOnce: true}}
		}, "sinks[1].exactly_once: true is already set on sinks[0]: at most one sink may be exactly-once"},
		{"exactly once on another cluster", func(c *Config) {
			c.Sinks = []Sink{{Type: "kafka", Topic: "p", Brokers: []string{"other:9092"}, ExactlyOnce: true}}
		}, `sinks[0].brokers: "other:9092" must equal kafka.brokers when exactly_once is true (the transaction commits the source offsets)`},
		{"transactional id without exactly once", func(c *Config) {
			c.Sinks = []Sink{{Type: "kafka", Topic: "p", Brokers: c.Kafka.Brokers, TransactionalID: "tx"}}
		}, `sinks[0].transactional_id: "tx" is set but sinks[0].exactly_once is false`},

		// the rest
		{"dead letter bad topic", func(c *Config) { c.DeadLetter.Topic = ".." }, `dead_letter.topic: ".." must be a Kafka topic name: 1–249 characters from A–Z a–z 0–9 . _ -`},
		{"dead letter into a consumed topic", func(c *Config) { c.DeadLetter.Topic = "orders" }, `dead_letter.topic: "orders" must not be a topic that datasets[0] reads`},
		{"http listen bad", func(c *Config) { c.HTTP.Listen = "9464" }, `http.listen: "9464" must be host:port like 127.0.0.1:9464 or :9464`},
		{"http listen port too big", func(c *Config) { c.HTTP.Listen = ":70000" }, `http.listen: ":70000" must be host:port like 127.0.0.1:9464 or :9464`},
		{"http listen any host, port 0", func(c *Config) { c.HTTP.Listen = ":0" }, ""},
		{"checkpoint negative", func(c *Config) { c.Checkpoint.EveryRecords = -1 }, "checkpoint.every_records: -1 must be 0 (never) or positive"},
		{"checkpoint interval too short", func(c *Config) { c.Checkpoint.EveryInterval = Duration(time.Millisecond) }, `checkpoint.every_interval: "1ms" must be 0s (never) or at least 1s`},
		{"bad log level", func(c *Config) { c.Log.Level = "trace" }, `log.level: "trace" must be one of debug, info, warn, error`},
		{"bad log format", func(c *Config) { c.Log.Format = "xml" }, `log.format: "xml" must be one of json, console, auto`},
		{"shutdown timeout zero", func(c *Config) { c.ShutdownTimeout = 0 }, `shutdown_timeout: "0s" must be a positive duration like 25s`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validBase(t)
			tt.mutate(c)
			err := c.Validate()
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("Validate() = %q\nwant         %q", got, tt.want)
			}
			if err != nil {
				if !errors.Is(err, ErrInvalid) {
					t.Errorf("error does not wrap ErrInvalid")
				}
				if strings.Contains(got, secretValue) {
					t.Errorf("error leaks the secret")
				}
			}
		})
	}
}

func TestValidationReportsAllInFieldOrder(t *testing.T) {
	c := validBase(t)
	c.ShutdownTimeout = 0
	c.Datasets[0].Rotation = Duration(7 * time.Minute)
	c.Kafka.Brokers = []string{"nope"}
	c.Sinks[0].URL = "ftp://x"
	c.Datasets = append(c.Datasets, Dataset{Name: "orders", Topics: []string{"b"}, Format: "json", Rotation: Duration(time.Hour),
		EventTime: EventTime{Source: "record_timestamp", Format: "auto"}, MaxSegmentsPerWindow: 1, Nesting: "flatten", Separator: ".", Arrays: "object"})
	want := strings.Join([]string{
		`kafka.brokers[0]: "nope" must be host:port with a port in 1..65535`,
		`datasets[0].rotation: "7m" must be a positive duration of at least 1s that divides 1d (like 30s, 5m, 1h) or is a whole number of days (like 1d, 7d)`,
		`datasets[1].name: "orders" must be unique (also datasets[0].name)`,
		`sinks[0].url: "ftp://x" must be a URL with scheme file, mem, s3, gs, azblob`,
		`shutdown_timeout: "0s" must be a positive duration like 25s`,
	}, "\n")
	for range 3 { // deterministic
		if err := c.Validate(); err == nil || err.Error() != want {
			t.Fatalf("Validate() =\n%v\nwant\n%s", err, want)
		}
	}
	var fe *FieldError
	if err := c.Validate(); !errors.As(err, &fe) || fe.Path != "kafka.brokers[0]" || fe.Value != `"nope"` {
		t.Errorf("first FieldError = %+v", fe)
	}
}

func TestResolveSecrets(t *testing.T) {
	dir := t.TempDir()
	pwFile := writeFile(t, dir, "pw", secretValue+"\n")
	emptyFile := writeFile(t, dir, "empty", "\n")
	sasl := func(extra string) string {
		return minimalYAML + "kafka:\n  sasl:\n    mechanism: PLAIN\n" + extra
	}
	tests := []struct {
		name     string
		yaml     string
		env      []string
		user     string
		password string
		err      string
	}{
		{"direct", sasl("    username: u\n    password: " + secretValue + "\n"), nil, "u", secretValue, ""},
		{"env", sasl("    username_env: MY_USER\n    password_env: MY_PW\n"), []string{"MY_USER=from-env", "MY_PW=" + secretValue}, "from-env", secretValue, ""},
		{"file without trailing newline", sasl("    username: u\n    password_file: " + pwFile + "\n"), nil, "u", secretValue, ""},
		{"env override of the password", sasl("    username: u\n"), []string{"KPROFILER_KAFKA_SASL_PASSWORD=" + secretValue}, "u", secretValue, ""},
		{"registry password from file", minimalYAML[:len(minimalYAML)-len("sinks:\n  - type: blob\n    url: mem://\n")] +
			"    format: avro\n    avro:\n      schema_registry:\n        url: http://r:8081\n        username: ru\n        password_file: " + pwFile + "\nsinks:\n  - type: blob\n    url: mem://\n", nil, "", "", ""},
		{"two sources", sasl("    username: u\n    password: x\n    password_env: MY_PW\n"), []string{"MY_PW=y"}, "", "", "kafka.sasl.password: set only one of password, password_env and password_file"},
		{"user from two sources", sasl("    username: u\n    username_env: MY_USER\n    password: x\n"), []string{"MY_USER=v"}, "", "", `kafka.sasl.username_env: "MY_USER" conflicts with kafka.sasl.username: set only one`},
		{"unset env", sasl("    username: u\n    password_env: MY_PW\n"), nil, "", "", "kafka.sasl.password_env: \"MY_PW\" must name a set, non-empty environment variable"},
		{"missing file", sasl("    username: u\n    password_file: " + dir + "/nope\n"), nil, "", "", "kafka.sasl.password_file: \"" + dir + "/nope\" must be a readable file: open " + dir + "/nope: no such file or directory"},
		// One error per problem: a credential source that cannot be read is
		// not reported again as a missing credential.
		{"env and file", sasl("    username: u\n    password_env: MY_PW\n    password_file: " + pwFile + "\n"), []string{"MY_PW=y"}, "", "", "kafka.sasl.password: set only one of password, password_env and password_file"},
		{"unset user env", sasl("    username_env: MY_USER\n    password: x\n"), nil, "", "", `kafka.sasl.username_env: "MY_USER" must name a set, non-empty environment variable`},
		{"registry unset password env", minimalYAML[:len(minimalYAML)-len("sinks:\n  - type: blob\n    url: mem://\n")] +
			"    format: avro\n    avro:\n      schema_registry:\n        url: http://r:8081\n        username: ru\n        password_env: REG_PW\nsinks:\n  - type: blob\n    url: mem://\n", nil, "", "",
			`datasets[0].avro.schema_registry.password_env: "REG_PW" must name a set, non-empty environment variable`},
		{"empty file", sasl("    username: u\n    password_file: " + emptyFile + "\n"), nil, "", "", "kafka.sasl.password_file: \"" + emptyFile + "\" must not be empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := load(t, tt.yaml, tt.env)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Errorf("err = %v\nwant  %s", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.name == "registry password from file" {
				if got := c.Datasets[0].Avro.SchemaRegistry.Password.Reveal(); got != secretValue {
					t.Errorf("registry password = %q", got)
				}
				return
			}
			if c.Kafka.SASL.Username != tt.user || c.Kafka.SASL.Password.Reveal() != tt.password {
				t.Errorf("user %q password %q", c.Kafka.SASL.Username, c.Kafka.SASL.Password.Reveal())
			}
			// Idempotent: resolving again changes nothing and reports nothing.
			if err := c.ResolveSecrets(tt.env); err != nil {
				t.Errorf("second ResolveSecrets: %v", err)
			}
		})
	}
}

func TestTLSClientConfig(t *testing.T) {
	dir := t.TempDir()
	certA, keyA := certPair(t)
	ca := writeFile(t, dir, "ca.pem", certA)
	cert := writeFile(t, dir, "cert.pem", certA)
	key := writeFile(t, dir, "key.pem", keyA)
	if cfg, err := (TLS{}).ClientConfig(); cfg != nil || err != nil {
		t.Errorf("disabled: %v %v", cfg, err)
	}
	cfg, err := TLS{Enabled: true, CAFile: ca, CertFile: cert, KeyFile: key, ServerName: "kafka"}.ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RootCAs == nil || len(cfg.Certificates) != 1 || cfg.ServerName != "kafka" || cfg.InsecureSkipVerify {
		t.Errorf("config = %+v", cfg)
	}
	if _, err := (TLS{Enabled: true, CAFile: key}).ClientConfig(); err == nil {
		t.Error("a key file as CA: want an error")
	}
}

// TestEveryEnumIsValidated sets each enum-tagged field (list elements at
// index 0) to a value outside its enum and expects Validate to name it.
func TestEveryEnumIsValidated(t *testing.T) {
	n := 0
	for _, l := range walkLeaves(reflect.TypeFor[Config]()) {
		allowed := l.f.enum()
		if allowed == nil {
			continue
		}
		n++
		c := validBase(t)
		name := strings.ReplaceAll(l.env, "<i>", "0")
		steps, ok := matchEnv(reflect.TypeFor[Config](), strings.TrimPrefix(name, EnvPrefix))
		if !ok {
			t.Fatalf("%s does not resolve", name)
		}
		v, path, _ := navigate(reflect.ValueOf(c).Elem(), steps)
		v.SetString("bogus")
		want := path + `: "bogus" must be one of ` + strings.Join(allowed, ", ")
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s = bogus: Validate() = %v, want it to contain %q", path, err, want)
		}
	}
	if n < 9 {
		t.Errorf("only %d enum fields found", n)
	}
}
