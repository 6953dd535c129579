package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/kprofiler/kprofiler/cmd/consumer/config"
)

// connOpts are the options every client of the source cluster needs: seed
// brokers, client id, TLS and SASL. The password is handed to the SASL
// mechanism only; it is never logged.
func connOpts(k config.Kafka) ([]kgo.Opt, error) {
	opts := []kgo.Opt{kgo.SeedBrokers(k.Brokers...)}
	if k.ClientID != "" {
		opts = append(opts, kgo.ClientID(k.ClientID))
	}
	if k.TLS.Enabled {
		tc, err := k.TLS.ClientConfig()
		if err != nil {
			return nil, err
		}
		opts = append(opts, kgo.DialTLSConfig(tc))
	}
	user, pass := k.SASL.Username, k.SASL.Password.Reveal()
	switch k.SASL.Mechanism {
	case "PLAIN":
		opts = append(opts, kgo.SASL(plain.Auth{User: user, Pass: pass}.AsMechanism()))
	case "SCRAM-SHA-256":
		opts = append(opts, kgo.SASL(scram.Auth{User: user, Pass: pass}.AsSha256Mechanism()))
	case "SCRAM-SHA-512":
		opts = append(opts, kgo.SASL(scram.Auth{User: user, Pass: pass}.AsSha512Mechanism()))
	}
	return opts, nil
}

// startOffset is where the group starts reading a partition that has no
// committed offset (kafka.start_from). It is passed as ConsumeStartOffset
// only: a committed offset always wins, and an OffsetOutOfRange on a
// committed offset (a commit that fell below the log start after retention)
// is handled by franz-go's default reset, which resumes at the log start, so
// no record that still exists is skipped. (Using the start position as the
// reset offset too would make start_from: latest jump to the log end in that
// case, skipping every unconsumed record.)
func startOffset(p config.StartPosition) kgo.Offset {
	switch p.Kind {
	case config.StartLatest:
		return kgo.NewOffset().AtEnd()
	case config.StartTimestamp:
		return kgo.NewOffset().AfterMilli(p.Millis())
	}
	return kgo.NewOffset().AtStart()
}

// brokerCheckTimeout bounds the start-up check of one seed broker.
const brokerCheckTimeout = 10 * time.Second

// checkBrokers connects to every seed broker once, before the consumer
// starts, so that a configuration that can never work fails at start-up
// with an error naming the broker and the setting, instead of the consumer
// retrying forever: a TLS handshake failure (unknown CA, wrong host name,
// client certificate rejected, a TLS client talking to a plaintext
// listener) or a SASL authentication failure. A broker that is merely
// unreachable (refused, timed out) is logged as a warning and the consumer
// starts anyway: the client keeps retrying, as for any outage.
func checkBrokers(ctx context.Context, k config.Kafka, conn []kgo.Opt, log zerolog.Logger) error {
	if k.TLS.Enabled && k.TLS.InsecureSkipVerify {
		log.Warn().Msg("kafka.tls.insecure_skip_verify is true: broker certificates are not verified")
	}
	if k.SASL.Mechanism == "PLAIN" && !k.TLS.Enabled {
		log.Warn().Msg("kafka.sasl.mechanism PLAIN without kafka.tls.enabled sends the password in clear text")
	}
	// All brokers at once, so the check takes at most brokerCheckTimeout
	// (a shutdown signal is only acted on once it is over).
	tc, err := k.TLS.ClientConfig()
	if err != nil {
		return err
	}
	results := make([]error, len(k.Brokers))
	var wg sync.WaitGroup
	for i, b := range k.Brokers {
		wg.Go(func() {
			if results[i] = checkHandshake(ctx, tc, b); results[i] == nil {
				results[i] = checkBroker(ctx, conn, b)
			}
		})
	}
	wg.Wait()
	var errs []error
	for i, b := range k.Brokers {
		err := results[i]
		if err == nil || ctx.Err() != nil {
			continue
		}
		what := ""
		switch {
		case isTLSError(err):
			what = "TLS handshake failed (check kafka.tls: ca_file, cert_file, key_file, server_name, and that the broker listener speaks TLS)"
		case isSASLError(err):
			what = "SASL authentication failed (check kafka.sasl: mechanism " + k.SASL.Mechanism + ", username, password)"
		default:
			log.Warn().Err(err).Str("broker", b).Msg("kafka broker not reachable at start-up; the client keeps retrying")
			continue
		}
		errs = append(errs, fmt.Errorf("kafka.brokers[%d] %s: %s: %w", i, b, what, err))
	}
	return errors.Join(errs...)
}

// handshakeTimeout bounds a TLS handshake once the TCP connection is open.
const handshakeTimeout = 5 * time.Second

// notTLSError is a TLS handshake that a broker accepted the TCP connection
// for but never answered as a TLS server (it closed the connection or kept
// silent): its listener is almost certainly plaintext.
type notTLSError struct{ err error }

func (e *notTLSError) Error() string {
	return "the broker accepted the connection but did not answer the TLS handshake: " + e.err.Error()
}

func (e *notTLSError) Unwrap() error { return e.err }

// checkHandshake, with TLS configured (tc non-nil), opens a TCP connection
// to broker and runs the TLS handshake on it, so that a plaintext listener
// is told apart from an unreachable broker: a failed dial is returned as is
// (an outage), a failed handshake as a TLS error.
func checkHandshake(ctx context.Context, tc *tls.Config, broker string) error {
	if tc == nil {
		return nil
	}
	d := net.Dialer{Timeout: brokerCheckTimeout}
	raw, err := d.DialContext(ctx, "tcp", broker)
	if err != nil {
		return err
	}
	defer raw.Close()
	c := tc.Clone()
	if c.ServerName == "" { // as franz-go does
		if host, _, err := net.SplitHostPort(broker); err == nil {
			c.ServerName = host
		}
	}
	hctx, cancel := context.WithTimeout(ctx, handshakeTimeout)
	defer cancel()
	conn := tls.Client(raw, c)
	if err := conn.HandshakeContext(hctx); err != nil {
		if isTLSError(err) || ctx.Err() != nil {
			return err
		}
		return &notTLSError{err}
	}
	return conn.Close()
}

// checkBroker asks one broker for metadata over a fresh connection.
func checkBroker(ctx context.Context, conn []kgo.Opt, broker string) error {
	opts := append(append([]kgo.Opt{}, conn...), kgo.SeedBrokers(broker), kgo.RequestRetries(0))
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return err
	}
	defer cl.Close()
	cctx, cancel := context.WithTimeout(ctx, brokerCheckTimeout)
	defer cancel()
	return cl.Ping(cctx)
}

// isTLSError reports whether err is a TLS handshake or certificate failure
// on either side.
func isTLSError(err error) bool {
	var (
		verify   *tls.CertificateVerificationError
		unknown  x509.UnknownAuthorityError
		host     x509.HostnameError
		invalid  x509.CertificateInvalidError
		header   tls.RecordHeaderError
		alertErr tls.AlertError
	)
	var notTLS *notTLSError
	if errors.As(err, &notTLS) || errors.As(err, &verify) || errors.As(err, &unknown) || errors.As(err, &host) || errors.As(err, &invalid) ||
		errors.As(err, &header) || errors.As(err, &alertErr) {
		return true
	}
	// An alert sent by the broker (for example "certificate required" when
	// it rejects the client certificate) has no exported type.
	return strings.Contains(err.Error(), "remote error: tls:")
}

// isSASLError reports whether err is a SASL failure the broker reported.
func isSASLError(err error) bool {
	return errors.Is(err, kerr.SaslAuthenticationFailed) || errors.Is(err, kerr.UnsupportedSaslMechanism) ||
		errors.Is(err, kerr.IllegalSaslState)
}
