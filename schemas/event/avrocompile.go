package event

import "fmt"

// maxProgramNodes bounds a compiled program: flattening a schema that reuses
// record types at many places can grow exponentially.
const maxProgramNodes = 1 << 16

type compiler struct {
	d      *AvroDecoder
	skips  map[*avroType]*anode // shared skip programs per type
	active map[*avroType]bool   // records being flattened (recursion check)
	count  int
	names  names
}

// root compiles the top-level type: a record's fields become top-level
// columns; a top-level union (several event types in one topic) does the
// same for each record branch; any other value is the column TopLevelColumn.
func (c *compiler) root(t *avroType) (*anode, error) {
	switch t.kind {
	case akRecord:
		c.active[t] = true
		n := &anode{op: opRecord}
		for _, f := range t.fields {
			fn, err := c.node(f.typ, f.name, true, false)
			if err != nil {
				return nil, err
			}
			n.fields = append(n.fields, fn)
		}
		delete(c.active, t)
		finishRecord(n)
		return n, nil
	case akUnion:
		n := &anode{op: opUnion, constSize: -1}
		for _, b := range t.branches {
			bn, err := c.root(b)
			if err != nil {
				return nil, err
			}
			n.branches = append(n.branches, bn)
		}
		return n, nil
	}
	return c.node(t, TopLevelColumn, true, false)
}

func finishRecord(n *anode) {
	n.quiet = !n.emit
	n.constSize = 0
	for _, f := range n.fields {
		n.quiet = n.quiet && f.quiet
		if f.constSize < 0 {
			n.constSize = -1
		} else if n.constSize >= 0 {
			n.constSize += f.constSize
		}
	}
}

func (c *compiler) wanted(path string, incAll bool) bool {
	d := c.d
	if _, ok := d.exclude[path]; ok {
		return false
	}
	if d.include == nil || incAll {
		return true
	}
	_, ok := d.include[path]
	return ok
}

// node compiles type t found at column path. emit says whether the column
// (and, for records, its fields) may be reported; incAll that an ancestor is
// included.
func (c *compiler) node(t *avroType, path string, emit, incAll bool) (*anode, error) {
	c.count++
	if c.count > maxProgramNodes {
		return nil, fmt.Errorf("schema flattens to more than %d nodes", maxProgramNodes)
	}
	isTime := c.d.timeField != "" && path == c.d.timeField
	emitLeaf := emit && c.wanted(path, incAll)
	col := ""
	if emitLeaf {
		col = c.names.intern([]byte(path))
	}
	switch t.kind {
	case akRecord:
		if c.active[t] {
			// Recursion: report an object and skip with the shared
			// (possibly cyclic) skip program.
			s := c.skip(t)
			n := &anode{op: opRecord, emit: emitLeaf, col: col, fields: s.fields, constSize: -1}
			n.quiet = !emitLeaf
			return n, nil
		}
		cemit, cinc := emit, incAll
		if c.d.nesting == NestIgnore {
			cemit = false
		} else if emit {
			if _, ok := c.d.exclude[path]; ok {
				cemit = false
			} else if c.d.include != nil && !incAll {
				if _, ok := c.d.include[path]; ok {
					cinc = true
				} else if _, ok := c.d.incPrefix[path]; !ok {
					cemit = false
				}
			}
		}
		c.active[t] = true
		n := &anode{op: opRecord}
		for _, f := range t.fields {
			fn, err := c.node(f.typ, path+c.d.sep+f.name, cemit, cinc)
			if err != nil {
				return nil, err
			}
			n.fields = append(n.fields, fn)
		}
		delete(c.active, t)
		finishRecord(n)
		return n, nil
	case akUnion:
		n := &anode{op: opUnion, quiet: true, constSize: -1}
		for _, b := range t.branches {
			bn, err := c.node(b, path, emit, incAll)
			if err != nil {
				return nil, err
			}
			n.branches = append(n.branches, bn)
			n.quiet = n.quiet && bn.quiet
		}
		return n, nil
	}
	n := c.leaf(t)
	n.emit, n.col, n.time = emitLeaf, col, isTime
	n.quiet = !emitLeaf && !isTime
	if n.op == opArray || n.op == opMap {
		n.elem = c.skip(t.items)
	}
	return n, nil
}

// leaf returns the node of a non-record, non-union type without column.
func (c *compiler) leaf(t *avroType) *anode {
	n := &anode{constSize: -1, quiet: true}
	switch t.kind {
	case akNull:
		n.op, n.constSize = opNull, 0
	case akBoolean:
		n.op, n.constSize = opBool, 1
	case akInt:
		n.op = opInt
		if t.logical == "date" {
			n.unit = UnitDays
		}
	case akLong:
		n.op = opLong
		switch t.logical {
		case "timestamp-millis", "local-timestamp-millis":
			n.unit = UnitMillis
		case "timestamp-micros", "local-timestamp-micros":
			n.unit = UnitMicros
		case "timestamp-nanos", "local-timestamp-nanos":
			n.unit = UnitNanos
		}
	case akFloat:
		n.op, n.constSize = opFloat, 4
	case akDouble:
		n.op, n.constSize = opDouble, 8
	case akString:
		n.op = opString
	case akBytes:
		n.op = opBytes
		if t.logical == "decimal" && t.scale >= 0 {
			n.op, n.scale = opDecimalBytes, t.scale
		}
	case akFixed:
		n.op, n.size, n.constSize = opFixed, t.size, t.size
		if t.logical == "decimal" && t.scale >= 0 {
			n.op, n.scale = opDecimalFixed, t.scale
		}
	case akEnum:
		n.op = opEnum
		for _, s := range t.symbols {
			n.symbols = append(n.symbols, []byte(s))
		}
	case akArray:
		n.op = opArray
	case akMap:
		n.op = opMap
	}
	return n
}

// skip returns the shared non-reporting program of t.
func (c *compiler) skip(t *avroType) *anode {
	if n, ok := c.skips[t]; ok {
		return n
	}
	c.count++
	switch t.kind {
	case akRecord:
		n := &anode{op: opRecord, constSize: -1, quiet: true}
		c.skips[t] = n
		fields := make([]*anode, 0, len(t.fields))
		for _, f := range t.fields {
			fields = append(fields, c.skip(f.typ))
		}
		n.fields = fields
		finishRecord(n)
		return n
	case akUnion:
		n := &anode{op: opUnion, constSize: -1, quiet: true}
		c.skips[t] = n
		for _, b := range t.branches {
			n.branches = append(n.branches, c.skip(b))
		}
		return n
	}
	n := c.leaf(t)
	c.skips[t] = n
	if n.op == opArray || n.op == opMap {
		n.elem = c.skip(t.items)
	}
	return n
}
