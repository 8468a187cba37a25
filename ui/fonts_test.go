package ui

import (
	"bytes"
	"os"
	"testing"

	"github.com/go-text/typesetting/font"
)

// requireCJKFont skips without a CJK font outside CI, and fails in CI, where
// make test installs fonts-noto-cjk.
func requireCJKFont(t *testing.T) {
	t.Helper()
	if _, _, err := CJKFonts(); err != nil {
		if os.Getenv("CI") != "" || os.Getenv("OSSDROP_E2E") != "" {
			t.Fatalf("CJK font missing in CI: %v", err)
		}
		t.Skip(err)
	}
}

func TestCJKFontsHaveChineseInBothWeights(t *testing.T) {
	requireCJKFont(t)
	r, b, _ := CJKFonts()
	for _, res := range []struct {
		name string
		data []byte
		bold bool
	}{{"regular", r.Content(), false}, {"bold", b.Content(), true}} {
		f, err := font.ParseTTF(bytes.NewReader(res.data))
		if err != nil {
			t.Fatalf("%s: %v", res.name, err)
		}
		for _, c := range "上传历史简体中文Ab" {
			if _, ok := f.NominalGlyph(c); !ok {
				t.Errorf("%s font has no glyph for %q", res.name, c)
			}
		}
		if w := f.Describe().Aspect.Weight; (w >= font.WeightBold) != res.bold {
			t.Errorf("%s font weight %v", res.name, w)
		}
	}
}

func TestExtractFaceRejectsGarbage(t *testing.T) {
	for _, b := range [][]byte{nil, []byte("ttcf"), append([]byte("ttcf\x00\x01\x00\x00\x00\x00\x00\x05"), make([]byte, 20)...)} {
		if _, err := extractFace(b, 2); err == nil {
			t.Errorf("%q: no error", b)
		}
	}
}
