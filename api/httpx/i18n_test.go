package httpx

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/wabascrm/scrm/models"
)

// errorMessages finds every message the code can answer with: the format
// of each models.Errorf/FieldError call and the literal Message of each
// models.Error built by hand, in the module's non-test code. nonLiteral
// counts messages built at run time, which stay English.
func errorMessages(t *testing.T, root string) (msgs map[string]string, nonLiteral []string) {
	t.Helper()
	msgs = map[string]string{}
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); p != root && (n == "bench" || n == "bin" || n == "node_modules" || n == "testdata" || strings.HasPrefix(n, ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			return err
		}
		kernel := f.Name.Name == "models"
		// isKernel reports whether e names models.<name> (or <name> inside models).
		isKernel := func(e ast.Expr, names ...string) bool {
			switch x := e.(type) {
			case *ast.SelectorExpr:
				id, ok := x.X.(*ast.Ident)
				return ok && id.Name == "models" && slices.Contains(names, x.Sel.Name)
			case *ast.Ident:
				return kernel && slices.Contains(names, x.Name)
			}
			return false
		}
		add := func(e ast.Expr) {
			if lit, ok := e.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				s, _ := strconv.Unquote(lit.Value)
				msgs[s] = fset.Position(lit.Pos()).String()
				return
			}
			nonLiteral = append(nonLiteral, fset.Position(e.Pos()).String())
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.CallExpr:
				if isKernel(x.Fun, "Errorf") && len(x.Args) > 1 {
					add(x.Args[1])
				} else if isKernel(x.Fun, "FieldError") && len(x.Args) > 2 {
					add(x.Args[2])
				}
			case *ast.CompositeLit:
				if isKernel(x.Type, "Error") {
					for _, el := range x.Elts {
						if kv, ok := el.(*ast.KeyValueExpr); ok {
							if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "Message" {
								add(kv.Value)
							}
						}
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return msgs, nonLiteral
}

var verbRE = regexp.MustCompile(`%(\[\d+\])?[-+# 0]*\d*(\.\d+)?[a-zA-Z%]`)

// Every error message the code can answer with has its Indonesian text,
// with the same verbs in the same order (a missing or swapped verb would
// print %!d(string=…) to a user), and the catalogue holds nothing dead.
func TestEveryErrorMessageIsTranslated(t *testing.T) {
	msgs, nonLiteral := errorMessages(t, filepath.Join("..", ".."))
	if len(msgs) < 300 {
		t.Fatalf("found only %d messages: is the walk broken?", len(msgs))
	}
	for m, at := range msgs {
		tr, ok := messagesID[m]
		if !ok {
			t.Errorf("%s: %q has no Indonesian text in messages_id.go", at, m)
			continue
		}
		if got, want := verbRE.FindAllString(tr, -1), verbRE.FindAllString(m, -1); !slices.Equal(got, want) {
			t.Errorf("%q: verbs %v, the English has %v", tr, got, want)
		}
	}
	for k := range messagesID {
		if _, ok := msgs[k]; !ok {
			t.Errorf("messages_id.go: %q is no longer a message of the code", k)
		}
	}
	// Built at run time (a refusal's text from WhatsApp or a workflow):
	// these stay English. Listed so the number only shrinks.
	if len(nonLiteral) > 12 {
		t.Errorf("%d messages built at run time (want at most 12): %v", len(nonLiteral), nonLiteral)
	}
	t.Logf("%d messages, %d built at run time", len(msgs), len(nonLiteral))
}

func TestErrorLanguage(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, tc := range []struct {
		accept string
		err    error
		want   string
	}{
		{"", models.Errorf(models.EConflict, "conversation %d is yours already", 7), "conversation 7 is yours already"},
		{"id", models.Errorf(models.EConflict, "conversation %d is yours already", 7), "percakapan 7 sudah milik Anda"},
		{"id-ID,id;q=0.9,en;q=0.8", models.FieldError(models.EConflict, "x", "you are at your capacity (%d of %d open conversations): resolve or transfer one first", 3, 3),
			"Anda sudah mencapai kapasitas (3 dari 3 percakapan terbuka): selesaikan atau alihkan satu dulu"},
		{"en-GB", models.Errorf(models.EConflict, "conversation %d is yours already", 7), "conversation 7 is yours already"},
		{"fr, id;q=0.5", models.Errorf(models.ENotFound, "no such route"), "rute tidak ditemukan"},
		{"id", &models.Error{Code: models.EUnavailable, Message: "cannot reach WhatsApp"}, "tidak dapat menghubungi WhatsApp"},
		{"id", io.ErrUnexpectedEOF, "terjadi kesalahan internal"},
		{"id", &models.Error{Code: models.EUnprocessable, Message: "a sentence the catalogue lacks"}, "a sentence the catalogue lacks"},
		{"garbage;;q=x", models.Errorf(models.ENotFound, "no such route"), "no such route"},
	} {
		w := httptest.NewRecorder()
		c, _ := gin.CreateTestContext(w)
		c.Request = httptest.NewRequest("GET", "/", nil)
		c.Request.Header.Set("Accept-Language", tc.accept)
		WriteError(c, log, tc.err)
		var body ErrorBody
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Error.Message != tc.want {
			t.Errorf("Accept-Language %q: %q (%v), want %q", tc.accept, body.Error.Message, err, tc.want)
		}
	}
}

// A stored English reason (an import row's) comes back Indonesian with its
// values as written; the most specific format wins; unknown text and
// English requests are left alone.
func TestTextLocalizer(t *testing.T) {
	for _, tc := range []struct{ accept, in, want string }{
		{"id", `"12ab" is not a phone number: the phone number supplied is not a number`, `"12ab" bukan nomor telepon: the phone number supplied is not a number`},
		{"id", "phone number is empty", "nomor telepon kosong"},
		{"id", "amount must be a positive integer", "amount harus berupa bilangan bulat positif"},
		{"id", "case: a case row needs a team (id or name)", "case: baris kasus memerlukan tim (id atau nama)"},
		{"id", `case reference "LN-1" belongs to another customer or team`, `referensi kasus "LN-1" milik pelanggan atau tim lain`},
		{"id", "something the catalogue lacks", "something the catalogue lacks"},
		{"en", "phone number is empty", "phone number is empty"},
		{"", "phone number is empty", "phone number is empty"},
	} {
		c, _ := gin.CreateTestContext(httptest.NewRecorder())
		c.Request = httptest.NewRequest("GET", "/", nil)
		c.Request.Header.Set("Accept-Language", tc.accept)
		l := NewTextLocalizer(c)
		for range 2 { // the second answer comes from the request's memo
			if got := l.Text(tc.in); got != tc.want {
				t.Errorf("%s %q: %q, want %q", tc.accept, tc.in, got, tc.want)
			}
		}
	}
}
