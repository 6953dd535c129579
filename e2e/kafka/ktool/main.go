//go:build e2e

// Command ktool is the end-to-end harness's small helper for broker.sh:
//
//	ktool freeports N                       print N distinct free TCP ports on 127.0.0.1
//	ktool probe -bootstrap A,B -brokers N   exit 0 when the cluster answers a metadata
//	                                        request listing at least N brokers and a controller
//
// It only ever binds or dials 127.0.0.1; any other address is refused.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "freeports":
		err = freePorts(os.Args[2:])
	case "probe":
		err = probe(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ktool:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: ktool freeports N | ktool probe -bootstrap HOST:PORT[,...] [-brokers N] [-timeout D]")
	os.Exit(2)
}

// freePorts holds all N listeners open at once so the ports are distinct, then releases
// them. Another process could take one before the broker binds it; broker.sh notices
// that as a start failure with a clear log.
func freePorts(args []string) error {
	if len(args) != 1 {
		return errors.New("freeports needs exactly one argument N")
	}
	n, err := strconv.Atoi(args[0])
	if err != nil || n < 1 || n > 64 {
		return fmt.Errorf("freeports: bad count %q", args[0])
	}
	ls := make([]net.Listener, 0, n)
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	ports := make([]string, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		ls = append(ls, l)
		ports = append(ports, strconv.Itoa(l.Addr().(*net.TCPAddr).Port))
	}
	fmt.Println(strings.Join(ports, " "))
	return nil
}

// loopbackOnly is a kgo dialer that refuses every address but 127.0.0.1.
func loopbackOnly(ctx context.Context, network, host string) (net.Conn, error) {
	h, _, err := net.SplitHostPort(host)
	if err != nil {
		return nil, err
	}
	if h != "127.0.0.1" {
		return nil, fmt.Errorf("refusing to dial %q: the e2e harness only talks to 127.0.0.1", host)
	}
	var d net.Dialer
	return d.DialContext(ctx, network, host)
}

func probe(args []string) error {
	fs := flag.NewFlagSet("probe", flag.ContinueOnError)
	bootstrap := fs.String("bootstrap", "", "comma-separated 127.0.0.1:PORT list")
	brokers := fs.Int("brokers", 1, "number of brokers the metadata must list")
	timeout := fs.Duration("timeout", 3*time.Second, "time allowed for this one probe")
	if err := fs.Parse(args); err != nil {
		return err
	}
	seeds := strings.Split(*bootstrap, ",")
	for _, s := range seeds {
		if !strings.HasPrefix(s, "127.0.0.1:") {
			return fmt.Errorf("bootstrap %q is not on 127.0.0.1", s)
		}
	}
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(seeds...),
		kgo.Dialer(loopbackOnly),
		kgo.RequestRetries(0),
		kgo.RetryTimeout(*timeout),
	)
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	m, err := kadm.NewClient(cl).BrokerMetadata(ctx)
	if err != nil {
		return fmt.Errorf("metadata: %w", err)
	}
	if len(m.Brokers) < *brokers {
		return fmt.Errorf("metadata lists %d brokers, want %d", len(m.Brokers), *brokers)
	}
	if m.Controller < 0 {
		return errors.New("metadata names no controller yet")
	}
	fmt.Printf("cluster %s: %d brokers, controller %d\n", m.Cluster, len(m.Brokers), m.Controller)
	return nil
}
