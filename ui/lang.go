package ui

import (
	"embed"
	"encoding/json"
	"os"
	"runtime"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"github.com/ossdrop/ossdrop/settings"
)

// translations holds one JSON file per language, named by its BCP 47 tag
// (en.json, zh-Hans.json): keys are the English texts passed to lang.L and
// lang.N, plural entries are objects with "one"/"other" forms. Traditional
// Chinese is zh-Hant-TW.json: Fyne keeps a matched tag's script only when it
// has a region, so a bare zh-Hant would be served as zh (Simplified).
//
//go:embed translations/*.json
var translations embed.FS

// Languages a user can choose in Settings; "" follows the system.
const (
	LanguageAuto              = ""
	LanguageEnglish           = "en"
	LanguageSimplifiedChinese = "zh-Hans"
)

// languageChoices pairs the stored value with how it is shown: every language
// by its own name, so a user who cannot read the current one finds theirs.
var languageChoices = []struct{ value, label string }{
	{LanguageAuto, ""}, // labelled with lang.L at build time
	{LanguageEnglish, "English"},
	{LanguageSimplifiedChinese, "简体中文"},
}

func init() {
	if err := lang.AddTranslationsFS(translations, "translations"); err != nil {
		fyne.LogError("ossdrop translations", err)
	}
}

// UseLanguage makes the window speak choice ("" follows LANGUAGE, LC_ALL,
// LC_MESSAGES and LANG, or the system setting on Windows and macOS). Call it
// before the app is created. Fyne reads the language from the environment each
// time translations are registered, so a choice is applied by setting the
// environment of this process and registering again.
func UseLanguage(choice string) {
	if choice == LanguageAuto {
		return
	}
	if runtime.GOOS == "windows" || runtime.GOOS == "darwin" {
		// The locale comes from the system there, not the environment: serve
		// the chosen texts under the system's own tag instead.
		overlayLanguage(choice, lang.SystemLocale())
		return
	}
	setLanguageEnv(choice)
	if err := lang.AddTranslationsFS(translations, "translations"); err != nil {
		fyne.LogError("ossdrop translations", err)
	}
}

// overlayLanguage registers the translation file of choice under the system
// locale's exact tag, which Fyne's matcher then prefers for this system.
func overlayLanguage(choice string, system fyne.Locale) {
	data, err := translations.ReadFile("translations/" + choice + ".json")
	if err != nil {
		fyne.LogError("ossdrop translations: no file for "+choice, err)
		return
	}
	if err := lang.AddTranslationsForLocale(data, system); err != nil {
		fyne.LogError("ossdrop translations", err)
	}
}

// setLanguageEnv puts choice first in LANGUAGE. gettext (and Fyne) ignore
// LANGUAGE when the locale is C or POSIX, so LC_MESSAGES/LC_ALL say the
// language too then.
func setLanguageEnv(choice string) {
	tag := strings.ReplaceAll(choice, "-", "_")
	if choice == LanguageSimplifiedChinese {
		tag = "zh_CN"
	}
	os.Setenv("LANGUAGE", tag)
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if cur := os.Getenv(v); cur != "" {
			if cur == "C" || cur == "POSIX" || strings.HasPrefix(cur, "C.") {
				os.Setenv(v, tag+".UTF-8")
			}
			break
		}
	}
	if os.Getenv("LC_ALL") == "" && os.Getenv("LC_MESSAGES") == "" && os.Getenv("LANG") == "" {
		os.Setenv("LC_MESSAGES", tag+".UTF-8")
	}
}

// newLanguageSelect is the Settings picker, showing cur; Esc in it goes to
// onEscape.
func newLanguageSelect(cur string, onEscape func() bool) *escSelect {
	opts := make([]string, len(languageChoices))
	sel := ""
	for i, c := range languageChoices {
		opts[i] = c.label
		if c.value == LanguageAuto {
			opts[i] = lang.L("Automatic (system language)")
		}
		if c.value == cur {
			sel = opts[i]
		}
	}
	s := newEscSelect(opts, nil, onEscape)
	if sel == "" {
		sel = opts[0]
	}
	s.SetSelected(sel)
	return s
}

// languageOf is the stored value of the picker's choice.
func languageOf(s *widget.Select) string {
	if i := s.SelectedIndex(); i > 0 && i < len(languageChoices) {
		return languageChoices[i].value
	}
	return LanguageAuto
}

// languageFormItem is the Settings row for the language; the hint says when a
// change takes effect.
func languageFormItem(s fyne.CanvasObject) *widget.FormItem {
	it := widget.NewFormItem(lang.L("Language"), s)
	it.HintText = nextLaunchHint()
	return it
}

// nextLaunchHint says that a language change waits for the next launch, in
// the window's language and, for whoever is about to switch, in the other
// one: Fyne 2.8 picks the translation once, and the widgets already built
// keep their texts, so the language does not change live.
func nextLaunchHint() string {
	const key = "Applied the next time ossdrop starts"
	here := lang.L("Applied the next time ossdrop starts")
	other := LanguageSimplifiedChinese
	if chineseUI() {
		other = LanguageEnglish
	}
	if there := textIn(other, key); there != "" && there != here {
		return here + " · " + there
	}
	return here
}

// textIn is key's translation in the file of language choice, whatever the
// window speaks; "" when the file lacks it.
func textIn(choice, key string) string {
	data, err := translations.ReadFile("translations/" + choice + ".json")
	if err != nil {
		return ""
	}
	var m map[string]any
	if json.Unmarshal(data, &m) != nil {
		return ""
	}
	s, _ := m[key].(string)
	return s
}

// resumeLabel is how the settings show a resume policy, in the window's language.
func resumeLabel(p settings.ResumePolicy) string {
	switch p {
	case settings.ResumeAlways:
		return lang.L("always")
	case settings.ResumeNever:
		return lang.L("never")
	}
	return lang.L("ask")
}

// resumePolicyOf maps a label of resumeLabel back to the stored policy name.
func resumePolicyOf(label string) string {
	for _, p := range []settings.ResumePolicy{settings.ResumeAsk, settings.ResumeAlways, settings.ResumeNever} {
		if resumeLabel(p) == label {
			return string(p)
		}
	}
	return label
}
