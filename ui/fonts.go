package ui

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
)

// Fyne's bundled font has no CJK glyphs. Left to itself Fyne falls back to a
// system font per missing rune, which may be one without a bold face (bold
// labels then render regular) or a Japanese form of Chinese characters. So
// when the window speaks Chinese, the theme's text font is a Chinese system
// font with real regular and bold faces, chosen here.

// cjkFontFile is a system font file and, for collections (.ttc), which face
// holds Simplified Chinese.
type cjkFontFile struct {
	regular, bold string
	index         int
}

// cjkFontCandidates lists fonts with bold CJK faces, best first: Noto Sans CJK
// (Debian/Ubuntu fonts-noto-cjk, Fedora google-noto-sans-cjk), Microsoft YaHei
// on Windows, PingFang on macOS (one file with every weight is not handled; the
// system fallback serves there).
func cjkFontCandidates() []cjkFontFile {
	switch runtime.GOOS {
	case "windows":
		dir := filepath.Join(os.Getenv("WINDIR"), "Fonts")
		return []cjkFontFile{{filepath.Join(dir, "msyh.ttc"), filepath.Join(dir, "msyhbd.ttc"), 0}}
	case "darwin":
		return nil
	}
	var out []cjkFontFile
	for _, dir := range []string{"/usr/share/fonts/opentype/noto", "/usr/share/fonts/noto-cjk", "/usr/share/fonts/google-noto-sans-cjk-fonts", "/usr/share/fonts/opentype/noto-cjk"} {
		// In Noto Sans CJK collections face 2 is SC (Simplified Chinese).
		out = append(out, cjkFontFile{filepath.Join(dir, "NotoSansCJK-Regular.ttc"), filepath.Join(dir, "NotoSansCJK-Bold.ttc"), 2})
	}
	return out
}

var cjk struct {
	once          sync.Once
	regular, bold fyne.Resource
	err           error
}

// CJKFonts returns a regular and a bold font with Chinese glyphs from the
// system, loaded once; an error says which files were looked for.
func CJKFonts() (regular, bold fyne.Resource, err error) {
	cjk.once.Do(func() {
		var tried []string
		for _, c := range cjkFontCandidates() {
			r, err1 := loadFontFace(c.regular, c.index)
			b, err2 := loadFontFace(c.bold, c.index)
			if err1 == nil && err2 == nil {
				cjk.regular, cjk.bold = r, b
				return
			}
			tried = append(tried, c.regular)
		}
		cjk.err = fmt.Errorf("no font with bold Chinese glyphs found (looked for %s; on Debian install fonts-noto-cjk)", strings.Join(tried, ", "))
	})
	return cjk.regular, cjk.bold, cjk.err
}

// loadFontFace reads a font file; from a collection it extracts face index as
// a font of its own, since Fyne reads single fonts only.
func loadFontFace(path string, index int) (fyne.Resource, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(data) >= 4 && string(data[:4]) == "ttcf" {
		if data, err = extractFace(data, index); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)) + fmt.Sprintf("-%d.otf", index)
	return fyne.NewStaticResource(name, data), nil
}

// extractFace copies face i of a TrueType/OpenType collection into a
// standalone font: its table directory with offsets rewritten, then its tables.
func extractFace(ttc []byte, i int) ([]byte, error) {
	be := binary.BigEndian
	bad := errors.New("malformed font collection")
	if len(ttc) < 12 {
		return nil, bad
	}
	n := int(be.Uint32(ttc[8:]))
	if i < 0 || i >= n || len(ttc) < 12+4*n {
		return nil, fmt.Errorf("font collection has %d faces, not face %d", n, i)
	}
	off := int(be.Uint32(ttc[12+4*i:]))
	if off+12 > len(ttc) {
		return nil, bad
	}
	if v := be.Uint32(ttc[off:]); v != 0x00010000 && v != 0x4F54544F { // TrueType or "OTTO"
		return nil, bad
	}
	numTables := int(be.Uint16(ttc[off+4:]))
	dirLen := 12 + 16*numTables
	if off+dirLen > len(ttc) {
		return nil, bad
	}
	out := make([]byte, dirLen, dirLen+len(ttc)/2)
	copy(out, ttc[off:off+dirLen])
	for t := 0; t < numTables; t++ {
		rec := out[12+16*t:]
		tOff, tLen := int(be.Uint32(rec[8:])), int(be.Uint32(rec[12:]))
		if tOff < 0 || tLen < 0 || tOff+tLen > len(ttc) {
			return nil, bad
		}
		be.PutUint32(rec[8:], uint32(len(out)))
		out = append(out, ttc[tOff:tOff+tLen]...)
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
	}
	return out, nil
}

// cjkTheme is a theme whose text fonts are CJK fonts with true bold; symbols,
// monospace and everything else come from the base theme.
type cjkTheme struct {
	fyne.Theme
	regular, bold fyne.Resource
}

func (t *cjkTheme) Font(s fyne.TextStyle) fyne.Resource {
	if s.Monospace || s.Symbol {
		return t.Theme.Font(s)
	}
	if s.Bold {
		return t.bold
	}
	return t.regular
}

// WithCJKFonts wraps base so its text renders Chinese in every weight, when the
// language in use is Chinese; otherwise, or when no such font is installed, it
// returns base (and the error says why when fonts were wanted but missing).
// The window's theme calls it.
func WithCJKFonts(base fyne.Theme) (fyne.Theme, error) {
	if base == nil {
		base = theme.DefaultTheme()
	}
	if !chineseUI() {
		return base, nil
	}
	r, b, err := CJKFonts()
	if err != nil {
		return base, err
	}
	return &cjkTheme{Theme: base, regular: r, bold: b}, nil
}

// chineseUI reports whether the translations in use are Chinese: whatever
// Fyne matched the system or the setting to, a known text then has Han.
func chineseUI() bool {
	return hasHan(lang.L("Upload history"))
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// UseCJKFonts gives a the CJK fonts of WithCJKFonts when the window speaks
// Chinese; a missing font is logged and the system fallback serves. Call it
// after the window has set its theme: the fonts wrap that theme.
func UseCJKFonts(a fyne.App, log *slog.Logger) {
	th, err := WithCJKFonts(a.Settings().Theme())
	if err != nil {
		if log == nil {
			log = slog.Default()
		}
		log.Warn("Chinese text may render without bold", "err", err)
		return
	}
	if th != a.Settings().Theme() {
		a.Settings().SetTheme(th)
	}
}
