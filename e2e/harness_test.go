//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// envOrFail returns the environment variable, failing the test (never skipping) when it is
// unset: the suite is only meaningful under run.sh.
func envOrFail(t testing.TB, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Fatalf("%s is not set: run the suite with `bash e2e/run.sh` (make e2e)", name)
	}
	return v
}

// seeds parses a bootstrap list and insists every address is on 127.0.0.1.
func seeds(t testing.TB, bootstrap string) []string {
	t.Helper()
	var out []string
	for _, s := range strings.Split(bootstrap, ",") {
		host, port, err := net.SplitHostPort(s)
		if err != nil || host != "127.0.0.1" || port == "" {
			t.Fatalf("bootstrap address %q is not 127.0.0.1:PORT", s)
		}
		out = append(out, s)
	}
	return out
}

// loopbackOnly is the kgo dialer of every client in the suite: it refuses any address but
// 127.0.0.1, whatever a broker advertises.
func loopbackOnly(ctx context.Context, network, host string) (net.Conn, error) {
	h, _, err := net.SplitHostPort(host)
	if err != nil {
		return nil, err
	}
	if h != "127.0.0.1" {
		return nil, fmt.Errorf("e2e: refusing to dial %q (127.0.0.1 only)", host)
	}
	var d net.Dialer
	return d.DialContext(ctx, network, host)
}

// newClient returns a franz-go client on the given bootstrap list, closed at test end.
func newClient(t testing.TB, bootstrap string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	all := append([]kgo.Opt{
		kgo.SeedBrokers(seeds(t, bootstrap)...),
		kgo.Dialer(loopbackOnly),
		kgo.ClientID("kprofiler-e2e"),
	}, opts...)
	cl, err := kgo.NewClient(all...)
	if err != nil {
		t.Fatalf("kgo.NewClient: %v", err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// uniqueName gives each run's topics and groups fresh names, so a re-run against a broker
// that is still up never reads an earlier run's records.
func uniqueName(prefix string) string {
	return fmt.Sprintf("%s-%d", prefix, time.Now().UnixNano())
}

// createTopic creates a topic with kadm and waits until every partition has a leader.
func createTopic(t testing.TB, ctx context.Context, adm *kadm.Client, topic string, partitions int32, rf int16) {
	t.Helper()
	resp, err := adm.CreateTopic(ctx, partitions, rf, nil, topic)
	if err != nil {
		t.Fatalf("create topic %s: %v", topic, err)
	}
	if resp.Err != nil {
		t.Fatalf("create topic %s: %v (%s)", topic, resp.Err, resp.ErrMessage)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		md, err := adm.Metadata(ctx, topic)
		if err == nil {
			td, ok := md.Topics[topic]
			if ok && td.Err == nil && len(td.Partitions) == int(partitions) {
				ready := true
				for _, p := range td.Partitions {
					if p.Err != nil || p.Leader < 0 {
						ready = false
					}
				}
				if ready {
					return
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("topic %s: partitions have no leaders after 30s (last error %v)", topic, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// repoRoot is the module root (the directory above this package).
func repoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("runtime.Caller failed")
	}
	return filepath.Dir(filepath.Dir(file))
}

// runPython runs a script from e2e/python with the venv's interpreter and returns its
// combined output, failing the test on a non-zero exit or timeout.
func runPython(t testing.TB, ctx context.Context, script string, args ...string) string {
	t.Helper()
	py := envOrFail(t, "E2E_PYTHON")
	cmd := exec.CommandContext(ctx, py, append([]string{filepath.Join(repoRoot(t), "e2e", "python", script)}, args...)...)
	cmd.Env = append(os.Environ(), "WHYLOGS_NO_ANALYTICS=True", "PYTHONUNBUFFERED=1")
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", script, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// brokerCtl runs e2e/kafka/broker.sh with the given arguments (e.g. "stop-node", "1",
// "-d", dir), failing the test on error. start-node returns once the cluster answers.
func brokerCtl(t testing.TB, ctx context.Context, args ...string) {
	t.Helper()
	cmd := exec.CommandContext(ctx, "bash", append([]string{filepath.Join(repoRoot(t), "e2e", "kafka", "broker.sh")}, args...)...)
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("broker.sh %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}
