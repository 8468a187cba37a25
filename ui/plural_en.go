package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"
)

// English keys are the English text, and lang.N falls back to the key alone,
// which is the plural form; the singular forms of the counted messages the
// window shows are registered here so English reads "1 of 1 file".
var englishPlurals = []byte(`{
  "{{.Done}} of {{.Count}} files": {"one": "{{.Done}} of {{.Count}} file", "other": "{{.Done}} of {{.Count}} files"},
  "{{.Count}} failed": {"one": "{{.Count}} failed", "other": "{{.Count}} failed"},
  "{{.Count}} paused": {"one": "{{.Count}} paused", "other": "{{.Count}} paused"},
  "{{.Count}} files": {"one": "{{.Count}} file", "other": "{{.Count}} files"},
  "{{.Count}} hidden files": {"one": "{{.Count}} hidden file", "other": "{{.Count}} hidden files"}
}`)

func init() {
	if err := lang.AddTranslationsForLocale(englishPlurals, fyne.Locale("en")); err != nil {
		fyne.LogError("English plural forms", err)
	}
}
