package sink_test

import (
	"path/filepath"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
	"gocloud.dev/blob/s3blob"

	"github.com/kprofiler/kprofiler/sink"
	"github.com/kprofiler/kprofiler/sink/sinktest"
)

// BenchmarkPublish measures the latency of publishing one 64 KiB profile
// (one op = one confirmed Publish of a one-profile batch) per backend, and
// of a 16-profile batch (ops report per batch).
func BenchmarkPublish(b *testing.B) {
	ps := sinktest.Profiles(b, 16, "bench")
	for i := range ps {
		ps[i].Value = make([]byte, 64<<10)
	}
	open := map[string]func(b *testing.B) sink.Sink{
		"memory": func(b *testing.B) sink.Sink { return sink.NewMemory("") },
		"memblob": func(b *testing.B) sink.Sink {
			s, err := sink.OpenBlob(b.Context(), "mem://", sink.BlobOptions{})
			if err != nil {
				b.Fatal(err)
			}
			return s
		},
		"file-fsync": func(b *testing.B) sink.Sink {
			s, err := sink.OpenBlob(b.Context(), "file://"+filepath.ToSlash(b.TempDir()), sink.BlobOptions{})
			if err != nil {
				b.Fatal(err)
			}
			return s
		},
		"file-nosync": func(b *testing.B) sink.Sink {
			s, err := sink.OpenBlob(b.Context(), "file://"+filepath.ToSlash(b.TempDir()), sink.BlobOptions{NoSync: true})
			if err != nil {
				b.Fatal(err)
			}
			return s
		},
		"s3-gofakes3": func(b *testing.B) sink.Sink {
			fake := newFakeS3(b)
			bk, err := s3blob.OpenBucket(b.Context(), fake.client(), fake.bucket, nil)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = bk.Close() })
			s, err := sink.NewBlob(bk, sink.BlobOptions{})
			if err != nil {
				b.Fatal(err)
			}
			return s
		},
		"kafka-kfake": func(b *testing.B) sink.Sink {
			c := newCluster(b, outTopic)
			s, err := sink.DialKafka(outTopic, sink.KafkaOptions{}, kgo.SeedBrokers(c.ListenAddrs()...))
			if err != nil {
				b.Fatal(err)
			}
			return s
		},
	}
	for _, name := range []string{"memory", "memblob", "file-fsync", "file-nosync", "s3-gofakes3", "kafka-kfake"} {
		for _, n := range []int{1, 16} {
			b.Run(name+"/batch="+map[int]string{1: "1", 16: "16"}[n], func(b *testing.B) {
				s := open[name](b)
				defer s.Close()
				b.SetBytes(int64(n) * 64 << 10)
				for b.Loop() {
					if err := s.Publish(b.Context(), ps[:n]); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
