package sim

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
)

// strictDecode decodes raw into v (a pointer to one of the wire types) the
// way Graph does: a key the endpoint does not know anywhere in the body is
// refused with code 100 "Unexpected key "k" on param "path"" (Graph answers
// every unknown or misplaced key so, e.g. context.id on a send, caption on
// an audio message). A value of the wrong JSON type is refused too.
func strictDecode(raw []byte, v any) *apiErr {
	var generic any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&generic); err != nil {
		return &apiErr{400, codeInvalidParameter, 0, "Invalid parameter", "request body is not valid JSON: " + err.Error()}
	}
	if dec.More() {
		return &apiErr{400, codeInvalidParameter, 0, "Invalid parameter", "request body has trailing data"}
	}
	if e := checkKeys(generic, reflect.TypeOf(v).Elem(), ""); e != nil {
		return e
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return &apiErr{400, codeInvalidParameter, 0, "Invalid parameter", "param has the wrong type: " + err.Error()}
	}
	return nil
}

func checkKeys(val any, t reflect.Type, path string) *apiErr {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == reflect.TypeOf(json.RawMessage{}) || t.Kind() == reflect.Interface {
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := val.(map[string]any)
		if !ok {
			if val == nil {
				return nil
			}
			return &apiErr{400, codeInvalidParameter, 0, "Invalid parameter", fmt.Sprintf("Param %s must be a JSON object", paramName(path))}
		}
		fields := jsonFields(t)
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sortStrings(keys)
		for _, k := range keys {
			ft, ok := fields[k]
			if !ok {
				return &apiErr{400, codeInvalidParameter, 0, fmt.Sprintf("Unexpected key %q on param %q.", k, paramName(path)), ""}
			}
			if e := checkKeys(obj[k], ft, join(path, k)); e != nil {
				return e
			}
		}
	case reflect.Slice:
		arr, ok := val.([]any)
		if !ok {
			if val == nil {
				return nil
			}
			return &apiErr{400, codeInvalidParameter, 0, "Invalid parameter", fmt.Sprintf("Param %s must be an array", paramName(path))}
		}
		for i, el := range arr {
			if e := checkKeys(el, t.Elem(), path+"["+strconv.Itoa(i)+"]"); e != nil {
				return e
			}
		}
	}
	return nil
}

func paramName(path string) string {
	if path == "" {
		return "body"
	}
	return path
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "['" + k + "']"
}

func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// sign is X-Hub-Signature-256 over the raw body.
func sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

const signatureHeader = "X-Hub-Signature-256"

// placeholderRE matches {{1}} or {{first_name}} variables in template text.
var placeholderRE = regexp.MustCompile(`\{\{\s*([A-Za-z0-9_]+)\s*\}\}`)

// placeholders returns the variable names of text in order, each once.
func placeholders(text string) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range placeholderRE.FindAllStringSubmatch(text, -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			out = append(out, m[1])
		}
	}
	return out
}

// badParamChars reports what makes a template text parameter refused with
// 132018: "Param text cannot have new-line/tab characters or more than 4
// consecutive spaces" (error codes page, 132018).
func badParamChars(s string) string {
	switch {
	case strings.ContainsAny(s, "\n\r"):
		return "new-line characters"
	case strings.Contains(s, "\t"):
		return "tab characters"
	case strings.Contains(s, "     "):
		return "more than 4 consecutive spaces"
	}
	return ""
}
