//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// binaryValue is record i's value: 0..4000 pseudo-random bytes (zero bytes included),
// the same on every run.
func binaryValue(i int) []byte {
	r := rand.New(rand.NewPCG(uint64(i), 0x6b70726f66696c65))
	b := make([]byte, (i*37)%4001)
	for j := range b {
		b[j] = byte(r.Uint32())
	}
	return b
}

type manifestLine struct {
	Partition int32  `json:"partition"`
	Offset    int64  `json:"offset"`
	Key       string `json:"key"`
	Len       int    `json:"len"`
	SHA256    string `json:"sha256"`
	File      string `json:"file"`
}

// TestExternalConsumer is the reverse of TestExternalProducer, and the path later
// scenarios use to hand profiles from a Kafka topic to whylogs: franz-go writes 500 binary
// records, python/consume_topic.py (confluent-kafka) reads them into files, and every
// file holds exactly the bytes written at that partition and offset.
func TestExternalConsumer(t *testing.T) {
	const n = 500
	bootstrap := envOrFail(t, "E2E_KAFKA_BOOTSTRAP")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	topic := uniqueName("external-reader")
	adm := kadm.NewClient(newClient(t, bootstrap))
	createTopic(t, ctx, adm, topic, 3, 1)

	prod := newClient(t, bootstrap, kgo.DefaultProduceTopic(topic))
	rs := make([]*kgo.Record, n)
	for i := range rs {
		rs[i] = &kgo.Record{Key: []byte("bin-" + strconv.Itoa(i)), Value: binaryValue(i)}
	}
	if err := prod.ProduceSync(ctx, rs...).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
	type pos struct {
		p int32
		o int64
	}
	byPos := make(map[pos]int, n)
	for i, r := range rs {
		byPos[pos{r.Partition, r.Offset}] = i
	}

	out := t.TempDir()
	start := time.Now()
	runPython(t, ctx, "consume_topic.py", "--bootstrap", bootstrap, "--topic", topic, "--count", strconv.Itoa(n), "--out", out)
	readDur := time.Since(start)

	f, err := os.Open(filepath.Join(out, "manifest.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	seen := make([]int, n)
	lines, bad := 0, 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines++
		var m manifestLine
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("manifest line %d: %v", lines, err)
		}
		i, ok := byPos[pos{m.Partition, m.Offset}]
		if !ok {
			t.Fatalf("reader returned %d@%d, which franz-go never wrote", m.Partition, m.Offset)
		}
		seen[i]++
		want := binaryValue(i)
		sum := sha256.Sum256(want)
		file, err := os.ReadFile(filepath.Join(out, m.File))
		if err != nil {
			t.Fatal(err)
		}
		if m.Key != hex.EncodeToString(rs[i].Key) || m.Len != len(want) || m.SHA256 != hex.EncodeToString(sum[:]) || string(file) != string(want) {
			bad++
			if bad <= 5 {
				t.Errorf("record %d at %d@%d: key %s len %d sha %s; want key %x len %d sha %x",
					i, m.Partition, m.Offset, m.Key, m.Len, m.SHA256, rs[i].Key, len(want), sum)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	missing, dups := 0, 0
	for _, c := range seen {
		if c == 0 {
			missing++
		}
		if c > 1 {
			dups += c - 1
		}
	}
	fmt.Printf("external-consumer: produced=%d read=%d missing=%d duplicates=%d bad_values=%d reader=confluent-kafka read_time=%s\n",
		n, lines, missing, dups, bad, readDur.Round(time.Millisecond))
	if lines != n || missing != 0 || dups != 0 || bad != 0 {
		t.Fatalf("external-consumer: want %d exact records, got %d (missing %d, duplicates %d, bad %d)", n, lines, missing, dups, bad)
	}
}
