package models

import (
	"database/sql/driver"
	"fmt"
	"strconv"
	"strings"
)

// Int64List is a BIGINT[] column.
type Int64List []int64

// Value renders a PostgreSQL array literal.
func (l Int64List) Value() (driver.Value, error) {
	parts := make([]string, len(l))
	for i, v := range l {
		parts[i] = strconv.FormatInt(v, 10)
	}
	return "{" + strings.Join(parts, ",") + "}", nil
}

// Scan parses a PostgreSQL array literal.
func (l *Int64List) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case string:
		s = v
	case []byte:
		s = string(v)
	case nil:
		*l = nil
		return nil
	default:
		return fmt.Errorf("int64 list: unsupported %T", src)
	}
	s = strings.Trim(s, "{}")
	out := Int64List{}
	if s != "" {
		for _, p := range strings.Split(s, ",") {
			v, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64)
			if err != nil {
				return fmt.Errorf("int64 list %q: %w", s, err)
			}
			out = append(out, v)
		}
	}
	*l = out
	return nil
}

// StringList is a PostgreSQL TEXT[] column.
type StringList []string

// Value encodes the list as a PostgreSQL array literal.
func (l StringList) Value() (driver.Value, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, s := range l {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		b.WriteString(strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s))
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String(), nil
}

// Scan decodes a PostgreSQL text array literal ({a,"b c"}).
func (l *StringList) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case nil:
		*l = StringList{}
		return nil
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return fmt.Errorf("scan %T into StringList", src)
	}
	out, err := parsePGArray(s)
	if err != nil {
		return err
	}
	*l = out
	return nil
}

func parsePGArray(s string) (StringList, error) {
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return nil, fmt.Errorf("not an array literal: %q", s)
	}
	s = s[1 : len(s)-1]
	out := StringList{}
	if s == "" {
		return out, nil
	}
	var cur strings.Builder
	quoted, inQuotes, esc := false, false, false
	flush := func() {
		v := cur.String()
		if !quoted {
			v = strings.TrimSpace(v)
		}
		out = append(out, v)
		cur.Reset()
		quoted = false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case esc:
			cur.WriteByte(ch)
			esc = false
		case ch == '\\':
			esc = true
		case ch == '"':
			inQuotes = !inQuotes
			quoted = true
		case ch == ',' && !inQuotes:
			flush()
		default:
			cur.WriteByte(ch)
		}
	}
	flush()
	return out, nil
}
