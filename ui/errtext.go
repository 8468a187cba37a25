package ui

import (
	"context"
	"errors"
	"path"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"github.com/ossdrop/ossdrop/settings"
	"github.com/ossdrop/ossdrop/transfer"
	"github.com/ossdrop/ossdrop/transfer/errkind"
)

// The engine and the settings package explain errors in English sentences
// that name the file, key, endpoint and server reply exactly; they never
// speak the window's language. The window shows a plain summary in the
// user's language, chosen from the typed error (sentinel errors, OSS codes
// through transfer.ClassifyOSS, settings.ConnKind, settings.FieldError), and
// keeps the engine's exact text under "Technical details".

// taskSummary is the plain-language reason a task failed, retries or waits,
// in the window's language; "" when it has no error.
func taskSummary(t transfer.TaskSnapshot) string {
	if t.Err == nil {
		return ""
	}
	return kindSummary(errkind.OfTask(t), t.Err.Code, t.Err.Status, t.Bucket)
}

// kindSummary explains a kind of failure (package errkind names it, for live
// tasks and history entries alike); an OSS reply by its code and status.
// A kind this version does not know (a newer one wrote it) gives "".
func kindSummary(k errkind.Kind, code string, status int, bucket string) string {
	if op, ok := k.StepOp(); ok {
		return stepSummary(op)
	}
	switch k {
	case errkind.CredentialsExpired:
		return lang.L("the temporary (STS) credentials have expired; the upload waits for new ones")
	case errkind.WaitingCredentials:
		return lang.L("waiting for the credentials of this upload's profile")
	case errkind.DestinationRemoved:
		return lang.L("the profile this upload was going to has been removed")
	case errkind.NoResolver:
		return lang.L("this upload's destination cannot be reached from this window")
	case errkind.InUse:
		return lang.L("another ossdrop is uploading this file to the same place")
	case errkind.FileChanged:
		return lang.L("the file changed while it was being uploaded")
	case errkind.CRCMismatch:
		return lang.L("the stored object does not match the file (CRC-64 differs); it was not marked done")
	case errkind.NoCRC:
		return lang.L("the server reported no CRC-64, so the upload cannot be verified")
	case errkind.OSS:
		return ossSummary(code, status, bucket)
	case errkind.ConnectionFailed:
		// The engine retries only what the network or the server may fix.
		return lang.L("the connection to the server failed")
	case errkind.KeyConflict:
		return lang.L("another file in the queue has the same object key")
	}
	return causeKindSummary(k)
}

// ossSummary explains an OSS error reply by its code and HTTP status, read
// the one way the engine reads them (transfer.ClassifyOSS).
func ossSummary(code string, status int, bucket string) string {
	args := map[string]any{"Bucket": bucket, "Code": code, "Status": status}
	switch transfer.ClassifyOSS(code, status) {
	case transfer.OSSUnknownKeyID:
		return lang.L("OSS does not know this AccessKey ID")
	case transfer.OSSWrongSecret:
		return lang.L("the AccessKey secret is wrong")
	case transfer.OSSAccessDenied:
		return lang.L("access denied: these credentials may not upload to bucket {{.Bucket}}", args)
	case transfer.OSSNoSuchBucket:
		return lang.L("bucket {{.Bucket}} does not exist here; check the bucket name and region", args)
	case transfer.OSSTokenExpired:
		return lang.L("the temporary (STS) credentials have expired; the upload waits for new ones")
	case transfer.OSSNoSuchUpload:
		return lang.L("the multipart upload no longer exists on the server (expired or aborted)")
	case transfer.OSSExists:
		return lang.L("an object with this key already exists")
	case transfer.OSSClockSkew:
		return lang.L("this computer's clock is more than 15 minutes off; correct the system time")
	case transfer.OSSBusy:
		return lang.L("the server is busy or failed (HTTP {{.Status}})", args)
	}
	if code == "" {
		return lang.L("OSS refused the request (HTTP {{.Status}})", args)
	}
	return lang.L("OSS refused the request ({{.Code}})", args)
}

// causeSummary explains local and network failures by the error's type.
func causeSummary(err error) string { return causeKindSummary(errkind.Cause(err)) }

func causeKindSummary(k errkind.Kind) string {
	switch k {
	case errkind.Stopped:
		return lang.L("stopped")
	case errkind.CheckpointDamaged:
		return lang.L("the saved progress (checkpoint) is damaged")
	case errkind.QueueLineDamaged:
		return lang.L("a line of the upload queue is damaged")
	case errkind.FileMissing:
		return lang.L("the file no longer exists")
	case errkind.NoPermission:
		return lang.L("no permission to read the file")
	case errkind.NotHTTPS:
		return lang.L("the endpoint does not speak HTTPS; use its http:// address or HTTPS port")
	case errkind.TLSUntrusted:
		return lang.L("the server's TLS certificate is not trusted")
	case errkind.CorruptedInTransit:
		return lang.L("data was corrupted in transit (CRC-64 mismatch); resending")
	case errkind.HostNotFound:
		return lang.L("the endpoint's host name cannot be found")
	case errkind.Timeout:
		return lang.L("the server did not answer in time")
	case errkind.Network:
		return lang.L("network error")
	}
	return ""
}

// stepSummary explains a failure by the step it happened in, for the engine's
// local checks, which carry no error type of their own.
func stepSummary(op string) string {
	switch {
	case op == "open", op == "checksum", op == "check":
		return lang.L("the file cannot be read")
	case op == "read folder":
		return lang.L("the folder cannot be read")
	case op == "name":
		return lang.L("the file name cannot be used as an OSS object key")
	case op == "changed":
		return lang.L("the file changed while it was being uploaded")
	case op == "lock", op == "checkpoint":
		return lang.L("the upload's progress cannot be saved")
	case op == "resume":
		return lang.L("the saved progress of this upload cannot be used")
	case op == "queue":
		return lang.L("the upload queue cannot be saved")
	case op == "rename":
		return lang.L("no free name was found for this file")
	case op == "start", op == "resolve":
		return lang.L("the destination is not set up")
	case op == "exists", op == "check existing object":
		return lang.L("could not check whether the object exists")
	}
	return lang.L("the upload failed")
}

// taskTechnical is the engine's exact account of a task's error: its
// sentence (file path as given, in any script), step, OSS code, HTTP status,
// RequestId and cause, one line each, for "Technical details".
func taskTechnical(t transfer.TaskSnapshot) string {
	var b strings.Builder
	line := func(label, v string) {
		if v != "" {
			b.WriteString(labelled(label, v) + "\n")
		}
	}
	if n := noteText(t); n != t.Note {
		line(lang.L("Note"), t.Note)
	}
	e := t.Err
	if e == nil {
		return strings.TrimRight(b.String(), "\n")
	}
	line(lang.L("Message"), e.Message)
	line(lang.L("While"), e.Op)
	line(lang.L("OSS code"), e.Code)
	if e.Status != 0 {
		line(lang.L("HTTP status"), formatInt(int64(e.Status)))
	}
	line("RequestId", e.RequestID)
	if e.Err != nil && e.Err.Error() != e.Message {
		line(lang.L("Cause"), e.Err.Error())
	}
	return strings.TrimRight(b.String(), "\n")
}

// labelled is one "Label: value" line, with the language's colon.
func labelled(label, value string) string {
	return lang.L("{{.Label}}: {{.Value}}", map[string]any{"Label": label, "Value": value})
}

// connSummary is a failed connection test's explanation in the window's
// language, chosen by its kind; connDetails keeps OSS's exact reply.
func connSummary(res settings.ConnResult, bucket string) string {
	host := res.Endpoint
	args := map[string]any{"Bucket": bucket, "Endpoint": host, "Suggested": res.SuggestedEndpoint}
	switch res.Kind {
	case settings.ConnInvalidSettings:
		if res.Err != nil {
			return errorText(res.Err)
		}
	case settings.ConnDNS:
		return lang.L("The endpoint's host name cannot be found. Check the endpoint or region spelling, and your network.")
	case settings.ConnTLS:
		return lang.L("A secure (TLS) connection to the endpoint could not be made: its certificate is not trusted or it does not speak HTTPS. Check the endpoint and port.")
	case settings.ConnTimeout:
		return lang.L("The endpoint did not answer in time. Check the endpoint, your network, firewall or proxy.")
	case settings.ConnRefused:
		return lang.L("Nothing accepts connections at the endpoint. Check the endpoint and port; for the Local bucket, is it running?")
	case settings.ConnProxy:
		return lang.L("Could not connect through the proxy. Check the proxy setting or HTTPS_PROXY/HTTP_PROXY.")
	case settings.ConnNetwork:
		return lang.L("Could not talk to the endpoint (network error).")
	case settings.ConnInvalidAccessKeyID:
		return lang.L("OSS does not know this AccessKey ID: check it, or whether the key was disabled or deleted.")
	case settings.ConnSignatureMismatch:
		return lang.L("The AccessKey secret does not match the AccessKey ID; enter the secret again.")
	case settings.ConnAccessDenied:
		return lang.L("The key is valid but may not read bucket {{.Bucket}}'s information; check its RAM policy (uploads still work if it allows oss:PutObject).", args)
	case settings.ConnNoSuchBucket:
		return lang.L("There is no bucket {{.Bucket}} at this endpoint; check the bucket name and the region.", args)
	case settings.ConnWrongRegion:
		if res.SuggestedEndpoint != "" {
			return lang.L("Bucket {{.Bucket}} is in another region: OSS says to use the endpoint {{.Suggested}}.", args)
		}
		return lang.L("Bucket {{.Bucket}} is in another region than this endpoint; choose the bucket's region.", args)
	case settings.ConnTokenExpired:
		return lang.L("The temporary (STS) credentials have expired or are not valid; enter new ones.")
	case settings.ConnOther:
		if errors.Is(res.Err, context.Canceled) {
			return lang.L("The connection test was canceled.")
		}
		if res.Code != "" || res.Status != 0 {
			return ossSummary(res.Code, res.Status, bucket)
		}
	}
	return lang.L("The connection test failed.")
}

// settingFields are the settings' field names (settings.FieldError.Field) as
// the window shows them.
var settingFields = map[string]func() string{
	"name":                                 func() string { return lang.L("Profile name") },
	"endpoint":                             func() string { return lang.L("Endpoint") },
	"bucket":                               func() string { return lang.L("Bucket") },
	"prefix":                               func() string { return lang.L("Prefix") },
	"region":                               func() string { return lang.L("Region") },
	"credentials":                          func() string { return lang.L("Credentials") },
	"AccessKey ID":                         func() string { return lang.L("AccessKey ID") },
	"AccessKey secret":                     func() string { return lang.L("AccessKey secret") },
	"STS expiry":                           func() string { return lang.L("STS expiry") },
	"part size":                            func() string { return lang.L("Part size") },
	"TaskNum (parts in parallel per file)": func() string { return lang.L("Parts in parallel per file") },
	"jobs (files in parallel)":             func() string { return lang.L("Files in parallel") },
	"bandwidth limit":                      func() string { return lang.L("Bandwidth limit") },
	"multipart threshold":                  func() string { return lang.L("Multipart threshold") },
	"on exists":                            func() string { return lang.L("If the object exists") },
	"checkpoint directory":                 func() string { return lang.L("Checkpoint folder") },
	"ACL":                                  func() string { return lang.L("ACL") },
	"storage class":                        func() string { return lang.L("Storage class") },
	"callback URL":                         func() string { return lang.L("Callback URL") },
	"callback body type":                   func() string { return lang.L("Callback body type") },
	"callback variable":                    func() string { return lang.L("Callback variable") },
	"proxy":                                func() string { return lang.L("Proxy") },
	"resume on launch":                     func() string { return lang.L("Resume on launch") },
}

// optionFields are the engine's option names (transfer.OptionError.Field) as
// the window shows them.
var optionFields = map[string]func() string{
	"PartSize": settingFields["part size"],
	"TaskNum":  settingFields["TaskNum (parts in parallel per file)"],
	"Jobs":     settingFields["jobs (files in parallel)"],
}

// errorText is an error from the settings or the engine as the window says
// it: a field error names the field in the window's language and what is
// wrong with it; the exact English reason stays in errorTechnical. Other
// errors are shown as they are.
func errorText(err error) string {
	var fe *settings.FieldError
	if !errors.As(err, &fe) {
		var oe *transfer.OptionError
		if errors.As(err, &oe) {
			field := oe.Field
			if f, ok := optionFields[oe.Field]; ok {
				field = f()
			}
			return lang.L("This transfer setting is out of range: {{.Field}}", map[string]any{"Field": field})
		}
		if s := causeSummary(err); s != "" {
			return sentence(s)
		}
		return err.Error()
	}
	field := fe.Field
	if f, ok := settingFields[fe.Field]; ok {
		field = f()
	}
	args := map[string]any{"Field": field, "Value": fe.Value}
	switch {
	case fe.Reason == "required" || strings.HasPrefix(fe.Reason, "required:") || strings.HasPrefix(fe.Reason, "not set"):
		return lang.L("{{.Field}} is required", args)
	case fe.Field == "bucket" && fe.Value != "":
		return lang.L("Bucket name “{{.Value}}” is not valid: use 3 to 63 lowercase letters, digits and hyphens, starting and ending with a letter or digit", args)
	case fe.Value != "":
		return lang.L("{{.Field}} “{{.Value}}” is not valid", args)
	}
	return lang.L("{{.Field}} is not valid", args)
}

// errorTechnical is the exact text behind errorText, or "" when errorText
// already shows it all.
func errorTechnical(err error) string {
	if err == nil || errorText(err) == err.Error() {
		return ""
	}
	return err.Error()
}

// secretStateText says where secrets are kept, in the window's language
// (settings.SecretState.Message in English).
func secretStateText(st settings.SecretState) string {
	switch st.Backend {
	case settings.BackendKeyring:
		return lang.L("Secrets are stored in the system keyring.")
	case settings.BackendFile:
		return lang.L("Warning: no system keyring was found, so secrets are stored unencrypted in {{.Path}}, where any program running as you can read them (storing them in a file was allowed in Settings).", map[string]any{"Path": st.Path})
	}
	return lang.L("No system keyring was found, so secrets are kept in memory only: ossdrop asks for them again after it exits. To keep them, start or unlock your keyring, or allow keeping secrets in a file in Settings.")
}

// expiryText is a profile's credential expiry in the window's language
// (settings.ExpiryStatus.Message in English); "" for long-term keys.
func expiryText(es settings.ExpiryStatus) string {
	switch es.State {
	case settings.Valid:
		return lang.L("The temporary credentials expire at {{.At}}.", map[string]any{"At": dateTime(es.Expiry, time.Local)})
	case settings.Expired:
		return lang.L("The temporary (STS) credentials expired at {{.At}}; enter new ones to continue uploading.", map[string]any{"At": dateTime(es.Expiry, time.Local)})
	case settings.ExpiringSoon:
		return lang.L("The temporary (STS) credentials expire in {{.Left}}; uploads will pause then until new ones are entered.", map[string]any{"Left": roughDuration(es.Left)})
	}
	return ""
}

// problemText is errorText followed, on its own line, by the exact text
// behind it when that says more, for labels that have no room for a closed
// details section.
func problemText(err error) string {
	if tech := errorTechnical(err); tech != "" {
		return errorText(err) + "\n" + lang.L("Technical details") + ": " + tech
	}
	return errorText(err)
}

// bucketDefault is the ACL and storage-class choice that leaves the bucket's
// own setting in force.
func bucketDefault() string { return lang.L("(bucket default)") }

// uiProblem is a failed action of the window: what the user tried, in the
// window's language, and the error behind it.
type uiProblem struct {
	text string
	err  error
	tech string // the exact text behind text, when there is no single err
}

// problemWithDetails is a problem told in text, with tech, the exact account,
// one click away.
func problemWithDetails(text, tech string) error { return &uiProblem{text: text, tech: tech} }

// problem wraps err with what failed, in words already translated.
func problem(text string, err error) error { return &uiProblem{text: text, err: err} }

// Error is the exact account, for logs.
func (p *uiProblem) Error() string {
	if p.err == nil {
		if p.tech != "" {
			return p.text + "\n" + p.tech
		}
		return p.text
	}
	return p.text + ": " + p.err.Error()
}

// summary is what the user reads: the error's own part only when the window
// can say it in plain words; the rest is in the technical details.
func (p *uiProblem) summary() string {
	if p.err == nil || errorText(p.err) == p.err.Error() {
		return p.text
	}
	return lang.L("{{.What}}: {{.Why}}", map[string]any{"What": p.text, "Why": errorText(p.err)})
}

func (p *uiProblem) Unwrap() error { return p.err }

// problemDialog shows err in the window's language, with the exact text
// behind it (file names as given, server replies) in a closed "Technical
// details" section when that says more.
func problemDialog(err error, parent fyne.Window) dialog.Dialog {
	summary := errorText(err)
	tech := errorTechnical(err)
	var p *uiProblem
	if errors.As(err, &p) {
		summary, tech = p.summary(), p.tech
		if p.err != nil {
			tech = p.err.Error()
		}
	}
	msg := widget.NewLabel(summary)
	msg.Wrapping = fyne.TextWrapWord
	body := container.NewVBox(msg)
	if tech != "" {
		detail := widget.NewLabel(tech)
		detail.Selectable = true
		detail.Wrapping = fyne.TextWrapBreak
		body.Add(widget.NewAccordion(widget.NewAccordionItem(lang.L("Technical details"), detail)))
	}
	d := dialog.NewCustom(lang.L("Error"), lang.L("Close"), body, parent)
	d.Resize(fyne.NewSize(520, 0))
	return d
}

// noteText is a task's note in the window's language, from the kinds the
// engine gives each of its sentences; the engine's sentence when there is a
// kind the window cannot word.
func noteText(t transfer.TaskSnapshot) string {
	if t.Note == "" || t.NoteKinds == 0 {
		return t.Note
	}
	var parts []string
	for _, k := range t.NoteKinds.Kinds() {
		s := noteKindText(k, t)
		if s == "" {
			return t.Note
		}
		parts = append(parts, s)
	}
	return join(parts...)
}

// noteKindText words one kind of note. A note that explains a skip does not
// say "skipped" again: it follows the row's state, which already says so.
func noteKindText(k transfer.NoteKind, t transfer.TaskSnapshot) string {
	switch k {
	case transfer.NoteRestarted:
		return lang.L("the earlier partial upload could not be used; started again from zero")
	case transfer.NoteChangedRestarted:
		return lang.L("changed while uploading; started again")
	case transfer.NoteAlreadyUploaded:
		return lang.L("already uploaded by an earlier run; nothing sent")
	case transfer.NoteExistsSkipped:
		return lang.L("an object with this key already exists")
	case transfer.NoteIdenticalSkipped:
		return lang.L("an identical object already exists")
	case transfer.NoteRenamed:
		return lang.L("uploaded as {{.Name}}", map[string]any{"Name": path.Base(t.Key)})
	case transfer.NoteKeyTakenSkipped:
		return lang.L("another file in the queue has this key")
	case transfer.NoteCallbackFailed:
		return lang.L("the object is stored, but the upload callback failed")
	case transfer.NotePartsResent:
		return lang.L("parts that changed since the earlier run were sent again")
	case transfer.NoteInUseNotResumed:
		return lang.L("not resumed: another ossdrop is uploading it")
	}
	return ""
}

// actionFailed says that a row action (act's what) did not work.
func actionFailed(what string) string {
	switch what {
	case "pause":
		return lang.L("Cannot pause the upload")
	case "resume":
		return lang.L("Cannot resume the upload")
	case "retry":
		return lang.L("Cannot retry the upload")
	case "remove":
		return lang.L("Cannot remove the upload")
	case "cancel":
		return lang.L("Cannot cancel the upload")
	}
	return lang.L("The action on the upload failed")
}

// settingsLoadProblem says that the settings file could not be used, with the
// reason one click away.
func settingsLoadProblem(err error) error {
	path := ""
	var le *settings.LoadError
	if errors.As(err, &le) {
		path, err = le.Path, le.Err
	}
	return problem(lang.L("The settings file {{.Path}} cannot be used. ossdrop started with default settings; the broken file is kept until you save.", map[string]any{"Path": path}), err)
}
