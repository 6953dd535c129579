package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kprofiler/kprofiler/cmd/consumer/config"
)

// testPKI is a throwaway CA with a server certificate for 127.0.0.1 and a
// client certificate, written as PEM files into a temporary directory.
type testPKI struct {
	dir                         string
	caFile, certFile, keyFile   string // the CA, the client certificate and key
	pool                        *x509.CertPool
	server, client              tls.Certificate
	otherCAFile                 string // a second CA that signed nothing here
	serverCertPEM, serverKeyPEM []byte
}

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	dir := t.TempDir()
	p := &testPKI{dir: dir, pool: x509.NewCertPool()}
	write := func(name string, data []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	serial := int64(1)
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	certPEM := func(der []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}) }
	keyPEM := func(k *ecdsa.PrivateKey) []byte {
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	}
	now := time.Now()
	newCA := func(name string) (*x509.Certificate, *ecdsa.PrivateKey, []byte) {
		k := newKey()
		serial++
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
			KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
		if err != nil {
			t.Fatal(err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return c, k, certPEM(der)
	}
	leaf := func(ca *x509.Certificate, caKey *ecdsa.PrivateKey, name string, usage x509.ExtKeyUsage, ips []net.IP) ([]byte, []byte) {
		k := newKey()
		serial++
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
			ExtKeyUsage: []x509.ExtKeyUsage{usage}, IPAddresses: ips}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return certPEM(der), keyPEM(k)
	}
	ca, caKey, caPEM := newCA("kprofiler test CA")
	p.pool.AddCert(ca)
	p.caFile = write("ca.pem", caPEM)
	_, _, otherPEM := newCA("some other CA")
	p.otherCAFile = write("other-ca.pem", otherPEM)
	p.serverCertPEM, p.serverKeyPEM = leaf(ca, caKey, "broker", x509.ExtKeyUsageServerAuth, []net.IP{net.IPv4(127, 0, 0, 1)})
	cc, ck := leaf(ca, caKey, "kprofiler", x509.ExtKeyUsageClientAuth, nil)
	p.certFile = write("client.pem", cc)
	p.keyFile = write("client-key.pem", ck)
	var err error
	if p.server, err = tls.X509KeyPair(p.serverCertPEM, p.serverKeyPEM); err != nil {
		t.Fatal(err)
	}
	if p.client, err = tls.X509KeyPair(cc, ck); err != nil {
		t.Fatal(err)
	}
	return p
}

// cluster starts a kfake cluster on 127.0.0.1 with TLS; with mutual, it
// requires a client certificate signed by the CA.
func (p *testPKI) cluster(t *testing.T, mutual bool, opts ...kfake.Opt) *kfake.Cluster {
	t.Helper()
	sc := &tls.Config{Certificates: []tls.Certificate{p.server}, MinVersion: tls.VersionTLS12}
	if mutual {
		sc.ClientAuth = tls.RequireAndVerifyClientCert
		sc.ClientCAs = p.pool
	}
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(1), kfake.TLS(sc)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// clientOpts are the options of a test client of a TLS cluster.
func (p *testPKI) clientOpts(c *kfake.Cluster) []kgo.Opt {
	return []kgo.Opt{kgo.SeedBrokers(c.ListenAddrs()...),
		kgo.DialTLSConfig(&tls.Config{RootCAs: p.pool, Certificates: []tls.Certificate{p.client}, MinVersion: tls.VersionTLS12})}
}

// consumer run with kafka.tls against a TLS-only broker: with the CA and a
// client certificate (mutual TLS) and with insecure_skip_verify, every
// record is profiled and the kafka sink (which reuses the TLS settings)
// publishes the profiles; the group commits the end offsets.
func TestRunTLS(t *testing.T) {
	p := newTestPKI(t)
	for _, tc := range []struct {
		name   string
		mutual bool
		tls    string
	}{
		{"ca+client-cert", true, "  tls: {enabled: true, ca_file: " + p.caFile + ", cert_file: " + p.certFile + ", key_file: " + p.keyFile + "}"},
		{"skip-verify+client-cert", true, "  tls: {enabled: true, insecure_skip_verify: true, cert_file: " + p.certFile + ", key_file: " + p.keyFile + "}"},
		{"ca-only", false, "  tls: {enabled: true, ca_file: " + p.caFile + "}"},
		{"server-name", false, "  tls: {enabled: true, ca_file: " + p.caFile + ", server_name: 127.0.0.1}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := p.cluster(t, tc.mutual, kfake.SeedTopics(2, "numbers", "profiles"))
			opts := p.clientOpts(c)
			produceNumbered(t, producer(t, opts...), "numbers", 2, 50, func(_ int32, i int) time.Time {
				return genStart.Add(time.Duration(i) * time.Second)
			})
			cfg := loadYAML(t, runYAML(c.ListenAddrs(), "tls-"+tc.name, "numbers", "profiles", tc.tls))
			r := startServe(t, cfg)
			if r.cons == nil {
				t.Fatalf("exit %d before starting; logs:\n%s", <-r.code, r.logs)
			}
			r.waitNext(t, "numbers", map[int32]int64{0: 50, 1: 50})
			if code := r.exit(t, sigterm); code != 0 {
				t.Fatalf("exit code %d; logs:\n%s", code, r.logs)
			}
			sp := spans(t, readProfiles(t, "profiles", opts...), "numbers")
			for part := range int32(2) {
				if s := sp[part]; s.first != 0 || s.last != 49 || s.n != 50 {
					t.Errorf("partition %d: profiled %+v, want offsets 0..49", part, s)
				}
			}
			if got := committed(t, "tls-"+tc.name, "numbers", opts...); got[0] != 50 || got[1] != 50 {
				t.Errorf("committed %v, want 50 on both partitions", got)
			}
			if warned := strings.Contains(r.logs.String(), "insecure_skip_verify is true"); warned != strings.Contains(tc.tls, "insecure_skip_verify") {
				t.Errorf("skip-verify warning logged: %v; logs:\n%s", warned, r.logs)
			}
		})
	}
}

// A TLS configuration that cannot work stops consumer run at start-up with
// exit code 1 and an error naming the broker and the TLS setting, instead
// of retrying forever.
func TestRunTLSFailures(t *testing.T) {
	p := newTestPKI(t)
	c := p.cluster(t, true, kfake.SeedTopics(1, "numbers", "profiles"))
	broker := c.ListenAddrs()[0]
	for _, tc := range []struct {
		name string
		tls  string
		want []string // in the error message
	}{
		{"wrong CA", "  tls: {enabled: true, ca_file: " + p.otherCAFile + ", cert_file: " + p.certFile + ", key_file: " + p.keyFile + "}",
			[]string{"kafka.brokers[0] " + broker, "TLS handshake failed", "kafka.tls", "certificate signed by unknown authority"}},
		{"wrong server name", "  tls: {enabled: true, ca_file: " + p.caFile + ", cert_file: " + p.certFile + ", key_file: " + p.keyFile + ", server_name: kafka.example}",
			[]string{"kafka.brokers[0] " + broker, "TLS handshake failed", "kafka.example"}},
		{"no client certificate", "  tls: {enabled: true, ca_file: " + p.caFile + "}",
			[]string{"kafka.brokers[0] " + broker, "TLS handshake failed", "certificate"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := loadYAML(t, runYAML(c.ListenAddrs(), "tls-fail", "numbers", "profiles", tc.tls))
			r := startServe(t, cfg)
			if r.cons != nil {
				code := r.exit(t, sigterm)
				t.Fatalf("consumer started (exit %d after SIGTERM); logs:\n%s", code, r.logs)
			}
			if code := r.wait(t, time.Minute); code != 1 {
				t.Errorf("exit code %d, want 1", code)
			}
			logs := r.logs.String()
			for _, w := range tc.want {
				if !strings.Contains(logs, w) {
					t.Errorf("logs lack %q:\n%s", w, logs)
				}
			}
		})
	}
	// TLS client, plaintext broker: the answer is not a TLS record.
	t.Run("plaintext broker", func(t *testing.T) {
		plain, _ := plainCluster(t, 1, "numbers", "profiles")
		cfg := loadYAML(t, runYAML(plain.ListenAddrs(), "tls-plain", "numbers", "profiles", "  tls: {enabled: true, ca_file: "+p.caFile+"}"))
		r := startServe(t, cfg)
		if r.cons != nil {
			t.Fatalf("consumer started (exit %d after SIGTERM); logs:\n%s", r.exit(t, sigterm), r.logs)
		}
		if code := r.wait(t, time.Minute); code != 1 {
			t.Errorf("exit code %d, want 1", code)
		}
		for _, w := range []string{"kafka.brokers[0] " + plain.ListenAddrs()[0], "TLS handshake failed", "speaks TLS", "did not answer the TLS handshake"} {
			if logs := r.logs.String(); !strings.Contains(logs, w) {
				t.Errorf("logs lack %q:\n%s", w, logs)
			}
		}
	})
	// Plaintext client, TLS broker: not a TLS error on our side (the broker
	// just drops the connection), so it is a warning and the consumer starts
	// and retries; SIGTERM still ends it with exit code 0.
	t.Run("tls disabled", func(t *testing.T) {
		cfg := loadYAML(t, runYAML(c.ListenAddrs(), "tls-off", "numbers", "profiles", ""))
		r := startServe(t, cfg)
		if r.cons == nil {
			t.Fatalf("exit %d before starting; logs:\n%s", <-r.code, r.logs)
		}
		if code := r.exit(t, sigterm); code != 0 {
			t.Errorf("exit code %d; logs:\n%s", code, r.logs)
		}
		if logs := r.logs.String(); !strings.Contains(logs, "not reachable at start-up") || !strings.Contains(logs, broker) {
			t.Errorf("no warning naming the broker:\n%s", logs)
		}
	})
}

// Broken TLS file settings are configuration errors naming the field and
// the path (config.Load, before anything connects).
func TestTLSConfigErrors(t *testing.T) {
	p := newTestPKI(t)
	missing := filepath.Join(p.dir, "missing-key.pem")
	for _, tc := range []struct {
		name, tls string
		want      []string
	}{
		{"missing key file", "{enabled: true, ca_file: " + p.caFile + ", cert_file: " + p.certFile + ", key_file: " + missing + "}",
			[]string{"kafka.tls.key_file", `"` + missing + `"`, "must be a readable file", "no such file"}},
		{"missing CA file", "{enabled: true, ca_file: " + missing + "}",
			[]string{"kafka.tls.ca_file", `"` + missing + `"`, "must be a readable file"}},
		{"key without cert", "{enabled: true, key_file: " + p.keyFile + "}",
			[]string{"kafka.tls.cert_file", "must be set when kafka.tls.key_file is set"}},
		{"cert without key", "{enabled: true, cert_file: " + p.certFile + "}",
			[]string{"kafka.tls.key_file", "must be set when kafka.tls.cert_file is set"}},
		{"key of another certificate", "{enabled: true, cert_file: " + p.certFile + ", key_file: " + p.caFile + "}",
			[]string{"kafka.tls.cert_file", `"` + p.certFile + `"`, "matching kafka.tls.key_file"}},
		{"CA file without certificates", "{enabled: true, ca_file: " + p.keyFile + "}",
			[]string{"kafka.tls.ca_file", `"` + p.keyFile + `"`, "must hold at least one PEM certificate"}},
		{"files while disabled", "{ca_file: " + p.caFile + "}",
			[]string{"kafka.tls.ca_file", `"` + p.caFile + `"`, "kafka.tls.enabled is false"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "kprofiler.yaml")
			yaml := "kafka:\n  tls: " + tc.tls + "\ndatasets: [{name: n, topics: [n]}]\nsinks: [{type: blob, url: \"mem://\"}]\n"
			if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := config.Load(config.Options{Path: path})
			if !errors.Is(err, config.ErrInvalid) {
				t.Fatalf("err = %v, want a config.ErrInvalid", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q: %v", w, err)
				}
			}
		})
	}
}

// consumer run with SASL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512; the last also
// over TLS) and the password from an environment variable or a file: every
// record is profiled, and the password appears nowhere in the logs (debug
// level, franz-go's own log lines included). A wrong password stops the
// consumer at start-up with an error naming the broker and kafka.sasl, again
// without the password.
func TestRunSASL(t *testing.T) {
	const pass = "pw-7f3a9c1e-do-not-log"
	p := newTestPKI(t)
	for _, tc := range []struct {
		mech, source string
		tls          bool
	}{
		{"PLAIN", "env", false},
		{"PLAIN", "file", false},
		{"SCRAM-SHA-256", "env", false},
		{"SCRAM-SHA-256", "file", false},
		{"SCRAM-SHA-512", "env", false},
		{"SCRAM-SHA-512", "file", true},
	} {
		name := tc.mech + "/" + tc.source
		if tc.tls {
			name += "/tls"
		}
		t.Run(name, func(t *testing.T) {
			copts := []kfake.Opt{kfake.EnableSASL(), kfake.Superuser(tc.mech, "kp", pass), kfake.SeedTopics(2, "numbers", "profiles")}
			var c *kfake.Cluster
			var opts []kgo.Opt
			extra := ""
			if tc.tls {
				c = p.cluster(t, false, copts...)
				opts = p.clientOpts(c)
				extra = "  tls: {enabled: true, ca_file: " + p.caFile + "}\n"
			} else {
				var err error
				if c, err = kfake.NewCluster(append(copts, kfake.NumBrokers(1))...); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(c.Close)
				opts = []kgo.Opt{kgo.SeedBrokers(c.ListenAddrs()...)}
			}
			// The test's own clients authenticate as the same superuser.
			admin, err := connOpts(config.Kafka{Brokers: c.ListenAddrs(),
				SASL: config.SASL{Mechanism: tc.mech, Credentials: config.Credentials{Username: "kp", Password: config.NewSecret(pass)}}})
			if err != nil {
				t.Fatal(err)
			}
			opts = append(opts, admin[1:]...) // everything but the seed brokers
			run := func(t *testing.T, password, group string) *running {
				var env []string
				sasl := "  sasl: {mechanism: " + tc.mech + ", username: kp, "
				switch tc.source {
				case "env":
					env = []string{"KP_SASL_PASSWORD=" + password}
					sasl += "password_env: KP_SASL_PASSWORD}"
				case "file":
					file := filepath.Join(t.TempDir(), "password")
					if err := os.WriteFile(file, []byte(password+"\n"), 0o600); err != nil {
						t.Fatal(err)
					}
					sasl += "password_file: " + file + "}"
				}
				cfg := loadYAML(t, runYAML(c.ListenAddrs(), group, "numbers", "profiles", extra+sasl), env...)
				if s := cfg.String(); strings.Contains(s, password) {
					t.Errorf("the configuration's String() shows the password: %s", s)
				}
				return startServe(t, cfg)
			}
			produceNumbered(t, producer(t, opts...), "numbers", 2, 40, func(_ int32, i int) time.Time {
				return genStart.Add(time.Duration(i) * time.Second)
			})

			r := run(t, pass, "sasl")
			if r.cons == nil {
				t.Fatalf("exit %d before starting; logs:\n%s", <-r.code, r.logs)
			}
			r.waitNext(t, "numbers", map[int32]int64{0: 40, 1: 40})
			if code := r.exit(t, sigterm); code != 0 {
				t.Fatalf("exit code %d; logs:\n%s", code, r.logs)
			}
			sp := spans(t, readProfiles(t, "profiles", opts...), "numbers")
			if sp[0].n != 40 || sp[1].n != 40 {
				t.Errorf("profiled %+v, want 40 records of each partition", sp)
			}
			if logs := r.logs.String(); strings.Contains(logs, pass) || logs == "" {
				t.Errorf("logs show the password (or are empty):\n%s", logs)
			}
			if warned := strings.Contains(r.logs.String(), "clear text"); warned != (tc.mech == "PLAIN" && !tc.tls) {
				t.Errorf("clear-text password warning logged: %v; logs:\n%s", warned, r.logs)
			}

			// kfake drops the connection on bad credentials; Apache Kafka
			// answers SASL_AUTHENTICATION_FAILED first. Answer like Kafka.
			c.ControlKey(int16(kmsg.SASLAuthenticate), func(req kmsg.Request) (kmsg.Response, error, bool) {
				c.KeepControl()
				resp := req.ResponseKind().(*kmsg.SASLAuthenticateResponse)
				resp.ErrorCode = kerr.SaslAuthenticationFailed.Code
				msg := "Authentication failed during authentication due to invalid credentials with SASL mechanism " + tc.mech
				resp.ErrorMessage = &msg
				return resp, nil, true
			})
			const wrong = "wrong-pw-0b5e2d"
			r = run(t, wrong, "sasl-wrong")
			if r.cons != nil {
				t.Fatalf("consumer started with a wrong password (exit %d after SIGTERM)\n%s", r.exit(t, sigterm), r.logs)
			}
			if code := r.wait(t, time.Minute); code != 1 {
				t.Errorf("wrong password: exit code %d, want 1", code)
			}
			logs := r.logs.String()
			for _, w := range []string{"kafka.brokers[0] " + c.ListenAddrs()[0], "SASL authentication failed", "kafka.sasl", tc.mech} {
				if !strings.Contains(logs, w) {
					t.Errorf("wrong password: logs lack %q:\n%s", w, logs)
				}
			}
			if strings.Contains(logs, wrong) || strings.Contains(logs, pass) {
				t.Errorf("wrong password: logs show a password:\n%s", logs)
			}
		})
	}
}

// An unreachable seed broker is an outage, not a configuration error: the
// start-up check logs a warning naming it and lets the consumer start.
func TestCheckBrokersUnreachableIsAWarning(t *testing.T) {
	c, _ := plainCluster(t, 1, "numbers")
	dead := freeAddr(t)
	k := config.Kafka{Brokers: []string{dead, c.ListenAddrs()[0]}}
	conn, err := connOpts(k)
	if err != nil {
		t.Fatal(err)
	}
	var logs lockedBuffer
	if err := checkBrokers(t.Context(), k, conn, zerolog.New(&logs)); err != nil {
		t.Fatalf("checkBrokers: %v", err)
	}
	if s := logs.String(); !strings.Contains(s, `"broker":"`+dead+`"`) || strings.Contains(s, c.ListenAddrs()[0]) || strings.Count(s, "\n") != 1 {
		t.Errorf("want one warning naming only %s:\n%s", dead, s)
	}
}
