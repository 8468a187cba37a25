package ui

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/ossdrop/ossdrop/history"
	"github.com/ossdrop/ossdrop/settings"
	"github.com/ossdrop/ossdrop/transfer"
)

// summaryCases are task errors as the engine makes them, with the English
// summary the window shows for each.
func summaryCases() []struct {
	name string
	t    transfer.TaskSnapshot
	en   string
} {
	snap := func(st transfer.State, e *transfer.TaskError) transfer.TaskSnapshot {
		return transfer.TaskSnapshot{Path: "/home/李雷/报告/季度 résumé.pdf", Bucket: "media", Key: "trip/季度 résumé.pdf", State: st, Err: e}
	}
	oss := func(code string, status int) *transfer.TaskError {
		return &transfer.TaskError{Op: "initiate", Message: "engine text " + code, Code: code, Status: status, RequestID: "RID-" + code}
	}
	pathErr := func(err error) *transfer.TaskError {
		return &transfer.TaskError{Op: "open", Message: "cannot read /home/李雷/报告/季度 résumé.pdf", Err: &fs.PathError{Op: "open", Path: "/home/李雷/报告/季度 résumé.pdf", Err: err}}
	}
	return []struct {
		name string
		t    transfer.TaskSnapshot
		en   string
	}{
		{"unknown key", snap(transfer.Failed, oss("InvalidAccessKeyId", 403)), "OSS does not know this AccessKey ID"},
		{"wrong secret", snap(transfer.Failed, oss("SignatureDoesNotMatch", 403)), "the AccessKey secret is wrong"},
		{"denied", snap(transfer.Failed, oss("AccessDenied", 403)), "access denied: these credentials may not upload to bucket media"},
		{"no bucket", snap(transfer.Failed, oss("NoSuchBucket", 404)), "bucket media does not exist here; check the bucket name and region"},
		{"token", snap(transfer.Paused, &transfer.TaskError{Code: "SecurityTokenExpired", Status: 403, Err: fmt.Errorf("%w: x", transfer.ErrCredentialsExpired)}),
			"the temporary (STS) credentials have expired; the upload waits for new ones"},
		{"no upload", snap(transfer.Failed, oss("NoSuchUpload", 404)), "the multipart upload no longer exists on the server (expired or aborted)"},
		{"exists", snap(transfer.Failed, oss("FileAlreadyExists", 409)), "an object with this key already exists"},
		{"clock", snap(transfer.Retrying, oss("RequestTimeTooSkewed", 403)), "this computer's clock is more than 15 minutes off; correct the system time"},
		{"busy", snap(transfer.Retrying, oss("ServiceUnavailable", 503)), "the server is busy or failed (HTTP 503)"},
		{"other code", snap(transfer.Failed, oss("InvalidObjectName", 400)), "OSS refused the request (InvalidObjectName)"},
		{"waiting", snap(transfer.Paused, &transfer.TaskError{Op: "resolve", Err: fmt.Errorf("profile x: %w", transfer.ErrWaitingForCredentials)}),
			"waiting for the credentials of this upload's profile"},
		{"removed", snap(transfer.Failed, &transfer.TaskError{Op: "resolve", Err: fmt.Errorf("profile x: %w", transfer.ErrDestinationRemoved)}),
			"the profile this upload was going to has been removed"},
		{"in use", snap(transfer.Failed, &transfer.TaskError{Op: "lock", Err: transfer.ErrInUse}), "another ossdrop is uploading this file to the same place"},
		{"changed", snap(transfer.Failed, &transfer.TaskError{Op: "changed", Err: transfer.ErrFileChanged}), "the file changed while it was being uploaded"},
		{"crc", snap(transfer.Failed, &transfer.TaskError{Op: "complete", RequestID: "R", Err: transfer.ErrCRCMismatch}),
			"the stored object does not match the file (CRC-64 differs); it was not marked done"},
		{"no crc", snap(transfer.Failed, &transfer.TaskError{Op: "complete", Err: transfer.ErrNoCRC}), "the server reported no CRC-64, so the upload cannot be verified"},
		{"gone", snap(transfer.Failed, pathErr(fs.ErrNotExist)), "the file no longer exists"},
		{"perm", snap(transfer.Failed, pathErr(fs.ErrPermission)), "no permission to read the file"},
		{"tls", snap(transfer.Failed, &transfer.TaskError{Op: "initiate", Err: x509.UnknownAuthorityError{}}), "the server's TLS certificate is not trusted"},
		{"dns", snap(transfer.Retrying, &transfer.TaskError{Op: "initiate", Err: &net.DNSError{Name: "oss.invalid", Err: "no such host"}}), "the endpoint's host name cannot be found"},
		{"reset", snap(transfer.Retrying, &transfer.TaskError{Op: "upload part 1", Err: &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset")}}), "network error"},
		{"walk", snap(transfer.Failed, &transfer.TaskError{Op: "read folder", Message: "cannot list folder /x"}), "the folder cannot be read"},
		{"name", snap(transfer.Failed, &transfer.TaskError{Op: "name", Message: "key too long"}), "the file name cannot be used as an OSS object key"},
		{"conflict", snap(transfer.Failed, &transfer.TaskError{Op: "key", Message: "a and b would both be uploaded as k"}), "another file in the queue has the same object key"},
	}
}

func TestErrorSummariesAreTypedAndTranslated(t *testing.T) {
	cases := summaryCases()
	for _, c := range cases {
		if got := taskSummary(c.t); got != c.en {
			t.Errorf("%s: summary %q, want %q", c.name, got, c.en)
		}
		if strings.Contains(taskSummary(c.t), "engine text") {
			t.Errorf("%s: the summary repeats the engine's English", c.name)
		}
	}
	useChinese(t)
	seen := map[string]string{}
	for _, c := range cases {
		got := taskSummary(c.t)
		if !hasHan(got) || got == c.en {
			t.Errorf("%s: Chinese summary %q", c.name, got)
		}
		if prev, dup := seen[got]; dup && c.name != "token" && prev != "token" {
			t.Errorf("%s and %s say the same: %q", prev, c.name, got)
		}
		seen[got] = c.name
		// The exact technical text is kept: the path in its own script, the
		// code and the RequestId, under a translated heading.
		d := errorDetails(c.t)
		for _, want := range []string{"/home/李雷/报告/季度 résumé.pdf", c.t.Err.Code, c.t.Err.RequestID, "技术细节"} {
			if !strings.Contains(d, want) {
				t.Errorf("%s: details lack %q:\n%s", c.name, want, d)
			}
		}
	}
}

// TestChineseFailedRowAndDetails: a failed row says why in Chinese, and the
// details dialog keeps OSS's code and RequestId one click away.
func TestChineseFailedRowAndDetails(t *testing.T) {
	useChinese(t)
	tasks := sampleTasks()
	w := newViewWindow(t, newViewBackend(tasks...))
	w.sync()
	r := w.list.visible[5]
	if got := r.status.Text; got != "失败：AccessKey Secret 不正确" {
		t.Fatalf("failed row says %q", got)
	}
	if got := w.list.visible[2].status.Text; !strings.HasPrefix(got, "正在重试 — 与服务器的连接失败") {
		t.Fatalf("retrying row says %q", got)
	}
	test.Tap(r.details)
	txt := overlayText(w)
	for _, want := range []string{"AccessKey Secret 不正确", "SignatureDoesNotMatch", "5F1A2B3C4D5E6F7A8B9C0D1E", "/home/ana/photos/secret.pdf"} {
		if !strings.Contains(txt, want) {
			t.Errorf("details dialog lacks %q:\n%s", want, txt)
		}
	}
	if got := detailsHeadings(w); got != "技术细节" {
		t.Errorf("the technical details are under %q", got)
	}
	test.AssertRendersToImage(t, "zh_error_details.png", w.win.Canvas())
}

func TestSettingsErrorsInChinese(t *testing.T) {
	bad := settings.ValidateBucket("My_Bucket")
	if got := errorText(bad); !strings.Contains(got, "My_Bucket") || !strings.Contains(got, "lowercase letters") {
		t.Errorf("bucket error says %q", got)
	}
	useChinese(t)
	got := errorText(bad)
	if !hasHan(got) || !strings.Contains(got, "“My_Bucket”") {
		t.Errorf("Chinese bucket error says %q", got)
	}
	if tech := errorTechnical(bad); tech != bad.Error() {
		t.Errorf("technical details %q, want the exact %q", tech, bad.Error())
	}
	if got := errorText(&settings.FieldError{Field: "endpoint", Reason: "required: a URL"}); got != "Endpoint为必填项" {
		t.Errorf("required endpoint says %q", got)
	}
	if got := errorText(transfer.Limits.Jobs.Check(0)); got != "此传输设置超出范围：并行文件数" {
		t.Errorf("option error says %q", got)
	}
	for k := settings.ConnInvalidSettings; k <= settings.ConnOther; k++ {
		res := settings.ConnResult{Kind: k, Endpoint: "https://oss-cn-hangzhou.aliyuncs.com", Message: "English message", Err: errors.New("x")}
		if k == settings.ConnInvalidSettings {
			res.Err = bad
		}
		if s := connSummary(res, "media"); !hasHan(s) || strings.Contains(s, "English message") {
			t.Errorf("%v: connection summary %q", k, s)
		}
	}
	// An error dialog of the window: the summary in Chinese, the exact error
	// (file name in its own script) behind "Technical details".
	w := newViewWindow(t, newViewBackend())
	w.showError(problem("无法统计", &fs.PathError{Op: "open", Path: "/数据/季度", Err: fs.ErrPermission}))
	w.ShowProblem(settingsLoadProblem(&settings.LoadError{Path: "/home/李雷/.config/ossdrop/settings.json", Err: errors.New("invalid character '}' at line 3")}))
	txt := overlayText(w)
	if !strings.Contains(txt, "设置文件 /home/李雷/.config/ossdrop/settings.json 无法使用") || !strings.Contains(txt, "invalid character '}' at line 3") {
		t.Errorf("broken settings file told as %q", txt)
	}
	if !strings.Contains(txt, "无法统计：没有读取该文件的权限") || !strings.Contains(txt, "open /数据/季度: permission denied") || detailsHeadings(w) != "技术细节,技术细节" {
		t.Errorf("error dialog says %q under %q", txt, detailsHeadings(w))
	}
}

// detailsHeadings is the titles of the closed sections in the window's
// dialogs.
func detailsHeadings(w *Window) string {
	var out []string
	for _, o := range w.win.Canvas().Overlays().List() {
		eachObject(o, func(o fyne.CanvasObject) bool {
			if a, ok := o.(*widget.Accordion); ok {
				for _, it := range a.Items {
					out = append(out, it.Title)
				}
				return false
			}
			return true
		})
	}
	return strings.Join(out, ",")
}

func TestLocaleFormatting(t *testing.T) {
	when := time.Date(2026, 11, 30, 14, 5, 0, 0, time.UTC)
	check := func(lang string) {
		t.Helper()
		for _, c := range []struct{ got, want string }{
			{formatInt(12345678), "12,345,678"},
			{count(7), "7"},
			{eta(125 * time.Second), map[string]string{"en": "2m 05s", "zh": "2分05秒"}[lang]},
			{eta(3*time.Hour + 2*time.Minute), map[string]string{"en": "3h 02m", "zh": "3小时02分"}[lang]},
			{eta(120 * time.Hour), map[string]string{"en": "5d 00h", "zh": "5天00小时"}[lang]},
			{took(250 * time.Millisecond), map[string]string{"en": "250 ms", "zh": "250 毫秒"}[lang]},
			{dateTime(when, time.UTC), map[string]string{"en": "2026-11-30 14:05", "zh": "2026年11月30日 14:05"}[lang]},
			{roughDuration(125 * time.Minute), map[string]string{"en": "2 h 5 min", "zh": "2 小时 5 分钟"}[lang]},
			{rate(12_500_000), "13 MB/s"},
			{size(4_200_000), "4.2 MB"},
		} {
			if c.got != c.want {
				t.Errorf("%s: %q, want %q", lang, c.got, c.want)
			}
		}
	}
	check("en")
	useChinese(t)
	if uiTag().String() != "zh-Hans" {
		t.Fatalf("formatting for %v", uiTag())
	}
	check("zh")
	b := batchTotals{Files: 12345, Finished: 1234, Bytes: 1 << 40, Sent: 1 << 30}
	if got := batchText(b); !strings.HasPrefix(got, "1,234 / 12,345 个文件") {
		t.Errorf("batch summary %q", got)
	}
}

// TestLanguageHintInBothLanguages: the language applies at the next launch
// (Fyne 2.8 has no live switch), and Settings says so in the language shown
// and in the one a user is likely switching to.
func TestLanguageHintInBothLanguages(t *testing.T) {
	if got := nextLaunchHint(); got != "Applied the next time ossdrop starts · 下次启动 ossdrop 时生效" {
		t.Errorf("English hint %q", got)
	}
	useChinese(t)
	if got := nextLaunchHint(); got != "下次启动 ossdrop 时生效 · Applied the next time ossdrop starts" {
		t.Errorf("Chinese hint %q", got)
	}
}

func TestHistoryErrorText(t *testing.T) {
	for _, c := range []struct {
		e    history.Entry
		want string
	}{
		{history.Entry{Bucket: "b", Error: "the AccessKey secret is wrong (SignatureDoesNotMatch, RequestId R)", ErrorCode: "SignatureDoesNotMatch"},
			"the AccessKey secret is wrong (SignatureDoesNotMatch)"},
		{history.Entry{Bucket: "b", Error: "upload: bad name (InvalidObjectName, RequestId R)", ErrorCode: "InvalidObjectName"},
			"OSS refused the request (InvalidObjectName)"},
		{history.Entry{Error: "cannot read /数据/a.txt: permission denied"}, "cannot read /数据/a.txt: permission denied"},
	} {
		if got := historyErrorText(&c.e); got != c.want {
			t.Errorf("%q: %q, want %q", c.e.Error, got, c.want)
		}
	}
}
