package event

import (
	"encoding/binary"
	"math"
	"math/bits"
	"unicode/utf8"
)

// The flat walker. The compiled node tree (anode, see avrocompile.go) is
// turned into a flat program: the fields of nested records are inlined
// (their nesting depth is known at compile time, so the MaxDepth check
// becomes an instruction that only exists where the limit is exceeded), and
// unions become jumps. Every instruction names its successor (next), so the
// branches of a union rejoin without a separate jump instruction. Arrays,
// maps, recursive records and skipped records of variable size are left to
// the tree walker (pTree), which the flat walker calls with the static depth.
// Both walkers report exactly the same calls, raw event time, errors and
// error offsets; the tree walker stays the reference (see avro_prog_test.go).

type pop uint8

const (
	pNull pop = iota + 1
	pBool
	pInt
	pLong
	pFloat
	pDouble
	pString
	pBytes
	pFixed    // aux: size
	pEnum     // symbols program.syms[aux:aux+aux2]
	pDecBytes // aux: scale
	pDecFixed // aux: index in program.decs
	pUnion    // aux: index in program.unions
	pUnion2   // a union of two branches: 0 at next, 1 at aux
	pSkip     // a skipped record of constant size aux
	pDepth    // a record nested deeper than MaxDepth: always an error
	pTree     // aux: index in program.trees
	pNop      // an empty union branch
)

// Instruction flags.
const (
	fEmit  = 1 << iota // report the value
	fTime              // the value is the event time
	fNull0             // a union [null, this]: index 0 is a null
	fNull1             // a union [this, null]: index 1 is a null
)

// inst is one instruction of a flat program (32 bytes).
type inst struct {
	col   string
	next  int32 // the instruction executed next; len(code) ends the program
	aux   int32
	aux2  int32
	op    pop
	flags uint8
	unit  TimeUnit
}

type treeCall struct {
	n     *anode
	depth int // records entered around the node
}

type decFixed struct{ size, scale int }

// program is a flat walker program; see the comment at the top of the file.
type program struct {
	root   *anode // the tree the program was flattened from
	code   []inst
	unions [][]int32 // branch entry points
	syms   [][]byte
	decs   []decFixed
	trees  []treeCall
}

// flatten compiles the node tree rooted at n into a flat program.
func flatten(n *anode, maxDepth int) *program {
	p := &program{root: n}
	p.node(n, 0, maxDepth)
	return p
}

func (p *program) emit(in inst) {
	in.next = int32(len(p.code) + 1)
	p.code = append(p.code, in)
}

func leafFlags(n *anode) uint8 {
	var f uint8
	if n.emit {
		f |= fEmit
	}
	if n.time {
		f |= fTime
	}
	return f
}

// node appends the code of n, found inside depth records.
func (p *program) node(n *anode, depth, maxDepth int) {
	in := inst{col: n.col, flags: leafFlags(n), unit: n.unit}
	switch n.op {
	case opNull:
		in.op = pNull
	case opBool:
		in.op = pBool
	case opInt:
		in.op = pInt
	case opLong:
		in.op = pLong
	case opFloat:
		in.op = pFloat
	case opDouble:
		in.op = pDouble
	case opString:
		in.op = pString
	case opBytes:
		in.op = pBytes
	case opFixed:
		in.op, in.aux = pFixed, int32(n.size)
	case opEnum:
		in.op, in.aux, in.aux2 = pEnum, int32(len(p.syms)), int32(len(n.symbols))
		p.syms = append(p.syms, n.symbols...)
	case opDecimalBytes:
		in.op, in.aux = pDecBytes, int32(n.scale)
	case opDecimalFixed:
		in.op, in.aux = pDecFixed, int32(len(p.decs))
		p.decs = append(p.decs, decFixed{size: n.size, scale: n.scale})
	case opUnion:
		p.union(n, depth, maxDepth)
		return
	case opRecord:
		switch {
		case depth+1 > maxDepth:
			in = inst{op: pDepth}
		case n.emit || (n.quiet && (n.constSize < 0 || n.constSize > math.MaxInt32)):
			// A recursion placeholder (its skip program may be cyclic)
			// or a skipped record of variable (or huge) size.
			in = p.tree(n, depth)
		case n.quiet:
			in = inst{op: pSkip, aux: int32(n.constSize)}
		default:
			for _, f := range n.fields {
				p.node(f, depth+1, maxDepth)
			}
			return
		}
	default: // arrays and maps
		in = p.tree(n, depth)
	}
	p.emit(in)
}

func (p *program) tree(n *anode, depth int) inst {
	p.trees = append(p.trees, treeCall{n: n, depth: depth})
	return inst{op: pTree, aux: int32(len(p.trees) - 1)}
}

// union appends a union instruction followed by the code of its branches;
// the exits of every branch jump past the last branch.
func (p *program) union(n *anode, depth, maxDepth int) {
	if nb, v := nullable(n); nb >= 0 {
		// One instruction: the value's, flagged with the null's index.
		p.node(v, depth, maxDepth)
		p.code[len(p.code)-1].flags |= fNull0 << nb
		return
	}
	u, k := len(p.code), len(p.unions)
	p.unions = append(p.unions, make([]int32, len(n.branches)))
	p.code = append(p.code, inst{op: pUnion, aux: int32(k), next: -1})
	if len(n.branches) == 2 {
		p.code[u].op = pUnion2
	}
	var exits []int
	for bi, b := range n.branches {
		start := len(p.code)
		p.unions[k][bi] = int32(start)
		if len(n.branches) == 2 {
			if bi == 0 {
				p.code[u].next = int32(start)
			} else {
				p.code[u].aux = int32(start)
			}
		}
		p.node(b, depth, maxDepth)
		if len(p.code) == start {
			p.emit(inst{op: pNop})
		}
		end := int32(len(p.code))
		for pc := start; pc < len(p.code); pc++ {
			if p.code[pc].next == end {
				exits = append(exits, pc)
			}
		}
	}
	end := int32(len(p.code))
	for _, pc := range exits {
		p.code[pc].next = end
	}
}

// nullable returns the index of the null branch and the other branch of a
// union of null and one leaf value reported under the same column with the
// same flags (the usual optional field), or -1.
func nullable(n *anode) (int, *anode) {
	if len(n.branches) != 2 {
		return -1, nil
	}
	for nb, b := range n.branches {
		v := n.branches[1-nb]
		if b.op != opNull || b.col != v.col || leafFlags(b) != leafFlags(v) {
			continue
		}
		switch v.op {
		case opBool, opInt, opLong, opFloat, opDouble, opString, opBytes, opFixed, opEnum, opDecimalBytes, opDecimalFixed:
			return nb, v
		}
	}
	return -1, nil
}

// uvarint8 decodes the unsigned varint at data[i] when at least 8 bytes
// are left and it is at most 8 bytes long, with one load and branch-free
// bit compaction; n is 0 otherwise (the caller takes the byte loop).
func uvarint8(data []byte, i int) (u uint64, n int) {
	if len(data)-i < 8 {
		return 0, 0
	}
	x := binary.LittleEndian.Uint64(data[i:])
	last := ^x & 0x8080808080808080 // the high bits of final bytes
	if last == 0 {
		return 0, 0
	}
	bitsLen := bits.TrailingZeros64(last) + 1 // 8 × the varint's length
	x &= uint64(1)<<bitsLen - 1               // all ones when bitsLen is 64
	x = x&0x007f007f007f007f | (x&0x7f007f007f007f00)>>1
	x = x&0x00003fff00003fff | (x&0x3fff00003fff0000)>>2
	x = x&0x000000000fffffff | (x&0x0fffffff00000000)>>4
	return x, bitsLen >> 3
}

// varint reads a zig-zag varint at i: 1- and 2-byte values inline, longer
// ones through long (which reports the errors).
func (d *AvroDecoder) varint(i int) (int64, int, *Error) {
	data := d.data
	if i < len(data) {
		if b := data[i]; b < 0x80 {
			u := uint64(b)
			return int64(u>>1) ^ -int64(u&1), i + 1, nil
		}
	}
	return d.long(i)
}

// run executes program p on d.data from offset i.
func (d *AvroDecoder) run(p *program, i int) (int, *Error) {
	data := d.data
	code := p.code
	for pc := 0; pc < len(code); {
		in := &code[pc]
		pc = int(in.next)
		if in.flags&(fNull0|fNull1) != 0 {
			// The union index of an optional value.
			start := i
			var k int64
			if i < len(data) && data[i] < 0x80 {
				u := uint64(data[i])
				k = int64(u>>1) ^ -int64(u&1)
				i++
			} else {
				x, j, err := d.long(i)
				if err != nil {
					return j, err
				}
				k, i = x, j
			}
			if uint64(k) > 1 {
				return start, d.err(start, "union branch index out of range")
			}
			if in.flags>>3&1 == uint8(k) { // the null branch
				if in.flags&fTime != 0 {
					d.raw.Kind = TimeNone
				}
				if in.flags&fEmit != 0 {
					d.v.Null(in.col)
				}
				continue
			}
		}
		switch in.op {
		case pLong, pInt:
			var v int64
			if i < len(data) && data[i] < 0x80 {
				u := uint64(data[i])
				v = int64(u>>1) ^ -int64(u&1)
				i++
			} else if u, n := uvarint8(data, i); n > 0 {
				v = int64(u>>1) ^ -int64(u&1)
				if in.op == pInt && int64(int32(v)) != v {
					return i, d.err(i, "int out of 32-bit range")
				}
				i += n
			} else {
				x, j, err := d.long(i)
				if err != nil {
					return j, err
				}
				if in.op == pInt && (x < math.MinInt32 || x > math.MaxInt32) {
					return i, d.err(i, "int out of 32-bit range")
				}
				v, i = x, j
			}
			if in.flags&fTime != 0 {
				d.raw.Kind, d.raw.Int, d.raw.Unit = TimeInt, v, in.unit
			}
			if in.flags&fEmit != 0 {
				d.v.Int(in.col, v)
			}
		case pString:
			var l int
			if i < len(data) && data[i]&0x81 == 0 && int(data[i]>>1) < len(data)-i {
				// A 1-byte non-negative length within the input.
				l = int(data[i] >> 1)
				i++
			} else {
				n, j, err := d.length(i)
				if err != nil {
					return j, err
				}
				l, i = n, j
			}
			s := data[i : i+l : i+l]
			i += l
			if in.flags&(fEmit|fTime) == 0 {
				continue
			}
			if !validUTF8(s) {
				if d.utf8Err {
					return i - l, d.err(i-l, "invalid UTF-8 in string")
				}
				d.scratch = appendReplacingInvalid(d.scratch[:0], s)
				s = d.scratch
			}
			if in.flags&fTime != 0 {
				d.timeBuf = append(d.timeBuf[:0], s...)
				d.raw.Kind, d.raw.Str, d.raw.Unit = TimeString, d.timeBuf, UnitNone
			}
			if in.flags&fEmit != 0 {
				d.v.String(in.col, s)
			}
		case pUnion:
			br := p.unions[in.aux]
			var k int64
			if i < len(data) && data[i] < 0x80 {
				u := uint64(data[i])
				k = int64(u>>1) ^ -int64(u&1)
				if k < 0 || k >= int64(len(br)) {
					return i, d.err(i, "union branch index out of range")
				}
				i++
			} else {
				x, j, err := d.long(i)
				if err != nil {
					return j, err
				}
				if x < 0 || x >= int64(len(br)) {
					return i, d.err(i, "union branch index out of range")
				}
				k, i = x, j
			}
			pc = int(br[k])
		case pUnion2:
			start := i
			var k int64
			if i < len(data) && data[i] < 0x80 {
				u := uint64(data[i])
				k = int64(u>>1) ^ -int64(u&1)
				i++
			} else {
				x, j, err := d.long(i)
				if err != nil {
					return j, err
				}
				k, i = x, j
			}
			if uint64(k) > 1 {
				return start, d.err(start, "union branch index out of range")
			}
			if k == 1 {
				pc = int(in.aux)
			}
		case pNull:
			if in.flags&fTime != 0 {
				d.raw.Kind = TimeNone
			}
			if in.flags&fEmit != 0 {
				d.v.Null(in.col)
			}
		case pDouble:
			if len(data)-i < 8 {
				return i, d.err(i, "truncated double")
			}
			f := math.Float64frombits(binary.LittleEndian.Uint64(data[i:]))
			i += 8
			if in.flags&fTime != 0 {
				d.raw.Kind, d.raw.Float, d.raw.Unit = TimeFloat, f, in.unit
			}
			if in.flags&fEmit != 0 {
				d.v.Float(in.col, f)
			}
		case pFloat:
			if len(data)-i < 4 {
				return i, d.err(i, "truncated float")
			}
			f := float64(math.Float32frombits(binary.LittleEndian.Uint32(data[i:])))
			i += 4
			if in.flags&fTime != 0 {
				d.raw.Kind, d.raw.Float, d.raw.Unit = TimeFloat, f, in.unit
			}
			if in.flags&fEmit != 0 {
				d.v.Float(in.col, f)
			}
		case pBool:
			if i >= len(data) {
				return i, d.err(i, "truncated boolean")
			}
			b := data[i]
			if b > 1 {
				return i, d.err(i, "boolean byte is not 0 or 1")
			}
			i++
			if in.flags&fEmit != 0 {
				d.v.Bool(in.col, b == 1)
			}
		case pEnum:
			syms := p.syms[in.aux : in.aux+in.aux2]
			k, j, err := d.varint(i)
			if err != nil {
				return j, err
			}
			if k < 0 || k >= int64(len(syms)) {
				return i, d.err(i, "enum index out of range")
			}
			i = j
			if in.flags&fEmit != 0 {
				d.v.String(in.col, syms[k])
			}
		case pBytes:
			l, j, err := d.length(i)
			if err != nil {
				return j, err
			}
			i = j + l
			if in.flags&fEmit != 0 {
				d.v.Object(in.col)
			}
		case pFixed:
			if len(data)-i < int(in.aux) {
				return i, d.err(i, "truncated fixed")
			}
			i += int(in.aux)
			if in.flags&fEmit != 0 {
				d.v.Object(in.col)
			}
		case pDecBytes:
			l, j, err := d.length(i)
			if err != nil {
				return j, err
			}
			b := data[j : j+l]
			i = j + l
			if in.flags&fEmit != 0 {
				d.v.Float(in.col, decimalFloat(b, int(in.aux)))
			}
		case pDecFixed:
			df := p.decs[in.aux]
			if len(data)-i < df.size {
				return i, d.err(i, "truncated fixed")
			}
			b := data[i : i+df.size]
			i += df.size
			if in.flags&fEmit != 0 {
				d.v.Float(in.col, decimalFloat(b, df.scale))
			}
		case pSkip:
			if len(data)-i < int(in.aux) {
				return i, d.err(i, "truncated record")
			}
			i += int(in.aux)
		case pTree:
			t := p.trees[in.aux]
			d.depth = t.depth
			var err *Error
			if i, err = d.walk(t.n, i); err != nil {
				return i, err
			}
		case pDepth:
			return i, d.err(i, "nesting deeper than MaxDepth")
		case pNop:
		default:
			return i, d.err(i, "internal: bad program")
		}
	}
	return i, nil
}

// validUTF8 is utf8.Valid with an inline ASCII fast path (most strings
// of an event are ASCII and short): the bytes are tested 8 (or 4) at a time
// with overlapping loads, and only a string with a non-ASCII byte goes to
// utf8.Valid.
func validUTF8(s []byte) bool {
	const hi = 0x8080808080808080
	n := len(s)
	var x uint64
	switch {
	case n >= 8:
		for k := 0; k+8 <= n; k += 8 {
			x |= binary.LittleEndian.Uint64(s[k:])
		}
		x |= binary.LittleEndian.Uint64(s[n-8:])
	case n >= 4:
		x = uint64(binary.LittleEndian.Uint32(s) | binary.LittleEndian.Uint32(s[n-4:]))
	case n > 0:
		x = uint64(s[0] | s[n/2] | s[n-1])
	}
	return x&hi == 0 || utf8.Valid(s)
}
