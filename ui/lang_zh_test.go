package ui

import (
	"os"
	"regexp"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/test"

	"github.com/ossdrop/ossdrop/transfer"
)

// useChinese switches the translations to Simplified Chinese as the setting
// does at launch, and back to the environment's language afterwards.
func useChinese(t *testing.T) {
	t.Helper()
	requireCJKFont(t)
	vars := []string{"LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"}
	saved := map[string]*string{}
	for _, v := range vars {
		if s, ok := os.LookupEnv(v); ok {
			saved[v] = &s
		} else {
			saved[v] = nil
		}
	}
	t.Cleanup(func() {
		for v, s := range saved {
			if s == nil {
				os.Unsetenv(v)
			} else {
				os.Setenv(v, *s)
			}
		}
		lang.AddTranslationsFS(translations, "translations") // pick the language again
	})
	UseLanguage(LanguageSimplifiedChinese)
}

// chineseTheme checks that the window's theme carries the CJK fonts, as
// NewTheme gives it when the window speaks Chinese.
func chineseTheme(t *testing.T, a fyne.App) {
	t.Helper()
	at, ok := a.Settings().Theme().(*appTheme)
	if !ok {
		t.Fatalf("the app's theme is %T, not the window's", a.Settings().Theme())
	}
	if _, ok := at.Theme.(*cjkTheme); !ok {
		t.Fatal("the Chinese UI did not get the CJK fonts")
	}
}

func TestUseLanguage(t *testing.T) {
	for _, env := range []map[string]string{
		{"LANG": "en_US.UTF-8"},
		{"LANG": "C"},
		{"LC_ALL": "C.UTF-8"},
		{},
	} {
		for _, v := range []string{"LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"} {
			t.Setenv(v, env[v])
			if env[v] == "" {
				os.Unsetenv(v)
			}
		}
		UseLanguage(LanguageSimplifiedChinese)
		if got := lang.L("Upload history"); got != "上传历史" {
			t.Errorf("with %v, zh-Hans chosen: %q", env, got)
		}
		if got := lang.N("{{.Count}} upload", 3, map[string]any{"Count": 3}); got != "3 条上传记录" {
			t.Errorf("with %v, zh-Hans plural: %q", env, got)
		}
		if !chineseUI() {
			t.Errorf("with %v: chineseUI false", env)
		}
		UseLanguage(LanguageEnglish)
		if got := lang.L("Upload history"); got != "Upload history" {
			t.Errorf("with %v, English chosen: %q", env, got)
		}
		if got := lang.N("{{.Count}} upload", 1, map[string]any{"Count": 1}); got != "1 upload" {
			t.Errorf("English singular: %q", got)
		}
	}
	// The system's Chinese is followed when nothing is chosen.
	t.Setenv("LANGUAGE", "")
	os.Unsetenv("LANGUAGE")
	t.Setenv("LC_ALL", "zh_CN.UTF-8")
	lang.AddTranslationsFS(translations, "translations")
	if got := lang.L("Upload history"); got != "上传历史" {
		t.Errorf("LC_ALL=zh_CN: %q", got)
	}
	t.Setenv("LC_ALL", "zh_TW.UTF-8")
	lang.AddTranslationsFS(translations, "translations")
	if got := lang.L("Upload history"); got != "上傳歷史" {
		t.Errorf("LC_ALL=zh_TW: %q", got)
	}
	t.Setenv("LC_ALL", "en_GB.UTF-8")
	lang.AddTranslationsFS(translations, "translations")
}

// TestOverlayLanguage is how a choice applies on Windows and macOS, where the
// locale does not come from the environment.
func TestOverlayLanguage(t *testing.T) {
	// Registered before the Setenv calls, so it runs after they restore the
	// environment and picks the language of the environment again.
	t.Cleanup(func() { lang.AddTranslationsFS(translations, "translations") })
	for _, v := range []string{"LANGUAGE", "LC_ALL", "LC_MESSAGES"} {
		t.Setenv(v, "")
		os.Unsetenv(v)
	}
	t.Setenv("LANG", "de_AT.UTF-8") // a system we have no translation for
	overlayLanguage(LanguageSimplifiedChinese, lang.SystemLocale())
	if got := lang.L("Upload history"); got != "上传历史" {
		t.Fatalf("zh-Hans over de-AT: %q", got)
	}
	t.Setenv("LANG", "zh_CN.UTF-8")
	overlayLanguage(LanguageEnglish, lang.SystemLocale())
	// The bundle keeps what was added: give zh-CN its Chinese back for later tests.
	defer overlayLanguage(LanguageSimplifiedChinese, lang.SystemLocale())
	if got := lang.L("Upload history"); got != "Upload history" {
		t.Fatalf("English over zh-CN: %q", got)
	}
}

// TestChineseSnapshots renders the window, a row in each state, the settings
// dialog and History in Simplified Chinese with the real CJK fonts.
func TestChineseSnapshots(t *testing.T) {
	useChinese(t)
	t.Run("window", func(t *testing.T) {
		w := newViewWindow(t, newViewBackend(sampleTasks()...))
		chineseTheme(t, w.app)
		w.win.Resize(fyne.NewSize(1100, 900))
		w.sync()
		test.AssertRendersToImage(t, "zh_states.png", w.win.Canvas())
	})
	t.Run("empty", func(t *testing.T) {
		w := newViewWindow(t, newViewBackend())
		chineseTheme(t, w.app)
		w.sync()
		test.AssertRendersToImage(t, "zh_empty.png", w.win.Canvas())
	})
	t.Run("settings", func(t *testing.T) {
		r := newSettingsRig(t)
		chineseTheme(t, r.w.app)
		r.w.ShowSettings()
		r.w.settings.tabs.SelectIndex(3) // the language is on the behaviour tab
		test.AssertRendersToImage(t, "zh_settings.png", r.w.win.Canvas())
	})
	t.Run("history", func(t *testing.T) {
		w, v, _ := newHistoryTestView(t, historySample())
		chineseTheme(t, w.app)
		w.histWin.Resize(fyne.NewSize(900, 400))
		v.list.Select(1)
		test.AssertRendersToImage(t, "zh_history.png", w.histWin.Canvas())
	})
}

// TestSkippedSaysItOnce: a skipped row's state already says "Skipped"; the
// note that explains why must not say it again, in any language.
func TestSkippedSaysItOnce(t *testing.T) {
	t.Cleanup(func() { lang.AddTranslationsFS(translations, "translations") })
	for _, v := range []string{"LANGUAGE", "LC_MESSAGES", "LANG"} {
		t.Setenv(v, "")
		os.Unsetenv(v)
	}
	for _, l := range []struct {
		locale, skipped string
	}{{"en_US.UTF-8", "kipped"}, {"zh_CN.UTF-8", "跳过|略过"}, {"zh_TW.UTF-8", "跳過|略過"}} {
		word := regexp.MustCompile(l.skipped)
		t.Setenv("LC_ALL", l.locale)
		lang.AddTranslationsFS(translations, "translations")
		for _, k := range []transfer.NoteKind{transfer.NoteExistsSkipped, transfer.NoteIdenticalSkipped, transfer.NoteKeyTakenSkipped} {
			task := transfer.TaskSnapshot{State: transfer.Skipped, Key: "a/b.txt", Note: "skipped", NoteKinds: transfer.NotesOf(k)}
			s := statusText(task, liveStats{})
			if n := len(word.FindAllString(s, -1)); n != 1 {
				t.Errorf("%s, note kind %d: %q says %q %d times", l.locale, k, s, l.skipped, n)
			}
		}
		// Without a note the state says why on its own.
		if s := statusText(transfer.TaskSnapshot{State: transfer.Skipped}, liveStats{}); len(word.FindAllString(s, -1)) != 1 {
			t.Errorf("%s: %q", l.locale, s)
		}
	}
}
