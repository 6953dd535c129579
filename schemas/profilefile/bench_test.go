package profilefile

import "testing"

func BenchmarkParseV1(b *testing.B) {
	data := readTestdata(b, "v1-lendingclub.bin")
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ParseV1(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendBinary(b *testing.B) {
	data := readTestdata(b, "v1-lendingclub.bin")
	f, err := ParseV1(data)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	buf := make([]byte, 0, len(data)+64)
	for b.Loop() {
		if _, err := f.AppendBinary(buf[:0]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseV0(b *testing.B) {
	data := readTestdata(b, "v0-profile-cars-2022-02.bin")
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ParseV0(data); err != nil {
			b.Fatal(err)
		}
	}
}
