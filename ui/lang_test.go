package ui

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// langUse is one lang.L/N/X/XN call found in the source.
type langUse struct {
	key, pos string
	plural   bool
}

// langUses parses every non-test Go file of the module and returns the keys
// given to Fyne's lang functions. A key that is not a string literal cannot be
// checked (nor found by translators) and is reported as an error.
func langUses(t *testing.T, root string) []langUse {
	t.Helper()
	var uses []langUse
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); p != root && (strings.HasPrefix(n, ".") || n == "testdata" || n == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		alias := ""
		for _, im := range f.Imports {
			if im.Path.Value == strconv.Quote("fyne.io/fyne/v2/lang") {
				alias = "lang"
				if im.Name != nil {
					alias = im.Name.Name
				}
			}
		}
		if alias == "" {
			return nil
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if id, ok := sel.X.(*ast.Ident); !ok || id.Name != alias {
				return true
			}
			fn := sel.Sel.Name
			switch fn {
			case "L", "N", "X", "XN", "Localize", "LocalizePlural", "LocalizeKey", "LocalizePluralKey":
			default:
				return true
			}
			pos := fset.Position(call.Pos()).String()
			if len(call.Args) == 0 {
				return true
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				t.Errorf("%s: lang.%s with a key that is not a string literal: it cannot be checked or translated", pos, fn)
				return true
			}
			key, _ := strconv.Unquote(lit.Value)
			uses = append(uses, langUse{key: key, pos: pos, plural: strings.Contains(fn, "N") || strings.Contains(fn, "Plural")})
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return uses
}

// TestTranslationsComplete fails when code uses a text that a translation file
// lacks, when a file keeps a text no code uses, or when a translation is
// empty: every language must be complete and nothing in it dead.
func TestTranslationsComplete(t *testing.T) {
	uses := langUses(t, "..")
	if len(uses) == 0 {
		t.Fatal("no lang.L calls found: is the walk looking at the module?")
	}
	files, err := filepath.Glob("translations/*.json")
	if err != nil || len(files) < 2 {
		t.Fatalf("translation files: %v %v", files, err)
	}
	sort.Strings(files)
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for k, v := range m {
			switch v := v.(type) {
			case string:
				if strings.TrimSpace(v) == "" {
					t.Errorf("%s: %q is translated as nothing", file, k)
				}
			case map[string]any:
				if s, _ := v["other"].(string); strings.TrimSpace(s) == "" {
					t.Errorf("%s: plural %q has no \"other\" form", file, k)
				}
				for form, s := range v {
					if s, ok := s.(string); !ok || strings.TrimSpace(s) == "" {
						t.Errorf("%s: plural %q has an empty %q form", file, k, form)
					}
				}
			default:
				t.Errorf("%s: %q is neither a text nor plural forms", file, k)
			}
		}
		checkPlaceholders(t, file, m)
		if tag, _ := m["BCP 47 language tag of this translation"].(string); tag+".json" != filepath.Base(file) {
			t.Errorf("%s says its language is %q: numbers and dates would be formatted for another one", file, tag)
		}
		missing := map[string]string{}
		for _, u := range uses {
			v, ok := m[u.key]
			if !ok {
				missing[u.key] = u.pos
				continue
			}
			if _, isPlural := v.(map[string]any); u.plural && !isPlural && strings.HasPrefix(filepath.Base(file), "en") {
				t.Errorf("%s: %q is used with lang.N at %s but has no plural forms", file, u.key, u.pos)
			}
		}
		used := make(map[string]bool, len(uses))
		for _, u := range uses {
			used[u.key] = true
		}
		var unused []string
		for k := range m {
			if !used[k] {
				unused = append(unused, k)
			}
		}
		sort.Strings(unused)
		for _, k := range unused {
			t.Errorf("%s has %q, which no code uses: remove it so dead texts do not pile up", file, k)
		}
		keys := make([]string, 0, len(missing))
		for k := range missing {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			t.Errorf("%s lacks %q (used at %s)", file, k, missing[k])
		}
	}
}

var placeholder = regexp.MustCompile(`{{\s*\.(\w+)\s*}}`)

// placeholders is the set of {{.Name}} fields in s.
func placeholders(s string) map[string]bool {
	out := map[string]bool{}
	for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
		out[m[1]] = true
	}
	return out
}

// checkPlaceholders fails for a translation that names a field its key does
// not give (it would print "<no value>") or, for a plain text, drops one (the
// file name or count would silently vanish from the sentence). A plural's
// "one" form may leave out the count.
func checkPlaceholders(t *testing.T, file string, m map[string]any) {
	t.Helper()
	for k, v := range m {
		want := placeholders(k)
		forms := map[string]string{}
		switch v := v.(type) {
		case string:
			forms[""] = v
		case map[string]any:
			for f, s := range v {
				forms[f], _ = s.(string)
			}
		}
		for form, s := range forms {
			got := placeholders(s)
			for f := range got {
				if !want[f] {
					t.Errorf("%s: %q (%s) uses {{.%s}}, which the key does not give", file, k, form, f)
				}
			}
			if form == "one" {
				continue
			}
			for f := range want {
				if !got[f] {
					t.Errorf("%s: %q (%s) drops {{.%s}}", file, k, form, f)
				}
			}
		}
	}
}
